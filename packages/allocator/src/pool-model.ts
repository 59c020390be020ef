/**
 * The pool model: one answer, for IP pools and prefix pools alike, to "what can this pool hand
 * out, what do its IPAddresses hold, and what is next" (docs/adr/0021-pool-model.md).
 *
 *   poolModel({ type, spec }) → { layout, allocatable, total, counts(holdings), covers(h), tracker() }
 *
 * The controller keeps one {@link PoolTracker} per pool (incremental: an IP pool's tracker is the
 * {@link AllocationIndex}, lowest free address in O(log n); a prefix pool's is upstream's first-fit
 * over its holdings, O(n)); the plugin and the webhook count a pool in one pass with
 * {@link PoolModel.counts}. A spec that does not lay out has no model; {@link unlaidCounts} still
 * counts what its IPAddresses hold (all of it out of range), so a broken pool never shows "0 used".
 */
import type { Addr, Family } from './address.js';
import { AllocationIndex } from './allocator-index.js';
import type { PoolCounts } from './counts.js';
import { formatAddr, formatPrefix } from './format.js';
import { IPSet } from './ipset.js';
import { buildPoolLayout, type IPPoolSpec, type PoolLayout } from './layout.js';
import { parseAddr } from './parse.js';
import {
  buildPrefixPoolLayout,
  nextFreePrefix,
  parsePrefixInUse,
  prefixIsAllocatable,
  prefixPoolCounts,
  type PrefixInUse,
  type PrefixPoolLayout,
  type PrefixPoolSpec,
} from './prefix-pool.js';
import { InvariantError, ok, type Result } from './result.js';

/** What a pool hands out: single addresses (IP pools) or IPv6 child prefixes (prefix pools). */
export type PoolType = 'ip' | 'prefix';

/** A pool spec with its pool type. */
export type PoolSpecInput =
  | { readonly type: 'ip'; readonly spec: IPPoolSpec }
  | { readonly type: 'prefix'; readonly spec: PrefixPoolSpec };

/** One IPAddress of a pool, as the model reads it (`spec.address`, `spec.prefix`). */
export interface Holding {
  readonly address: string;
  /** `spec.prefix`: the length of the allocated prefix for prefix pools (unused for IP pools). */
  readonly prefix?: number | undefined;
  /** `namespace/name` of the IPAddress, for messages. */
  readonly name?: string | undefined;
}

/** What one holding is in its pool: by the model's rules, in the order the holdings were given. */
export type HoldingState = 'allocated' | 'duplicate' | 'out-of-range' | 'invalid';

/** Counts of a pool's holdings plus each holding's state (for views that list the addresses). */
export interface Assessment {
  readonly counts: PoolCounts;
  /** One per holding, same order: shared addresses (prefixes) are 'duplicate' for every holder. */
  readonly states: readonly HoldingState[];
  /** IP pools: the allocation index over the holdings (free ranges, explain, occupancy). */
  readonly index: AllocationIndex | undefined;
}

/** The next allocation a tracker offers: `spec.address` and `spec.prefix` of the IPAddress. */
export interface NextAllocation {
  readonly address: string;
  /** The pool's prefix (IP pools) or the allocation length (prefix pools). */
  readonly prefix: number;
}

/**
 * The incremental allocation state of one pool: add and remove its holdings as they come and go,
 * ask for the next free allocation. Holdings are identified by object: `remove` takes the same
 * object `add` was given, once.
 */
export interface PoolTracker {
  add(h: Holding): void;
  remove(h: Holding): void;
  /** The lowest free address (or prefix), without taking it; PoolExhausted when there is none. */
  next(): Result<NextAllocation>;
  /** Exact counts of the holdings added so far (same as {@link PoolModel.counts} over them). */
  counts(): PoolCounts;
}

interface ModelBase {
  /** IPv4 or IPv6; undefined for an IP pool without addresses. */
  readonly family: Family | undefined;
  /** Allocatable addresses (IP pools) or child prefixes (prefix pools), exact. */
  readonly total: bigint;
  /** The address space the pool hands out from, for overlap checks (prefix pools: prefixes − excluded). */
  readonly allocatable: IPSet;
  /** The parsed gateway, if any. */
  readonly gateway: Addr | undefined;
  /** Exact counts of these holdings: used counts every holding, unparsable ones included. */
  counts(holdings: Iterable<Holding>): PoolCounts;
  /** Counts and per-holding states of these holdings, in one pass. */
  assess(holdings: readonly Holding[]): Assessment;
  /** Whether the pool could have handed this holding out (allocatable; prefix pools: the right length). */
  covers(h: Holding): boolean;
  /** A fresh, empty tracker. */
  tracker(): PoolTracker;
}

