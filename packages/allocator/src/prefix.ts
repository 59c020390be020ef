/**
 * CIDR prefix value type. Like Go's netip.Prefix it keeps the address as written (host bits
 * allowed); {@link maskPrefix} clears them and {@link rangeOfPrefix} gives the covered range.
 */
import { bitLength, type Addr, type Family } from './address.js';
import { invariant } from './result.js';
import type { IPRange } from './range.js';

export interface Prefix {
  readonly family: Family;
  /** The address as written, host bits included. */
  readonly value: bigint;
  /** 0..32 for IPv4, 0..128 for IPv6. */
  readonly bits: number;
}

/** Creates a prefix; `bits` must fit the family (a caller bug otherwise). */
export function prefixFrom(addr: Addr, bits: number): Prefix {
  invariant(
    Number.isInteger(bits) && bits >= 0 && bits <= bitLength(addr.family),
    `prefix length ${bits} out of range for IPv${addr.family}`,
  );
  return { family: addr.family, value: addr.value, bits };
}

/** Number of host bits as a bigint shift. */
function hostBits(p: Prefix): bigint {
  return BigInt(bitLength(p.family) - p.bits);
}

/** Host masks (index = prefix length) and their complements, computed once per family. */
function maskTable(width: number): { host: bigint[]; net: bigint[] } {
  const host: bigint[] = [];
  const net: bigint[] = [];
  for (let bits = 0; bits <= width; bits++) {
    const m = (1n << BigInt(width - bits)) - 1n;
    host.push(m);
    net.push(~m);
  }
  return { host, net };
}
const V4_MASKS = maskTable(32);
const V6_MASKS = maskTable(128);

/** The mask of the host part, e.g. 0xff for an IPv4 /24. */
function hostMask(p: Prefix): bigint {
  return (p.family === 4 ? V4_MASKS : V6_MASKS).host[p.bits] ?? (1n << hostBits(p)) - 1n;
}

/** `~hostMask(p)`, from the table for valid lengths. */
function netMask(p: Prefix): bigint {
  return (p.family === 4 ? V4_MASKS : V6_MASKS).net[p.bits] ?? ~hostMask(p);
}

export function maskPrefix(p: Prefix): Prefix {
  return { family: p.family, value: p.value & netMask(p), bits: p.bits };
}

/** True when no host bit is set (netip's `p == p.Masked()`). */
export function isMasked(p: Prefix): boolean {
  return (p.value & hostMask(p)) === 0n;
}

/** Inclusive range covered by the (masked) prefix. */
export function rangeOfPrefix(p: Prefix): IPRange {
  const from = p.value & netMask(p);
  return { family: p.family, from, to: from | hostMask(p) };
}

/** Number of addresses in the prefix, 2^(bits of family - bits). */
export function prefixSize(p: Prefix): bigint {
  return 1n << hostBits(p);
}

export function prefixContains(p: Prefix, a: Addr): boolean {
  return a.family === p.family && (a.value & netMask(p)) === (p.value & netMask(p));
}

export function equalPrefix(a: Prefix, b: Prefix): boolean {
  return a.family === b.family && a.value === b.value && a.bits === b.bits;
}

/**
 * The minimal list of CIDR prefixes covering exactly the range, ascending (netipx
 * `IPRange.Prefixes`). Each step takes the largest aligned block that starts at `from`
 * and does not pass `to`.
 */
export function rangeToPrefixes(r: IPRange): Prefix[] {
  const width = bitLength(r.family);
  const out: Prefix[] = [];
  let from = r.from;
  for (;;) {
    // Alignment of `from`: its lowest set bit (the whole family for 0).
    let hostBits = from === 0n ? width : bitIndexOfLowest(from);
    while (hostBits > 0 && from + (1n << BigInt(hostBits)) - 1n > r.to) hostBits--;
    out.push({ family: r.family, value: from, bits: width - hostBits });
    const last = from + (1n << BigInt(hostBits)) - 1n;
    if (last === r.to) break;
    from = last + 1n;
  }
  return out;
}

function bitIndexOfLowest(v: bigint): number {
  const low = v & -v;
  return low.toString(2).length - 1;
}
