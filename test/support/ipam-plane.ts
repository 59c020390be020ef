// A private control plane with the Cluster API CRDs (current line) and ours installed, for benchmarks and
// chaos runs that restart kube-apiserver or push the API server hard (never the shared plane).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { capiCrdsDir } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { Ipam } from './controller.js';
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