export interface IPPoolModel extends ModelBase {
  readonly type: 'ip';
  readonly layout: PoolLayout;
  readonly allocationPrefixLength: undefined;
}

export interface PrefixPoolModel extends ModelBase {
  readonly type: 'prefix';
  readonly layout: PrefixPoolLayout;
  readonly allocationPrefixLength: number;
}

export type PoolModel = IPPoolModel | PrefixPoolModel;

/** The model of a pool spec; fails with the layout error when the spec does not lay out. */
export function poolModel(input: PoolSpecInput): Result<PoolModel> {
  if (input.type === 'ip') {
    const layout = buildPoolLayout(input.spec);
    return layout.ok ? ok(ipModel(layout.value)) : layout;
  }
  const layout = buildPrefixPoolLayout(input.spec);
  return layout.ok ? ok(prefixModel(layout.value)) : layout;
}

/**
 * Counts of the holdings of a pool whose spec does not lay out: nothing is allocatable, so every
 * holding is used and out of range (IP pools: distinct parsable addresses, as for any pool;
 * prefix pools: every holding). Never total 0 with used 0 while IPAddresses exist.
 */
export function unlaidCounts(type: PoolType, holdings: Iterable<Holding>): PoolCounts {
  return type === 'ip' ? ipCounts(IPSet.EMPTY, holdings) : prefixUnlaid(holdings);
}

/**
 * {@link unlaidCounts} with per-holding states: nothing is allocatable, so every holding that
 * parses is out of range and every other one is invalid.
 */
export function unlaidAssessment(type: PoolType, holdings: readonly Holding[]): Assessment {
  const states = holdings.map((h): HoldingState =>
    holdingKey(type, h) === undefined ? 'invalid' : 'out-of-range',
  );
  return { counts: unlaidCounts(type, holdings), states, index: undefined };
}

/** Marks every holder of a key held more than once as 'duplicate' (only from `from` states). */
function markShared(
  states: HoldingState[],
  keys: readonly (string | undefined)[],
  from: HoldingState[],
): void {
  const byKey = new Map<string, number[]>();
  keys.forEach((k, i) => {
    if (k === undefined || !from.includes(states[i] as HoldingState)) return;
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [i]);
    else list.push(i);
  });
  for (const list of byKey.values()) if (list.length > 1) for (const i of list) states[i] = 'duplicate';
}

/**
 * What a holding holds, in canonical text (`10.0.0.5`, `fd00::/64`): two holdings with the same key
 * hold the same address (IP pools) or prefix (prefix pools). undefined when it does not parse.
 */
export function holdingKey(type: PoolType, h: Holding): string | undefined {
  if (type === 'ip') {
    const a = parsed(h);
    return a === undefined ? undefined : formatAddr(a);
  }
  const p = parsePrefixInUse(inUseOf(h));
  return p.ok ? formatPrefix(p.value) : undefined;
}

function prefixUnlaid(holdings: Iterable<Holding>): PoolCounts {
  let n = 0n;
  for (const _ of holdings) n++;
  return { total: 0n, used: n, allocated: 0n, free: 0n, outOfRange: n };
}

function parsed(h: Holding): Addr | undefined {
  const a = parseAddr(h.address);
  return a.ok ? a.value : undefined;
}

/** IP pool counts; unparsable holdings count in `used` (upstream counts every IPAddress) and nowhere else. */
function ipCounts(allocatable: IPSet, holdings: Iterable<Holding>): PoolCounts {
  const index = new AllocationIndex(allocatable);
  let unparsable = 0n;
  for (const h of holdings) {
    const a = parsed(h);
    if (a === undefined) unparsable++;
    else index.markUsed(a);
  }
  const c = index.counts();
  return unparsable === 0n ? c : { ...c, used: c.used + unparsable };
}

