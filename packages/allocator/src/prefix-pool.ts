/**
 * Prefix pools (upstream-behaviour §10): carve IPv6 child prefixes of `allocationPrefixLength`
 * out of `prefixes`, skipping any that overlap `excludedPrefixes` or an allocation.
 *
 * Design: a child prefix is a "slot" — its base address shifted right by (128 − allocLen). The
 * allocatable slots are those lying wholly inside the pool, minus those touching an excluded
 * entry; they form an {@link IPSet} over slot numbers. Upstream's recursive first-fit over the
 * aggregates picks the lowest aligned child that is inside the pool and not blocked, which is
 * exactly the lowest slot of (allocatable − blocked-by-allocations); counts are its size.
 */
import type { Addr } from './address.js';
import { goQuote } from './format.js';
import { IPSet, IPSetBuilder } from './ipset.js';
import { parseAddr, parseAddressList, parsePrefix, type IndexedEntry } from './parse.js';
import { isMasked, maskPrefix, rangeOfPrefix, type Prefix } from './prefix.js';
import type { PoolCounts } from './counts.js';
import type { IPRange } from './range.js';
import { allocatorError, err, ok, type Result } from './result.js';

/** The v1alpha2 prefix pool spec fields the allocator reads (same JSON names). */
export interface PrefixPoolSpec {
  readonly prefixes: readonly string[];
  readonly allocationPrefixLength?: number | undefined;
  readonly gateway?: string | undefined;
  readonly excludedPrefixes?: readonly string[] | undefined;
}

/** An allocation of a prefix pool as its IPAddress states it. */
export interface PrefixInUse {
  /** `spec.address`. */
  readonly address: string;
  /** `spec.prefix`; upstream refuses to allocate while any allocation lacks it. */
  readonly prefix?: number | undefined;
  /** `namespace/name` of the IPAddress, for messages. */
  readonly name?: string | undefined;
}

export const DEFAULT_ALLOCATION_PREFIX_LENGTH = 64;

/** 0 or unset means 64, as upstream's defaulting does. */
export function effectiveAllocationPrefixLength(n: number | undefined): number {
  return n === undefined || n === 0 ? DEFAULT_ALLOCATION_PREFIX_LENGTH : n;
}

export interface PrefixPoolLayout {
  readonly spec: PrefixPoolSpec;
  readonly allocationPrefixLength: number;
  readonly prefixEntries: readonly Prefix[];
  readonly excludedEntries: readonly IndexedEntry[];
  /** ∪ prefixes. */
  readonly pool: IPSet;
  /** ∪ excludedPrefixes. */
  readonly excluded: IPSet;
  /** Allocatable slot numbers (see module comment). */
  readonly slots: IPSet;
  /** Number of allocatable child prefixes, exact. */
  readonly total: bigint;
  /** The gateway, parsed; it never blocks anything. */
  readonly gateway: Addr | undefined;
}

function slotShift(allocLen: number): bigint {
  return BigInt(128 - allocLen);
}

/** Slots wholly inside [from, to]: ceil(from / S) .. floor((to + 1) / S) − 1. */
function slotsInside(r: IPRange, shift: bigint): IPRange | undefined {
  const size = 1n << shift;
  const first = (r.from + size - 1n) >> shift;
  const last = ((r.to + 1n) >> shift) - 1n;
  return first <= last ? { family: 6, from: first, to: last } : undefined;
}

/** Slots touching [from, to]. */
function slotsTouching(r: IPRange, shift: bigint): IPRange {
  return { family: 6, from: r.from >> shift, to: r.to >> shift };
}

/**
 * Builds a prefix pool layout. Fails like upstream's FindFreePrefix on an invalid length, a
 * non-CIDR or non-aligned prefix, or an unparsable excluded entry; also (our addition, matching
 * the webhook) on an IPv4 prefix, which upstream silently ignores. The gateway never blocks.
 */
export function buildPrefixPoolLayout(spec: PrefixPoolSpec): Result<PrefixPoolLayout> {
  const allocLen = effectiveAllocationPrefixLength(spec.allocationPrefixLength);
  if (!Number.isInteger(allocLen) || allocLen < 1 || allocLen > 128) {
    return err(
      allocatorError('InvalidSpec', `invalid prefix length ${allocLen}`, {
        path: 'spec.allocationPrefixLength',
      }),
    );
  }
  const prefixes: Prefix[] = [];
  for (const [i, entry] of spec.prefixes.entries()) {
    const path = `spec.prefixes[${i}]`;
    const p = parsePrefix(entry);
    if (!p.ok)
      return err(
        allocatorError('InvalidPrefix', `invalid pool CIDR ${goQuote(entry)}: ${p.error.message}`, {
          input: entry,
          path,
        }),
      );
    if (!isMasked(p.value)) {
      return err(
        allocatorError('NotNetworkAligned', `pool CIDR ${goQuote(entry)} is not network aligned`, {
          input: entry,
          path,
        }),
      );
    }
    if (p.value.family !== 6)
      return err(
        allocatorError('UnsupportedFamily', 'only IPv6 prefixes are supported', { input: entry, path }),
      );
    prefixes.push(p.value);
  }
  const excl = parseAddressList(spec.excludedPrefixes ?? [], 'spec.excludedPrefixes');
  if (excl.errors[0] !== undefined) return err(excl.errors[0]);
  let gateway: Addr | undefined;
  if (spec.gateway !== undefined && spec.gateway !== '') {
    const g = parseAddr(spec.gateway);
    if (g.ok) gateway = g.value;
  }

  const pool = IPSet.fromRanges(prefixes.map(rangeOfPrefix));
  const excluded = IPSet.fromRanges(excl.entries.map((e) => e.range));
  const shift = slotShift(allocLen);
  const b = new IPSetBuilder();
  for (const r of pool.ranges) {
    const s = slotsInside(r, shift);
    if (s !== undefined) b.addRange(s);
  }
  for (const r of excluded.ranges) if (r.family === 6) b.removeRange(slotsTouching(r, shift));
  const slots = b.build();
  return ok({
    spec,
    allocationPrefixLength: allocLen,
    prefixEntries: prefixes,
    excludedEntries: excl.entries,
    pool,
    excluded,
    slots,
    total: slots.size(),
    gateway,
  });
}

