/**
 * PoolIndexes: the in-memory allocation state of every pool this controller serves.
 *
 * One entry per pool key (opaque to this module; the reconcilers use `Kind/namespace/name`).
 * An entry holds the pool's layout, built by the allocator from the pool spec, and the set of
 * holdings: one per IPAddress object (key `namespace/name`) that references the pool, with
 * its address. IP pools keep the allocator's incremental {@link AllocationIndex} in step with
 * the holdings (lowest free address in O(log n)); prefix pools ask the allocator for the first
 * free sub-prefix over the holdings (O(n), upstream's algorithm).
 *
 * Why this cannot hand out one address twice (upstream needed one worker plus a 5 s poll on its
 * cache for this, and still raced — upstream PR #338, issue #98):
 * 1. `allocate` picks the lowest free address AND records a holding for it in one step, before
 *    the caller creates the IPAddress. From then on the address is in use for every other
 *    caller, whatever the informer cache shows.
 * 2. Holdings are keyed by IPAddress key, so the informer event that later reports the object
 *    the controller created itself finds the holding and changes nothing (idempotent), and an
 *    event that arrives before the create call returns does the same.
 * 3. A holding only goes away when its IPAddress is deleted (informer event or relist), or when
 *    its create definitely failed (`Reservation.release`), and never while the object might
 *    exist: once the create was confirmed or the object observed, release() is a no-op.
 * 4. All state changes are synchronous, so on Node's single thread each is atomic. Allocations
 *    of one pool additionally queue on a per-pool async mutex (FIFO, so claims are served in
 *    arrival order, and the guarantee survives if the allocation step ever has to await);
 *    different pools never wait for each other.
 * The remaining gap is outside this process: an ambiguous create failure (a timeout after the
 * server committed) — callers release only on definite failures and keep the reservation
 * otherwise; the informer event or the next relist settles it.
 */
import {
  AllocationIndex,
  InvariantError,
  buildPoolLayout,
  buildPrefixPoolLayout,
  formatAddr,
  nextFreePrefix,
  parseAddr,
  parsePrefixInUse,
  prefixIsAllocatable,
  prefixPoolCounts,
  type Addr,
  type AllocatorError,
  type IPPoolSpec,
  type PoolCounts,
  type PoolLayout,
  type PrefixInUse,
  type PrefixPoolLayout,
  type PrefixPoolSpec,
  type Result,
} from '@ipam-in-cluster/allocator';
import { KeyedMutex } from '../util/async-mutex.js';
import { realClock, type Clock } from '../util/clock.js';

/** A pool spec with its pool type: single addresses (IP pools) or IPv6 sub-prefixes. */
export type PoolSpecInput =
  | { readonly type: 'ip'; readonly spec: IPPoolSpec }
  | { readonly type: 'prefix'; readonly spec: PrefixPoolSpec };

/** What an IPAddress must be written with. */
export interface Allocation {
  /** spec.address */
  readonly address: string;
  /** spec.prefix: the pool's prefix (IP pools) or the allocation length (prefix pools). */
  readonly prefix: number;
  /** spec.gateway, when the pool has one. */
  readonly gateway: string | undefined;
}

/**
 * Reservation: an address picked for one IPAddress and held for it. The caller creates the
 * IPAddress, then calls exactly one of confirm() (created, or AlreadyExists with this address)
 * or release() (the create definitely failed).
 */
export interface Reservation extends Allocation {
  readonly poolKey: string;
  readonly ipAddressKey: string;
  /** True when the key already held this address (adopt it; there is nothing to pick). */
  readonly existing: boolean;
  /** The create succeeded: keep the holding until the IPAddress is deleted. Idempotent. */
  confirm(): void;
  /**
   * The create failed: free the address again. Returns false (and changes nothing) when the
   * holding was confirmed, observed through the informer, or replaced meanwhile.
   */
  release(): boolean;
}

/** Why {@link PoolIndexes.allocate} could not reserve an address (the claim's Ready reasons). */
export type AllocationFailureReason =
  /** No pool with this key is known (not created yet, or deleted). */
  | 'PoolNotFound'
  /** The pool spec cannot be laid out (invalid spec; webhooks normally prevent it). */
  | 'PoolNotReady'
  /** Nothing free. */
  | 'PoolExhausted'
  /** Another allocation for the same IPAddress key is in flight (the queue should prevent this). */
  | 'AllocationInProgress';

