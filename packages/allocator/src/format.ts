/**
 * Canonical text forms, matching Go's netip/netipx `String()` so our IPAddress objects and
 * messages are byte-identical to upstream: IPv4 dotted decimal, IPv6 RFC 5952, mapped as
 * `::ffff:a.b.c.d`, prefixes `addr/bits`, ranges `from-to`.
 */
import { isIPv4Mapped, type Addr } from './address.js';
import type { Prefix } from './prefix.js';
import type { IPRange } from './range.js';

function formatV4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatV6(value: bigint): string {
  // Four 32-bit words keep the bigint work to four shifts.
  const w = [Number(value >> 96n), Number((value >> 64n) & 0xffffffffn), Number((value >> 32n) & 0xffffffffn), Number(value & 0xffffffffn)];
  const g: number[] = [];
  for (const word of w) g.push(word >>> 16, word & 0xffff);
  // Longest run of >= 2 zero groups; the leftmost wins a tie (RFC 5952 4.2.3, Go's rule).
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (g[i] ?? 0).toString(16);
  }
  return out;
}

/** Canonical text of an address. */
export function formatAddr(a: Addr): string {
  if (a.family === 4) return formatV4(Number(a.value));
  if (isIPv4Mapped(a)) return `::ffff:${formatV4(Number(a.value & 0xffffffffn))}`;
  return formatV6(a.value);
}

/** `addr/bits`, with the address as stored (host bits kept, like netip.Prefix.String). */
export function formatPrefix(p: Prefix): string {
  return `${formatAddr({ family: p.family, value: p.value })}/${p.bits}`;
}

/** `from-to`, as netipx.IPRange.String (a single address prints as `a-a`). */
export function formatRange(r: IPRange): string {
  return `${formatAddr({ family: r.family, value: r.from })}-${formatAddr({ family: r.family, value: r.to })}`;
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
    else if (cp >= 0xd800 && cp <= 0xdfff) out += '\ufffd'; // Go decodes a lone surrogate from JSON as U+FFFD, which prints as is
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
