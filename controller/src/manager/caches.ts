// The manager's caches (controller-runtime's cache.Cache): one informer per watched kind, started
// together, and the informer hooks that feed logs and metrics. Which objects each cache holds is
// decided here (namespace, watch filter, IPAddress scope); what happens on an event is decided by
// the reconcilers' watch files.
import {
  LABEL_WATCH_FILTER,
  POOL_KIND_INFO,
  POOL_KINDS,
  type ClusterWire,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import {
  INDEX_CLUSTER_NAME,
  INDEX_POOL_REF,
  Informer,
  ipAddressByPoolRef,
  ipAddressClaimByClusterName,
  ipAddressClaimByPoolRef,
  releaseSharedValueTables,
} from '@ipam-in-cluster/kube';
import type { WatchedCaches } from '../reconcilers/claim-watches.js';
import type { Wiring } from './options.js';

export interface Caches extends WatchedCaches {
  /** The IPAddress cache's label selector (the new leader's consistent read uses the same). */
  readonly addressSelector: string | undefined;
  /** Called after the claim or IPAddress cache listed again (a watch that could not resume). */
  onRelist(handler: () => void): void;
  /** Starts every informer; resolves when each has listed once (stops them all on failure). */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Claims, Clusters and namespaced pools of the namespace served (all when none); claims and pools
 * with the watch filter's label (when set); IPAddresses as `ipAddressScope` says.
 */
/**
 * The informers' retry after a failed list or watch: 1 s doubling up to 4 s (client-go's reflector
 * goes to 30 s). A replica that starts while kube-apiserver is down or still initialising its
 * storage fails its lists several times; at 30 s its claim list had backed off to 16 s and synced
 * 20 s after the server was back, all of it time a new leader waited (ADR 0022). A server that
 * wants fewer requests says so with Retry-After, which the informer honours over this.
 */
const CACHE_RETRY_BACKOFF = { initialMs: 1_000, maxMs: 4_000 } as const;

export function newCaches({ o, log, metrics, transport, client, served }: Wiring): Caches {
  const { namespace } = o;
  const { streamingLists } = served;
  const backoff = CACHE_RETRY_BACKOFF;
  const labelSelector = o.watchFilter === undefined ? undefined : `${LABEL_WATCH_FILTER}=${o.watchFilter}`;
  let relisted: (() => void) | undefined;
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
      if (what === 'ipaddressclaims' || what === 'ipaddresses') relisted?.();
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
    resource: client.ipAddressClaims(served.contract.version).resource,
    namespace,
    labelSelector,
    indexers: {
      [INDEX_POOL_REF]: ipAddressClaimByPoolRef,
      [INDEX_CLUSTER_NAME]: ipAddressClaimByClusterName,
    },
    streamingLists,
    backoff,
    hooks: hooks('ipaddressclaims'),
  });
  // Every namespace, even with a namespace set: a global pool's IPAddresses may live in any of
  // them, and its allocation state must see all of them. Scope 'watch-filter' narrows it to
  // labelled ones (ours carry the label; see ManagerOptions.ipAddressScope).
  const addressSelector = o.ipAddressScope === 'watch-filter' ? labelSelector : undefined;
  const addresses = new Informer<IPAddressWire>({
    transport,
    resource: client.ipAddresses(served.contract.version).resource,
    labelSelector: addressSelector,
    indexers: { [INDEX_POOL_REF]: ipAddressByPoolRef },
    streamingLists,
    backoff,
    hooks: hooks('ipaddresses'),
  });
  const clusters =
    served.clusterVersion === undefined
      ? undefined
      : new Informer<ClusterWire>({
          transport,
          resource: client.clusters(served.clusterVersion).resource,
          namespace,
          streamingLists,
          backoff,
          hooks: hooks('clusters'),
        });
  const pools = Object.fromEntries(
    POOL_KINDS.map((kind) => [
      kind,
      new Informer<Pool>({
        transport,
        resource: client.pools(kind).resource,
        namespace: POOL_KIND_INFO[kind].namespaced ? namespace : undefined,
        labelSelector,
        streamingLists,
        backoff,
        hooks: hooks(POOL_KIND_INFO[kind].plural),
      }),
    ]),
  ) as Record<PoolKind, Informer<Pool>>;

  const all = [
    claims,
    addresses,
    ...(clusters === undefined ? [] : [clusters]),
    ...POOL_KINDS.map((k) => pools[k]),
  ] as unknown as Informer<never>[];
  const stop = async (): Promise<void> => {
    await Promise.all(all.map((i) => i.stop()));
  };
  return {
    claims,
    addresses,
    clusters,
    pools,
    addressSelector,
    onRelist: (handler) => {
      relisted = handler;
    },
    start: async () => {
      try {
        await Promise.all(all.map((i) => i.start()));
        // Listed: the value tables' work at start is done (see releaseSharedValueTables).
        releaseSharedValueTables();
      } catch (error) {
        await stop();
        throw error;
      }
    },
    stop,
  };
}
