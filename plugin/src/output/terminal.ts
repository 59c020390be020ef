// What the terminal can show: how many columns (tables and text fit them) and whether it can draw
// the block and box characters we use (else an ASCII fallback). Decided once per run from the
// environment; the printers stay pure and take the answers as arguments.
import { visibleWidth } from './colour.js';

/** Columns when nothing says otherwise (not a terminal, no $COLUMNS): kubectl's and POSIX's 80. */
export const DEFAULT_WIDTH = 80;
/** Narrower than this is treated as this: a table cannot be laid out in less. */
const MIN_WIDTH = 40;

export interface TerminalFacts {
  readonly env: NodeJS.ProcessEnv;
  readonly isTTY: boolean;
  /** process.stdout.columns when stdout is a terminal. */
  readonly columns?: number | undefined;
}

/** `$COLUMNS` when it is a positive number, else the terminal's width, else 80 (not a terminal). */
export function terminalWidth(t: TerminalFacts): number {
  const fromEnv = Number(t.env.COLUMNS);
  if (t.env.COLUMNS !== undefined && Number.isSafeInteger(fromEnv) && fromEnv > 0)
    return Math.max(MIN_WIDTH, fromEnv);
  if (t.isTTY && t.columns !== undefined && t.columns > 0) return Math.max(MIN_WIDTH, t.columns);
  return DEFAULT_WIDTH;
}

/**
 * Whether the width is the reader's: `$COLUMNS` is set or stdout is a terminal. Prose (explain,
 * inspect, release) is wrapped only then, so that grep on piped output sees whole lines; tables
 * fit 80 columns either way.
 */
export function widthKnown(t: TerminalFacts): boolean {
  const fromEnv = Number(t.env.COLUMNS);
  return (t.env.COLUMNS !== undefined && Number.isSafeInteger(fromEnv) && fromEnv > 0) || t.isTTY;
}

/**
 * Whether block characters (`█▏░`), marks (`≠ ✗ ■ ▲ ⏸`) and dashes can be shown: not with
 * `TERM=dumb`, nor when the locale (the first set of LC_ALL, LC_CTYPE, LANG, as the C library picks
 * it) is not UTF-8, e.g. `LANG=C` or `POSIX`. No locale variable at all counts as UTF-8: that is what
 * containers and CI runners without one set usually draw.
 */
export function unicodeCapable(env: NodeJS.ProcessEnv): boolean {
  if (env.TERM === 'dumb') return false;
  const locale = [env.LC_ALL, env.LC_CTYPE, env.LANG].find((v) => v !== undefined && v !== '');
  if (locale === undefined) return true;
  return /utf-?8/i.test(locale);
}

/** Each non-ASCII character we print, and what stands for it in ASCII. */
const ASCII: Readonly<Record<string, string>> = {
  '█': '#',
  '▉': '+',
  '▊': '+',
  '▋': '+',
  '▌': '+',
  '▍': '+',
  '▎': '+',
  '▏': '+',
  '░': '.',
  '■': '#',
  '▲': '^',
  '⏸': '||',
  '✗': 'x',
  '✓': 'ok',
  '≠': '!=',
  '—': '-',
  '–': '-',
  '−': '-',
  '·': '-',
  '→': '->',
  '←': '<-',
  '…': '...',
  '’': "'",
  '“': '"',
  '”': '"',
  '×': 'x',
  '≥': '>=',
  '≤': '<=',
  '│': '|',
  '─': '-',
  '›': '>',
  '•': '*',
  '▒': '+',
  '▓': '*',
  '○': 'o',
  '●': '*',
  '△': '^',
  '⌫': '<x',
  '⏎': 'Enter',
  '⚠': '!',
  '↑': '^',
  '↓': 'v',
  '◇': 'q',
  '▣': 'v',
  '↗': '/',
};
const NON_ASCII = /[\u0080-\u{10ffff}]/gu;

/** Replaces the characters above; any other non-ASCII character (a name, a message) becomes `?`. */
export function toAscii(text: string): string {
  return text.replace(NON_ASCII, (c) => ASCII[c] ?? '?');
}

/** Cuts `text` (no ANSI codes) to `width` columns, ending in `ellipsis` when it was longer. */
export function truncate(text: string, width: number, ellipsis = '…'): string {
  if (visibleWidth(text) <= width) return text;
  const keep = Math.max(0, width - ellipsis.length);
  return `${Array.from(text).slice(0, keep).join('')}${ellipsis}`.slice(0, Math.max(0, width));
}

/**
 * Word-wraps one line (no ANSI codes) to `width` columns. Continuation lines are indented by the
 * line's own indentation plus `hang` (capped so that at least half the width is left for text);
 * a word longer than a line is split.
 */
export function wrapLine(line: string, width: number, hang = 4): string[] {
  if (visibleWidth(line) <= width) return [line];
  const lead = /^ */.exec(line)?.[0].length ?? 0;
  const indent = ' '.repeat(Math.min(lead + hang, Math.floor(width / 2)));
  const words = line.slice(lead).split(/ +/);
  const out: string[] = [];
  let current = ' '.repeat(lead);
  let fresh = true; // nothing but indentation in `current` yet
  const flush = (): void => {
    out.push(current.trimEnd());
    current = indent;
    fresh = true;
  };
  for (let word of words) {
    if (!fresh && visibleWidth(current) + 1 + visibleWidth(word) > width) flush();
    while (visibleWidth(current) + (fresh ? 0 : 1) + visibleWidth(word) > width) {
      // Never split inside a colour code: such a word runs over instead.
      if (word.includes('\u001b')) break;
      const room = width - visibleWidth(current) - (fresh ? 0 : 1);
      if (room <= 0) {
        flush();
        continue;
      }
      const chars = Array.from(word);
      current += (fresh ? '' : ' ') + chars.slice(0, room).join('');
      word = chars.slice(room).join('');
      flush();
    }
    if (word === '') continue;
    current += (fresh ? '' : ' ') + word;
    fresh = false;
  }
  if (!fresh) out.push(current.trimEnd());
  return out;
}

/** Word-wraps every line of `text` longer than `width` (see wrapLine); keeps the final newline. */
export function wrapText(text: string, width: number, hang = 4): string {
  return text
    .split('\n')
    .flatMap((l) => wrapLine(l, width, hang))
    .join('\n');
}