function ipModel(layout: PoolLayout): IPPoolModel {
  return {
    type: 'ip',
    layout,
    family: layout.family,
    total: layout.total,
    allocatable: layout.allocatable,
    gateway: layout.gateway,
    allocationPrefixLength: undefined,
    counts: (holdings) => ipCounts(layout.allocatable, holdings),
    assess: (holdings) => {
      const index = new AllocationIndex(layout.allocatable);
      let unparsable = 0n;
      const keys: (string | undefined)[] = [];
      const states = holdings.map((h): HoldingState => {
        const a = parsed(h);
        keys.push(a === undefined ? undefined : `${a.family}:${a.value}`);
        if (a === undefined) {
          unparsable++;
          return 'invalid';
        }
        const outcome = index.markUsed(a);
        return outcome === 'allocated' ? 'allocated' : outcome;
      });
      // markUsed calls the first holder of a shared address 'allocated': every holder is a duplicate.
      markShared(states, keys, ['allocated', 'duplicate']);
      const c = index.counts();
      return { counts: unparsable === 0n ? c : { ...c, used: c.used + unparsable }, states, index };
    },
    covers: (h) => {
      const a = parsed(h);
      return a !== undefined && layout.allocatable.contains(a);
    },
    tracker: () => new IPTracker(layout),
  };
}

class IPTracker implements PoolTracker {
  readonly #index: AllocationIndex;
  readonly #prefix: number;
  /** Holdings whose address does not parse: counted as used, never block anything. */
  #unparsable = 0n;

  constructor(layout: PoolLayout) {
    this.#index = new AllocationIndex(layout.allocatable);
    this.#prefix = layout.spec.prefix;
  }

  add(h: Holding): void {
    const a = parsed(h);
    if (a === undefined) this.#unparsable++;
    else this.#index.markUsed(a);
  }

  remove(h: Holding): void {
    const a = parsed(h);
    if (a === undefined) {
      this.#unparsable--;
      return;
    }
    const r = this.#index.release(a);
    // Every holding is added exactly once before it is removed.
    if (!r.ok) throw new InvariantError(`pool tracker out of step with its holdings: ${r.error.message}`);
  }

  next(): Result<NextAllocation> {
    const r = this.#index.nextFree();
    return r.ok ? ok({ address: formatAddr(r.value), prefix: this.#prefix }) : r;
  }

  counts(): PoolCounts {
    const c = this.#index.counts();
    return this.#unparsable === 0n ? c : { ...c, used: c.used + this.#unparsable };
  }
}

function inUseOf(h: Holding): PrefixInUse {
  return { address: h.address, prefix: h.prefix, name: h.name };
}

function prefixModel(layout: PrefixPoolLayout): PrefixPoolModel {
  return {
    type: 'prefix',
    layout,
    family: 6,
    total: layout.total,
    allocatable: layout.pool.difference(layout.excluded),
    gateway: layout.gateway,
    allocationPrefixLength: layout.allocationPrefixLength,
    counts: (holdings) => prefixPoolCounts(layout, [...holdings].map(inUseOf)),
    assess: (holdings) => {
      const inUse = holdings.map(inUseOf);
      const keys: (string | undefined)[] = [];
      const states = inUse.map((u): HoldingState => {
        const p = parsePrefixInUse(u);
        keys.push(p.ok ? `${p.value.value}/${p.value.bits}` : undefined);
        if (!p.ok) return 'invalid';
        return prefixIsAllocatable(layout, p.value) ? 'allocated' : 'out-of-range';
      });
      markShared(states, keys, ['allocated']);
      return { counts: prefixPoolCounts(layout, inUse), states, index: undefined };
    },
    covers: (h) => prefixIsAllocatable(layout, inUseOf(h)),
    tracker: () => new PrefixTracker(layout),
  };
}

class PrefixTracker implements PoolTracker {
  readonly #inUse = new Map<Holding, PrefixInUse>();

  constructor(private readonly layout: PrefixPoolLayout) {}

  add(h: Holding): void {
    this.#inUse.set(h, inUseOf(h));
  }

  remove(h: Holding): void {
    this.#inUse.delete(h);
  }

  next(): Result<NextAllocation> {
    // Unlike upstream, one IPAddress without a usable prefix does not block the whole pool.
    const usable = [...this.#inUse.values()].filter((u) => parsePrefixInUse(u).ok);
    const r = nextFreePrefix(this.layout, usable);
    return r.ok
      ? ok({ address: formatAddr({ family: r.value.family, value: r.value.value }), prefix: r.value.bits })
      : r;
  }

  counts(): PoolCounts {
    return prefixPoolCounts(this.layout, [...this.#inUse.values()]);
  }
}
