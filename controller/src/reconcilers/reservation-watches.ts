// The reservation controller's watches (docs/adr/0030-reservations.md): its own informer over
// IPAddressReservations (every namespace, or the one served; with the watch filter's label when one
// is set, like claims and pools), started with the manager's caches;
// each event applies the reservation to the PoolRegistry at once (on every replica) and puts its key
// on the queue for the leader's status write and expiry. Optional: when the CRD is not installed the
// controller runs without reservations (and says so once).
import {
  OWN_GROUP,
  reservationHolder,
  reservationPool,
  RESERVATION_PLURAL,
  RESERVATION_VERSION,
  type IPAddressReservation,
} from '@ipam-in-cluster/api';
import { Informer, servedPlurals, type KubeTransport, type ResourceDescriptor } from '@ipam-in-cluster/kube';
import { WorkQueue, type QueueMetrics } from '../queue/work-queue.js';
import type { PoolToClaims } from './claim-watches.js';
import { poolKey } from './keys.js';
import type { PoolRegistry } from './pool-registry.js';
import { applyReservation } from './reservation-reconciler.js';
import type { Logger } from './types.js';

export interface ReservationWatchOptions {
  transport: KubeTransport;
  resource: ResourceDescriptor;
  namespace: string | undefined;
  /** The watch filter's selector, as for claims and pools (`kubectl ipam reserve` copies the pool's label). */
  labelSelector: string | undefined;
  registry: PoolRegistry;
  claims: PoolToClaims;
  /** Schedules the pool's status write (the pool watches' queue, debounced). */
  poolStatusDue: (poolKey: string) => void;
  metrics: { queueMetrics(name: string): QueueMetrics };
  log: Logger;
  now?: () => number;
}

export interface ReservationWatches {
  readonly queue: WorkQueue;
  readonly informer: Informer<IPAddressReservation>;
  /** The holdings of a pool changed: status due, waiting claims woken. */
  poolChanged(poolKey: string): void;
  /** Every cached reservation to the queue (a new leader's first pass). */
  enqueueAll(): void;
  /** A pool appeared, changed its spec or went: its reservations' status is due. */
  enqueuePool(poolKey: string): void;
  /** Starts the informer when the CRD is served; resolves after its first list. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

const keyOf = (r: IPAddressReservation): string => `${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`;

export function watchReservations(o: ReservationWatchOptions): ReservationWatches {
  const { registry } = o;
  const now = o.now ?? Date.now;
  const queue = new WorkQueue({
    name: 'ipaddressreservation',
    metrics: o.metrics.queueMetrics('ipaddressreservation'),
  });
  const informer = new Informer<IPAddressReservation>({
    transport: o.transport,
    resource: o.resource,
    namespace: o.namespace,
    labelSelector: o.labelSelector,
    hooks: {
      onError: (error: { kind: string; message: string }, phase: string) => {
        o.log.warn('informer error', {
          resource: RESERVATION_PLURAL,
          phase,
          kind: error.kind,
          error: error.message,
        });
      },
    },
  });
  let started = false;
  const poolChanged = (key: string): void => {
    o.poolStatusDue(key);
    o.claims.wakeWaiting(key);
  };
  const applied = (r: IPAddressReservation): void => {
    const view = applyReservation(registry, r, now());
    if (view.poolKey !== undefined) poolChanged(view.poolKey);
    queue.add(keyOf(r));
  };
  informer.onAdd(applied);
  informer.onUpdate((r, old) => {
    if (JSON.stringify(r.spec) === JSON.stringify(old.spec)) return;
    applied(r);
  });
  informer.onDelete((r) => {
    const pool = registry.releaseReservation(
      reservationHolder(r.metadata.namespace ?? '', r.metadata.name ?? ''),
    );
    if (pool !== undefined) poolChanged(pool);
    queue.add(keyOf(r));
  });

  return {
    queue,
    informer,
    poolChanged,
    enqueueAll: () => {
      for (const r of informer.list()) queue.add(keyOf(r));
    },
    enqueuePool: (key) => {
      for (const r of informer.list()) {
        const id = reservationPool(r);
        if (id !== undefined && poolKey(id) === key) queue.add(keyOf(r));
      }
    },
    start: async () => {
      const served = await servedPlurals(o.transport, OWN_GROUP);
      if (served.get(RESERVATION_VERSION)?.has(RESERVATION_PLURAL) !== true) {
        o.log.warn('IPAddressReservation CRD not installed; running without reservations', {
          crd: `${RESERVATION_PLURAL}.${OWN_GROUP}`,
        });
        return;
      }
      await informer.start();
      started = true;
    },
    stop: async () => {
      if (started) await informer.stop();
    },
  };
}
