// The connection to the API server, and what it serves, asked once at start: the IPAM contract version to speak, Cluster
// API's Cluster version (if any), whether our pool CRDs are installed, and whether lists can be
// streamed (one object per line: the initial lists and the leader's read do not parse 500-object
// pages; docs/adr/0014-streaming-lists.md). Streaming is asked here, not in shared discovery: the
// plugin, which shares discovery, reads in pages.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { chooseContract, type ContractVersion } from '@ipam-in-cluster/api';
import {
  Backoff,
  classifyApiError,
  discoverServedResources,
  KubeClient,
  KubeTransport,
  loadKubeConfig,
  serverStreamsLists,
  sleep,
} from '@ipam-in-cluster/kube';
import type { ControllerMetrics } from '../metrics/registry.js';
import type { Logger } from '../reconcilers/types.js';
import type { ManagerOptions, ResolvedOptions, Served, Wiring } from './options.js';

/**
 * Runs `attempt` until the API server answers it. One that is starting or restarting refuses
 * connections or answers 503 ("not all known HTTP paths installed"); a controller that exits on that
 * only crash-loops (a standby started during an API server restart did, in the chaos test), so a
 * retriable error is waited out with backoff. Anything else (Forbidden, a bad kubeconfig) fails at
 * once; so does an aborted start, with the last error.
 */
export async function untilAnswered<T>(
  what: string,
  attempt: () => Promise<T>,
  log: Logger,
  signal?: AbortSignal,
  backoff: Backoff = new Backoff({ initialMs: 250, maxMs: 5_000 }),
): Promise<T> {
  // A function, not a narrowed expression: the signal aborts while we wait.
  const aborted = (): boolean => signal?.aborted === true;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      const classified = classifyApiError(error);
      if (!classified.retriable || aborted()) throw error;
      const delayMs = backoff.next();
      log.warn(`${what}: the API server did not answer; retrying`, {
        error: classified.message,
        attempt: backoff.attempts,
        delayMs,
      });
      await sleep(delayMs, signal);
      if (aborted()) throw error;
    }
  }
}

export async function discover(transport: KubeTransport, log: Logger, signal?: AbortSignal): Promise<Served> {
  const [served, streamingLists] = await untilAnswered(
    'discovery',
    () => Promise.all([discoverServedResources(transport), serverStreamsLists(transport)]),
    log,
    signal,
  );
  const chosen = chooseContract(served.contractVersions);
  if (!chosen.ok) throw new Error(chosen.error.message);
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
    ipam: chosen.value.version,
    cluster: clusterVersion ?? 'not served',
    streamingLists,
  });
  return { contract: chosen.value, clusterVersion, streamingLists };
}

/** Connects as `userAgent` (the kubeconfig, else in-cluster), discovers, and names this process. */
export async function connect(
  options: ManagerOptions,
  o: ResolvedOptions,
  log: Logger,
  metrics: ControllerMetrics,
  userAgent: string,
): Promise<Wiring> {
  const loaded = loadKubeConfig(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig });
  // No gzip, like kube-controller-manager: the initial lists are large and the controller runs next
  // to the API server, where compressing them costs both sides more CPU than the bytes save.
  const transport = new KubeTransport(loaded.kubeConfig, { userAgent, compression: false });
  return {
    o,
    log,
    metrics,
    transport,
    client: new KubeClient(transport),
    served: await discover(transport, log, options.startSignal),
    identity: options.identity ?? `${hostname()}_${randomBytes(4).toString('hex')}`,
    kubeconfigNamespace: loaded.namespace,
  };
}
