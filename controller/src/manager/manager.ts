// The manager: discovery -> caches (synced) -> pool states built from the IPAddress cache -> leader
// election -> workers. main.ts only parses flags and calls startManager; tests call it in-process.
//
// Ordering guarantees:
//   - no reconcile runs before every cache has listed once and every pool's allocation state holds
//     every IPAddress of the pool;
//   - when leadership is acquired, a consistent (quorum) list of IPAddresses is folded into the cache
//     before any worker starts, so a new leader never allocates from a view older than the lease;
//   - stop(): stop intake, drain in-flight reconciles (bounded), release the Lease, stop informers.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import {
  ANNOTATION_FENCE_KEY,
  ANNOTATION_PENDING_ALLOCATIONS,
  chooseContract,
  claimFromWire,
  clusterFromWire,
  hasPausedAnnotation,
  IPAM_GROUP,
  LABEL_WATCH_FILTER,
  readPendingAllocations,
  LEADER_ELECTION_ID,
  FINALIZER_RELEASE_ADDRESS,
  POOL_KIND_INFO,
  POOL_KINDS,
  addressFromWire,
  type Address,
  type ClusterWire,
  type Contract,
  type ContractVersion,
  type IPAddressClaimWire,
  type IPAddressWire,
  type ObjectMeta,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import {
  discoverServedResources,
  EventRecorder,
  INDEX_CLUSTER_NAME,
  INDEX_POOL_REF,
  Informer,
  ipAddressByPoolRef,
  ipAddressClaimByClusterName,
  ipAddressClaimByPoolRef,
  KubeClient,
  KubeTransport,
  LeaderElector,
  loadKubeConfig,
  poolRefIndexValue,
  serverStreamsLists,
  type ObjectClient,
} from '@ipam-in-cluster/kube';
import { processFenceKey } from '../allocation/fence-key.js';
import { WorkQueue } from '../queue/work-queue.js';
import { runWorkers, type HandlerResult, type RunOutcome } from '../queue/workers.js';
import { ClaimReconciler } from '../reconcilers/claim-reconciler.js';
import { poolIdFromRef, poolKey, type PoolId } from '../reconcilers/keys.js';
import { OrphanRepair, releasableOrphan } from '../reconcilers/orphan-repair.js';
import { PoolFence } from '../reconcilers/pool-fence.js';
import { PoolReconciler } from '../reconcilers/pool-reconciler.js';
import { PoolRegistry } from '../reconcilers/pool-registry.js';
import type { Cache, EventSink, Logger } from '../reconcilers/types.js';
import { ControllerMetrics } from '../metrics/registry.js';
import { createLogger } from '../log/logger.js';

export const FIELD_MANAGER = 'ipam-in-cluster-controller';
export const COMPONENT = 'ipam-in-cluster-controller';

export interface ManagerOptions {
  kubeconfig?: string | undefined;
  /**
   * Serve one namespace only: the claim, Cluster and namespaced-pool caches hold that namespace;
   * undefined = all namespaces. The IPAddress cache always holds every namespace: a global pool's
   * IPAddresses live in many, and its allocation state, counts and ProtectPool need all of them.
   */
  namespace?: string | undefined;
  /** Only claims and pools labelled cluster.x-k8s.io/watch-filter=<value>. */
  watchFilter?: string | undefined;
  /**
   * Which IPAddresses the cache holds: 'all' (default; safe whatever created them) or 'watch-filter'
   * (only those with the watch-filter label: the ones this controller created or adopted). The
   * narrow scope saves memory and start-up time on clusters with many foreign IPAddresses, but an
   * unlabelled IPAddress pointing at one of our pools would be invisible to allocation.
   */
  ipAddressScope?: 'all' | 'watch-filter';
  leaderElect?: boolean;
  leaderElectionNamespace?: string | undefined;
  leaderElectionId?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Parallel claim reconciles. */
  claimWorkers?: number;
  /**
   * Claims of one pool reconciled at a time (default 4). Allocations stay serialised per pool;
   * 1 gives upstream's strict arrival order for claims created at the same moment.
   */
  poolConcurrency?: number;
  poolWorkers?: number;
  highUtilizationPercent?: number;
  /** Delay that batches pool status updates after IPAddress events. */
  poolStatusDelayMs?: number;
  shutdownTimeoutMs?: number;
  log?: Logger;
  /** Default: a fresh registry (see Manager.metrics). */
  metrics?: ControllerMetrics;
  /** Identity in the Lease (default: hostname + random suffix). */
  identity?: string;
  /**
   * The pool-edit fence (docs/adr/0009): pending allocations written to the pool before each
   * IPAddress create (default true). false = upstream's behaviour (for measurements and tests).
   */
  allocationFence?: boolean;
}

