// The allocation fence (docs/adr/0009-pool-edit-race.md, reconciler half): before an IPAddress is
// created, its address is written into the pool's `ipam.cluster.x-k8s.io/pending-allocations`
// annotation by a JSON patch whose `test` ops pin the pool's uid and metadata.generation — the spec
// the address was checked against. The validating webhook counts those entries as allocated when it
// admits a spec edit, and the API server orders the two writes on the one pool object:
//   - fence first: the edit's admission sees the pending address in oldObject and refuses to strand it;
//   - edit first: generation moved, the fence's test fails (422), the pool is read again and the
//     address re-checked; if the new spec does not allow it the claim picks again ('stale').
// metadata.generation (with the uid) rather than resourceVersion: for a CRD with a status
// subresource the generation moves exactly when the spec does, so status writes, finalizers and the
// fence writes themselves never make a fence write fail; the guarantee is the same.
//
// Batching: the entries of one pool are written by one loop; every claim that reached the fence while
// a write was in flight goes into the next write together (one write covers many allocations).
// Entries are removed lazily once their IPAddress was created (or its create failed): the removal
// rides on the next fence write, or is written alone after `removalDelayMs` (1 s) when the pool goes quiet.
// A stale entry only keeps an address counted as in use by the webhook, for PENDING_MAX_AGE_MS at
// most. Entries carry the time they were fenced and a signature (../allocation/fence-key.ts).
//
// Spares (IP pools, docs/adr/0033-fence-spares.md): a write made for waiting claims also fences the
// next `spareCount` addresses the pool would hand out (from `spares`, the registry's look-ahead),
// without a claim. A later claim whose pick is such a spare passes the fence without a write, as
// long as the annotation holds it (written, not dropped by a write since), the cached pool is still
// the object (uid) and generation it was written to, and it is younger than SPARE_MAX_AGE_MS. That is the
// guarantee of a write of its own: the address was in the annotation under a precondition on a spec
// that allowed it before the IPAddress is created, and stays there until the create is done. In a
// burst this turns a write every one or two claims into one every `spareCount`. Unused spares go
// with the first removal write after a second in which none was used.
import {
  buildPoolLayout,
  buildPrefixPoolLayout,
  parseAddr,
  prefixIsAllocatable,
  type IPSet,
  type PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_PENDING_ALLOCATIONS,
  formatPendingAllocations,
  isIPPool,
  type PendingAllocation,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { classifyApiError, type JsonPatchOperation, type ObjectClient } from '@ipam-in-cluster/kube';
import { PENDING_MAX_AGE_MS, processFenceKey, signPending } from '../allocation/fence-key.js';
import { poolKey, type PoolId } from './keys.js';
import type { Cache, Logger } from './types.js';

/** 'stale': the pool's current spec does not allow the address (pick again); 'gone': no pool, or terminating. */
export type FenceResult = { ok: true } | { ok: false; reason: 'stale' | 'gone' };

/** What the claim reconciler needs. */
export interface AllocationFence {
  /**
   * Resolves once the pool's annotation holds `entry`, written under a precondition on a spec that
   * allows the address. Throws on API errors (the entry is dropped; nothing was created).
   */
  enter(id: PoolId, ipAddressKey: string, entry: PendingAllocation): Promise<FenceResult>;
  /** The IPAddress was created, or its create failed: the entry may go (written lazily). */
  leave(id: PoolId, ipAddressKey: string): void;
}

export interface PoolFenceDeps {
  pools: Readonly<Record<PoolKind, Cache<Pool>>>;
  poolClients: Readonly<Record<PoolKind, ObjectClient<Pool>>>;
  log: Logger;
  fieldManager: string;
  /**
   * Quiet time before a removal-only write (default 1 s). While claims keep coming, removals ride on
   * the next fence write instead: fewer writes to the pool, fewer conflicts for someone editing it.
   */
  removalDelayMs?: number;
  /** Attempts per batch before the waiting allocations fail (default 10). */
  maxAttempts?: number;
  /** The key entries are signed with (default this process's, published on the Lease when leading). */
  key?: string;
  /** Wall clock for the entries' `at` (Unix ms; default Date.now). */
  now?: () => number;
  /**
   * The next `count` addresses the pool would hand out now, nothing held (the registry's
   * look-ahead; [] for prefix pools). Without it no spares are fenced.
   */
  spares?: (id: PoolId, count: number) => string[];
  /** Spares a write tops up to (default DEFAULT_SPARE_COUNT); 0 turns spares off. */
  spareCount?: number;
}

/**
 * A spare older than this is not used (and is dropped at the next write): well inside the webhook's
 * PENDING_MAX_AGE_MS, after which it would stop counting the entry.
 */
export const SPARE_MAX_AGE_MS = PENDING_MAX_AGE_MS / 4;

/**
 * Spares a write tops up to: 48, a write every ~36 claims of a busy pool. Each pool write costs the
 * API server 3.6 ms + ~0.08 ms an entry (`npm run bench:write-cost`), so fewer, larger writes cost
 * it less a claim; an edit removing addresses just above the allocation front waits as long as with
 * 16 (docs/adr/0033-fence-spares.md, amended in session 15).
 */
export const DEFAULT_SPARE_COUNT = 48;

/** A fenced address no claim has taken yet. */
interface Spare {
  readonly entry: PendingAllocation;
  /** The pool generation the write that holds it was tested against; undefined until written. */
  generation: number | undefined;
  /** The uid of the pool object that write went to (a pool deleted and created again starts over). */
  uid: string | undefined;
}

interface Waiter {
  readonly entry: PendingAllocation;
  readonly resolve: (r: FenceResult) => void;
  readonly reject: (e: unknown) => void;
}

interface PoolState {
  readonly id: PoolId;
  /** Entries that belong in the annotation: fenced ones not yet left, and waiting ones. */
  readonly wanted: Map<string, PendingAllocation>;
  /** Entries not yet confirmed written. */
  readonly waiters: Map<string, Waiter>;
  running: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
  /** A removal-only write is due (timer fired, sweep, flush). */
  removalDue: boolean;
  /** Spares by address, in the order they would be handed out. */
  readonly spares: Map<string, Spare>;
  /** Spares taken since the last write: a busy pool keeps its spares across a removal write. */
  sparesTaken: number;
}

const escapePointer = (s: string): string => s.replaceAll('~', '~0').replaceAll('/', '~1');
const ANNOTATION_PATH = `/metadata/annotations/${escapePointer(ANNOTATION_PENDING_ALLOCATIONS)}`;

export class PoolFence implements AllocationFence {
  readonly #d: PoolFenceDeps;
  readonly #states = new Map<string, PoolState>();
  /** Layouts by spec JSON, one per pool key (the spec rarely changes). */
  readonly #layouts = new Map<string, { json: string; ip?: IPSet; prefix?: PrefixPoolLayout }>();
  #writes = 0;
  #stopped = false;

  constructor(deps: PoolFenceDeps) {
    this.#d = deps;
  }

  /** Fence writes sent (for tests and measurements). */
  get writes(): number {
    return this.#writes;
  }

  enter(id: PoolId, ipAddressKey: string, pending: PendingAllocation): Promise<FenceResult> {
    const state = this.#state(id);
    const entry = { ...pending, at: pending.at ?? (this.#d.now ?? Date.now)() };
    if (this.#takeSpare(state, ipAddressKey, entry)) return Promise.resolve({ ok: true });
    // A spare not written yet (its write is in flight) goes to this claim's own entry instead.
    state.spares.delete(entry.address);
    return new Promise<FenceResult>((resolve, reject) => {
      state.waiters.get(ipAddressKey)?.resolve({ ok: false, reason: 'stale' });
      state.wanted.set(ipAddressKey, entry);
      state.waiters.set(ipAddressKey, { entry, resolve, reject });
      this.#kick(state);
    });
  }

  leave(id: PoolId, ipAddressKey: string): void {
    const state = this.#states.get(poolKey(id));
    if (state === undefined || !state.wanted.delete(ipAddressKey)) return;
    this.#scheduleRemoval(state);
  }

  /** Clears entries an earlier process left on the pool (called when this replica starts leading). */
  sweep(id: PoolId): void {
    this.#scheduleRemoval(this.#state(id));
  }

  /** Writes pending removals now and waits for every loop (shutdown). */
  async flush(): Promise<void> {
    for (const state of this.#states.values()) {
      if (state.timer !== undefined) {
        clearTimeout(state.timer);
        state.timer = undefined;
        state.removalDue = true;
        this.#kick(state);
      }
    }
    this.#stopped = true;
    for (;;) {
      const busy = [...this.#states.values()].flatMap((s) => (s.running === undefined ? [] : [s.running]));
      if (busy.length === 0) return;
      await Promise.all(busy);
    }
  }

  /** Spares written (and not dropped) for the pool, for tests and measurements. */
  sparesOf(id: PoolId): string[] {
    const state = this.#states.get(poolKey(id));
    return state === undefined
      ? []
      : [...state.spares.values()].flatMap((s) => (s.generation === undefined ? [] : [s.entry.address]));
  }

  /**
   * Passes `entry` through a spare already in the pool's annotation, if one fits: written (not only
   * in a write still in flight), at the generation the cached pool has now, young enough, for the
   * same prefix, and still allowed by the cached spec.
   */
  #takeSpare(state: PoolState, ipAddressKey: string, entry: PendingAllocation): boolean {
    const spare = state.spares.get(entry.address);
    if (spare?.generation === undefined || state.waiters.has(ipAddressKey)) return false;
    const pool = this.#cached(state.id);
    if (
      pool === undefined ||
      pool.metadata.deletionTimestamp !== undefined ||
      pool.metadata.generation !== spare.generation ||
      pool.metadata.uid !== spare.uid ||
      spare.entry.prefix !== entry.prefix ||
      (this.#d.now ?? Date.now)() - (spare.entry.at ?? 0) > SPARE_MAX_AGE_MS ||
      !this.#allows(state.id, pool, entry)
    )
      return false;
    state.spares.delete(entry.address);
    state.sparesTaken++;
    // Written with the claim's name by the next write; until then the spare's entry covers it.
    state.wanted.set(ipAddressKey, { ...entry, at: spare.entry.at ?? entry.at });
    return true;
  }

  #state(id: PoolId): PoolState {
    const key = poolKey(id);
    let state = this.#states.get(key);
    if (state === undefined) {
      state = {
        id,
        wanted: new Map(),
        waiters: new Map(),
        running: undefined,
        timer: undefined,
        removalDue: false,
        spares: new Map(),
        sparesTaken: 0,
      };
      this.#states.set(key, state);
    }
    return state;
  }

  #scheduleRemoval(state: PoolState): void {
    if (state.timer !== undefined || this.#stopped) return;
    state.timer = setTimeout(() => {
      state.timer = undefined;
      state.removalDue = true;
      this.#kick(state);
    }, this.#d.removalDelayMs ?? 1000);
    state.timer.unref();
  }

  #kick(state: PoolState): void {
    if (state.running !== undefined) return; // the loop picks up whatever was added
    state.running = this.#run(state).finally(() => {
      state.running = undefined;
      if (state.waiters.size > 0) this.#kick(state);
      else if (
        state.wanted.size === 0 &&
        state.spares.size === 0 &&
        state.timer === undefined &&
        !state.removalDue
      )
        this.#states.delete(poolKey(state.id));
    });
  }

  #cached(id: PoolId): Pool | undefined {
    return this.#d.pools[id.kind].get(id.namespace === '' ? undefined : id.namespace, id.name);
  }

  async #run(state: PoolState): Promise<void> {
    const { id } = state;
    const ref = { namespace: id.namespace === '' ? undefined : id.namespace, name: id.name };
    const client = this.#d.poolClients[id.kind];
    const maxAttempts = this.#d.maxAttempts ?? 10;
    let attempts = 0;
    for (;;) {
      const pool = this.#cached(id);
      if (pool === undefined || pool.metadata.deletionTimestamp !== undefined) {
        state.spares.clear();
        this.#settle(state, [...state.waiters.keys()], { ok: false, reason: 'gone' });
        if (pool === undefined) state.wanted.clear();
        state.removalDue = false;
        return;
      }
      for (const [key, waiter] of state.waiters) {
        if (!this.#allows(id, pool, waiter.entry)) this.#settle(state, [key], { ok: false, reason: 'stale' });
      }
      // Signed for this pool (its uid is pinned by the test op below): the webhook counts only
      // entries it can verify (fence-key.ts).
      const key = this.#d.key ?? processFenceKey();
      const uid = pool.metadata.uid ?? '';
      const spares = this.#sparesFor(state, pool);
      const desired = formatPendingAllocations(
        [...state.wanted.values(), ...spares.map((s) => s.entry)].map((e) => signPending(key, uid, e)),
      );
      const annotations = pool.metadata.annotations;
      const current = annotations?.[ANNOTATION_PENDING_ALLOCATIONS] ?? '';
      if (state.waiters.size === 0 && (!state.removalDue || desired === current)) {
        if (desired === current) {
          state.removalDue = false;
          // Spares kept for a busy pool: look again in a while, and drop them if none was taken.
          state.sparesTaken = 0;
          if (state.spares.size > 0) this.#scheduleRemoval(state);
        }
        return;
      }
      const included = [...state.waiters.keys()];
      const ops: JsonPatchOperation[] = [
        { op: 'test', path: '/metadata/uid', value: pool.metadata.uid },
        { op: 'test', path: '/metadata/generation', value: pool.metadata.generation },
      ];
      if (annotations === undefined) {
        if (desired === '') return;
        // JSON patch `test` with null passes only while the member is absent.
        ops.push(
          { op: 'test', path: '/metadata/annotations', value: null },
          { op: 'add', path: '/metadata/annotations', value: { [ANNOTATION_PENDING_ALLOCATIONS]: desired } },
        );
      } else if (desired === '') {
        if (!(ANNOTATION_PENDING_ALLOCATIONS in annotations)) {
          state.removalDue = false;
          return;
        }
        ops.push({ op: 'remove', path: ANNOTATION_PATH });
      } else {
        ops.push({ op: 'add', path: ANNOTATION_PATH, value: desired });
      }
      attempts++;
      try {
        this.#writes++;
        const updated = await client.jsonPatch(ref, ops, { fieldManager: this.#d.fieldManager });
        this.#d.pools[id.kind].observe(updated);
        if (state.waiters.size === included.length) state.removalDue = false;
        // Usable from now on; a spare dropped while the write was in flight is gone from the map.
        for (const s of spares) {
          if (state.spares.get(s.entry.address) !== s) continue;
          s.generation = pool.metadata.generation;
          s.uid = pool.metadata.uid;
        }
        state.sparesTaken = 0;
        if (state.spares.size > 0) this.#scheduleRemoval(state);
        this.#settle(state, included, { ok: true }, false);
        attempts = 0;
      } catch (error) {
        // Whatever the annotation holds now, no spare is used until a write succeeds again.
        state.spares.clear();
        const kind = classifyApiError(error).kind;
        if (kind === 'Invalid' || kind === 'Conflict' || kind === 'NotFound') {
          // The pool changed under us (or is gone): read it, let the informer handlers apply it
          // (the allocation state rebuilds the layout), and check the entries again.
          const fresh = await client.find(ref).catch((e: unknown) => {
            this.#fail(state, included, e);
            return null;
          });
          if (fresh === null) return;
          if (fresh === undefined) {
            this.#settle(state, [...state.waiters.keys()], { ok: false, reason: 'gone' });
            state.wanted.clear();
            state.removalDue = false;
            return;
          }
          this.#d.pools[id.kind].observe(fresh);
          if (attempts < maxAttempts) continue;
        }
        this.#d.log.warn('allocation fence write failed', { pool: poolKey(id), kind, attempts, error });
        this.#fail(state, included, error);
        return;
      }
    }
  }

  /**
   * The spares the next write carries, in `state.spares` order. A write for waiting claims keeps the
   * fresh ones and tops them up when fewer than a quarter are left; a removal write keeps them only
   * if the pool took one since the last write (it is busy), and otherwise drops them all.
   * Dropped spares leave `state.spares` at once, so no claim takes one the write removes.
   */
  #sparesFor(state: PoolState, pool: Pool): Spare[] {
    const count = this.#d.spareCount ?? DEFAULT_SPARE_COUNT;
    const now = (this.#d.now ?? Date.now)();
    // Only a removal write drops spares for being unused; any other pass leaves them be.
    const keep = state.waiters.size > 0 || state.sparesTaken > 0 || !state.removalDue;
    const taken = new Set([...state.wanted.values()].map((e) => e.address));
    // A spare was allowed when it was added; at the same uid and generation the spec is the same.
    for (const [address, s] of state.spares) {
      const stale =
        !keep ||
        taken.has(address) ||
        now - (s.entry.at ?? 0) > SPARE_MAX_AGE_MS ||
        (s.generation !== undefined &&
          (s.generation !== pool.metadata.generation || s.uid !== pool.metadata.uid));
      if (stale) state.spares.delete(address);
    }
    if (this.#d.spares !== undefined && state.waiters.size > 0 && state.spares.size < count / 4) {
      const prefix = isIPPool(pool) ? pool.spec.prefix : undefined;
      for (const address of this.#d.spares(state.id, count + taken.size)) {
        if (state.spares.size >= count) break;
        if (taken.has(address) || state.spares.has(address)) continue;
        const entry: PendingAllocation = { address, ...(prefix === undefined ? {} : { prefix }), at: now };
        if (this.#allows(state.id, pool, entry))
          state.spares.set(address, { entry, generation: undefined, uid: undefined });
      }
    }
    return [...state.spares.values()];
  }

  /** Resolves waiters; the entries leave `wanted` unless they were written (`keep`). */
  #settle(state: PoolState, keys: readonly string[], result: FenceResult, drop = true): void {
    for (const key of keys) {
      const waiter = state.waiters.get(key);
      if (waiter === undefined) continue;
      state.waiters.delete(key);
      if (drop || !result.ok) state.wanted.delete(key);
      waiter.resolve(result);
    }
  }

  #fail(state: PoolState, keys: readonly string[], error: unknown): void {
    for (const key of keys) {
      const waiter = state.waiters.get(key);
      if (waiter === undefined) continue;
      state.waiters.delete(key);
      state.wanted.delete(key);
      waiter.reject(error);
    }
    if (state.wanted.size > 0 || keys.length > 0) this.#scheduleRemoval(state);
  }

  /** Whether the pool's spec (as cached, at its generation) allows the pending address. */
  #allows(id: PoolId, pool: Pool, entry: PendingAllocation): boolean {
    const key = poolKey(id);
    const json = JSON.stringify(pool.spec);
    let layout = this.#layouts.get(key);
    if (layout?.json !== json) {
      layout = { json };
      if (isIPPool(pool)) {
        const built = buildPoolLayout(pool.spec);
        if (built.ok) layout.ip = built.value.allocatable;
      } else {
        const built = buildPrefixPoolLayout(pool.spec);
        if (built.ok) layout.prefix = built.value;
      }
      this.#layouts.set(key, layout);
    }
    if (layout.ip !== undefined) {
      const addr = parseAddr(entry.address);
      return addr.ok && layout.ip.contains(addr.value);
    }
    if (layout.prefix !== undefined) {
      return prefixIsAllocatable(layout.prefix, {
        address: entry.address,
        prefix: entry.prefix,
        name: entry.claim ?? '',
      });
    }
    return false;
  }
}
