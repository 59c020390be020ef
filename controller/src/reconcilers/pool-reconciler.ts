// The pool reconciler (all four kinds), level-triggered from a `Kind/namespace/name` key:
//   fetch -> sync the in-memory state -> finalizer (ProtectPool; released only when no IPAddress
//   references the pool) -> counts (and duplicate addresses, when the counts allow one) -> one status
//   patch (status.ipAddresses + conditions + forecast) -> Events on condition transitions. A pool whose
//   forecast rate is not zero is looked at again when its forecast is due a refresh (forecast.ts).
import { capInt64, toStatusCounts, type StatusCounts } from '@ipam-in-cluster/allocator';
import {
  addressFromWire,
  conditionTime,
  ConditionType,
  FINALIZER_PROTECT_POOL,
  IPAM_GROUP,
  POOL_KIND_INFO,
  PoolEventReason,
  setCondition,
  type Condition,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
  type PoolForecast,
  type PoolKind,
} from '@ipam-in-cluster/api';
import {
  classifyApiError,
  INDEX_POOL_REF,
  poolRefIndexValue,
  type ObjectClient,
} from '@ipam-in-cluster/kube';
import { parsePoolKey, type PoolId } from './keys.js';
import {
  findDuplicates,
  mayHaveDuplicates,
  poolConditions,
  quarantinedCount,
  sameCounts,
  type DuplicateAddress,
} from './pool-logic.js';
import type { PoolRegistry } from './pool-registry.js';
import { DEFAULT_FORECAST_HALF_LIFE_MS, forecastDue, forecastRequeueMs, nextForecast } from './forecast.js';
import { sameConditions } from './claim-logic.js';
import type { Cache, EventSink, Logger, ReconcilerMetrics } from './types.js';

export interface PoolReconcilerDeps {
  pools: Readonly<Record<PoolKind, Cache<Pool>>>;
  poolClients: Readonly<Record<PoolKind, ObjectClient<Pool>>>;
  addresses: Cache<IPAddressWire>;
  /** Claims, for status.ipAddresses.quarantined (IP pools with a grace period); none: not counted. */
  claims?: Cache<IPAddressClaimWire>;
  registry: PoolRegistry;
  events: EventSink;
  log: Logger;
  metrics: ReconcilerMetrics;
  fieldManager: string;
  /** HighUtilization threshold, percent of total. */
  highUtilizationPercent: number;
  /** Half-life of the forecast's allocation rate (default 6 h). */
  forecastHalfLifeMs?: number;
  now?: () => Date;
}

export class PoolReconciler {
  readonly #d: PoolReconcilerDeps;
  readonly #now: () => Date;

  constructor(deps: PoolReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
  }

