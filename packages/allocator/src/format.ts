/**
 * Canonical text forms, matching Go's netip/netipx `String()` so our IPAddress objects and
 * messages are byte-identical to upstream: IPv4 dotted decimal, IPv6 RFC 5952, mapped as
 * `::ffff:a.b.c.d`, prefixes `addr/bits`, ranges `from-to`.
 */
import type { Addr, Family } from './address.js';
import type { Prefix } from './prefix.js';
import type { IPRange } from './range.js';
import { splitWords, word } from './words.js';

function formatV4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

/**
 * Lower-case hex text of the 16-bit groups below 0x1000, filled on first use ('' = not yet). Those
 * are most groups of the addresses pools hand out (runs of small numbers after a prefix); larger
 * groups are converted each time. A table of all 65 536 groups held 0.6 MB in every controller.
 */
const GROUP_CACHE_SIZE = 0x1000;
const groupHex: string[] = new Array<string>(GROUP_CACHE_SIZE).fill('');
/** Scratch for the eight groups of the address being formatted (formatting is synchronous). */
const groups = new Uint32Array(8);

function hexGroup(i: number): string {
  const g = groups[i] ?? 0;
  if (g >= GROUP_CACHE_SIZE) return g.toString(16);
  let s = groupHex[g] ?? '';
  if (s === '') {
    s = g.toString(16);
    groupHex[g] = s;
  }
  return s;
}

/**
 * RFC 5952 text from the eight 16-bit groups: lower-case hex without leading zeros, the longest
 * run of two or more zero groups (the leftmost on a tie, as Go) written `::`; the rest is number
 * work and cached group texts, no per-character string building.
 */
function formatV6(value: bigint): string {
  splitWords(value);
  const w0 = word(0);
  const w1 = word(1);
  const w2 = word(2);
  const w3 = word(3);
  // ::ffff:a.b.c.d (isIPv4Mapped, decided on the words instead of another bigint shift).
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return `::ffff:${formatV4(w3)}`;
  const g = groups;
  g[0] = w0 >>> 16;
  g[1] = w0 & 0xffff;
  g[2] = w1 >>> 16;
  g[3] = w1 & 0xffff;
  g[4] = w2 >>> 16;
  g[5] = w2 & 0xffff;
  g[6] = w3 >>> 16;
  g[7] = w3 & 0xffff;
  // Longest run of >= 2 zero groups; the leftmost wins a tie (RFC 5952 4.2.3, Go's rule).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i + 1;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestStart < 0) {
    return `${hexGroup(0)}:${hexGroup(1)}:${hexGroup(2)}:${hexGroup(3)}:${hexGroup(4)}:${hexGroup(5)}:${hexGroup(6)}:${hexGroup(7)}`;
  }
  const bestEnd = bestStart + bestLen;
  let out = bestStart === 0 ? '' : hexGroup(0);
  for (let i = 1; i < bestStart; i++) out = `${out}:${hexGroup(i)}`;
  out += '::';
  if (bestEnd < 8) {
    out += hexGroup(bestEnd);
    for (let i = bestEnd + 1; i < 8; i++) out = `${out}:${hexGroup(i)}`;
  }
  return out;
}

/** Canonical text of an address. */
export function formatAddr(a: Addr): string {
  return a.family === 4 ? formatV4(Number(a.value)) : formatV6(a.value);
}

/** Internal: {@link formatAddr} of (family, value), without building an `Addr`. */
export function formatValue(family: Family, value: bigint): string {
  return family === 4 ? formatV4(Number(value)) : formatV6(value);
}

/** `addr/bits`, with the address as stored (host bits kept, like netip.Prefix.String). */
export function formatPrefix(p: Prefix): string {
  return `${formatAddr({ family: p.family, value: p.value })}/${p.bits}`;
}

/** `from-to`, as netipx.IPRange.String (a single address prints as `a-a`). */
export function formatRange(r: IPRange): string {
  return `${formatValue(r.family, r.from)}-${formatValue(r.family, r.to)}`;
}

/** Go's `%v` of a slice of ranges: `[a-b c-d]`. */
export function formatRangeList(ranges: readonly IPRange[]): string {
  return `[${ranges.map(formatRange).join(' ')}]`;
}

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u;

/**
 * Go's `strconv.Quote`, so error messages quote their input exactly as upstream does
 * (e.g. `ParseAddr("invalid"): unable to parse IP`).
 */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (cp >= 0xd800 && cp <= 0xdfff)
      out += '\ufffd'; // Go decodes a lone surrogate from JSON as U+FFFD, which prints as is
    else if (PRINTABLE.test(ch)) out += ch;
    else if (cp === 7) out += '\\a';
    else if (cp === 8) out += '\\b';
    else if (cp === 12) out += '\\f';
    else if (cp === 10) out += '\\n';
    else if (cp === 13) out += '\\r';
    else if (cp === 9) out += '\\t';
    else if (cp === 11) out += '\\v';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else if (cp < 0x10000) out += `\\u${cp.toString(16).padStart(4, '0')}`;
    else out += `\\U${cp.toString(16).padStart(8, '0')}`;
  }
  return `${out}"`;
}
