/** @jsxRuntime automatic */
// A fixed-column table: header, rows, a selected row marked with `›` (and inverse where colour is on).
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { truncate } from '../model/format.js';
import { Plain, Styled } from './Styled.js';

export interface Column {
  readonly title: string;
  readonly width: number;
  readonly align?: 'left' | 'right';
}

export interface TableRow {
  readonly key: string;
  /** One node per column; strings are truncated to the column width. */
  readonly cells: readonly ReactNode[];
}

function pad(text: string, width: number, align: 'left' | 'right' | undefined): string {
  const t = truncate(text, width);
  return align === 'right' ? t.padStart(width) : t.padEnd(width);
}

export function Table(props: {
  columns: readonly Column[];
  rows: readonly TableRow[];
  selected: number;
  empty?: string;
}): ReactNode {
  const { columns, rows, selected } = props;
  return (
    <Box flexDirection="column">
      <Box>
        <Plain> </Plain>
        {columns.map((c) => (
          <Box key={c.title} width={c.width + 1}>
            <Styled token="title">{pad(c.title, c.width, c.align)}</Styled>
          </Box>
        ))}
      </Box>
      {rows.length === 0 && props.empty !== undefined ? (
        <Styled token="muted">{`  ${props.empty}`}</Styled>
      ) : null}
      {rows.map((r, i) => (
        <Box key={r.key}>
          <Styled token="accent">{i === selected ? '›' : ' '}</Styled>
          {columns.map((c, j) => {
            const cell = r.cells[j];
            return (
              <Box key={c.title} width={c.width + 1} overflow="hidden">
                {typeof cell === 'string' ? (
                  <Plain inverse={i === selected && j === 0}>{pad(cell, c.width, c.align)}</Plain>
                ) : (
                  cell
                )}
              </Box>
            );
          })}
        </Box>
      ))}
    </Box>
  );
}
