/**
 * Inclusive address range value type (netipx.IPRange): `from` and `to` are both in the range.
 * Bounds are bigints of one family; a valid range has `from <= to`.
 */
import { addrFrom, type Addr, type Family } from './address.js';
import { invariant } from './result.js';

export interface IPRange {
  readonly family: Family;
  readonly from: bigint;
  readonly to: bigint;
}

/** Creates a range from two addresses of one family with `from <= to` (a caller bug otherwise). */
export function rangeFrom(from: Addr, to: Addr): IPRange {
  invariant(
    from.family === to.family && from.value <= to.value,
    'range bounds must share a family and be ordered',
  );
  return { family: from.family, from: from.value, to: to.value };
}

export function rangeOfAddr(a: Addr): IPRange {
  return { family: a.family, from: a.value, to: a.value };
}

export function rangeFirst(r: IPRange): Addr {
  return addrFrom(r.family, r.from);
}

export function rangeLast(r: IPRange): Addr {
  return addrFrom(r.family, r.to);
}

/** Number of addresses, exact. */
export function rangeSize(r: IPRange): bigint {
  return r.to - r.from + 1n;
}

export function rangeContains(r: IPRange, a: Addr): boolean {
  return a.family === r.family && a.value >= r.from && a.value <= r.to;
}

/** True when `inner` lies entirely within `outer`. */
export function rangeCovers(outer: IPRange, inner: IPRange): boolean {
  return outer.family === inner.family && inner.from >= outer.from && inner.to <= outer.to;
}

export function rangesOverlap(a: IPRange, b: IPRange): boolean {
  return a.family === b.family && a.from <= b.to && b.from <= a.to;
}

export function equalRange(a: IPRange, b: IPRange): boolean {
  return a.family === b.family && a.from === b.from && a.to === b.to;
}

/** Order by family, then start, then end. */
export function compareRange(a: IPRange, b: IPRange): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.from !== b.from) return a.from < b.from ? -1 : 1;
  if (a.to !== b.to) return a.to < b.to ? -1 : 1;
  return 0;
}
