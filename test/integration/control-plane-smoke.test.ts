// The control plane behaves like a real cluster: CRDs install, objects round-trip, watches deliver
// events, and namespaces finish deleting (kube-controller-manager is running).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { applyCrds, capiCrds, createTestNamespace, testCluster } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const group = 'ipam.cluster.x-k8s.io';
const version = 'v1beta2';
const plural = 'ipaddressclaims';

describe('local control plane', () => {
  it('serves the pinned Kubernetes version', async () => {
    const { kc } = await testCluster();
    const info = await kc.makeApiClient(k8s.VersionApi).getCode();
    assert.match(info.gitVersion, /^v1\.(3[3-9]|[4-9]\d)\.\d+$/);
  });

  it('stores an IPAddressClaim, delivers a watch event, and deletes the namespace', async () => {
    const { kc } = await testCluster();
    await applyCrds(capiCrds());
    const ns = await createTestNamespace('smoke');
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    const core = kc.makeApiClient(k8s.CoreV1Api);

    const seen: string[] = [];
    const watch = new k8s.Watch(kc);
    const request = await watch.watch(
      `/apis/${group}/${version}/namespaces/${ns.name}/${plural}`,
      {},
      (type: string, obj: k8s.KubernetesObject) => {
        seen.push(`${type} ${obj.metadata?.name ?? ''}`);
      },
      (error: unknown) => {
        if (error) seen.push(`ERROR ${error instanceof Error ? error.message : JSON.stringify(error)}`);
      },
    );
    try {
      await custom.createNamespacedCustomObject({
        group,
        version,
        namespace: ns.name,
        plural,
        body: {
          apiVersion: `${group}/${version}`,
          kind: 'IPAddressClaim',
          metadata: { name: 'claim-1' },
          spec: { poolRef: { apiGroup: group, kind: 'InClusterIPPool', name: 'pool' } },
        },
      });
      const read = (await custom.getNamespacedCustomObject({
        group,
        version,
        namespace: ns.name,
        plural,
        name: 'claim-1',
      })) as {
        spec: { poolRef: { kind: string } };
      };
      assert.equal(read.spec.poolRef.kind, 'InClusterIPPool');
      await waitFor(() => Promise.resolve(seen.includes('ADDED claim-1')), {
        what: `the watch ADDED event (seen: ${seen.join(', ')})`,
      });
    } finally {
      request.abort();
    }

    await ns.cleanup();
    await waitFor(
      async () => {
        try {
          await core.readNamespace({ name: ns.name });
          return false;
        } catch (error) {
          return error instanceof k8s.ApiException && error.code === 404;
        }
      },
      { what: `namespace ${ns.name} to be deleted`, timeoutMs: 60_000 },
    );
  });
});
