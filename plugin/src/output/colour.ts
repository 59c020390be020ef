// Colours by meaning, never by name at the call site. Off with --no-color, with NO_COLOR set (any
// non-empty value, https://no-color.org), or when stdout is not a terminal; FORCE_COLOR turns them on.
export type Token = 'ok' | 'warning' | 'critical' | 'muted' | 'accent' | 'error' | 'heading' | 'good' | 'bad';

const CODES: Readonly<Record<Token, readonly [number, number]>> = {
  ok: [32, 39],
  good: [32, 39],
  warning: [33, 39],
  critical: [31, 39],
  bad: [31, 39],
  error: [31, 39],
  muted: [2, 22],
  accent: [36, 39],
  heading: [1, 22],
};

export interface Palette {
  readonly enabled: boolean;
  paint(token: Token, text: string): string;
}

export function palette(enabled: boolean): Palette {
  return {
    enabled,
    paint: (token, text) => {
      if (!enabled || text === '') return text;
      const [on, off] = CODES[token];
      return `\u001b[${on}m${text}\u001b[${off}m`;
    },
  };
}

export interface ColourDecision {
  readonly noColorFlag?: boolean;
  readonly env?: NodeJS.ProcessEnv;
  readonly isTTY?: boolean;
}

/** Whether to colour: flag > NO_COLOR > FORCE_COLOR > terminal. */
export function colourEnabled(d: ColourDecision): boolean {
  const env = d.env ?? {};
  if (d.noColorFlag === true) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return d.isTTY === true && env.TERM !== 'dumb';
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, '');
}

/** Display width: ANSI codes take none; every other code point takes one column. */
export function visibleWidth(s: string): number {
  let n = 0;
  for (const _ of stripAnsi(s)) n++;
  return n;
}
