// A private control plane with the Cluster API CRDs (current line) and ours installed, for benchmarks and
// chaos runs that restart kube-apiserver or push the API server hard (never the shared plane).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { capiCrdsDir } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { Ipam } from './controller.js';
import { metricValue } from './controller-process.js';
import { startPrivatePlane, type PrivatePlane } from './private-plane.js';
import { waitFor } from './wait.js';

export interface IpamPlane {
  plane: PrivatePlane;
  kubeconfig: string;
  /** Clients without a watch filter (the private plane belongs to one run). */
  ipam: Ipam;
  kubectl(...args: string[]): string;
  stop(): void;
}

export async function startIpamPlane(prefix: string): Promise<IpamPlane> {
  const plane = startPrivatePlane(prefix);
  const kubectl = (...args: string[]): string =>
    execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      maxBuffer: 256 * 1024 * 1024, // /metrics runs to megabytes
    });
  try {
    kubectl('apply', '--server-side', '-f', capiCrdsDir());
    kubectl('apply', '--server-side', '-f', join(repoRoot, 'packages/api/crds'));
    kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    // Our IP pool CRDs serve v1alpha1 next to v1alpha2 (storage) through a conversion webhook that
    // nothing serves on this plane. The API server keeps one storage and watch cache per served
    // version, each decoding into its own version: v1alpha2 reads never need the webhook (checked
    // across a kube-apiserver restart), but every v1alpha1 read fails ("StorageReadError ... corrupt
    // object ... conversion webhook ... failed") and, after a restart, the v1alpha1 watch cache
    // retries its initial list every second, logging that error. Strategy None keeps v1alpha1
    // readable and the restarted API server's log quiet; nothing in these runs depends on the webhook.
    for (const crd of ['inclusterippools', 'globalinclusterippools']) {
      kubectl(
        'patch',
        'crd',
        `${crd}.ipam.cluster.x-k8s.io`,
        '--type=merge',
        '-p',
        '{"spec":{"conversion":{"strategy":"None","webhook":null}}}',
      );
    }
    const ipam = await Ipam.connect(undefined, 'v1beta2', plane.kubeconfig);
    await waitFor(
      async () => {
        await ipam.claims.list({ namespace: 'default', limit: 1 });
        await ipam.addresses.list({ namespace: 'default', limit: 1 });
        await ipam.pools('InClusterIPPool').list({ namespace: 'default', limit: 1 });
        await ipam.pools('GlobalInClusterIPPool').list({ limit: 1 });
        return true;
      },
      { what: 'IPAM resources served on the private plane', timeoutMs: 60_000 },
    );
    return {
      plane,
      kubeconfig: plane.kubeconfig,
      ipam,
      kubectl,
      stop: () => {
        plane.stop();
      },
    };
  } catch (error) {
    plane.stop();
    throw error;
  }
}

/** The IPAM resources kube-controller-manager's garbage collector watches (cluster-wide). */
const GC_WATCHED = ['ipaddressclaims', 'ipaddresses'] as const;

/**
 * Waits until kube-controller-manager's garbage collector watches the IPAM resources: it finds new
 * CRDs at its next discovery resync, about 30 s after they were installed. Until then the API server
 * serves one watcher fewer on every claim and IPAddress write and the garbage collector spends
 * nothing, a plane no real cluster is in; a benchmark's ceiling measured in those first seconds and
 * its burst measured after them would not compare like with like. Returns the milliseconds waited.
 */
export async function waitForGarbageCollectorWatches(env: IpamPlane, timeoutMs = 90_000): Promise<number> {
  const t0 = performance.now();
  await waitFor(
    () => {
      const text = env.kubectl('get', '--raw', '/metrics');
      return Promise.resolve(GC_WATCHED.every((resource) => clusterWatches(text, resource) > 0));
    },
    { what: `the garbage collector's watches on ${GC_WATCHED.join(', ')}`, timeoutMs, intervalMs: 1000 },
  );
  return performance.now() - t0;
}

/** Open cluster-scoped WATCH requests on an IPAM resource, from kube-apiserver's /metrics text. */
function clusterWatches(metrics: string, resource: string): number {
  const labels = [
    'group="ipam.cluster.x-k8s.io"',
    `resource="${resource}"`,
    'scope="cluster"',
    'verb="WATCH"',
  ];
  return metricValue(metrics, 'apiserver_longrunning_requests', labels) ?? 0;
}
