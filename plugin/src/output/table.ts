// kubectl-style tables: upper-case headers, columns separated by two spaces, numbers right-aligned.
import { visibleWidth } from './colour.js';

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)));
  return align === 'right' ? fill + text : text + fill;
}

/** Renders rows (cells may hold ANSI colour); the last column is not padded. Ends with a newline. */
export function renderTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) =>
    Math.max(visibleWidth(c.header), ...rows.map((r) => visibleWidth(r[i] ?? ''))),
  );
  const line = (cells: readonly string[]): string =>
    columns
      .map((c, i) => {
        const text = cells[i] ?? '';
        const last = i === columns.length - 1;
        const align = c.align ?? 'left';
        return last && align === 'left' ? text : pad(text, widths[i] ?? 0, align);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)].join('\n') + '\n';
}
