// Human forms of exact bigint counts. Tables use the compact form; wide/json/yaml use exact text.

/** Largest count the table prints digit by digit. */
const EXACT_LIMIT = 9_999_999n;

/** log2 of n when n is a power of two ≥ 2^20, else undefined. */
function powerOfTwo(n: bigint): number | undefined {
  if (n < 1n << 20n || (n & (n - 1n)) !== 0n) return undefined;
  return n.toString(2).length - 1;
}

/** Scientific notation with one decimal (1.8e19), from the exact digits, no float rounding of the input. */
function scientific(n: bigint): string {
  const digits = n.toString();
  const exp = digits.length - 1;
  // Round to two significant digits.
  let lead = Number(digits.slice(0, 3)) / 100;
  lead = Math.round(lead * 10) / 10;
  let e = exp;
  if (lead >= 10) {
    lead /= 10;
    e++;
  }
  const text = Number.isInteger(lead) ? lead.toFixed(0) : lead.toFixed(1);
  return `${text}e${e}`;
}

/**
 * Compact count: exact up to 9 999 999; powers of two from 2^20 as `2^N`; otherwise `1.8e19`.
 * Always at most 7 characters.
 */
export function compactCount(n: bigint): string {
  if (n < 0n) return `-${compactCount(-n)}`;
  if (n <= EXACT_LIMIT) return n.toString();
  const p = powerOfTwo(n);
  if (p !== undefined) return `2^${p}`;
  return scientific(n);
}

/** Exact decimal. */
export function exactCount(n: bigint): string {
  return n.toString();
}

/** Percentage text for a ratio in [0, 1]: `<1%` for a sliver, `100%` only when full. */
export function percentText(ratio: number, full: boolean): string {
  if (full) return '100%';
  if (ratio <= 0) return '0%';
  if (ratio < 0.01) return '<1%';
  return `${Math.min(99, Math.floor(ratio * 100))}%`;
}
