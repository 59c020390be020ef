/**
 * IP address value type. An address is its family plus a `bigint` number; there is no zone
 * (zones are stripped at parse time, as upstream does for pool entries).
 * IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is family 6, exactly as Go's netip treats it.
 */
import { invariant } from './result.js';

export type Family = 4 | 6;

export interface Addr {
  readonly family: Family;
  readonly value: bigint;
}

export const IPV4_BITS = 32;
export const IPV6_BITS = 128;
export const IPV4_MAX = (1n << 32n) - 1n;
export const IPV6_MAX = (1n << 128n) - 1n;
/** `::ffff:0:0`, the start of the IPv4-mapped block. */
const V4_MAPPED_PREFIX = 0xffffn << 32n;

export function bitLength(family: Family): number {
  return family === 4 ? IPV4_BITS : IPV6_BITS;
}

export function maxValue(family: Family): bigint {
  return family === 4 ? IPV4_MAX : IPV6_MAX;
}

/** Creates an address; the value must fit the family (a caller bug otherwise). */
export function addrFrom(family: Family, value: bigint): Addr {
  invariant(value >= 0n && value <= maxValue(family), `address value out of range for IPv${family}`);
  return { family, value };
}

export function ipv4(value: bigint): Addr {
  return addrFrom(4, value);
}

export function ipv6(value: bigint): Addr {
  return addrFrom(6, value);
}

/** Numeric order, IPv4 before IPv6 (the order of upstream's sets). */
export function compareAddr(a: Addr, b: Addr): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function equalAddr(a: Addr, b: Addr): boolean {
  return a.family === b.family && a.value === b.value;
}

/** The following address, or undefined past the family's last address. */
export function nextAddr(a: Addr): Addr | undefined {
  return a.value === maxValue(a.family) ? undefined : { family: a.family, value: a.value + 1n };
}

/** The preceding address, or undefined before the family's first address. */
export function prevAddr(a: Addr): Addr | undefined {
  return a.value === 0n ? undefined : { family: a.family, value: a.value - 1n };
}

/** True for `::ffff:a.b.c.d` (which stays an IPv6 address; only its text form differs). */
export function isIPv4Mapped(a: Addr): boolean {
  return a.family === 6 && a.value >> 32n === V4_MAPPED_PREFIX >> 32n;
}
