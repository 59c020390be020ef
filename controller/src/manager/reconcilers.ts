// The reconcilers and what they share (the Event recorder, the allocation fence, orphan repair),
// built from the manager's caches and clients. The reconcilers are wired as they are: their
// watches live beside them (reconcilers/*-watches.ts).
import { POOL_KINDS, type Pool, type PoolKind } from '@ipam-in-cluster/api';
import { EventRecorder, type ObjectClient } from '@ipam-in-cluster/kube';
import { ClaimReconciler } from '../reconcilers/claim-reconciler.js';
import { OrphanRepair } from '../reconcilers/orphan-repair.js';
import { poolKey } from '../reconcilers/keys.js';
import { PoolFence } from '../reconcilers/pool-fence.js';
import { PoolReconciler } from '../reconcilers/pool-reconciler.js';
import type { PoolRegistry } from '../reconcilers/pool-registry.js';
import { ServerClock } from '../util/server-clock.js';
import type { Caches } from './caches.js';
import { COMPONENT, FIELD_MANAGER, type Wiring } from './options.js';

export interface ReconcilerOptions extends Wiring {
  caches: Caches;
  registry: PoolRegistry;
}

export function newReconcilers(w: ReconcilerOptions): {
  claims: ClaimReconciler;
  pools: PoolReconciler;
  fence: PoolFence | undefined;
  recorder: EventRecorder;
} {
  const { caches, registry, log, metrics, client } = w;
  const fieldManager = FIELD_MANAGER;
  const { contract } = w.served;
  const events = new EventRecorder({
    transport: w.transport,
    component: COMPONENT,
    instance: w.identity,
    onError: (error, event) => {
      log.debug('event not recorded', { reason: event.reason, error: error.message });
    },
    // Normal events share a budget (100, then 10/s; ADR 0012): a mass scale-up does not add an
    // Event write per claim. Warnings only meet the per-object filter.
    onDropped: (event) => {
      metrics.eventDropped(event.type, event.reason, event.limit);
    },
  });
  const poolClients = Object.fromEntries(
    POOL_KINDS.map((kind) => [kind, client.pools(kind) as ObjectClient<Pool>]),
  ) as Record<PoolKind, ObjectClient<Pool>>;
  const claimClient = client.ipAddressClaims(contract.version);
  const addressClient = client.ipAddresses(contract.version);
  const fence = w.o.allocationFence
    ? new PoolFence({
        pools: caches.pools,
        poolClients,
        log: log.child({ controller: 'allocation-fence' }),
        fieldManager,
        spares: (id, count) => registry.peekFree(poolKey(id), count),
      })
    : undefined;
  const orphans = new OrphanRepair({
    addresses: caches.addresses,
    pools: caches.pools,
    claimClient,
    addressClient,
    events,
    log: log.child({ controller: 'orphan-repair' }),
    released: (kind) => {
      metrics.orphanReleased(kind);
    },
  });
  const claims = new ClaimReconciler({
    contract,
    claims: caches.claims,
    addresses: caches.addresses,
    clusters: caches.clusters,
    pools: caches.pools,
    claimClient,
    addressClient,
    registry,
    orphans,
    events,
    log: log.child({ controller: 'ipaddressclaim' }),
    metrics,
    fieldManager,
    ...(fence === undefined ? {} : { fence }),
    serverClock: new ServerClock(w.o.wallClock === undefined ? {} : { localNow: w.o.wallClock }),
  });
  const pools = new PoolReconciler({
    pools: caches.pools,
    poolClients,
    addresses: caches.addresses,
    claims: caches.claims,
    registry,
    events,
    log: log.child({ controller: 'pool' }),
    metrics,
    fieldManager,
    highUtilizationPercent: w.o.highUtilizationPercent,
    forecastHalfLifeMs: w.o.forecastHalfLifeMs,
  });
  return { claims, pools, fence, recorder: events };
}
