/**
 * Incremental allocation index for one IP pool: the layout's allocatable set plus a balanced
 * tree of its FREE intervals. The controller keeps one per pool, marks addresses used as
 * IPAddress objects appear, releases them as they go, and asks {@link AllocationIndex.nextFree}
 * per claim.
 *
 * Costs (n = free intervals ≤ layout ranges + allocations, r = layout ranges):
 *   nextFree O(log n) · markUsed / release O(log n + log r) · counts O(1) · memory O(n + duplicates
 *   + out-of-range), independent of how many addresses are in use.
 *
 * Used in-pool addresses are not stored one by one: "in the layout and in no free interval" is
 * "in use". Extra holders of one address (two IPAddress objects with one IP) and holders of
 * addresses outside the layout are reference-counted in maps, so releasing one holder never
 * frees an address another still holds.
 */
import { type Addr } from './address.js';
import type { PoolCounts } from './counts.js';
import { formatAddr } from './format.js';
import { IntervalTree, type IntervalNode } from './interval-tree.js';
import type { IPSet } from './ipset.js';
import type { IPRange } from './range.js';
import { allocatorError, err, ok, type Result } from './result.js';

/**
 * IPv4 and IPv6 share one key space: IPv6 keys start at 2^33, leaving a gap after the last IPv4
 * key so intervals of different families are never adjacent and never merge.
 */
const V6_OFFSET = 1n << 33n;

function keyOf(a: Addr): bigint {
  return a.family === 4 ? a.value : a.value + V6_OFFSET;
}

function addrOf(k: bigint): Addr {
  return k >= V6_OFFSET ? { family: 6, value: k - V6_OFFSET } : { family: 4, value: k };
}

function rangeOfKeys(start: bigint, end: bigint): IPRange {
  return start >= V6_OFFSET
    ? { family: 6, from: start - V6_OFFSET, to: end - V6_OFFSET }
    : { family: 4, from: start, to: end };
}

/** What {@link AllocationIndex.markUsed} did. */
export type MarkOutcome = 'allocated' | 'duplicate' | 'out-of-range';
/** What {@link AllocationIndex.release} did. */
export type ReleaseOutcome = 'freed' | 'still-held';

export class AllocationIndex {
  readonly #set: IPSet;
  readonly #free = new IntervalTree();
  /** In-layout addresses with more than one holder: key → extra holders (≥ 1). */
  readonly #extra = new Map<bigint, number>();
  /** Addresses outside the layout: key → holders (≥ 1). */
  readonly #outside = new Map<bigint, number>();
  #allocated = 0n;
  #holds = 0n;

  /** An index over `allocatable` with nothing in use. O(r log r). */
  constructor(allocatable: IPSet) {
    this.#set = allocatable;
    for (const r of allocatable.ranges) {
      const o = r.family === 4 ? 0n : V6_OFFSET;
      this.#free.insert(r.from + o, r.to + o);
    }
  }

  /** The allocatable set this index was built on. */
  get allocatable(): IPSet {
    return this.#set;
  }

  /**
   * Records one holder of `addr` (one IPAddress object). Call once per object, not per event.
   * Never fails: an address outside the layout is tracked as out-of-range.
   */
  markUsed(addr: Addr): MarkOutcome {
    const k = keyOf(addr);
    this.#holds++;
    const node = this.#free.containing(k);
    if (node !== undefined) {
      this.#take(node, k);
      this.#allocated++;
      return 'allocated';
    }
    if (this.#set.contains(addr)) {
      this.#extra.set(k, (this.#extra.get(k) ?? 0) + 1);
      return 'duplicate';
    }
    this.#outside.set(k, (this.#outside.get(k) ?? 0) + 1);
    return 'out-of-range';
  }