  /** IPAddresses in the cache that reference the pool (global pools: every namespace). */
  referencingAddresses(id: PoolId): IPAddressWire[] {
    return referencing(this.#d.addresses, id);
  }

  async reconcile(key: string): Promise<{ requeueAfter: number } | undefined> {
    const id = parsePoolKey(key);
    if (id === undefined) return undefined;
    const ns = id.namespace === '' ? undefined : id.namespace;
    const pool = this.#d.pools[id.kind].get(ns, id.name);
    if (pool === undefined) {
      this.#d.registry.removePool(key);
      this.#d.metrics.poolRemoved(id);
      return undefined;
    }
    const client = this.#d.poolClients[id.kind];
    const log = this.#d.log.child({ pool: key });
    this.#d.registry.upsertPool(id, pool);
    const family = POOL_KIND_INFO[id.kind].family;
    const specError = this.#d.registry.specError(key);
    const deleting = pool.metadata.deletionTimestamp !== undefined;
    const finalizers = pool.metadata.finalizers ?? [];

    if (deleting) {
      const held = this.#d.registry.counts(key);
      const references = Math.max(
        this.referencingAddresses(id).length,
        held === undefined ? 0 : Number(held.used),
      );
      if (references === 0) {
        if (finalizers.includes(FINALIZER_PROTECT_POOL)) {
          await client.removeFinalizer({ namespace: ns, name: id.name }, FINALIZER_PROTECT_POOL, pool);
          log.info('pool released, no IPAddress references it');
        }
        return undefined;
      }
      await this.#patchStatus(
        pool,
        undefined,
        poolConditions({
          specError,
          deleting: true,
          references,
          counts: undefined,
          invalidAddresses: [],
          duplicates: [],
          thresholdPercent: this.#d.highUtilizationPercent,
          unit: family === 'ip' ? 'address' : 'prefix',
          generation: pool.metadata.generation,
        }),
      );
      return undefined;
    }

    let current = pool;
    if (!finalizers.includes(FINALIZER_PROTECT_POOL)) {
      current = await client.addFinalizer({ namespace: ns, name: id.name }, FINALIZER_PROTECT_POOL, pool);
    }
    const counts = this.#d.registry.counts(key);
    const duplicates =
      counts !== undefined && mayHaveDuplicates(counts, family) ? this.#duplicates(id, family) : [];
    const updates = poolConditions({
      specError,
      deleting: false,
      references: 0,
      counts,
      invalidAddresses: counts?.invalid ?? [],
      duplicates,
      thresholdPercent: this.#d.highUtilizationPercent,
      unit: family === 'ip' ? 'address' : 'prefix',
      generation: pool.metadata.generation,
    });
    // IP pools also count addresses held by IPAddressReservations (docs/adr/0030-reservations.md)
    // and those quarantined by the reuse grace period (docs/adr/0028).
    const status: (StatusCounts & { quarantined?: bigint; reserved?: bigint }) | undefined =
      counts === undefined
        ? undefined
        : family === 'ip'
          ? this.#withQuarantined(id, current, {
              ...toStatusCounts(counts),
              reserved: capInt64(counts.reservationHeld),
            })
          : toStatusCounts(counts);
    if (status !== undefined) this.#d.metrics.poolUsage(id, status);
    if (status?.quarantined !== undefined) this.#d.metrics.poolQuarantined(id, Number(status.quarantined));
    const forecast = status === undefined ? undefined : this.#forecast(id, current, status);
    const before = current.status?.conditions ?? [];
    const after = await this.#patchStatus(current, status, updates, forecast?.write);
    this.#emitTransitions(current, before, after, counts?.invalid.length ?? 0);
    if (duplicates.length > 0) log.debug('duplicate addresses in pool', { duplicates: duplicates.length });
    const requeueAfter = forecast?.requeueAfter;
    return requeueAfter === undefined ? undefined : { requeueAfter };
  }

  /** The forecast now (for the gauges), whether it is due a status write, and when to look again. */
  #forecast(
    id: PoolId,
    pool: Pool,
    status: StatusCounts,
  ): { write: PoolForecast | undefined; requeueAfter: number | undefined } {
    const halfLifeMs = this.#d.forecastHalfLifeMs ?? DEFAULT_FORECAST_HALF_LIFE_MS;
    const now = this.#now();
    const previous = pool.status?.forecast;
    const next = nextForecast(previous, { used: status.used, free: status.free, now, halfLifeMs });
    this.#d.metrics.poolForecast(id, next);
    const write = forecastDue(previous, next, halfLifeMs) ? next : undefined;
    const stored = write ?? previous ?? next;
    return { write, requeueAfter: forecastRequeueMs(stored, now, halfLifeMs) };
  }

  /** IP pools (the caller's branch): the counts plus quarantined (docs/adr/0028). */
  #withQuarantined<C extends StatusCounts>(id: PoolId, pool: Pool, counts: C): C & { quarantined?: bigint } {
    const claims = this.#d.claims;
    if (claims === undefined) return counts;
    const quarantined = quarantinedCount(
      pool,
      () => referencing(claims, id),
      (namespace, name) => this.#d.addresses.get(namespace, name) !== undefined,
    );
    return { ...counts, quarantined };
  }

  /** Addresses held by more than one IPAddress of the pool, from the cache. O(IPAddresses of the pool). */
  #duplicates(id: PoolId, family: 'ip' | 'prefix'): DuplicateAddress[] {
    return findDuplicates(
      this.referencingAddresses(id).map((wire) => {
        const a = addressFromWire(wire);
        return {
          key: `${wire.metadata.namespace ?? ''}/${wire.metadata.name ?? ''}`,
          address: a.address,
          prefix: a.prefix,
        };
      }),
      family,
    );
  }

  async #patchStatus(
    pool: Pool,
    counts: (StatusCounts & { quarantined?: bigint; reserved?: bigint }) | undefined,
    updates: ReturnType<typeof poolConditions>,
    forecast?: PoolForecast,
  ): Promise<Condition[]> {
    const now = conditionTime(this.#now());
    const existing = pool.status?.conditions ?? [];
    let conditions = existing;
    for (const u of updates) conditions = setCondition(conditions, u, now);
    const countsChanged = counts !== undefined && !sameCounts(pool.status?.ipAddresses, counts);
    if (!countsChanged && forecast === undefined && sameConditions(conditions, existing)) return conditions;
    const status: Record<string, unknown> = { conditions };
    if (counts !== undefined) status.ipAddresses = counts;
    // Merge patch: a forecast without daysToExhaustion must clear the stored one (null deletes it).
    if (forecast !== undefined) status.forecast = { daysToExhaustion: null, ...forecast };
    try {
      await this.#d.poolClients[pool.kind].mergePatchStatus(
        { namespace: pool.metadata.namespace, name: pool.metadata.name ?? '' },
        { status },
        { fieldManager: this.#d.fieldManager },
      );
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
    return conditions;
  }

  #emitTransitions(
    pool: Pool,
    before: readonly Condition[],
    after: readonly Condition[],
    invalid: number,
  ): void {
    const involved = { apiVersion: pool.apiVersion, kind: pool.kind, metadata: pool.metadata };
    const was = (type: string): Condition | undefined => before.find((c) => c.type === type);
    const now = (type: string): Condition | undefined => after.find((c) => c.type === type);
    const flipped = (type: string, status: 'True' | 'False'): boolean =>
      now(type)?.status === status && was(type)?.status !== status;
    const ready = now(ConditionType.Ready);
    if (
      ready !== undefined &&
      ready.status === 'False' &&
      was(ConditionType.Ready)?.reason !== ready.reason
    ) {
      this.#d.events.warning(involved, ready.reason, ready.message);
    }
    if (flipped(ConditionType.Exhausted, 'True'))
      this.#d.events.warning(
        involved,
        PoolEventReason.PoolExhausted,
        now(ConditionType.Exhausted)?.message ?? '',
      );
    if (flipped(ConditionType.HighUtilization, 'True')) {
      this.#d.events.warning(
        involved,
        PoolEventReason.HighUtilization,
        now(ConditionType.HighUtilization)?.message ?? '',
      );
    }
    if (invalid > 0 && was(ConditionType.Ready)?.message !== ready?.message) {
      this.#d.events.warning(involved, PoolEventReason.InvalidIPAddress, ready?.message ?? '');
    }
    const dup = now(ConditionType.DuplicateAddresses);
    if (dup?.status === 'True' && was(ConditionType.DuplicateAddresses)?.message !== dup.message) {
      this.#d.events.warning(involved, PoolEventReason.DuplicateAddress, dup.message);
    }
  }
}

/** Objects in `cache` whose poolRef names the pool (global pools: from every namespace). */
function referencing<T>(cache: Cache<T>, id: PoolId): T[] {
  const value = poolRefIndexValue({ apiGroup: IPAM_GROUP, kind: id.kind, name: id.name });
  return cache.byIndex(INDEX_POOL_REF, value, id.namespace === '' ? undefined : id.namespace);
}
