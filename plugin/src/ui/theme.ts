// Semantic colour tokens. Components name what a thing IS (free, allocated, warning), never a
// colour. With NO_COLOR set (any non-empty value, https://no-color.org) every token has no colour;
// states stay distinguishable through glyphs and markers, which never depend on the theme.
import { toAscii } from '../output/terminal.js';
import type { CellState } from './model/grid.js';

/** Every map cell state is a token of its own (cellToken), plus the UI's other meanings. */
export type Token = CellState | 'ok' | 'warning' | 'critical' | 'accent' | 'muted' | 'danger' | 'title';

export interface Style {
  readonly color?: string;
  readonly bold?: boolean;
  readonly dimColor?: boolean;
}

export interface Theme {
  readonly noColor: boolean;
  /** The terminal cannot draw block and box characters (TERM=dumb, a non-UTF-8 locale; ADR 0020). */
  readonly ascii: boolean;
  readonly styles: Readonly<Record<Token, Style>>;
  /** Text as this terminal can show it: unchanged, or output/terminal.ts's ASCII stand-ins. */
  readonly text: (s: string) => string;
}

const COLOURS: Readonly<Record<Token, Style>> = {
  free: { color: 'green' },
  partial: { color: 'cyan' },
  allocated: { color: 'blue', bold: true },
  excluded: { color: 'gray' },
  reserved: { color: 'magenta' },
  gateway: { color: 'yellow' },
  'out-of-range': { color: 'red', bold: true },
  orphan: { color: 'yellowBright', bold: true },
  quarantined: { color: 'magentaBright' },
  held: { color: 'cyanBright' },
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

export function makeTheme(noColor: boolean, ascii = false): Theme {
  return {
    noColor,
    ascii,
    styles: noColor ? plain(COLOURS) : COLOURS,
    text: ascii ? toAscii : (s) => s,
  };
}

/** NO_COLOR with any non-empty value turns colour off. */
export function noColorFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  const v = env.NO_COLOR;
  return v !== undefined && v !== '';
}

/** Glyph of a map cell: one character, distinct for every state, shading for partly used blocks. */
export function cellGlyph(state: CellState, fill: number, single: boolean, ascii = false): string {
  switch (state) {
    case 'free':
      return ascii ? '.' : '·';
    case 'allocated':
      return ascii ? '#' : single ? '■' : '█';
    case 'partial':
      if (ascii) return fill < 1 / 3 ? '-' : fill < 2 / 3 ? '+' : '*';
      return fill < 1 / 3 ? '░' : fill < 2 / 3 ? '▒' : '▓';
    case 'excluded':
      return 'x';
    case 'reserved':
      return 'R';
    case 'gateway':
      return 'G';
    case 'out-of-range':
      return '!';
    case 'orphan':
      return ascii ? 'o' : '○';
    case 'quarantined':
      return ascii ? 'q' : '◇';
    case 'held':
      return ascii ? 'v' : '▣';
  }
}

export function cellToken(state: CellState): Token {
  return state;
}

export interface LegendEntry {
  readonly state: CellState;
  readonly glyph: string;
  readonly label: string;
  /** The label where the full one does not fit (80 columns). */
  readonly short: string;
  /** Where even the short ones do not fit (80 columns with a quarantine or reservation entry). */
  readonly tiny?: string;
}

/**
 * Legend entries, in the order shown: every glyph the map can draw; the quarantine's (ADR 0028)
 * and the reservation's (ADR 0030) only when the map in view draws them, so that the usual legend
 * keeps its full words.
 */
export function legend(ascii = false, quarantined = false, held = false): readonly LegendEntry[] {
  const e = (state: CellState, glyph: string, label: string, short: string, tiny?: string): LegendEntry => ({
    state,
    glyph,
    label,
    short,
    ...(tiny === undefined ? {} : { tiny }),
  });
  return [
    ascii ? e('allocated', '#', 'allocated', 'used') : e('allocated', '■', 'allocated', 'used'),
    ...(ascii ? [] : [e('allocated', '█', 'full', 'full')]),
    e('partial', ascii ? '-+*' : '░▒▓', 'partly', 'part'),
    e('free', ascii ? '.' : '·', 'free', 'free'),
    e('orphan', ascii ? 'o' : '○', 'orphan', 'orphan', 'orph'),
    e('excluded', 'x', 'excluded', 'excl'),
    e('reserved', 'R', 'reserved', 'rsvd'),
    e('gateway', 'G', 'gateway', 'gw'),
    e('out-of-range', '!', 'out of range', 'out of range', 'oor'),
    ...(quarantined ? [e('quarantined', ascii ? 'q' : '◇', 'quarantined', 'quar')] : []),
    ...(held ? [e('held', ascii ? 'v' : '▣', 'reservation', 'held')] : []),
  ];
}
