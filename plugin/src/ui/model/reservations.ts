// IPAddressReservations in the browser (ADR 0030): which addresses of a pool the live reservations
// hold (the map's `▣` cells: held and not allocated), which reservations hold one address (its
// page), and the line that says so — the wording of `kubectl ipam explain POOL ADDRESS`.
import { IPSet, parseAddr, rangeContains, type Family } from '@ipam-in-cluster/allocator';
import { parseReservationAddresses } from '@ipam-in-cluster/api';
import type { BrowserPool, BrowserReservation } from './source.js';

/** The reservations of `pool` holding `address` (a single IP; expired ones never reach the browser). */
export function reservationsAt(
  pool: Pick<BrowserPool, 'reservations'>,
  address: string,
): BrowserReservation[] {
  const a = parseAddr(address);
  if (!a.ok) return [];
  return (pool.reservations ?? []).filter((r) =>
    parseReservationAddresses(r.addresses).ranges.some((range) => rangeContains(range, a.value)),
  );
}

/** `reserved by ns/name: note, until T` (or `until deleted`), as `explain` says it. */
export function reservationLine(r: BrowserReservation): string {
  const note = r.note === undefined || r.note === '' ? '' : `: ${r.note}`;
  const until = r.expiresAt === undefined ? 'until deleted' : `until ${r.expiresAt}`;
  return `reserved by ${r.namespace}/${r.name}${note}, ${until}`;
}

/**
 * The addresses of `family` the pool's reservations hold that allocation would otherwise hand out:
 * inside `allocatable`, and held by no IPAddress (an allocated address stays drawn as allocated).
 */
export function heldSet(
  pool: Pick<BrowserPool, 'reservations' | 'addresses'>,
  family: Family,
  allocatable: IPSet,
): IPSet {
  const ranges = (pool.reservations ?? []).flatMap((r) =>
    parseReservationAddresses(r.addresses).ranges.filter((x) => x.family === family),
  );
  if (ranges.length === 0) return IPSet.EMPTY;
  const taken = pool.addresses.flatMap((a) => {
    const p = parseAddr(a.address);
    return p.ok && p.value.family === family ? [{ family, from: p.value.value, to: p.value.value }] : [];
  });
  return IPSet.fromRanges(ranges).intersection(allocatable).difference(IPSet.fromRanges(taken));
}

/** How many addresses of `set` lie in [from, to]. */
export function countInSet(set: IPSet, from: bigint, to: bigint): bigint {
  let n = 0n;
  for (const r of set.ranges) {
    if (r.to < from) continue;
    if (r.from > to) break;
    const lo = r.from > from ? r.from : from;
    const hi = r.to < to ? r.to : to;
    n += hi - lo + 1n;
  }
  return n;
}
