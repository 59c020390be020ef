// kubectl-style tables: upper-case headers, columns separated by two spaces, numbers right-aligned.
import { visibleWidth } from './colour.js';
import { toAscii } from './terminal.js';

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

export interface TableOptions {
  /** false: no header line (`--no-headers`). */
  readonly headers?: boolean | undefined;
  /** Cells in ASCII (terminal.ts toAscii) before they are measured, so columns stay aligned. */
  readonly ascii?: boolean | undefined;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

function cellsOf(rows: readonly (readonly string[])[], options: TableOptions): (readonly string[])[] {
  return options.ascii === true ? rows.map((r) => r.map(toAscii)) : [...rows];
}

/** Each column's width: its widest cell, the header included unless there is none. */
export function tableWidths(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): number[] {
  const cells = cellsOf(rows, options);
  return columns.map((c, i) =>
    Math.max(
      options.headers === false ? 0 : visibleWidth(c.header),
      ...cells.map((r) => visibleWidth(r[i] ?? '')),
    ),
  );
}

/** Renders rows (cells may hold ANSI colour); the last column is not padded. Ends with a newline. */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  options: TableOptions = {},
): string {
  const cells = cellsOf(rows, options);
  const widths = tableWidths(columns, cells, { headers: options.headers });
  const line = (row: readonly string[]): string =>
    columns
      .map((c, i) => {
        const text = row[i] ?? '';
        const last = i === columns.length - 1;
        const align = c.align ?? 'left';
        return last && align === 'left' ? text : pad(text, widths[i] ?? 0, align);
      })
      .join('  ')
      .trimEnd();
  const lines = cells.map(line);
  if (options.headers !== false) lines.unshift(line(columns.map((c) => c.header)));
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}