  /**
   * Removes k from the free interval [s, e]:
   *   k = s = e: drop it · k = s: move start (in place) · k = e: re-key · else split in two.
   */
  #take(node: IntervalNode, k: bigint): void {
    const s = node.start;
    const e = node.end;
    if (s === e) this.#free.delete(e);
    else if (k === s) this.#free.setStart(node, s + 1n);
    else if (k === e) {
      this.#free.delete(e);
      this.#free.insert(s, e - 1n);
    } else {
      this.#free.insert(s, k - 1n);
      this.#free.setStart(node, k + 1n);
    }
  }

  /** Removes one holder of `addr`; the address is free again only when its last holder goes. */
  release(addr: Addr): Result<ReleaseOutcome> {
    const k = keyOf(addr);
    const out = this.#outside.get(k);
    if (out !== undefined) {
      if (out === 1) this.#outside.delete(k);
      else this.#outside.set(k, out - 1);
      this.#holds--;
      return ok(out === 1 ? 'freed' : 'still-held');
    }
    if (!this.#set.contains(addr) || this.#free.containing(k) !== undefined) {
      return err(
        allocatorError('NotAllocated', `address ${formatAddr(addr)} is not allocated`, {
          input: formatAddr(addr),
        }),
      );
    }
    this.#holds--;
    const extra = this.#extra.get(k);
    if (extra !== undefined) {
      if (extra === 1) this.#extra.delete(k);
      else this.#extra.set(k, extra - 1);
      return ok('still-held');
    }
    this.#give(k);
    this.#allocated--;
    return ok('freed');
  }

  /** Returns k to the free tree, merging with free neighbours (both are inside the layout). */
  #give(k: bigint): void {
    const left = this.#free.endingAt(k - 1n);
    const rightCand = this.#free.ceil(k + 1n);
    const right = rightCand !== undefined && rightCand.start === k + 1n ? rightCand : undefined;
    if (left !== undefined && right !== undefined) {
      const start = left.start;
      this.#free.delete(left.end);
      this.#free.setStart(right, start);
    } else if (right !== undefined) {
      this.#free.setStart(right, k);
    } else if (left !== undefined) {
      const start = left.start;
      this.#free.delete(left.end);
      this.#free.insert(start, k);
    } else {
      this.#free.insert(k, k);
    }
  }

  /** The lowest free address (upstream's first-fit order), without taking it. */
  nextFree(): Result<Addr> {
    const n = this.#free.min();
    if (n === undefined) return err(allocatorError('PoolExhausted', 'no address available'));
    return ok(addrOf(n.start));
  }

  /** {@link nextFree} and {@link markUsed} in one step, for callers that reserve before creating. */
  allocateNext(): Result<Addr> {
    const r = this.nextFree();
    if (r.ok) this.markUsed(r.value);
    return r;
  }

  /** Whether `addr` could be handed out now: in the layout and not in use. */
  checkAllocatable(addr: Addr): Result<Addr> {
    if (this.#free.containing(keyOf(addr)) !== undefined) return ok(addr);
    const text = formatAddr(addr);
    if (this.#set.contains(addr))
      return err(allocatorError('AlreadyAllocated', `address ${text} is already allocated`, { input: text }));
    return err(allocatorError('NotInPool', `address ${text} is not in the pool`, { input: text }));
  }

  /** Number of holders of `addr` (0 when free or unknown). */
  holders(addr: Addr): number {
    const k = keyOf(addr);
    const out = this.#outside.get(k);
    if (out !== undefined) return out;
    if (!this.#set.contains(addr) || this.#free.containing(k) !== undefined) return 0;
    return 1 + (this.#extra.get(k) ?? 0);
  }

  isUsed(addr: Addr): boolean {
    return this.holders(addr) > 0;
  }

  /** Exact counts, O(1). */
  counts(): PoolCounts {
    const total = this.#set.size();
    return {
      total,
      used: this.#holds,
      allocated: this.#allocated,
      free: total - this.#allocated,
      outOfRange: BigInt(this.#outside.size),
    };
  }

  /** Number of free intervals (a fragmentation measure). */
  get freeRangeCount(): number {
    return this.#free.size;
  }

  /** Free ranges in ascending order, starting with the first that ends at or after `from`. */
  *freeRanges(from?: Addr): Generator<IPRange> {
    for (const n of this.#free.iterate(from === undefined ? undefined : keyOf(from)))
      yield rangeOfKeys(n.start, n.end);
  }

  /** Distinct out-of-range addresses with their holder counts, ascending. */
  outOfRange(): { addr: Addr; holders: number }[] {
    return [...this.#outside.entries()]
      .sort((a, b) => (a[0] < b[0] ? -1 : 1))
      .map(([k, holders]) => ({ addr: addrOf(k), holders }));
  }

  /**
   * Every address in use with its holder count, ascending: in-layout ones are the gaps between
   * free intervals. O(layout ranges + free intervals + addresses in use).
   */
  *used(): Generator<{ addr: Addr; holders: number }> {
    const inPool = this.#usedInPool();
    const outside = this.outOfRange();
    let i = 0;
    for (const u of inPool) {
      while (i < outside.length && keyOf((outside[i] as { addr: Addr }).addr) < keyOf(u.addr))
        yield outside[i++] as { addr: Addr; holders: number };
      yield u;
    }
    while (i < outside.length) yield outside[i++] as { addr: Addr; holders: number };
  }

  *#usedInPool(): Generator<{ addr: Addr; holders: number }> {
    const free = this.#free.iterate();
    let f = free.next();
    for (const r of this.#set.ranges) {
      const o = r.family === 4 ? 0n : V6_OFFSET;
      let k = r.from + o;
      const end = r.to + o;
      while (k <= end) {
        while (!f.done && f.value.end < k) f = free.next();
        const next = f.done || f.value.start > end ? end + 1n : f.value.start;
        for (; k < next; k++) yield { addr: addrOf(k), holders: 1 + (this.#extra.get(k) ?? 0) };
        if (next > end) break;
        k = (f.value as { end: bigint }).end + 1n;
      }
    }
  }

  /**
   * A new index over another allocatable set holding the same allocations (for a changed pool
   * spec). Addresses now outside become out-of-range; out-of-range ones now inside are allocated.
   */
  rebase(allocatable: IPSet): AllocationIndex {
    const next = new AllocationIndex(allocatable);
    for (const u of this.used()) for (let i = 0; i < u.holders; i++) next.markUsed(u.addr);
    return next;
  }
}