/** The masked prefix an IPAddress of a prefix pool stands for (upstream PrefixFromIPAddress). */
export function parsePrefixInUse(u: PrefixInUse): Result<Prefix> {
  const who = u.name ?? u.address;
  if (u.prefix === undefined)
    return err(allocatorError('InvalidPrefix', `address ${who} has no prefix set`, { input: u.address }));
  const p = parsePrefix(`${u.address}/${u.prefix}`);
  if (!p.ok)
    return err(
      allocatorError('InvalidPrefix', `failed parsing address ${who} as prefix: ${p.error.message}`, {
        input: u.address,
      }),
    );
  return ok(maskPrefix(p.value));
}

function slotOf(layout: PrefixPoolLayout, p: Prefix): bigint | undefined {
  if (p.family !== 6 || p.bits !== layout.allocationPrefixLength) return undefined;
  return p.value >> slotShift(layout.allocationPrefixLength);
}

/**
 * Upstream PrefixIsAllocatable: masked, exactly allocationPrefixLength long, wholly inside the
 * pool, not overlapping an excluded entry. In-use allocations are not considered.
 */
export function prefixIsAllocatable(
  layoutOrSpec: PrefixPoolLayout | PrefixPoolSpec,
  u: PrefixInUse | Prefix,
): boolean {
  const layout = 'slots' in layoutOrSpec ? layoutOrSpec : buildPrefixPoolLayout(layoutOrSpec);
  const l = 'ok' in layout ? (layout.ok ? layout.value : undefined) : layout;
  if (l === undefined) return false;
  const p = 'address' in u ? parsePrefixInUse(u) : ok(maskPrefix(u));
  if (!p.ok) return false;
  const slot = slotOf(l, p.value);
  return slot !== undefined && l.slots.contains({ family: 6, value: slot });
}

/** Slots blocked by allocations; fails like upstream when an allocation has no usable prefix. */
function blockedSlots(layout: PrefixPoolLayout, inUse: readonly PrefixInUse[]): Result<IPSet> {
  const shift = slotShift(layout.allocationPrefixLength);
  const b = new IPSetBuilder();
  for (const u of inUse) {
    const p = parsePrefixInUse(u);
    if (!p.ok) return p;
    if (p.value.family === 6) b.addRange(slotsTouching(rangeOfPrefix(p.value), shift));
  }
  return ok(b.build());
}

function slotPrefix(layout: PrefixPoolLayout, slot: bigint): Prefix {
  return {
    family: 6,
    value: slot << slotShift(layout.allocationPrefixLength),
    bits: layout.allocationPrefixLength,
  };
}

/** The lowest free child prefix (upstream's first-fit), or PoolExhausted "no prefix available". */
export function nextFreePrefix(layout: PrefixPoolLayout, inUse: readonly PrefixInUse[]): Result<Prefix> {
  const blocked = blockedSlots(layout, inUse);
  if (!blocked.ok) return blocked;
  const first = layout.slots.difference(blocked.value).first();
  if (first === undefined) return err(allocatorError('PoolExhausted', 'no prefix available'));
  return ok(slotPrefix(layout, first.value));
}

/** Whether `p` can be handed out now: allocatable and not overlapping any allocation. */
export function checkPrefixAllocatable(
  layout: PrefixPoolLayout,
  p: Prefix,
  inUse: readonly PrefixInUse[],
): Result<Prefix> {
  if (!prefixIsAllocatable(layout, p))
    return err(allocatorError('NotInPool', 'prefix is not allocatable in this pool'));
  const blocked = blockedSlots(layout, inUse);
  if (!blocked.ok) return blocked;
  const slot = slotOf(layout, maskPrefix(p));
  if (slot !== undefined && blocked.value.contains({ family: 6, value: slot })) {
    return err(allocatorError('AlreadyAllocated', 'prefix overlaps an existing allocation'));
  }
  return ok(maskPrefix(p));
}

/**
 * Exact counts (cap them with toStatusCounts). used = allocations; outOfRange = allocations that
 * are not allocatable (upstream counts objects here, unparsable ones included); allocated =
 * distinct allocatable slots in use; free = allocatable slots no allocation touches, so
 * out-of-range allocations only eat free slots they really overlap.
 */
export function prefixPoolCounts(layout: PrefixPoolLayout, inUse: readonly PrefixInUse[]): PoolCounts {
  const shift = slotShift(layout.allocationPrefixLength);
  let outOfRange = 0n;
  const taken = new Set<bigint>();
  const blocked = new IPSetBuilder();
  for (const u of inUse) {
    const p = parsePrefixInUse(u);
    if (p.ok && p.value.family === 6) blocked.addRange(slotsTouching(rangeOfPrefix(p.value), shift));
    const slot = p.ok ? slotOf(layout, p.value) : undefined;
    if (slot !== undefined && layout.slots.contains({ family: 6, value: slot })) taken.add(slot);
    else outOfRange++;
  }
  return {
    total: layout.total,
    used: BigInt(inUse.length),
    allocated: BigInt(taken.size),
    free: layout.slots.difference(blocked.build()).size(),
    outOfRange,
  };
}
