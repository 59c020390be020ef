// Upstream §15.1 "IPAddressClaimReconciler — When a new IPAddressClaim is created", against the real
// API server with the controller running in-process (own watch-filter value).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  FINALIZER_PROTECT_ADDRESS,
  FINALIZER_RELEASE_ADDRESS,
  LABEL_CLUSTER_NAME,
  LABEL_WATCH_FILTER,
} from '@ipam-in-cluster/api';
import { applyCrds, capiCrds, createTestNamespace, ourCrds, type TestNamespace } from '../support/cluster.js';
import { Ipam, startTestController, uniqueWatchFilter, type TestController } from '../support/controller.js';
import { staysFalse } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('claims');
let ctl: TestController;
let ipam: Ipam;
const namespaces: TestNamespace[] = [];
const globalPools: string[] = [];

async function namespace(prefix: string): Promise<string> {
  const ns = await createTestNamespace(prefix);
  namespaces.push(ns);
  return ns.name;
}

export function globalName(base: string): string {
  const name = `${base}-${watchFilter}`;
  globalPools.push(name);
  return name;
}

describe('controller: claims', () => {
  before(async () => {
    await applyCrds([...capiCrds('v1.14.0'), ...ourCrds()]);
    ipam = await Ipam.connect(watchFilter);
    ctl = await startTestController({ watchFilter });
  });

  after(async () => {
    await ctl.stop();
    for (const name of globalPools) {
      await ipam.stripFinalizers(ipam.pools('GlobalInClusterIPPool'), { name });
      await ipam
        .pools('GlobalInClusterIPPool')
        .delete({ name })
        .catch(() => undefined);
    }
    for (const ns of namespaces) {
      for (const a of await ipam.listAddresses(ns.name))
        await ipam.stripFinalizers(ipam.addresses, { namespace: ns.name, name: a.metadata.name ?? '' });
      for (const c of (await ipam.claims.list({ namespace: ns.name })).items)
        await ipam.stripFinalizers(ipam.claims, { namespace: ns.name, name: c.metadata.name ?? '' });
      for (const p of (await ipam.pools('InClusterIPPool').list({ namespace: ns.name })).items) {
        await ipam.stripFinalizers(ipam.pools('InClusterIPPool'), {
          namespace: ns.name,
          name: p.metadata.name ?? '',
        });
      }
      await ns.cleanup();
    }
  });

  it('ignores a claim for an unknown pool kind: no IPAddress, no finalizer', async () => {
    const ns = await namespace('unknown-kind');
    await ipam.createClaim('c', ns, { kind: 'UnknownIPPool', name: 'p' });
    await staysFalse(async () => (await ipam.findAddress(ns, 'c')) !== undefined, 2_000, 'an IPAddress');
    const claim = await ipam.claims.get({ namespace: ns, name: 'c' });
    assert.deepEqual(claim.metadata.finalizers ?? [], []);
  });

  it('allocates from a namespaced pool: the IPAddress exactly as upstream', async () => {
    const ns = await namespace('namespaced');
    await ipam.createCluster('test-cluster', ns);
    const pool = await ipam.createPool('InClusterIPPool', 'test-pool', ns, {
      addresses: ['10.0.0.1-10.0.0.254'],
      prefix: 24,
      gateway: '10.0.0.2',
    });
    const claim = await ipam.createClaim(
      'test',
      ns,
      { kind: 'InClusterIPPool', name: 'test-pool' },
      { clusterLabel: 'test-cluster' },
    );
    const address = await ipam.waitForAddress(ns, 'test');
    assert.deepEqual(address.spec, {
      claimRef: { name: 'test' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'test-pool' },
      address: '10.0.0.1',
      prefix: 24,
      gateway: '10.0.0.2',
    });
    assert.deepEqual(address.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    assert.deepEqual(address.metadata.ownerReferences, [
      {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
        kind: 'IPAddressClaim',
        name: 'test',
        uid: claim.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
      {
        apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
        kind: 'InClusterIPPool',
        name: 'test-pool',
        uid: pool.metadata.uid,
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal((address.metadata.labels ?? {})[LABEL_CLUSTER_NAME], 'test-cluster');
    assert.equal((address.metadata.labels ?? {})[LABEL_WATCH_FILTER], watchFilter);
    assert.equal(await ipam.waitForAddressRef(ns, 'test'), 'test');
    const ready = await ipam.claims.get({ namespace: ns, name: 'test' });
    assert.ok((ready.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS));
    const cond = await ipam.claimCondition(ns, 'test', 'Ready');
    assert.deepEqual([cond?.status, cond?.reason], ['True', 'Allocated']);
  });
});
