// A private control plane with the Cluster API v1.14.0 CRDs and ours installed, for benchmarks and
// chaos runs that restart kube-apiserver or push the API server hard (never the shared plane).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { capiCrdsDir, repoRoot } from '../cluster/paths.js';
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
    kubectl('apply', '--server-side', '-f', join(capiCrdsDir, 'v1.14.0'));
    kubectl('apply', '--server-side', '-f', join(repoRoot, 'packages/api/crds'));
    kubectl('wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    // Our IP pool CRDs ask for a conversion webhook (v1alpha1 <-> v1alpha2) that nothing serves on
    // this plane (the manager does not serve webhooks yet). Reads of the storage version need no
    // conversion while the API server runs, but a restarted kube-apiserver fails to rebuild its watch
    // cache of the pools ("conversion webhook ... failed", objects reported as corrupt), so runs that
    // restart it use strategy None.
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
