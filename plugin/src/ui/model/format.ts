// Text forms only the browser needs: cutting to a column, block sizes. Counts, percentages, ages
// and markers come from output/present.ts, shared with the CLI.
import { compactCount } from '../../output/counts.js';

/** Cuts a string to `width` columns, marking the cut with `…` at the end. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `${text.slice(0, width - 1)}…`;
}

/** Cuts a string to `width` columns keeping its end (for addresses, whose tail differs). */
export function truncateStart(text: string, width: number): string {
  if (width <= 0) return '';
  if (text.length <= width) return text;
  return width === 1 ? '…' : `…${text.slice(text.length - width + 1)}`;
}

/** Cell size as a phrase: `1 address`, `16 addresses (/28)`. */
export function blockPhrase(size: bigint, family: 4 | 6): string {
  if (size === 1n) return '1 address';
  const bits = (family === 4 ? 32 : 128) - (size.toString(2).length - 1);
  return `${compactCount(size)} addresses (/${bits})`;
}
