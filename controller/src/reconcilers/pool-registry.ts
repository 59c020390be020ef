// What the reconcilers know about each pool, on top of the engine's PoolIndexes (allocation state:
// layouts, holdings, reservations, per-pool mutex): the pool's lifecycle (terminating), spec
// validation beyond the layout (the webhook's rules, for pools written without it), and the claims
// waiting for the pool to have room. Fed synchronously by the informer handlers.
import {
  ClaimReadyReason,
  IPAM_GROUP,
  isIPPool,
  POOL_KIND_INFO,
  validatePool,
  type Address,
  type Pool,
} from '@ipam-in-cluster/api';
import { PoolIndexes, type PoolIndexCounts, type Reservation } from '../allocation/pool-indexes.js';
import { objectKey, poolIdFromRef, poolKey, type PoolId } from './keys.js';

/**
 * Why an allocation could not be made: the claim's Ready reason, or AllocationInProgress (the claim
 * reconciler requeues; never written as a condition).
 */
export type AllocationFailure =
  | typeof ClaimReadyReason.PoolNotFound
  | typeof ClaimReadyReason.PoolNotReady
  | typeof ClaimReadyReason.PoolExhausted
  | 'AllocationInProgress';

export type AllocationResult =
  { ok: true; reservation: Reservation } | { ok: false; reason: AllocationFailure; message: string };

interface PoolMeta {
  readonly id: PoolId;
  readonly family: 'ip' | 'prefix';
  terminating: boolean;
  /** Why the spec cannot be served (layout error or validation errors); undefined when valid. */
  specError: string | undefined;
  specJson: string;
}

/** Where an IPAddress belongs: its pool (upstream's index reads an empty group as ours). */
export function addressPoolId(address: Address): PoolId | undefined {
  const ref =
    address.poolRef.apiGroup === '' ? { ...address.poolRef, apiGroup: IPAM_GROUP } : address.poolRef;
  return poolIdFromRef(ref, address.metadata.namespace);
}

export function addressKey(address: Address): string {
  return objectKey(address.metadata.namespace, address.metadata.name ?? '');
}

function describe(id: PoolId): string {
  return `${id.kind} ${id.namespace === '' ? id.name : `${id.namespace}/${id.name}`}`;
}

export class PoolRegistry {
  readonly indexes: PoolIndexes;
  readonly #meta = new Map<string, PoolMeta>();
  /** Claims (keys) that a pool could not serve (missing, not ready, full), by pool key. */
  readonly #waiting = new Map<string, Set<string>>();

  constructor(indexes: PoolIndexes = new PoolIndexes()) {
    this.indexes = indexes;
  }

  get size(): number {
    return this.#meta.size;
  }

  keys(): string[] {
    return [...this.#meta.keys()];
  }

  has(key: string): boolean {
    return this.#meta.has(key);
  }

  family(key: string): 'ip' | 'prefix' | undefined {
    return this.#meta.get(key)?.family;
  }

  specError(key: string): string | undefined {
    return this.#meta.get(key)?.specError;
  }

  /** Applies a pool object (informer add/update). Returns whether its spec changed. */
  upsertPool(id: PoolId, pool: Pool): { key: string; specChanged: boolean } {
    const key = poolKey(id);
    let meta = this.#meta.get(key);
    if (meta === undefined) {
      meta = {
        id,
        family: POOL_KIND_INFO[id.kind].family,
        terminating: false,
        specError: undefined,
        specJson: '',
      };
      this.#meta.set(key, meta);
    }
    meta.terminating = pool.metadata.deletionTimestamp !== undefined;
    const specJson = JSON.stringify(pool.spec);
    if (specJson === meta.specJson) return { key, specChanged: false };
    meta.specJson = specJson;
    const built = isIPPool(pool)
      ? this.indexes.rebuild(key, { type: 'ip', spec: pool.spec })
      : this.indexes.rebuild(key, { type: 'prefix', spec: pool.spec });
    if (!built.ok) {
      meta.specError = built.error.message;
    } else {
      const errors = validatePool(pool).errors;
      meta.specError =
        errors.length === 0 ? undefined : errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    }
    return { key, specChanged: true };
  }

  removePool(key: string): void {
    this.#meta.delete(key);
    this.indexes.remove(key);
  }

  /** An IPAddress was added or changed. Returns its pool key when the pool is one of ours (served or not). */
  addressObserved(address: Address): string | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const key = poolKey(id);
    this.indexes.markUsed(key, addressKey(address), address.address, address.prefix);
    return key;
  }

  /** An IPAddress is gone. Returns its pool key and whether it held an address there. */
  addressDeleted(address: Address): { key: string; freed: boolean } | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const key = poolKey(id);
    return { key, freed: this.indexes.release(key, addressKey(address)) };
  }

  /**
   * Reserves the lowest free address for the IPAddress `ipAddressKey`. Refuses pools that are not
   * known, being deleted, or whose spec is invalid (PoolNotReady).
   */
  async allocate(key: string, ipAddressKey: string): Promise<AllocationResult> {
    const meta = this.#meta.get(key);
    if (meta === undefined)
      return { ok: false, reason: ClaimReadyReason.PoolNotFound, message: 'pool not found' };
    if (meta.terminating) {
      return {
        ok: false,
        reason: ClaimReadyReason.PoolNotReady,
        message: `${describe(meta.id)} is being deleted`,
      };
    }
    if (meta.specError !== undefined) {
      return {
        ok: false,
        reason: ClaimReadyReason.PoolNotReady,
        message: `${describe(meta.id)} has an invalid spec: ${meta.specError}`,
      };
    }
    const r = await this.indexes.allocate(key, ipAddressKey);
    if (r.ok) return r;
    const message =
      r.reason === 'PoolExhausted'
        ? `${describe(meta.id)} has no free ${meta.family === 'ip' ? 'address' : 'prefix'}`
        : r.reason === 'PoolNotReady'
          ? `${describe(meta.id)} has an invalid spec: ${r.message}`
          : r.message;
    return { ok: false, reason: r.reason, message };
  }

  counts(key: string): PoolIndexCounts | undefined {
    return this.indexes.counts(key);
  }

  /** Drops in-flight reservations held under an IPAddress key in any pool (its claim is gone). */
  cancelReservations(ipAddressKey: string): void {
    for (const key of this.indexes.poolKeys()) {
      if (this.indexes.holding(key, ipAddressKey)?.state === 'reserved')
        this.indexes.release(key, ipAddressKey);
    }
  }

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
}
