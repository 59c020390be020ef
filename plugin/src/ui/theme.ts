// Semantic colour tokens. Components name what a thing IS (free, allocated, warning), never a
// colour. With NO_COLOR set (any non-empty value, https://no-color.org) every token has no colour;
// states stay distinguishable through glyphs and markers, which never depend on the theme.
import type { CellState } from './model/grid.js';
import type { BrowserSeverity } from './model/source.js';

export type Token =
  | 'free'
  | 'partial'
  | 'allocated'
  | 'excluded'
  | 'reserved'
  | 'gateway'
  | 'out-of-range'
  | 'ok'
  | 'warning'
  | 'critical'
  | 'accent'
  | 'muted'
  | 'danger'
  | 'title';

export interface Style {
  readonly color?: string;
  readonly bold?: boolean;
  readonly dimColor?: boolean;
}

export interface Theme {
  readonly noColor: boolean;
  readonly styles: Readonly<Record<Token, Style>>;
}

const COLOURS: Readonly<Record<Token, Style>> = {
  free: { color: 'green' },
  partial: { color: 'cyan' },
  allocated: { color: 'blue', bold: true },
  excluded: { color: 'gray' },
  reserved: { color: 'magenta' },
  gateway: { color: 'yellow' },
  'out-of-range': { color: 'red', bold: true },
  ok: { color: 'green' },
  warning: { color: 'yellow' },
  critical: { color: 'red', bold: true },
  accent: { color: 'cyan', bold: true },
  muted: { color: 'gray' },
  danger: { color: 'red', bold: true },
  title: { bold: true },
};

/** Without colour, only weight is kept (bold is not a colour; NO_COLOR allows it). */
function plain(styles: Readonly<Record<Token, Style>>): Record<Token, Style> {
  const out = {} as Record<Token, Style>;
  for (const [k, v] of Object.entries(styles) as [Token, Style][])
    out[k] = v.bold === true ? { bold: true } : {};
  return out;
}

export function makeTheme(noColor: boolean): Theme {
  return { noColor, styles: noColor ? plain(COLOURS) : COLOURS };
}

/** NO_COLOR with any non-empty value turns colour off. */
export function noColorFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.NO_COLOR;
  return v !== undefined && v !== '';
}

/** Glyph of a map cell: one character, distinct for every state, shading for partly used blocks. */
export function cellGlyph(state: CellState, fill: number, single: boolean): string {
  switch (state) {
    case 'free':
      return '·';
    case 'allocated':
      return single ? '■' : '█';
    case 'partial':
      return fill < 1 / 3 ? '░' : fill < 2 / 3 ? '▒' : '▓';
    case 'excluded':
      return 'x';
    case 'reserved':
      return 'R';
    case 'gateway':
      return 'G';
    case 'out-of-range':
      return '!';
  }
}

export function cellToken(state: CellState): Token {
  return state;
}

export function severityToken(s: BrowserSeverity): Token {
  switch (s) {
    case 'ok':
    case 'empty':
      return 'ok';
    case 'warning':
      return 'warning';
    case 'critical':
    case 'full':
    case 'invalid':
      return 'critical';
  }
}

/** Legend entries, in the order shown. */
export const LEGEND: readonly {
  readonly state: CellState;
  readonly glyph: string;
  readonly label: string;
}[] = [
  { state: 'allocated', glyph: '■', label: 'allocated' },
  { state: 'partial', glyph: '░▒▓', label: 'partly' },
  { state: 'free', glyph: '·', label: 'free' },
  { state: 'excluded', glyph: 'x', label: 'excluded' },
  { state: 'reserved', glyph: 'R', label: 'reserved' },
  { state: 'gateway', glyph: 'G', label: 'gateway' },
  { state: 'out-of-range', glyph: '!', label: 'out of range' },
];