export type AllocateResult =
  | { readonly ok: true; readonly reservation: Reservation }
  | { readonly ok: false; readonly reason: AllocationFailureReason; readonly message: string };

/** What {@link PoolIndexes.markUsed} did. */
export type MarkResult = 'added' | 'unchanged' | 'replaced';

/** One IPAddress as the informer reports it. */
export interface ObservedAddress {
  readonly ipAddressKey: string;
  readonly address: string;
  readonly prefix?: number | undefined;
}

/** Exact counts of a pool plus the holdings whose address cannot be parsed. */
export interface PoolIndexCounts extends PoolCounts {
  /** IPAddress keys whose address does not parse; counted in `used`, never block allocation. */
  readonly invalid: readonly string[];
  /** Holdings picked by allocate() whose create has not been answered yet (counted in used). */
  readonly reserved: number;
}

/** Options of {@link PoolIndexes}. */
export interface PoolIndexesOptions {
  readonly clock?: Clock;
  /**
   * How long a confirmed-but-never-observed holding survives a {@link PoolIndexes.sync} that
   * does not list it (the informer may lag behind our own create). Default 60 s.
   */
  readonly confirmGraceMs?: number;
}

type HoldingState = 'reserved' | 'created' | 'observed';

interface Holding {
  readonly ipAddressKey: string;
  readonly address: string;
  readonly prefix: number | undefined;
  /** Parsed spec.address; undefined when it does not parse. */
  readonly addr: Addr | undefined;
  state: HoldingState;
  /** Clock time of the last state change. */
  since: number;
}

/** The IPAddress kinds' schema: `spec.gateway` is 1 to 39 characters. */
export const IPADDRESS_GATEWAY_MAX_LENGTH = 39;

/**
 * `spec.gateway` of the IPAddresses a pool hands out: the pool's text as written, as upstream copies
 * it (`FD00::1` stays `FD00::1`, `fe80::1%eth0` keeps its zone), where the IPAddress schema takes it;
 * a longer text (an IPv6 address written out in full with a zone, 40+ characters) would make every
 * create fail, so it is written in canonical form instead (docs/adr/0016-gateway-text.md).
 */
export function gatewayText(written: string | undefined, parsed: Addr | undefined): string | undefined {
  if (parsed === undefined) return undefined;
  if (written !== undefined && written.length >= 1 && written.length <= IPADDRESS_GATEWAY_MAX_LENGTH)
    return written;
  return formatAddr(parsed);
}

/** The part that differs between IP pools and prefix pools. */
interface PoolAllocator {
  add(h: Holding): void;
  remove(h: Holding): void;
  next(): Result<{ address: string; prefix: number }>;
  counts(): PoolCounts;
  /** Whether the pool could have handed out this holding (allocatable, the pool's prefix length). */
  covers(h: Pick<Holding, 'address' | 'addr' | 'prefix'>): boolean;
  readonly gateway: string | undefined;
}

class IPPoolAllocator implements PoolAllocator {
  readonly #index: AllocationIndex;
  readonly gateway: string | undefined;

  constructor(private readonly layout: PoolLayout) {
    this.#index = new AllocationIndex(layout.allocatable);
    this.gateway = gatewayText(layout.spec.gateway, layout.gateway);
  }

  add(h: Holding): void {
    if (h.addr !== undefined) this.#index.markUsed(h.addr);
  }

  remove(h: Holding): void {
    if (h.addr === undefined) return;
    const r = this.#index.release(h.addr);
    // Holdings are the source of truth and every one was added exactly once.
    if (!r.ok) throw new InvariantError(`pool index out of step with holdings: ${r.error.message}`);
  }

  next(): Result<{ address: string; prefix: number }> {
    const r = this.#index.nextFree();
    return r.ok ? { ok: true, value: { address: formatAddr(r.value), prefix: this.layout.spec.prefix } } : r;
  }

  counts(): PoolCounts {
    return this.#index.counts();
  }

  covers(h: Pick<Holding, 'address' | 'addr' | 'prefix'>): boolean {
    return h.addr !== undefined && this.layout.allocatable.contains(h.addr);
  }
}

class PrefixPoolAllocator implements PoolAllocator {
  readonly #inUse = new Map<Holding, PrefixInUse>();
  readonly gateway: string | undefined;

