/** @jsxRuntime automatic */
// The map legend: glyph and word for every cell state (the glyphs alone tell states apart).
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { LEGEND } from '../theme.js';
import { Styled } from './Styled.js';

/** Separator and label form that fit `width`: roomy, tight, then short words. */
export function legendForm(width: number): { sep: string; label: (l: string) => string } {
  const text = (sep: string, label: (l: string) => string): number =>
    LEGEND.map((l) => `${l.glyph} ${label(l.label)}`).join(sep).length;
  const full = (l: string): string => l;
  const short = (l: string): string => l.split(' ')[0]?.slice(0, 5) ?? l;
  if (text('  ', full) <= width) return { sep: '  ', label: full };
  if (text(' ', full) <= width) return { sep: ' ', label: full };
  return { sep: ' ', label: short };
}

export function Legend(props: { width: number }): ReactNode {
  const form = legendForm(props.width);
  return (
    <Box>
      <Text wrap="truncate">
        {LEGEND.map((l, i) => (
          <Text key={l.state}>
            {i > 0 ? form.sep : ''}
            <Styled token={l.state}>{l.glyph}</Styled>
            {` ${form.label(l.label)}`}
          </Text>
        ))}
      </Text>
    </Box>
  );
}
