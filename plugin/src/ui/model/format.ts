// Text forms the browser shows: compact counts for huge pools, percentages, ages.

/** Exact below 100 000; `2^k` for powers of two; otherwise scientific with two digits (`1.8e19`). */
export function compactCount(n: bigint): string {
  if (n < 100_000n) return n.toString();
  if ((n & (n - 1n)) === 0n) return `2^${n.toString(2).length - 1}`;
  const digits = n.toString();
  const mantissa = `${digits[0] ?? '0'}.${digits[1] ?? '0'}`;
  if (n < 1_000_000_000n) return n.toLocaleString('en-US');
  return `${mantissa}e${digits.length - 1}`;
}

/**
 * `74%`; `<1%` for a tiny non-zero share (even one a float rounds to 0, like 3 of 2^64);
 * `>99%` for an almost full one; `—` for nothing.
 */
export function percent(utilisation: number, total: bigint, used = 0n): string {
  if (total === 0n) return '—';
  if ((utilisation > 0 || used > 0n) && utilisation < 0.01) return '<1%';
  if (utilisation < 1 && utilisation > 0.99) return '>99%';
  return `${Math.round(utilisation * 100)}%`;
}

/** A short age: `45s`, `12m`, `3h`, `4d`. */
export function age(since: Date | undefined, now: Date): string {
  if (since === undefined) return '—';
  const s = Math.max(0, Math.floor((now.getTime() - since.getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172_800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86_400)}d`;
}

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