  constructor(private readonly layout: PrefixPoolLayout) {
    this.gateway = gatewayText(layout.spec.gateway, layout.gateway);
  }

  add(h: Holding): void {
    this.#inUse.set(h, { address: h.address, prefix: h.prefix, name: h.ipAddressKey });
  }

  remove(h: Holding): void {
    this.#inUse.delete(h);
  }

  next(): Result<{ address: string; prefix: number }> {
    // Unlike upstream, one IPAddress without a usable prefix does not block the whole pool.
    const usable = [...this.#inUse.values()].filter((u) => parsePrefixInUse(u).ok);
    const r = nextFreePrefix(this.layout, usable);
    return r.ok
      ? {
          ok: true,
          value: {
            address: formatAddr({ family: r.value.family, value: r.value.value }),
            prefix: r.value.bits,
          },
        }
      : r;
  }

  counts(): PoolCounts {
    return prefixPoolCounts(this.layout, [...this.#inUse.values()]);
  }

  covers(h: Pick<Holding, 'address' | 'addr' | 'prefix'>): boolean {
    return prefixIsAllocatable(this.layout, { address: h.address, prefix: h.prefix });
  }
}

interface PoolEntry {
  /** The pool key, one instance per pool (every holding's #poolOf entry points at it). */
  readonly key: string;
  /** JSON of the spec the allocator was built from, to skip no-op rebuilds (status updates). */
  specJson: string | undefined;
  allocator: PoolAllocator | undefined;
  /** Why there is no allocator: the layout error, or that the pool is gone. */
  problem: { reason: 'PoolNotFound' | 'PoolNotReady'; message: string } | undefined;
  readonly holdings: Map<string, Holding>;
}

export class PoolIndexes {
  readonly #pools = new Map<string, PoolEntry>();
  /** IPAddress key → pool key of its holding (an IPAddress belongs to one pool at a time). */
  readonly #poolOf = new Map<string, string>();
  readonly #mutex = new KeyedMutex();
  readonly #clock: Clock;
  readonly #confirmGraceMs: number;

  constructor(options: PoolIndexesOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#confirmGraceMs = options.confirmGraceMs ?? 60_000;
  }

  /**
   * Sets the pool's spec (pool informer add/update). Rebuilds the layout and re-marks every
   * holding; holdings now outside the layout count as out of range. A spec equal to the current
   * one is a no-op, so status-only updates cost nothing. An invalid spec leaves the pool
   * without allocator (allocate answers PoolNotReady) and returns the layout error.
   */
  rebuild(poolKey: string, input: PoolSpecInput): Result<undefined> {
    const entry = this.#entry(poolKey);
    const specJson = JSON.stringify(input);
    if (entry.specJson === specJson && entry.problem?.reason !== 'PoolNotFound') {
      return entry.problem === undefined
        ? { ok: true, value: undefined }
        : { ok: false, error: { code: 'InvalidSpec', message: entry.problem.message } };
    }
    entry.specJson = specJson;
    let allocator: PoolAllocator;
    if (input.type === 'ip') {
      const layout = buildPoolLayout(input.spec);
      if (!layout.ok) return this.#unready(entry, layout.error);
      allocator = new IPPoolAllocator(layout.value);
    } else {
      const layout = buildPrefixPoolLayout(input.spec);
      if (!layout.ok) return this.#unready(entry, layout.error);
      allocator = new PrefixPoolAllocator(layout.value);
    }
    for (const h of entry.holdings.values()) allocator.add(h);
    entry.allocator = allocator;
    entry.problem = undefined;
    return { ok: true, value: undefined };
  }

  /**
   * The pool was deleted (pool informer delete). Allocation stops; holdings stay while their
   * IPAddresses exist, so a pool re-created with the same name starts with them in use.
   */
  remove(poolKey: string): void {
    const entry = this.#pools.get(poolKey);
    if (entry === undefined) return;
    entry.allocator = undefined;
    entry.specJson = undefined;
    entry.problem = { reason: 'PoolNotFound', message: 'pool not found' };
    this.#dropIfEmpty(entry);
  }

  /**
   * Records that the IPAddress `ipAddressKey` holds `address` in the pool (informer add/update,
   * or a successful create of our own). Idempotent: the same key with the same address changes
   * nothing; a different address replaces the old one; a key held by another pool moves.
   * Works before the pool itself is known (the holding is applied when the spec arrives).
   */
  markUsed(poolKey: string, ipAddressKey: string, address: string, prefix?: number): MarkResult {
    const otherPool = this.#poolOf.get(ipAddressKey);
    if (otherPool !== undefined && otherPool !== poolKey) this.release(otherPool, ipAddressKey);
    const entry = this.#entry(poolKey);
    const existing = entry.holdings.get(ipAddressKey);
    if (existing?.address === address && existing.prefix === prefix) {
      if (existing.state !== 'observed') {
        existing.state = 'observed';
        existing.since = this.#clock.now();
      }
      return 'unchanged';
    }
    if (existing !== undefined) entry.allocator?.remove(existing);
    this.#hold(entry, ipAddressKey, address, prefix, 'observed');
    return existing === undefined ? 'added' : 'replaced';
  }

  /** The IPAddress is gone (informer delete): frees its address. Returns whether it was held. */
  release(poolKey: string, ipAddressKey: string): boolean {
    const entry = this.#pools.get(poolKey);
    const h = entry?.holdings.get(ipAddressKey);
    if (entry === undefined || h === undefined) return false;
    this.#drop(entry, h);
    return true;
  }

  /**
   * Replaces the pool's holdings with what a full list shows (after an informer relist, or a
   * consistent list before this replica starts allocating). Keeps in-flight reservations and
   * confirmed creates younger than the grace period that the list does not show yet.
   */
  sync(poolKey: string, observed: Iterable<ObservedAddress>): void {
    const entry = this.#entry(poolKey);
    const seen = new Set<string>();
    for (const o of observed) {
      seen.add(o.ipAddressKey);
      this.markUsed(poolKey, o.ipAddressKey, o.address, o.prefix);
    }
    const now = this.#clock.now();
    for (const h of [...entry.holdings.values()]) {
      if (seen.has(h.ipAddressKey) || h.state === 'reserved') continue;
      if (h.state === 'created' && now - h.since < this.#confirmGraceMs) continue;
      this.#drop(entry, h);
    }
  }

  /**
   * Reserves the lowest free address of the pool for the IPAddress `ipAddressKey` (= the claim's
   * key: the IPAddress is named like its claim). Serialised per pool, FIFO; pools in parallel.
   * If the key already holds a created or observed address, that address is returned with
   * `existing: true`.
   */
  async allocate(poolKey: string, ipAddressKey: string): Promise<AllocateResult> {
    return this.#mutex.runExclusive(poolKey, () => this.#allocateLocked(poolKey, ipAddressKey));
  }

  #allocateLocked(poolKey: string, ipAddressKey: string): AllocateResult {
    const entry = this.#pools.get(poolKey);
    if (entry === undefined) return { ok: false, reason: 'PoolNotFound', message: 'pool not found' };
    if (entry.allocator === undefined)
      return { ok: false, ...(entry.problem ?? { reason: 'PoolNotFound', message: 'pool not found' }) };
    const existing = entry.holdings.get(ipAddressKey);
    if (existing !== undefined) {
      if (existing.state === 'reserved') {
        return {
          ok: false,
          reason: 'AllocationInProgress',
          message: `an allocation for ${ipAddressKey} is in progress`,
        };
      }
      return { ok: true, reservation: this.#reservation(entry, existing, true) };
    }
    const next = entry.allocator.next();
    if (!next.ok) {
      return {
        ok: false,
        reason: next.error.code === 'PoolExhausted' ? 'PoolExhausted' : 'PoolNotReady',
        message: next.error.message,
      };
    }
    const h = this.#hold(entry, ipAddressKey, next.value.address, next.value.prefix, 'reserved');
    return { ok: true, reservation: this.#reservation(entry, h, false) };
  }

  /** Exact counts of the pool (for its status), or undefined while it has no valid layout. */
  counts(poolKey: string): PoolIndexCounts | undefined {
    const entry = this.#pools.get(poolKey);
    if (entry?.allocator === undefined) return undefined;
    const c = entry.allocator.counts();
    const invalid: string[] = [];
    let reserved = 0;
    for (const h of entry.holdings.values()) {
      if (h.state === 'reserved') reserved++;
      if (h.addr === undefined) invalid.push(h.ipAddressKey);
    }
    // The IP index never sees unparsable addresses; upstream counts every IPAddress as used.
    const used = entry.allocator instanceof IPPoolAllocator ? c.used + BigInt(invalid.length) : c.used;
    return { ...c, used, invalid, reserved };
  }

  /** The address `ipAddressKey` holds in the pool, and in which state. */
  holding(
    poolKey: string,
    ipAddressKey: string,
  ): { address: string; prefix: number | undefined; state: HoldingState } | undefined {
    const h = this.#pools.get(poolKey)?.holdings.get(ipAddressKey);
    return h === undefined ? undefined : { address: h.address, prefix: h.prefix, state: h.state };
  }

  /**
   * Whether `address` (with `prefix`, for prefix pools) is one the pool could hand out, and which
   * other IPAddresses hold the same address in it; undefined while the pool has no valid layout.
   * O(holdings of the pool): for the rare adoption of an IPAddress this controller did not create.
   */
  check(
    poolKey: string,
    ipAddressKey: string,
    address: string,
    prefix: number | undefined,
  ): { inPool: boolean; alsoHeldBy: string[] } | undefined {
    const entry = this.#pools.get(poolKey);
    if (entry?.allocator === undefined) return undefined;
    const parsed = parseAddr(address);
    const addr = parsed.ok ? parsed.value : undefined;
    const inPool = entry.allocator.covers({ address, addr, prefix });
    const alsoHeldBy: string[] = [];
    for (const h of entry.holdings.values()) {
      if (h.ipAddressKey === ipAddressKey) continue;
      const same =
        addr !== undefined && h.addr !== undefined
          ? h.addr.family === addr.family && h.addr.value === addr.value
          : h.address === address;
      if (same) alsoHeldBy.push(h.ipAddressKey);
    }
    return { inPool, alsoHeldBy: alsoHeldBy.sort() };
  }

  /** Whether the pool has a valid layout and can allocate. */
  isReady(poolKey: string): boolean {
    return this.#pools.get(poolKey)?.allocator !== undefined;
  }

  /** Keys of the pools with a layout or holdings. */
  poolKeys(): string[] {
    return [...this.#pools.keys()];
  }

  #entry(poolKey: string): PoolEntry {
    let entry = this.#pools.get(poolKey);
    if (entry === undefined) {
      entry = {
        key: poolKey,
        specJson: undefined,
        allocator: undefined,
        problem: { reason: 'PoolNotFound', message: 'pool not found' },
        holdings: new Map(),
      };
      this.#pools.set(poolKey, entry);
    }
    return entry;
  }

  #unready(entry: PoolEntry, error: AllocatorError): Result<undefined> {
    entry.allocator = undefined;
    entry.problem = { reason: 'PoolNotReady', message: error.message };
    return { ok: false, error };
  }

  #hold(
    entry: PoolEntry,
    ipAddressKey: string,
    address: string,
    prefix: number | undefined,
    state: HoldingState,
  ): Holding {
    const parsed = parseAddr(address);
    const h: Holding = {
      ipAddressKey,
      address,
      prefix,
      addr: parsed.ok ? parsed.value : undefined,
      state,
      since: this.#clock.now(),
    };
    entry.holdings.set(ipAddressKey, h);
    entry.allocator?.add(h);
    this.#poolOf.set(ipAddressKey, entry.key);
    return h;
  }

  #drop(entry: PoolEntry, h: Holding): void {
    entry.holdings.delete(h.ipAddressKey);
    entry.allocator?.remove(h);
    if (this.#poolOf.get(h.ipAddressKey) === entry.key) this.#poolOf.delete(h.ipAddressKey);
    this.#dropIfEmpty(entry);
  }

  #dropIfEmpty(entry: PoolEntry): void {
    if (entry.allocator === undefined && entry.specJson === undefined && entry.holdings.size === 0)
      this.#pools.delete(entry.key);
  }

  #reservation(entry: PoolEntry, h: Holding, existing: boolean): Reservation {
    const gateway = entry.allocator?.gateway;
    return {
      poolKey: entry.key,
      ipAddressKey: h.ipAddressKey,
      existing,
      address: h.address,
      prefix: h.prefix ?? 0,
      gateway,
      confirm: () => {
        if (entry.holdings.get(h.ipAddressKey) === h && h.state === 'reserved') {
          h.state = 'created';
          h.since = this.#clock.now();
        }
      },
      release: () => {
        if (entry.holdings.get(h.ipAddressKey) !== h || h.state !== 'reserved') return false;
        this.#drop(entry, h);
        return true;
      },
    };
  }
}