export interface Manager {
  readonly contract: Contract;
  readonly clusterVersion: ContractVersion | undefined;
  readonly identity: string;
  readonly metrics: ControllerMetrics;
  /** Caches synced and pool states built. */
  readonly synced: boolean;
  isLeader(): boolean;
  /** Leader election state for readiness: role, and when the Lease was last unreachable (performance.now()). */
  leadership(): {
    role: 'disabled' | 'starting' | 'leading' | 'standby' | 'lost';
    lastErrorAt: number | undefined;
  };
  /** Resolves when this instance leads and its workers run. */
  readonly leading: Promise<void>;
  /** Resolves when the manager has stopped (stop() called or leadership lost). */
  readonly done: Promise<void>;
  /** Why it stopped, once it did. */
  readonly stopReason: 'stopped' | 'leadership-lost' | undefined;
  stop(): Promise<void>;
  /** Counters for tests and /readyz. */
  queueDepth(): { claims: number; pools: number };
}

/** Metadata without our own fence annotation: a fence write is no reason to reconcile the pool. */
function withoutFence(m: ObjectMeta): ObjectMeta {
  if (m.annotations?.[ANNOTATION_PENDING_ALLOCATIONS] === undefined) return m;
  const { [ANNOTATION_PENDING_ALLOCATIONS]: _fence, ...annotations } = m.annotations;
  return { ...m, annotations };
}

function metaChanged(a: ObjectMeta, b: ObjectMeta): boolean {
  const fa = a.finalizers ?? [];
  const fb = b.finalizers ?? [];
  // Our own finalizer being added is followed by the rest of that same reconcile: no new pass.
  const onlyOursAdded =
    fa.length === fb.length + 1 &&
    fa.includes(FINALIZER_RELEASE_ADDRESS) &&
    !fb.includes(FINALIZER_RELEASE_ADDRESS);
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    (!onlyOursAdded && JSON.stringify(fa) !== JSON.stringify(fb))
  );
}

