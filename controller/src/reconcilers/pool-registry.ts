// In-memory allocation state of every pool this controller serves, fed by the pool and IPAddress
// caches. One PoolState per pool: its layout (from the spec) and every IPAddress that references it,
// plus reservations for IPAddresses being created right now. Allocation is one synchronous call
// (pick the lowest free address AND reserve it), so two claims can never be handed the same address
// even while their create calls are in flight, and no stale-cache window exists: an address is held
// from the moment it is picked until its IPAddress is deleted.
//
// IP pools use the allocator's incremental AllocationIndex (O(log n) per allocation); prefix pools
// compute the first free sub-prefix from the current holders (O(n)), as upstream does.
// An IPAddress whose address cannot be parsed is counted and reported but never blocks the pool.
import {
  AllocationIndex,
  buildPoolLayout,
  buildPrefixPoolLayout,
  formatAddr,
  nextFreePrefix,
  parseAddr,
  parsePrefixInUse,
  prefixPoolCounts,
  type Addr,
  type PoolCounts,
  type PrefixInUse,
  type PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';
import {
  IPAM_GROUP,
  isIPPool,
  POOL_KIND_INFO,
  validatePool,
  type Address,
  type Pool,
} from '@ipam-in-cluster/api';
import { objectKey, poolIdFromRef, poolKey, type PoolId } from './keys.js';

/** Why an allocation could not be made; the claim's Ready reason. */
export type AllocationFailure = 'PoolNotFound' | 'PoolNotReady' | 'PoolExhausted' | 'AllocationFailed';

export type AllocationResult =
  | { ok: true; address: string; prefix: number; gateway: string | undefined }
  | { ok: false; reason: AllocationFailure; message: string };

/** What one IPAddress contributes to its pool. */
interface Holder {
  /** spec.address as written. */
  readonly text: string;
  readonly prefix: number | undefined;
  /** Parsed address (IP pools) when it parses; undefined for an unparsable one. */
  readonly addr: Addr | undefined;
  /** Picked by allocate() and not yet seen in the IPAddress cache. */
  reserved: boolean;
}

export interface PoolCountsView extends PoolCounts {
  /** IPAddresses of the pool whose address cannot be parsed (skipped for allocation). */
  readonly invalid: readonly string[];
}

export class PoolState {
  readonly id: PoolId;
  readonly key: string;
  readonly family: 'ip' | 'prefix';
  #specJson = '';
  #terminating = false;
  /** Why the spec cannot be served; undefined when valid. */
  #specError: string | undefined;
  #prefixLayout: PrefixPoolLayout | undefined;
  #index: AllocationIndex | undefined;
  #gateway: string | undefined;
  #prefixLength = 0;
  readonly #holders = new Map<string, Holder>();
  readonly #invalid = new Set<string>();
  constructor(id: PoolId) {
    this.id = id;
    this.key = poolKey(id);
    this.family = POOL_KIND_INFO[id.kind].family;
  }

  get terminating(): boolean {
    return this.#terminating;
  }

  get specError(): string | undefined {
    return this.#specError;
  }

  /** Applies the pool object; rebuilds the layout when the spec changed. Returns whether it did. */
  update(pool: Pool): boolean {
    this.#terminating = pool.metadata.deletionTimestamp !== undefined;
    const specJson = JSON.stringify(pool.spec);
    if (specJson === this.#specJson) return false;
    this.#specJson = specJson;
    this.#rebuild(pool);
    return true;
  }

  #rebuild(pool: Pool): void {
    this.#prefixLayout = undefined;
    this.#index = undefined;
    this.#specError = undefined;
    this.#gateway = emptyToUndefined(pool.spec.gateway);
    const validation = validatePool(pool);
    if (isIPPool(pool)) {
      this.#prefixLength = pool.spec.prefix;
      const layout = buildPoolLayout(pool.spec);
      if (!layout.ok) {
        this.#specError = `${layout.error.path ?? 'spec'}: ${layout.error.message}`;
      } else {
        const index = new AllocationIndex(layout.value.allocatable);
        for (const h of this.#holders.values()) if (h.addr !== undefined) index.markUsed(h.addr);
        this.#index = index;
      }
    } else {
      const layout = buildPrefixPoolLayout(pool.spec);
      if (!layout.ok) {
        this.#specError = `${layout.error.path ?? 'spec'}: ${layout.error.message}`;
      } else {
        this.#prefixLayout = layout.value;
        this.#prefixLength = layout.value.allocationPrefixLength;
      }
    }
    if (this.#specError === undefined && validation.errors.length > 0) {
      this.#specError = validation.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    }
  }

  /** Records (or refreshes) one IPAddress. Returns true when it changed the pool's usage. */
  observe(key: string, text: string, prefix: number | undefined): boolean {
    const existing = this.#holders.get(key);
    if (existing !== undefined) {
      if (existing.text === text && existing.prefix === prefix) {
        existing.reserved = false;
        return false;
      }
      this.remove(key);
    }
    this.#add(key, text, prefix, false);
    return true;
  }

  #add(key: string, text: string, prefix: number | undefined, reserved: boolean): void {
    let addr: Addr | undefined;
    let valid: boolean;
    if (this.family === 'ip') {
      const parsed = parseAddr(text);
      addr = parsed.ok ? parsed.value : undefined;
      valid = addr !== undefined;
    } else {
      valid = parsePrefixInUse({ address: text, prefix }).ok;
    }
    if (!valid) this.#invalid.add(key);
    this.#holders.set(key, { text, prefix, addr, reserved });
    if (addr !== undefined) this.#index?.markUsed(addr);
  }

  /** Forgets one IPAddress (deleted, or a reservation given up). Returns true if it held something. */
  remove(key: string): boolean {
    const h = this.#holders.get(key);
    if (h === undefined) return false;
    this.#holders.delete(key);
    this.#invalid.delete(key);
    if (h.addr !== undefined) this.#index?.release(h.addr);
    return true;
  }

  /** Drops a reservation that did not become an IPAddress. */
  cancelReservation(key: string): void {
    if (this.#holders.get(key)?.reserved === true) this.remove(key);
  }

  /** The holder for an IPAddress key, if any. */
  holds(key: string): { address: string; reserved: boolean } | undefined {
    const h = this.#holders.get(key);
    return h === undefined ? undefined : { address: h.text, reserved: h.reserved };
  }

  get size(): number {
    return this.#holders.size;
  }

  /** Picks the lowest free address (or sub-prefix) and reserves it under `key` (the IPAddress key). */
  allocate(key: string): AllocationResult {
    if (this.#terminating)
      return { ok: false, reason: 'PoolNotReady', message: `pool ${this.describe()} is being deleted` };
    if (this.#specError !== undefined) {
      return {
        ok: false,
        reason: 'PoolNotReady',
        message: `pool ${this.describe()} has an invalid spec: ${this.#specError}`,
      };
    }
    const held = this.#holders.get(key);
    if (held !== undefined) {
      // A reservation from an earlier try whose create may or may not have landed: reuse it.
      return {
        ok: true,
        address: held.text,
        prefix: held.prefix ?? this.#prefixLength,
        gateway: this.#gateway,
      };
    }
    if (this.family === 'ip') {
      const index = this.#index;
      if (index === undefined)
        return { ok: false, reason: 'PoolNotReady', message: `pool ${this.describe()} has no layout` };
      const next = index.nextFree();
      if (!next.ok)
        return { ok: false, reason: 'PoolExhausted', message: `pool ${this.describe()} has no free address` };
      const text = formatAddr(next.value);
      this.#add(key, text, this.#prefixLength, true);
      return { ok: true, address: text, prefix: this.#prefixLength, gateway: this.#gateway };
    }
    const layout = this.#prefixLayout;
    if (layout === undefined)
      return { ok: false, reason: 'PoolNotReady', message: `pool ${this.describe()} has no layout` };
    const next = nextFreePrefix(layout, this.#validPrefixes());
    if (!next.ok) {
      const reason = next.error.code === 'PoolExhausted' ? 'PoolExhausted' : 'AllocationFailed';
      const message =
        reason === 'PoolExhausted' ? `pool ${this.describe()} has no free prefix` : next.error.message;
      return { ok: false, reason, message };
    }
    const text = formatAddr({ family: next.value.family, value: next.value.value });
    this.#add(key, text, next.value.bits, true);
    return { ok: true, address: text, prefix: next.value.bits, gateway: this.#gateway };
  }

  #validPrefixes(): PrefixInUse[] {
    const out: PrefixInUse[] = [];
    for (const [key, h] of this.#holders)
      if (!this.#invalid.has(key)) out.push({ address: h.text, prefix: h.prefix, name: key });
    return out;
  }

  /** Exact counts; undefined while the spec is invalid. */
  counts(): PoolCountsView | undefined {
    const invalid = [...this.#invalid].sort();
    if (this.family === 'ip') {
      if (this.#index === undefined) return undefined;
      const c = this.#index.counts();
      // Unparsable IPAddresses still reference the pool: they count as used (upstream counts objects).
      return { ...c, used: c.used + BigInt(invalid.length), invalid };
    }
    if (this.#prefixLayout === undefined) return undefined;
    const all: PrefixInUse[] = [...this.#holders.entries()].map(([key, h]) => ({
      address: h.text,
      prefix: h.prefix,
      name: key,
    }));
    return { ...prefixPoolCounts(this.#prefixLayout, all), invalid };
  }

  describe(): string {
    return this.id.namespace === '' ? this.id.name : `${this.id.namespace}/${this.id.name}`;
  }
}

/** Where an IPAddress belongs: its pool (upstream's index reads an empty group as ours) and its key. */
export function addressPoolId(address: Address): PoolId | undefined {
  const ref =
    address.poolRef.apiGroup === '' ? { ...address.poolRef, apiGroup: IPAM_GROUP } : address.poolRef;
  return poolIdFromRef(ref, address.metadata.namespace);
}

export function addressKey(address: Address): string {
  return objectKey(address.metadata.namespace, address.metadata.name ?? '');
}

/** Every pool's state, by pool key. Pools appear when their object is in the cache. */
export class PoolRegistry {
  readonly #pools = new Map<string, PoolState>();
  /** Claims (keys) that could not be served by a pool (missing, not ready, full), by pool key. */
  readonly #waiting = new Map<string, Set<string>>();

  addWaiting(pool: string, claim: string): void {
    let set = this.#waiting.get(pool);
    if (set === undefined) this.#waiting.set(pool, (set = new Set()));
    set.add(claim);
  }

  /** The claims waiting on a pool, forgotten here (they add themselves again if still unserved). */
  takeWaiting(pool: string): string[] {
    const set = this.#waiting.get(pool);
    this.#waiting.delete(pool);
    return set === undefined ? [] : [...set];
  }

  waitingCount(pool: string): number {
    return this.#waiting.get(pool)?.size ?? 0;
  }

  /** Drops reservations held under an IPAddress key in any pool (its claim is gone). */
  cancelReservations(key: string): void {
    for (const state of this.#pools.values()) state.cancelReservation(key);
  }

  get(key: string): PoolState | undefined {
    return this.#pools.get(key);
  }

  get size(): number {
    return this.#pools.size;
  }

  keys(): string[] {
    return [...this.#pools.keys()];
  }

  /**
   * Creates or updates a pool's state. A new state is filled with `addresses` (every IPAddress of
   * the pool in the cache). Returns the state and whether its layout changed.
   */
  upsertPool(
    id: PoolId,
    pool: Pool,
    addresses: () => readonly Address[],
  ): { state: PoolState; created: boolean; specChanged: boolean } {
    const key = poolKey(id);
    let state = this.#pools.get(key);
    let created = false;
    if (state === undefined) {
      state = new PoolState(id);
      for (const a of addresses()) state.observe(addressKey(a), a.address, a.prefix);
      this.#pools.set(key, state);
      created = true;
    }
    const specChanged = state.update(pool);
    return { state, created, specChanged };
  }

  removePool(key: string): PoolState | undefined {
    const state = this.#pools.get(key);
    this.#pools.delete(key);
    return state;
  }

  /** An IPAddress was added or changed. Returns the pool state it belongs to, if we serve that pool. */
  addressObserved(address: Address): PoolState | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const state = this.#pools.get(poolKey(id));
    state?.observe(addressKey(address), address.address, address.prefix);
    return state;
  }

  /** An IPAddress is gone. Returns the pool state and whether the address it held is free again. */
  addressDeleted(address: Address): { state: PoolState; freed: boolean } | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const state = this.#pools.get(poolKey(id));
    if (state === undefined) return undefined;
    return { state, freed: state.remove(addressKey(address)) };
  }
}

function emptyToUndefined(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}
