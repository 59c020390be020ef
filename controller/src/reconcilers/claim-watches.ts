// The claim controller's watches (controller-runtime's SetupWithManager): its work queue, and which
// events put which claim keys on it: the claim's own changes, its IPAddress (lost, deleted, lost
// its controller reference), its Cluster (pause, creation, deletion), its pool (through the
// mapping the pool watches call), and IPAddresses whose claim is gone (orphan routing: the claim
// pass for a missing claim asks the API server and releases them, orphan-repair.ts). Handlers only
// read caches and enqueue keys.
import {
  addressFromWire,
  claimFromWire,
  clusterFromWire,
  IPAM_GROUP,
  LABEL_WATCH_FILTER,
  type Address,
  type ClusterWire,
  type IPAddressClaimWire,
  type IPAddressWire,
  type ObjectMeta,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { INDEX_CLUSTER_NAME, INDEX_POOL_REF, poolRefIndexValue, type Informer } from '@ipam-in-cluster/kube';
import { WorkQueue, type QueueMetrics } from '../queue/work-queue.js';
import { poolIdFromRef, poolKey, splitObjectKey, type PoolId } from './keys.js';
import { releasableOrphan } from './orphan-repair.js';
import type { PoolRegistry } from './pool-registry.js';
import { metaChanged } from './predicates.js';

/** The informers the controllers watch (the manager's caches). */
export interface WatchedCaches {
  readonly claims: Informer<IPAddressClaimWire>;
  readonly addresses: Informer<IPAddressWire>;
  /** Undefined when Cluster API's Cluster kind is not served. */
  readonly clusters: Informer<ClusterWire> | undefined;
  readonly pools: Readonly<Record<PoolKind, Informer<Pool>>>;
}

export interface ClaimWatchOptions {
  caches: WatchedCaches;
  registry: PoolRegistry;
  metrics: { queueMetrics(name: string): QueueMetrics };
  /** Claims of one pool reconciled at a time (the queue's group limit). */
  poolConcurrency: number;
  /** What the caches were narrowed to: orphans are only looked for inside it. */
  namespace: string | undefined;
  watchFilter: string | undefined;
}

/** How pool events reach claims (handler.EnqueueRequestsFromMapFunc, called by the pool watches). */
export interface PoolToClaims {
  /** Every claim of the pool (paused, resumed, deleted, created). */
  enqueueClaimsOf(id: PoolId): void;
  /** The claims waiting for a free address in the pool (one was freed or the pool grew). */
  wakeWaiting(poolKey: string): void;
}

export interface ClaimWatches extends PoolToClaims {
  readonly queue: WorkQueue;
  /** Every claim of ours (a new leader's first pass). */
  enqueueAll(): void;
  /** Every cached IPAddress whose claim the cache does not hold (after a relist, on leading). */
  readonly checkAllOrphans: () => void;
}

const claimKeyOf = (m: ObjectMeta): string => `${m.namespace ?? ''}/${m.name ?? ''}`;

export function watchClaims(o: ClaimWatchOptions): ClaimWatches {
  const { claims, addresses, clusters } = o.caches;
  const { registry } = o;
  const queue = new WorkQueue({
    name: 'ipaddressclaim',
    // Allocation itself is serialised (FIFO) by the pool's mutex and reservations: more claims of
    // one pool at a time only overlap the API calls around it.
    groupConcurrency: o.poolConcurrency,
    metrics: o.metrics.queueMetrics('ipaddressclaim'),
    groupOf: (key) => {
      const { namespace, name } = splitObjectKey(key);
      const wire = claims.get(namespace, name);
      if (wire === undefined) return undefined;
      const id = poolIdFromRef(claimFromWire(wire).poolRef, wire.metadata.namespace);
      return id === undefined ? undefined : poolKey(id);
    },
  });

  const isOurClaim = (c: IPAddressClaimWire): boolean =>
    poolIdFromRef(claimFromWire(c).poolRef, c.metadata.namespace) !== undefined;
  const enqueue = (c: IPAddressClaimWire): void => {
    if (isOurClaim(c)) queue.add(claimKeyOf(c.metadata));
  };
  const enqueueAllOf = (list: readonly IPAddressClaimWire[]): void => {
    for (const c of list) enqueue(c);
  };
  /** The claim an IPAddress names (spec.claimRef; the IPAddress's own name when that is empty). */
  const claimOf = (address: Address): IPAddressClaimWire | undefined =>
    claims.get(
      address.metadata.namespace,
      address.claimName === '' ? (address.metadata.name ?? '') : address.claimName,
    );
  /** An IPAddress of ours whose claim the cache does not hold: its claim key goes to the queue. */
  const checkOrphan = (address: Address): void => {
    if (o.namespace !== undefined && address.metadata.namespace !== o.namespace) return;
    if (o.watchFilter !== undefined && address.metadata.labels?.[LABEL_WATCH_FILTER] !== o.watchFilter)
      return;
    if (claimOf(address) === undefined && releasableOrphan(address)) queue.add(claimKeyOf(address.metadata));
  };

  claims.onAdd(enqueue);
  claims.onUpdate((c, old) => {
    if (metaChanged(c.metadata, old.metadata)) enqueue(c);
  });
  claims.onDelete((c) => {
    enqueue(c);
    // Whatever its pool reference says now, an IPAddress of ours named after it may be left.
    const left = addresses.get(c.metadata.namespace, c.metadata.name ?? '');
    if (left !== undefined) checkOrphan(addressFromWire(left));
  });

  addresses.onAdd((a) => {
    checkOrphan(addressFromWire(a));
  });
  addresses.onUpdate((a) => {
    const address = addressFromWire(a);
    checkOrphan(address);
    // Lost its controller reference (e.g. the garbage collector stripped a dangling one): the claim
    // adopts it again. Only then, so ordinary IPAddress updates cost no claim reconcile.
    const claim = claimOf(address);
    const controller = a.metadata.ownerReferences?.find((r) => r.controller === true);
    if (claim !== undefined && controller?.uid !== claim.metadata.uid) enqueue(claim);
  });
  addresses.onDelete((a) => {
    // The claim lost its IPAddress (e.g. finalizer force-removed): give it a new one.
    const owner = claimOf(addressFromWire(a));
    if (owner !== undefined) enqueue(owner);
  });

  if (clusters !== undefined) {
    const enqueueForCluster = (c: ClusterWire): void => {
      enqueueAllOf(claims.byIndex(INDEX_CLUSTER_NAME, c.metadata.name ?? '', c.metadata.namespace));
    };
    clusters.onAdd(enqueueForCluster);
    clusters.onDelete(enqueueForCluster);
    clusters.onUpdate((c, old) => {
      if (clusterFromWire(c).paused !== clusterFromWire(old).paused) enqueueForCluster(c);
    });
  }

  return {
    queue,
    enqueueClaimsOf: (id) => {
      enqueueAllOf(
        claims.byIndex(
          INDEX_POOL_REF,
          poolRefIndexValue({ apiGroup: IPAM_GROUP, kind: id.kind, name: id.name }),
          id.namespace === '' ? undefined : id.namespace,
        ),
      );
    },
    wakeWaiting: (key) => {
      for (const c of registry.takeWaiting(key)) queue.add(c);
    },
    enqueueAll: () => {
      enqueueAllOf(claims.list());
    },
    checkAllOrphans: () => {
      for (const a of addresses.list()) checkOrphan(addressFromWire(a));
    },
  };
}
