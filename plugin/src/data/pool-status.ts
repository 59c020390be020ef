// A pool's counts from its status (what `kubectl ipam pools` prints by default, ADR 0013), or why
// they must be counted from its IPAddresses instead. Pure, like pool-summary.ts.
//
// Our controller writes status.ipAddresses in the same status patch as the pool's conditions, and
// stamps every condition with the generation it computed them for (controller pool-reconciler). The
// Exhausted condition is only ever written together with the counts (a deleting pool or an invalid
// spec gets Ready alone), so its observedGeneration is the generation of the spec the counts belong
// to. Total comes from the spec here (the allocator, exact), used and outOfRange from the status,
// free from the status when it is not capped at 2^63−1, else total − allocated.
import { MAX_INT64, capInt64, type PoolCounts } from '@ipam-in-cluster/allocator';
import {
  ConditionType,
  PoolReadyReason,
  findCondition,
  type Condition,
  type Pool,
} from '@ipam-in-cluster/api';
import type { RecountReason } from './model.js';

export type StatusCountsResult =
  { readonly ok: true; readonly counts: PoolCounts } | { readonly ok: false; readonly reason: RecountReason };

/** A status count as an exact bigint; undefined when it is missing, negative or not exact. */
function exact(n: unknown): bigint | undefined {
  if (typeof n === 'bigint') return n >= 0n ? n : undefined;
  if (typeof n === 'number' && Number.isSafeInteger(n) && n >= 0) return BigInt(n);
  return undefined;
}

function condition(pool: Pool, type: string): Condition | undefined {
  return findCondition(pool.status?.conditions, type);
}

/** The condition was written for the pool's current generation. */
function current(pool: Pool, c: Condition | undefined): boolean {
  const generation = pool.metadata.generation;
  return c !== undefined && generation !== undefined && c.observedGeneration === generation;
}

/**
 * The controller found no address held twice (DuplicateAddresses False) and, for IP pools, no
 * unparsable IPAddress (Ready True/Valid carries an empty message; it names them otherwise), for
 * the current generation: then allocated = used − outOfRange exactly.
 */
function noExtraHolders(pool: Pool, type: 'ip' | 'prefix'): boolean {
  const dup = condition(pool, ConditionType.DuplicateAddresses);
  if (!current(pool, dup) || dup?.status !== 'False') return false;
  if (type === 'prefix') return true; // prefix pools count unparsable ones as out of range
  const ready = condition(pool, ConditionType.Ready);
  return (
    current(pool, ready) &&
    ready?.status === 'True' &&
    ready.reason === PoolReadyReason.Valid &&
    ready.message === ''
  );
}

/**
 * The pool's counts from `status.ipAddresses`, given the allocatable total its current spec lays out
 * to (the allocator's, exact), or why they cannot be taken from there:
 * - `deleting`: the controller stops updating counts once the pool is being deleted;
 * - `no-status`: no status.ipAddresses yet (no controller, a brand-new pool, another pool filter);
 * - `stale-status`: the counts were written for another generation of the spec, or carry none
 *   (the upstream provider stamps no generation);
 * - `status-disagrees`: status total is not what the spec lays out to, or the counts contradict
 *   each other or are not exact integers;
 * - `status-capped`: free is capped at 2^63−1 and allocated cannot be derived (an IP pool with
 *   duplicate or unparsable IPAddresses, or any capped prefix pool);
 * - `duplicates`: a prefix pool whose status reports duplicate prefixes (allocated needs them).
 */
export function countsFromStatus(pool: Pool, type: 'ip' | 'prefix', total: bigint): StatusCountsResult {
  if (pool.metadata.deletionTimestamp !== undefined) return { ok: false, reason: 'deleting' };
  const s = pool.status?.ipAddresses;
  if (s === undefined) return { ok: false, reason: 'no-status' };
  if (!current(pool, condition(pool, ConditionType.Exhausted))) return { ok: false, reason: 'stale-status' };
  const st = { total: exact(s.total), used: exact(s.used), free: exact(s.free), oor: exact(s.outOfRange) };
  if (st.total === undefined || st.used === undefined || st.free === undefined || st.oor === undefined)
    return { ok: false, reason: 'status-disagrees' };
  if (st.total !== capInt64(total) || st.free > st.total) return { ok: false, reason: 'status-disagrees' };
  const capped = st.free >= MAX_INT64;
  // IP pools: addresses held by IPAddressReservations are neither free nor allocated (ADR 0030).
  const reserved = exact(s.reserved) ?? 0n;
  let allocated: bigint;
  let free: bigint;
  if (type === 'ip') {
    if (!capped) {
      free = st.free;
      allocated = total - free - reserved;
    } else if (noExtraHolders(pool, 'ip')) {
      allocated = st.used - st.oor;
      free = total - allocated - reserved;
    } else {
      return { ok: false, reason: 'status-capped' };
    }
  } else {
    // Free prefixes are the slots no allocation touches (an out-of-range one may block some), so
    // allocated is not total − free: it is used − outOfRange when no prefix is held twice.
    if (capped) return { ok: false, reason: 'status-capped' };
    if (!noExtraHolders(pool, 'prefix')) return { ok: false, reason: 'duplicates' };
    free = st.free;
    allocated = st.used - st.oor;
  }
  // Each IPAddress is counted once in used: in range (allocated, or a duplicate), out of range or
  // unparsable; a slot in use is not free. Anything else was not written by a controller counting
  // like ours.
  if (allocated < 0n || st.used < allocated + st.oor || allocated + free + reserved > total)
    return { ok: false, reason: 'status-disagrees' };
  return { ok: true, counts: { total, used: st.used, allocated, free, outOfRange: st.oor } };
}
