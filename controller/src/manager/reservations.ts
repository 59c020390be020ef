// The reservation controller's wiring (docs/adr/0030-reservations.md): its watches (own informer,
// queue) and its reconciler, fed the manager's registry, the claim watches (waiting claims are woken
// when a reservation lets go) and the pool watches (the pool's status counts reserved addresses).
import { LABEL_WATCH_FILTER, RESERVATION_POOL_KINDS, type Pool } from '@ipam-in-cluster/api';
import { ReservationResource } from '@ipam-in-cluster/kube';
import type { ClaimWatches } from '../reconcilers/claim-watches.js';
import type { PoolRegistry } from '../reconcilers/pool-registry.js';
import { poolKey } from '../reconcilers/keys.js';
import { poolIdOf, type PoolWatches } from '../reconcilers/pool-watches.js';
import type { EventSink } from '../reconcilers/types.js';
import { ReservationReconciler } from '../reconcilers/reservation-reconciler.js';
import { watchReservations, type ReservationWatches } from '../reconcilers/reservation-watches.js';
import type { HandlerResult } from '../queue/workers.js';
import type { Caches } from './caches.js';
import { FIELD_MANAGER, type Wiring } from './options.js';

export interface Reservations {
  readonly watches: ReservationWatches;
  /** The leader's workers for the reservation queue (one: status writes are rare). */
  readonly worker: {
    name: string;
    queue: ReservationWatches['queue'];
    workers: number;
    reconcile: (key: string) => Promise<HandlerResult | undefined>;
  };
}

export function newReservations(
  w: Wiring & {
    caches: Caches;
    registry: PoolRegistry;
    claims: ClaimWatches;
    pools: PoolWatches;
    events: EventSink;
  },
): Reservations {
  const log = w.log.child({ controller: 'ipaddressreservation' });
  const watches = watchReservations({
    transport: w.transport,
    resource: ReservationResource,
    namespace: w.o.namespace,
    labelSelector: w.o.watchFilter === undefined ? undefined : `${LABEL_WATCH_FILTER}=${w.o.watchFilter}`,
    registry: w.registry,
    claims: w.claims,
    poolStatusDue: (key) => {
      w.pools.statusDue(key);
    },
    metrics: w.metrics,
    log,
  });
  // A pool that appears, changes its spec or goes changes what its reservations hold.
  for (const kind of RESERVATION_POOL_KINDS) {
    const informer = w.caches.pools[kind];
    const due = (p: Pool): void => {
      watches.enqueuePool(poolKey(poolIdOf(kind, p)));
    };
    informer.onAdd(due);
    informer.onUpdate((p, old) => {
      if (JSON.stringify(p.spec) !== JSON.stringify(old.spec)) due(p);
    });
    informer.onDelete(due);
  }
  const reconciler = new ReservationReconciler({
    reservations: watches.informer,
    client: w.client.reservations(),
    registry: w.registry,
    poolChanged: (key) => {
      watches.poolChanged(key);
    },
    events: w.events,
    log,
    fieldManager: FIELD_MANAGER,
  });
  return {
    watches,
    worker: {
      name: 'ipaddressreservation',
      queue: watches.queue,
      workers: 1,
      reconcile: (key) => reconciler.reconcile(key),
    },
  };
}
