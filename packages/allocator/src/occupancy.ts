/**
 * Occupancy summary of a pool at any block size (per /24, per N addresses), for drawing a map.
 * Only blocks that touch spec.addresses or hold an out-of-range allocation are listed, so an
 * IPv6 pool gives its populated blocks, not 2^64 empty cells.
 *
 * Every address of a block that is inside spec.addresses falls in exactly one class, by priority:
 * allocatable (used | free) > excluded > gateway > reserved; so
 *   inPool = used + free + excluded + gateway + reserved.
 * Cost: one merged sweep, O(blocks + ranges + free intervals).
 */
import { bitLength, type Addr, type Family } from './address.js';
import type { AllocationIndex } from './allocator-index.js';
import { formatAddr } from './format.js';
import type { PoolLayout } from './layout.js';
import type { IPRange } from './range.js';
import { allocatorError, err, ok, type Result } from './result.js';

export interface OccupancyOptions {
  /** Block = one prefix of this length (e.g. 24 → one block per /24). */
  readonly blockPrefixLength?: number;
  /** Block = this many addresses (aligned to multiples of it). Default 256. */
  readonly blockSize?: bigint;
  /** At most this many blocks (default 4096); `truncated` says when more exist. */
  readonly maxBlocks?: number;
}

export interface OccupancyBlock {
  readonly start: string;
  readonly end: string;
  readonly size: bigint;
  /** Addresses of the block inside spec.addresses. */
  readonly inPool: bigint;
  readonly used: bigint;
  readonly free: bigint;
  readonly excluded: bigint;
  readonly gateway: bigint;
  readonly reserved: bigint;
  /** Distinct addresses in use here that are not allocatable. */
  readonly outOfRange: bigint;
}

export interface OccupancyMap {
  readonly blockSize: bigint;
  readonly blocks: readonly OccupancyBlock[];
  readonly truncated: boolean;
}

/** Counts how much of a sorted, disjoint range stream falls in successive ascending blocks. */
class RangeCursor {
  readonly #it: Iterator<IPRange>;
  #cur: IPRange | undefined;

  constructor(ranges: Iterable<IPRange>) {
    this.#it = ranges[Symbol.iterator]();
    this.#advance();
  }

  #advance(): void {
    const n = this.#it.next();
    this.#cur = n.done === true ? undefined : n.value;
  }

  count(family: Family, s: bigint, e: bigint): bigint {
    let total = 0n;
    for (let r = this.#cur; r !== undefined; r = this.#cur) {
      if (r.family < family || (r.family === family && r.to < s)) {
        this.#advance();
        continue;
      }
      if (r.family > family || r.from > e) break;
      total += (r.to < e ? r.to : e) - (r.from > s ? r.from : s) + 1n;
      if (r.to > e) break;
      this.#advance();
    }
    return total;
  }
}

interface BlockKey {
  readonly family: Family;
  readonly index: bigint;
}

function blockKeyCompare(a: BlockKey, b: BlockKey): number {
  if (a.family !== b.family) return a.family - b.family;
  return a.index < b.index ? -1 : a.index > b.index ? 1 : 0;
}

function inSingle(a: Addr | undefined, family: Family, s: bigint, e: bigint): boolean {
  return a !== undefined && a.family === family && a.value >= s && a.value <= e;
}

/** Per-block occupancy of a pool; with no index every allocatable address counts as free. */
export function occupancy(
  layout: PoolLayout,
  index?: AllocationIndex,
  options: OccupancyOptions = {},
): Result<OccupancyMap> {
  const maxBlocks = options.maxBlocks ?? 4096;
  let size = options.blockSize ?? 256n;
  if (options.blockPrefixLength !== undefined) {
    const width = bitLength(layout.family ?? 4);
    const len = options.blockPrefixLength;
    if (!Number.isInteger(len) || len < 0 || len > width) {
      return err(
        allocatorError(
          'InvalidPrefix',
          `block prefix length ${len} out of range for IPv${layout.family ?? 4}`,
        ),
      );
    }
    size = 1n << BigInt(width - len);
  }
  if (size < 1n) return err(allocatorError('InvalidSpec', 'block size must be at least 1'));
  if (!Number.isInteger(maxBlocks) || maxBlocks < 1)
    return err(allocatorError('InvalidSpec', 'maxBlocks must be a positive integer'));

  // Candidate blocks, ascending and distinct: those touching the pool, and those with out-of-range use.
  const oor = index?.outOfRange() ?? [];
  const keys: BlockKey[] = [];
  let truncated = false;
  outer: for (const r of layout.union.ranges) {
    for (let i = r.from / size; i <= r.to / size; i++) {
      if (keys.length > maxBlocks) {
        truncated = true;
        break outer;
      }
      keys.push({ family: r.family, index: i });
    }
  }
  for (const o of oor) keys.push({ family: o.addr.family, index: o.addr.value / size });
  keys.sort(blockKeyCompare);
  const unique = keys.filter((k, i) => i === 0 || blockKeyCompare(k, keys[i - 1] as BlockKey) !== 0);
  if (unique.length > maxBlocks) truncated = true;
  const chosen = unique.slice(0, maxBlocks);

  const inPoolC = new RangeCursor(layout.union.ranges);
  const allocC = new RangeCursor(layout.allocatable.ranges);
  const freeC = new RangeCursor(index?.freeRanges() ?? layout.allocatable.ranges);
  const exclC = new RangeCursor(layout.excluded.intersection(layout.union).ranges);
  const oorC = new RangeCursor(
    oor.map((o) => ({ family: o.addr.family, from: o.addr.value, to: o.addr.value })),
  );
  const gw = layout.gateway;
  const gwCounts = gw !== undefined && layout.union.contains(gw) && !layout.excluded.contains(gw);

  const blocks = chosen.map((k): OccupancyBlock => {
    const s = k.index * size;
    let e = s + size - 1n;
    const max = (1n << BigInt(bitLength(k.family))) - 1n;
    if (e > max) e = max;
    const inPool = inPoolC.count(k.family, s, e);
    const allocatable = allocC.count(k.family, s, e);
    const free = freeC.count(k.family, s, e);
    const excluded = exclC.count(k.family, s, e);
    const gateway = gwCounts && inSingle(gw, k.family, s, e) ? 1n : 0n;
    return {
      start: formatAddr({ family: k.family, value: s }),
      end: formatAddr({ family: k.family, value: e }),
      size: e - s + 1n,
      inPool,
      used: allocatable - free,
      free,
      excluded,
      gateway,
      reserved: inPool - allocatable - excluded - gateway,
      outOfRange: oorC.count(k.family, s, e),
    };
  });
  return ok({ blockSize: size, blocks, truncated });
}
