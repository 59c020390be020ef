// The pool controller's watches (controller-runtime's SetupWithManager): its work queue; the pool
// registry kept current from pool and IPAddress events (allocation state and counts); which
// events put which pool keys on the queue (pool changes at once, IPAddress changes debounced into
// one status write); and which pool events concern claims (through the claim watches' mapping).
import {
  addressFromWire,
  claimFromWire,
  hasPausedAnnotation,
  POOL_KIND_INFO,
  POOL_KINDS,
  readPendingAllocations,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { WorkQueue, type QueueMetrics } from '../queue/work-queue.js';
import type { PoolToClaims, WatchedCaches } from './claim-watches.js';
import { poolIdFromRef, poolKey, type PoolId } from './keys.js';
import type { PoolFence } from './pool-fence.js';
import type { PoolRegistry } from './pool-registry.js';
import type { ReconcilerMetrics } from './types.js';
import { metaChanged, withoutFence } from './predicates.js';
import { StatusSchedule } from './status-schedule.js';

/** The identity of a cached pool of `kind` (the one place a PoolId is built from a pool object). */
export function poolIdOf(kind: PoolKind, pool: Pool): PoolId {
  return {
    kind,
    namespace: POOL_KIND_INFO[kind].namespaced ? (pool.metadata.namespace ?? '') : '',
    name: pool.metadata.name ?? '',
  };
}

export interface PoolWatchOptions {
  caches: WatchedCaches;
  registry: PoolRegistry;
  metrics: Pick<ReconcilerMetrics, 'poolRemoved'> & { queueMetrics(name: string): QueueMetrics };
  claims: PoolToClaims;
  /** Delay that batches a pool's status write after IPAddress events. */
  poolStatusDelayMs: number;
  /** Shortest time between two status writes of one pool while its IPAddresses keep changing. */
  poolStatusIntervalMs: number;
}

export interface PoolWatches {
  readonly queue: WorkQueue;
  /** Every cached pool into the registry (after the first list; the add handlers did most). */
  registerAll(): void;
  /** Every pool to the queue (a new leader's first pass); pending allocations left by an earlier leader swept. */
  enqueueAll(fence: PoolFence | undefined): void;
  /** The pool's status is out of date (its IPAddresses or reservations changed): schedule a write. */
  statusDue(key: string): void;
}

function eachPool(pools: WatchedCaches['pools'], fn: (id: PoolId, pool: Pool) => void): void {
  for (const kind of POOL_KINDS) for (const p of pools[kind].list()) fn(poolIdOf(kind, p), p);
}

export function watchPools(o: PoolWatchOptions): PoolWatches {
  const { registry, claims } = o;
  const { addresses, pools } = o.caches;
  const queue = new WorkQueue({ name: 'pool', metrics: o.metrics.queueMetrics('pool') });
  const statusSchedule = new StatusSchedule({
    delayMs: o.poolStatusDelayMs,
    intervalMs: o.poolStatusIntervalMs,
    schedule: (key, ms) => {
      queue.addAfter(key, ms);
    },
  });
  const statusDue = (key: string): void => {
    if (registry.has(key)) statusSchedule.due(key);
  };

  for (const kind of POOL_KINDS) {
    const informer = pools[kind];
    informer.onAdd((p) => {
      const id = poolIdOf(kind, p);
      const key = poolKey(id);
      registry.upsertPool(id, p);
      queue.add(key);
      claims.wakeWaiting(key);
      claims.enqueueClaimsOf(id);
    });
    informer.onUpdate((p, old) => {
      const id = poolIdOf(kind, p);
      const key = poolKey(id);
      const { specChanged } = registry.upsertPool(id, p);
      // Our own status write, or our own fence write: nothing to reconcile.
      if (!metaChanged(withoutFence(p.metadata), withoutFence(old.metadata)) && !specChanged) return;
      queue.add(key);
      const pauseChanged = hasPausedAnnotation(p.metadata) !== hasPausedAnnotation(old.metadata);
      const deletionChanged = p.metadata.deletionTimestamp !== old.metadata.deletionTimestamp;
      if (pauseChanged || deletionChanged) claims.enqueueClaimsOf(id);
      else if (specChanged) claims.wakeWaiting(key);
    });
    informer.onDelete((p) => {
      const id = poolIdOf(kind, p);
      registry.removePool(poolKey(id));
      statusSchedule.forget(poolKey(id));
      o.metrics.poolRemoved(id);
      claims.enqueueClaimsOf(id);
    });
  }

  // The pool's status is due after any change of its IPAddresses.
  const observed = (key: string | undefined): void => {
    if (key !== undefined) statusDue(key);
  };
  addresses.onAdd((a) => {
    observed(registry.addressObserved(addressFromWire(a)));
  });
  addresses.onUpdate((a) => {
    observed(registry.addressObserved(addressFromWire(a)));
  });
  addresses.onDelete((a) => {
    const result = registry.addressDeleted(addressFromWire(a));
    if (result === undefined || !registry.has(result.key)) return;
    statusDue(result.key);
    // A freed address goes to the claims waiting on this pool at once, not after their backoff.
    if (result.freed) claims.wakeWaiting(result.key);
  });

  // A claim's deletion starts its address's quarantine (status.ipAddresses.quarantined, IP pools):
  // the IPAddress itself does not change, so the claim's update is what makes the count due.
  o.caches.claims.onUpdate((c, old) => {
    if (c.metadata.deletionTimestamp === old.metadata.deletionTimestamp) return;
    const id = poolIdFromRef(claimFromWire(c).poolRef, c.metadata.namespace ?? '');
    if (id !== undefined && POOL_KIND_INFO[id.kind].family === 'ip') observed(poolKey(id));
  });

  return {
    queue,
    registerAll: () => {
      eachPool(pools, (id, p) => registry.upsertPool(id, p));
    },
    enqueueAll: (fence) => {
      eachPool(pools, (id, p) => {
        queue.add(poolKey(id));
        // Pending allocations left by an earlier leader: their creates happened (the webhook's
        // quorum list sees them) or never will.
        if (readPendingAllocations(p.metadata).length > 0) fence?.sweep(id);
      });
    },
    statusDue,
  };
}
