// The manager only wires, as controller-runtime's does: discovery -> caches -> the reconcilers and
// each one's watches (beside it, reconcilers/*-watches.ts) -> caches synced, pool states built ->
// leadership -> workers. main.ts parses flags and calls startManager; tests call it in-process.
//
// Ordering guarantees:
//   - no reconcile runs before every cache has listed once and every pool's allocation state holds
//     every IPAddress of the pool (the election may win meanwhile; the leader's work waits);
//   - when leadership is acquired, a consistent (quorum) list of IPAddresses is folded into the cache
//     before any worker starts, so a new leader never allocates from a view older than the lease
//     (unless the cache was itself listed after the lease was won: leadership.ts, ADR 0035);
//   - stop(): stop intake, drain in-flight reconciles (bounded), release the Lease, stop informers
//     (shutdown.ts).
import { createLogger } from '../log/logger.js';
import { ControllerMetrics } from '../metrics/registry.js';
import { watchClaims } from '../reconcilers/claim-watches.js';
import { PoolRegistry } from '../reconcilers/pool-registry.js';
import { watchPools } from '../reconcilers/pool-watches.js';
import { newCaches } from './caches.js';
import { connect } from './discovery.js';
import { newLeadership } from './leadership.js';
import { COMPONENT, resolveOptions, type Manager, type ManagerOptions } from './options.js';
import { newReconcilers } from './reconcilers.js';
import { newReservations } from './reservations.js';
import { shutDown } from './shutdown.js';
import { collectStartGarbage } from './start-garbage.js';
import { startWorkers } from './workers.js';

export type { Manager, ManagerOptions } from './options.js';
export { COMPONENT, FIELD_MANAGER } from './options.js';

export async function startManager(options: ManagerOptions = {}): Promise<Manager> {
  const o = resolveOptions(options);
  const log = options.log ?? createLogger({ name: 'manager' });
  const metrics = options.metrics ?? new ControllerMetrics();
  const wiring = await connect(options, o, log, metrics, COMPONENT);
  const { served, identity } = wiring;

  const caches = newCaches(wiring);
  const registry = new PoolRegistry();
  const reconcilers = newReconcilers({ ...wiring, caches, registry });
  const claimWatches = watchClaims({ ...o, caches, registry, metrics });
  const poolWatches = watchPools({ ...o, caches, registry, metrics, claims: claimWatches });
  const reservations = newReservations({
    ...wiring,
    caches,
    registry,
    claims: claimWatches,
    pools: poolWatches,
    events: reconcilers.recorder,
  });

  // The election runs beside the first lists, as controller-runtime's does: a standby's wait for an
  // expired lease overlaps its start, and a new leader's work waits for the caches (leadership.ts).
  // The lists start once its first try is over (one round trip): a replica that won the Lease in it
  // lists a view newer than its lease and needs no consistent read of its own (ADR 0035).
  let startCaches!: () => void;
  const cachesMayStart = new Promise<void>((resolve) => (startCaches = resolve));
  const synced = cachesMayStart.then(async () => {
    await Promise.all([caches.start(), reservations.watches.start()]);
    poolWatches.registerAll();
    const collected = collectStartGarbage();
    log.info('caches synced', {
      pools: registry.size,
      claims: caches.claims.size,
      ipaddresses: caches.addresses.size,
      ...(collected === undefined ? {} : { gcMs: collected.ms, heapUsedMiB: collected.heapUsedMiB }),
    });
  });

  let leader = false;
  let workers: Promise<void> | undefined;
  let stopping: Promise<void> | undefined;
  let stopReason: Manager['stopReason'];
  let resolveLeading!: () => void;
  const leading = new Promise<void>((resolve) => (resolveLeading = resolve));

  const lead = (): void => {
    if (stopping !== undefined) return;
    leader = true;
    metrics.leaderStatus(o.leaderElectionId, true);
    log.info('leading, starting workers', {
      identity,
      claimWorkers: o.claimWorkers,
      poolWorkers: o.poolWorkers,
    });
    poolWatches.enqueueAll(reconcilers.fence);
    claimWatches.enqueueAll();
    reservations.watches.enqueueAll();
    claimWatches.checkAllOrphans();
    // After a claim or IPAddress relist, every IPAddress is checked for a lost claim (a claim
    // deleted while the watch was down leaves no DELETED event behind).
    caches.onRelist(claimWatches.checkAllOrphans);
    const claims = { name: 'ipaddressclaim', queue: claimWatches.queue, workers: o.claimWorkers };
    const pools = { name: 'pool', queue: poolWatches.queue, workers: o.poolWorkers };
    workers = startWorkers(
      [
        { ...claims, reconcile: (key) => reconcilers.claims.reconcile(key) },
        { ...pools, reconcile: (key) => reconcilers.pools.reconcile(key) },
        reservations.worker,
      ],
      log,
      metrics,
    );
    resolveLeading();
  };

  const leadership = newLeadership({
    ...wiring,
    caches,
    synced,
    stopped: () => stopping !== undefined,
    onLeading: lead,
    onLost: () => void shutdown('leadership-lost'),
  });

  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  const shutdown = (reason: 'stopped' | 'leadership-lost'): Promise<void> => {
    stopping ??= shutDown({
      reason,
      log,
      queues: [claimWatches.queue, poolWatches.queue, reservations.watches.queue],
      timeoutMs: o.shutdownTimeoutMs,
      workers,
      flushFence: async () => reconcilers.fence?.flush(),
      stepDown: () => {
        leader = false;
        metrics.leaderStatus(o.leaderElectionId, false);
      },
      releaseLease: () => leadership.release(),
      flushEvents: () => reconcilers.recorder.flush(),
      stopCaches: async () => {
        await Promise.all([caches.stop(), reservations.watches.stop()]);
      },
    }).then(resolveDone);
    stopReason ??= reason;
    return stopping;
  };

  await leadership.start();
  startCaches();
  await synced.catch(async (error: unknown) => {
    await leadership.release();
    // Informers that did list keep the process alive: a start that failed after them must still exit.
    await Promise.all([caches.stop(), reservations.watches.stop()]);
    throw error;
  });
  return {
    contract: served.contract,
    clusterVersion: served.clusterVersion,
    identity,
    metrics,
    synced: true,
    isLeader: () => leader,
    leadership: () => ({ role: leadership.role(), lastErrorAt: leadership.lastErrorAt() }),
    leading,
    done,
    get stopReason() {
      return stopReason;
    },
    stop: () => shutdown('stopped'),
    queueDepth: () => ({ claims: claimWatches.queue.len, pools: poolWatches.queue.len }),
  };
}