export async function startManager(options: ManagerOptions = {}): Promise<Manager> {
  const log = options.log ?? createLogger({ name: 'manager' });
  const metrics = options.metrics ?? new ControllerMetrics();
  const loaded = loadKubeConfig(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig });
  // No gzip, like kube-controller-manager: the initial lists are large and the controller runs next
  // to the API server, where compressing them costs both sides more CPU than the bytes save.
  const transport = new KubeTransport(loaded.kubeConfig, { userAgent: COMPONENT, compression: false });
  const client = new KubeClient(transport);

  // Streaming lists (one object per line) when the server knows them: the initial lists and the
  // leader's read do not parse 500-object pages (docs/adr/0014-streaming-lists.md). Asked here, not
  // in discovery: the plugin, which shares discovery, reads in pages.
  const [served, streamingLists] = await Promise.all([
    discoverServedResources(transport),
    serverStreamsLists(transport),
  ]);
  const chosen = chooseContract(served.contractVersions);
  if (!chosen.ok) throw new Error(chosen.error.message);
  const contract = chosen.value;
  if (!served.poolCrdsInstalled) {
    throw new Error(
      `the pool CRDs are not installed (missing: ${served.missingPoolKinds.join(', ')}); apply packages/api/crds`,
    );
  }
  const clusterVersion: ContractVersion | undefined = served.clusterVersions.includes('v1beta2')
    ? 'v1beta2'
    : served.clusterVersions.includes('v1beta1')
      ? 'v1beta1'
      : undefined;
  log.info('contract chosen', {
    ipam: contract.version,
    cluster: clusterVersion ?? 'not served',
    streamingLists,
  });

  const labelSelector =
    options.watchFilter === undefined || options.watchFilter === ''
      ? undefined
      : `${LABEL_WATCH_FILTER}=${options.watchFilter}`;
  const namespace = options.namespace === '' ? undefined : options.namespace;
  // Set once leading: after a claim or IPAddress relist, every IPAddress is checked for a lost claim
  // (a claim deleted while the watch was down leaves no DELETED event behind).
  let afterRelist: (() => void) | undefined;
  const hooks = (what: string) => ({
    onError: (error: { kind: string; message: string }, phase: string) => {
      log.warn('informer error', { resource: what, phase, kind: error.kind, error: error.message });
    },
    onRestart: () => {
      metrics.informerRestart(what);
    },
    onRelist: (reason: string, objects: number, how: { streamed: boolean; durationMs: number }) => {
      metrics.informerEvent(what, 'relist');
      log.info('cache listed', {
        resource: what,
        reason,
        objects,
        streamed: how.streamed,
        seconds: Number((how.durationMs / 1000).toFixed(3)),
      });
      if (what === 'ipaddressclaims' || what === 'ipaddresses') afterRelist?.();
    },
    onStreamingRefused: (why: string) => {
      log.warn('streaming list refused, listing in pages', { resource: what, why });
    },
    onEvent: (type: string) => {
      if (type === 'ADDED') metrics.informerEvent(what, 'add');
      else if (type === 'MODIFIED') metrics.informerEvent(what, 'update');
      else if (type === 'DELETED') metrics.informerEvent(what, 'delete');
    },
  });

  const claims = new Informer<IPAddressClaimWire>({
    transport,
    resource: client.ipAddressClaims(contract.version).resource,
    namespace,
    labelSelector,
    indexers: {
      [INDEX_POOL_REF]: ipAddressClaimByPoolRef,
      [INDEX_CLUSTER_NAME]: ipAddressClaimByClusterName,
    },
    streamingLists,
    hooks: hooks('ipaddressclaims'),
  });
  // By default every IPAddress (no label selector): a pool's allocation state must see all of them.
  // Scope 'watch-filter' narrows it to labelled ones (ours carry the label; see ManagerOptions).
  // Every namespace, even with --namespace: a global pool's IPAddresses may live in any of them.
  const addressSelector = options.ipAddressScope === 'watch-filter' ? labelSelector : undefined;
  const addresses = new Informer<IPAddressWire>({
    transport,
    resource: client.ipAddresses(contract.version).resource,
    labelSelector: addressSelector,
    indexers: { [INDEX_POOL_REF]: ipAddressByPoolRef },
    streamingLists,
    hooks: hooks('ipaddresses'),
  });
  const clusters =
    clusterVersion === undefined
      ? undefined
      : new Informer<ClusterWire>({
          transport,
          resource: client.clusters(clusterVersion).resource,
          namespace,
          streamingLists,
          hooks: hooks('clusters'),
        });
  const poolInformers = Object.fromEntries(
    POOL_KINDS.map((kind) => [
      kind,
      new Informer<Pool>({
        transport,
        resource: client.pools(kind).resource,
        namespace: POOL_KIND_INFO[kind].namespaced ? namespace : undefined,
        labelSelector,
        streamingLists,
        hooks: hooks(POOL_KIND_INFO[kind].plural),
      }),
    ]),
  ) as Record<PoolKind, Informer<Pool>>;
  const poolClients = Object.fromEntries(
    POOL_KINDS.map((kind) => [kind, client.pools(kind) as ObjectClient<Pool>]),
  ) as Record<PoolKind, ObjectClient<Pool>>;

  const identity = options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`;
  const recorder = new EventRecorder({
    transport,
    component: COMPONENT,
    instance: identity,
    onError: (error, event) => {
      log.debug('event not recorded', { reason: event.reason, error: error.message });
    },
    // Normal events share a budget (100, then 10/s; ADR 0012): a mass scale-up does not add an
    // Event write per claim. Warnings only meet the per-object filter.
    onDropped: (event) => {
      metrics.eventDropped(event.type, event.reason, event.limit);
    },
  });
  const events: EventSink = recorder;
  const registry = new PoolRegistry();

  const claimQueue = new WorkQueue({
    name: 'ipaddressclaim',
    // Claims of one pool run this many at a time: allocation itself is serialised (FIFO) by the
    // pool's mutex and reservations, so more only overlaps the API calls around it.
    groupConcurrency: options.poolConcurrency ?? 4,
    metrics: metrics.queueMetrics('ipaddressclaim'),
    groupOf: (key) => {
      const slash = key.indexOf('/');
      const wire = claims.get(key.slice(0, slash), key.slice(slash + 1));
      if (wire === undefined) return undefined;
      const id = poolIdFromRef(claimFromWire(wire).poolRef, wire.metadata.namespace);
      return id === undefined ? undefined : poolKey(id);
    },
  });
  const poolQueue = new WorkQueue({ name: 'pool', metrics: metrics.queueMetrics('pool') });
  // 500 ms: one status write per pool per half second in a burst (50 ms cost ~0.44 pool writes per claim).
  const statusDelay = options.poolStatusDelayMs ?? 500;

  const fence =
    options.allocationFence === false
      ? undefined
      : new PoolFence({
          pools: poolInformers,
          poolClients,
          log: log.child({ controller: 'allocation-fence' }),
          fieldManager: FIELD_MANAGER,
        });
  const claimClient = client.ipAddressClaims(contract.version);
  const addressClient = client.ipAddresses(contract.version);
  const orphans = new OrphanRepair({
    addresses,
    pools: poolInformers,
    claimClient,
    addressClient,
    events,
    log: log.child({ controller: 'orphan-repair' }),
    released: (kind) => {
      metrics.orphanReleased(kind);
    },
  });
  const claimReconciler = new ClaimReconciler({
    contract,
    claims,
    addresses,
    clusters,
    pools: poolInformers,
    claimClient,
    addressClient,
    registry,
    orphans,
    events,
    log: log.child({ controller: 'ipaddressclaim' }),
    metrics,
    fieldManager: FIELD_MANAGER,
    ...(fence === undefined ? {} : { fence }),
  });
  const poolReconciler = new PoolReconciler({
    pools: poolInformers,
    poolClients,
    addresses,
    registry,
    events,
    log: log.child({ controller: 'pool' }),
    metrics,
    fieldManager: FIELD_MANAGER,
    highUtilizationPercent: options.highUtilizationPercent ?? 90,
  });

  // ---- event routing: handlers only update in-memory state and enqueue keys.
  const claimKeyOf = (m: ObjectMeta): string => `${m.namespace ?? ''}/${m.name ?? ''}`;
  const isOurClaim = (c: IPAddressClaimWire): boolean =>
    poolIdFromRef(claimFromWire(c).poolRef, c.metadata.namespace) !== undefined;
  const claimsOfPool = (id: PoolId): IPAddressClaimWire[] =>
    claims.byIndex(
      INDEX_POOL_REF,
      poolRefIndexValue({ apiGroup: IPAM_GROUP, kind: id.kind, name: id.name }),
      id.namespace === '' ? undefined : id.namespace,
    );
  const enqueueClaims = (list: readonly IPAddressClaimWire[]): void => {
    for (const c of list) if (isOurClaim(c)) claimQueue.add(claimKeyOf(c.metadata));
  };
  const wakeWaiting = (key: string): void => {
    for (const c of registry.takeWaiting(key)) claimQueue.add(c);
  };

  claims.onAdd((c) => {
    if (isOurClaim(c)) claimQueue.add(claimKeyOf(c.metadata));
  });
  claims.onUpdate((c, old) => {
    if (isOurClaim(c) && metaChanged(c.metadata, old.metadata)) claimQueue.add(claimKeyOf(c.metadata));
  });

  /** The claim an IPAddress names (spec.claimRef; the IPAddress's own name when that is empty). */
  const claimOf = (address: Address): IPAddressClaimWire | undefined =>
    claims.get(
      address.metadata.namespace,
      address.claimName === '' ? (address.metadata.name ?? '') : address.claimName,
    );
  /**
   * An IPAddress of ours whose claim the cache does not hold: its claim key goes to the claim queue,
   * whose pass for a missing claim asks the API server and releases the IPAddress if the claim is
   * gone (orphan-repair.ts). Only within what this controller watches (namespace, watch filter).
   */
  const checkOrphan = (address: Address): void => {
    if (namespace !== undefined && address.metadata.namespace !== namespace) return;
    if (labelSelector !== undefined && address.metadata.labels?.[LABEL_WATCH_FILTER] !== options.watchFilter)
      return;
    if (claimOf(address) === undefined && releasableOrphan(address))
      claimQueue.add(claimKeyOf(address.metadata));
  };
  claims.onDelete((c) => {
    if (isOurClaim(c)) claimQueue.add(claimKeyOf(c.metadata));
    // Whatever its pool reference says now, an IPAddress of ours named after it may be left.
    const left = addresses.get(c.metadata.namespace, c.metadata.name ?? '');
    if (left !== undefined) checkOrphan(addressFromWire(left));
  });
  const checkAllOrphans = (): void => {
    for (const a of addresses.list()) checkOrphan(addressFromWire(a));
  };
  /** Its pool's status is due (and its claim's adoption checked on update): each read parses once. */
  const onAddress = (address: Address): void => {
    const key = registry.addressObserved(address);
    if (key !== undefined && registry.has(key)) poolQueue.addAfter(key, statusDelay);
    checkOrphan(address);
  };
  addresses.onAdd((a) => {
    onAddress(addressFromWire(a));
  });
  addresses.onUpdate((a) => {
    const address = addressFromWire(a);
    onAddress(address);
    // Lost its controller reference (e.g. the garbage collector stripped a dangling one): the claim
    // adopts it again. Only then, so ordinary IPAddress updates cost no claim reconcile.
    const claim = claimOf(address);
    const controller = a.metadata.ownerReferences?.find((r) => r.controller === true);
    if (claim !== undefined && isOurClaim(claim) && controller?.uid !== claim.metadata.uid)
      claimQueue.add(claimKeyOf(claim.metadata));
  });
  addresses.onDelete((a) => {
    const address = addressFromWire(a);
    const result = registry.addressDeleted(address);
    if (result !== undefined && registry.has(result.key)) {
      poolQueue.addAfter(result.key, statusDelay);
      // A freed address goes to the claims waiting on this pool at once, not after their backoff.
      if (result.freed) wakeWaiting(result.key);
    }
    // The claim lost its IPAddress (e.g. finalizer force-removed): give it a new one.
    const owner = claimOf(address);
    if (owner !== undefined && isOurClaim(owner)) claimQueue.add(claimKeyOf(owner.metadata));
  });

  if (clusters !== undefined) {
    const enqueueForCluster = (c: ClusterWire): void => {
      enqueueClaims(claims.byIndex(INDEX_CLUSTER_NAME, c.metadata.name ?? '', c.metadata.namespace));
    };
    clusters.onAdd(enqueueForCluster);
    clusters.onDelete(enqueueForCluster);
    clusters.onUpdate((c, old) => {
      if (clusterFromWire(c).paused !== clusterFromWire(old).paused) enqueueForCluster(c);
    });
  }

  for (const kind of POOL_KINDS) {
    const informer = poolInformers[kind];
    const idOf = (p: Pool): PoolId => ({
      kind,
      namespace: POOL_KIND_INFO[kind].namespaced ? (p.metadata.namespace ?? '') : '',
      name: p.metadata.name ?? '',
    });
    informer.onAdd((p) => {
      const id = idOf(p);
      registry.upsertPool(id, p);
      poolQueue.add(poolKey(id));
      wakeWaiting(poolKey(id));
      enqueueClaims(claimsOfPool(id));
    });
    informer.onUpdate((p, old) => {
      const id = idOf(p);
      const { specChanged } = registry.upsertPool(id, p);
      // Our own status write, or our own fence write: nothing to reconcile.
      if (!metaChanged(withoutFence(p.metadata), withoutFence(old.metadata)) && !specChanged) return;
      poolQueue.add(poolKey(id));
      const pauseChanged = hasPausedAnnotation(p.metadata) !== hasPausedAnnotation(old.metadata);
      const deletionChanged = p.metadata.deletionTimestamp !== old.metadata.deletionTimestamp;
      if (pauseChanged || deletionChanged) enqueueClaims(claimsOfPool(id));
      else if (specChanged) wakeWaiting(poolKey(id));
    });
    informer.onDelete((p) => {
      const id = idOf(p);
      registry.removePool(poolKey(id));
      metrics.poolRemoved(id);
      enqueueClaims(claimsOfPool(id));
    });
  }

  // ---- start caches and wait until every one has listed.
  const informers: Informer<never>[] = [
    claims,
    addresses,
    ...(clusters === undefined ? [] : [clusters]),
    ...POOL_KINDS.map((k) => poolInformers[k]),
  ] as unknown as Informer<never>[];
  const stopInformers = async (): Promise<void> => {
    await Promise.all(informers.map((i) => i.stop()));
  };
  try {
    await Promise.all(informers.map((i) => i.start()));
  } catch (error) {
    await stopInformers();
    throw error;
  }
  // Pool states were built by the add handlers; make sure every cached pool has one.
  for (const kind of POOL_KINDS) {
    for (const p of poolInformers[kind].list()) {
      const id: PoolId = {
        kind,
        namespace: POOL_KIND_INFO[kind].namespaced ? (p.metadata.namespace ?? '') : '',
        name: p.metadata.name ?? '',
      };
      registry.upsertPool(id, p);
    }
  }
  log.info('caches synced', { pools: registry.size, claims: claims.size, ipaddresses: addresses.size });

  // ---- leadership and workers.
  let stopReason: Manager['stopReason'];
  let role: ReturnType<Manager['leadership']>['role'] =
    options.leaderElect === true ? 'starting' : 'disabled';
  let lastElectionErrorAt: number | undefined;
  let leader = false;
  let workers: Promise<void> | undefined;
  let resolveLeading!: () => void;
  const leading = new Promise<void>((resolve) => {
    resolveLeading = resolve;
  });
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const claimWorkers = options.claimWorkers ?? 8;
  const poolWorkers = options.poolWorkers ?? 4;
  const shutdownTimeout = options.shutdownTimeoutMs ?? 10_000;

  const workerHooks = (controller: string) => ({
    onError: (key: string, error: unknown, retry: boolean) => {
      log.error('reconcile failed', { controller, key, retry, error });
    },
    onResult: (_key: string, outcome: RunOutcome, seconds: number) => {
      metrics.reconcile(controller, outcome, seconds);
    },
  });

  const startWorkers = async (): Promise<void> => {
    if (options.leaderElect === true) {
      // A consistent read, in every namespace as the cache: nothing committed before we became
      // leader (by a previous leader) is missing from the pool states. Only adds (newest wins):
      // dropping holdings the read does not show could forget an object created after its
      // snapshot; deletions arrive by watch. Object by object (a streaming list, else page by
      // page): observe() skips an object the cache already holds at the same resourceVersion
      // (nearly all of them, right after the initial list) before copying it: with 20 000
      // IPAddresses, holding the whole list and copying every item cost ~25 MB and a second of CPU.
      const addressClient = client.ipAddresses(contract.version);
      let streamLeaderRead = streamingLists;
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        try {
          // A refusal: what the stream handed over was real, observing it again is a no-op.
          const { streamed } = await addressClient.snapshot(
            { labelSelector: addressSelector, streaming: streamLeaderRead },
            (item) => {
              addresses.observe(item);
            },
            (why) => {
              log.warn('streaming list refused, listing in pages', {
                resource: 'ipaddresses (leader read)',
                why,
              });
              streamLeaderRead = false;
            },
          );
          log.info('consistent IPAddress read', {
            streamed,
            seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
          });
          break;
        } catch (error) {
          if (stopping !== undefined) return;
          log.warn('consistent IPAddress list failed, retrying', { attempt, error });
          await new Promise((resolve) => setTimeout(resolve, Math.min(5_000, 200 * 2 ** attempt)));
        }
      }
    }
    leader = true;
    metrics.leaderStatus(options.leaderElectionId ?? LEADER_ELECTION_ID, true);
    log.info('leading, starting workers', { identity, claimWorkers, poolWorkers });
    for (const kind of POOL_KINDS) {
      for (const p of poolInformers[kind].list()) {
        const id: PoolId = {
          kind,
          namespace: POOL_KIND_INFO[kind].namespaced ? (p.metadata.namespace ?? '') : '',
          name: p.metadata.name ?? '',
        };
        poolQueue.add(poolKey(id));
        // Pending allocations left by an earlier leader: their creates happened (the webhook's
        // quorum list sees them) or never will.
        if (readPendingAllocations(p.metadata).length > 0) fence?.sweep(id);
      }
    }
    enqueueClaims(claims.list());
    checkAllOrphans();
    afterRelist = checkAllOrphans;
    const claimHandler = async (key: string): Promise<HandlerResult | undefined> =>
      claimReconciler.reconcile(key);
    const poolHandler = async (key: string): Promise<HandlerResult | undefined> =>
      poolReconciler.reconcile(key);
    workers = Promise.all([
      runWorkers(claimQueue, claimWorkers, claimHandler, workerHooks('ipaddressclaim')),
      runWorkers(poolQueue, poolWorkers, poolHandler, workerHooks('pool')),
    ]).then(() => undefined);
    resolveLeading();
  };

  let stopping: Promise<void> | undefined;
  let elector: LeaderElector | undefined;
  const shutdown = (reason: 'stopped' | 'leadership-lost'): Promise<void> => {
    stopping ??= (async () => {
      stopReason = reason;
      log.info('stopping', { reason });
      const drained = await Promise.all([
        claimQueue.drain(shutdownTimeout),
        poolQueue.drain(shutdownTimeout),
      ]);
      if (!drained.every(Boolean)) log.warn('shutdown deadline reached with reconciles in flight');
      await workers;
      await fence?.flush();
      leader = false;
      metrics.leaderStatus(options.leaderElectionId ?? LEADER_ELECTION_ID, false);
      if (elector !== undefined && reason === 'stopped') await elector.release();
      await recorder.flush();
      await stopInformers();
      log.info('stopped');
      resolveDone();
    })();
    return stopping;
  };

  if (options.leaderElect === true) {
    const leaseNamespace = options.leaderElectionNamespace ?? loaded.namespace ?? 'default';
    elector = new LeaderElector({
      transport,
      namespace: leaseNamespace,
      name: options.leaderElectionId ?? LEADER_ELECTION_ID,
      identity,
      // The fence's signing key, for the webhooks of every replica (allocation/fence-key.ts).
      annotations: { [ANNOTATION_FENCE_KEY]: processFenceKey() },
      ...(options.leaseDurationMs === undefined ? {} : { leaseDurationMs: options.leaseDurationMs }),
      ...(options.renewDeadlineMs === undefined ? {} : { renewDeadlineMs: options.renewDeadlineMs }),
      ...(options.retryPeriodMs === undefined ? {} : { retryPeriodMs: options.retryPeriodMs }),
      onStartedLeading: () => {
        role = 'leading';
        return startWorkers();
      },
      onStoppedLeading: () => {
        if (stopping === undefined) {
          role = 'lost';
          void shutdown('leadership-lost');
        }
      },
      onNewLeader: (holder) => {
        if (holder !== identity && role === 'starting') role = 'standby';
        log.info('leader observed', {
          holder,
          lease: `${leaseNamespace}/${options.leaderElectionId ?? LEADER_ELECTION_ID}`,
        });
      },
      onError: (error) => {
        lastElectionErrorAt = performance.now();
        log.warn('leader election error', { kind: error.kind, error: error.message });
      },
    });
    void elector.run();
  } else {
    await startWorkers();
  }

  return {
    contract,
    clusterVersion,
    identity,
    metrics,
    synced: true,
    isLeader: () => leader,
    leadership: () => ({ role, lastErrorAt: lastElectionErrorAt }),
    leading,
    done,
    get stopReason() {
      return stopReason;
    },
    stop: () => shutdown('stopped'),
    queueDepth: () => ({ claims: claimQueue.len, pools: poolQueue.len }),
  };
}

export type { Cache };
