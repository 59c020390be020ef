// Screen geometry: how many rows and columns each part of the browser gets at a terminal size.
//
//   header                       1 row
//   ┌ body ┐                     border: 2 rows, 2 columns; padding 1 column each side
//   status line                  1 row
//   key hints                    1 row
//
// The pool page splits the body into the map (title, column header, rows, legend) and a side panel.
import type { Family } from '@ipam-in-cluster/allocator';
import { cellsPerRow } from './model/grid.js';

export const MIN_COLUMNS = 40;
export const MIN_ROWS = 12;

export interface Geometry {
  readonly columns: number;
  readonly rows: number;
  /** Lines inside the body border. */
  readonly bodyRows: number;
  /** Columns inside the body border and padding. */
  readonly innerWidth: number;
  /** Visible pool-list rows (below the column header). */
  readonly listRows: number;
  readonly panelWidth: number;
  readonly mapWidth: number;
  readonly labelWidth: number;
  readonly perRow: number;
  /** Rows of cells the map can show at once. */
  readonly mapRows: number;
}

export function geometry(columns: number, rows: number, family: Family | undefined): Geometry {
  const c = Math.max(MIN_COLUMNS, columns);
  const r = Math.max(MIN_ROWS, rows);
  const bodyRows = r - 5;
  const innerWidth = c - 4;
  const panelWidth = Math.max(22, Math.min(48, Math.floor(innerWidth * 0.34)));
  const mapWidth = innerWidth - panelWidth - 2;
  const labelWidth = family === 6 ? Math.max(12, Math.min(39, mapWidth - 34)) : 15;
  const perRow = cellsPerRow(mapWidth - labelWidth - 1);
  return {
    columns: c,
    rows: r,
    bodyRows,
    innerWidth,
    listRows: Math.max(1, bodyRows - 1),
    panelWidth,
    mapWidth,
    labelWidth,
    perRow,
    // title, column header, legend
    mapRows: Math.max(1, bodyRows - 3),
  };
}
