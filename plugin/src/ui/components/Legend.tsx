/** @jsxRuntime automatic */
// The map legend: glyph and word for every cell state (the glyphs alone tell states apart).
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { useView } from '../state/context.js';
import { legend, type LegendEntry } from '../theme.js';
import { Plain, Styled } from './Styled.js';

/** Separator and label form that fit `width`: roomy, tight, the short labels, then the tiny ones. */
export function legendForm(
  entries: readonly LegendEntry[],
  width: number,
): { sep: string; label: (l: LegendEntry) => string } {
  const text = (sep: string, label: (l: LegendEntry) => string): number =>
    entries.map((l) => `${l.glyph} ${label(l)}`).join(sep).length;
  const full = (l: LegendEntry): string => l.label;
  const short = (l: LegendEntry): string => l.short;
  if (text('  ', full) <= width) return { sep: '  ', label: full };
  if (text(' ', full) <= width) return { sep: ' ', label: full };
  if (text('  ', short) <= width) return { sep: '  ', label: short };
  if (text(' ', short) <= width) return { sep: ' ', label: short };
  return { sep: ' ', label: (l) => l.tiny ?? l.short };
}

export function Legend(props: { width: number }): ReactNode {
  const { theme, grid } = useView();
  const entries = legend(
    theme.ascii,
    grid?.cells.some((c) => c.state === 'quarantined'),
    grid?.cells.some((c) => c.state === 'held'),
  );
  const form = legendForm(entries, props.width);
  return (
    <Box>
      <Plain wrap="truncate">
        {entries.map((l, i) => (
          <Plain key={`${l.state}-${l.glyph}`}>
            {i > 0 ? form.sep : ''}
            <Styled token={l.state}>{l.glyph}</Styled>
            {` ${form.label(l)}`}
          </Plain>
        ))}
      </Plain>
    </Box>
  );
}
