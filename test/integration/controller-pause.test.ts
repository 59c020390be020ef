// Upstream §15.1 pause scenarios (pool annotation, Cluster spec.paused / annotation, claim annotation,
// missing Cluster) plus the §14 fixes: the claim's own pause is checked inside reconcile, an empty
// cluster-name label means "no cluster", a claim terminating under a foreign finalizer is left alone.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_PAUSED, FINALIZER_RELEASE_ADDRESS, LABEL_CLUSTER_NAME } from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';

const plane = useControllerPlane('pause');

const IP = 'InClusterIPPool';
const paused = { [ANNOTATION_PAUSED]: '' };

async function noAddress(ns: string, name: string, ms = 2_000): Promise<void> {
  await staysFalse(
    async () => (await plane.ipam.findAddress(ns, name)) !== undefined,
    ms,
    `an IPAddress for ${ns}/${name}`,
  );
}

async function poolNs(prefix: string): Promise<string> {
  const ns = await plane.fx.namespace(prefix);
  await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24 });
  return ns;
}

async function reconcileErrors(): Promise<number> {
  const text = (await plane.ctl.manager.metrics.render()).body;
  const line = text
    .split('\n')
    .find((l) => l.startsWith('capi_ipam_reconcile_errors_total{controller="ipaddressclaim"}'));
  return line === undefined ? 0 : Number(line.split(' ').pop());
}

describe('controller: pause', () => {
  it('pool paused: a new claim gets nothing (Paused=True PoolPaused); unpausing allocates', async () => {
    const ns = await plane.fx.namespace('pool-paused');
    await plane.ipam.createPool(
      IP,
      'p',
      ns,
      { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24 },
      { annotations: paused },
    );
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await waitFor(async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.reason === 'PoolPaused', {
      what: 'Paused=PoolPaused',
    });
    await noAddress(ns, 'c');
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, '10.0.0.1');
    await waitFor(async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.status === 'False', {
      what: 'Paused=False',
    });
  });

  it('pool paused: a deleted claim stays until the pool is unpaused', async () => {
    const ns = await poolNs('pool-paused-delete');
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'c');
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: paused } });
    await waitFor(
      async () =>
        (await plane.ipam.pools(IP).get({ namespace: ns, name: 'p' })).metadata.annotations !== undefined,
      { what: 'pause' },
    );
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await staysFalse(
      async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined,
      2_000,
      'the claim to go',
    );
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } });
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined, {
      what: 'the claim to go',
      timeoutMs: 10_000,
    });
    assert.equal(await plane.ipam.findAddress(ns, 'c'), undefined);
  });

  for (const [what, opts] of [
    ['the paused annotation', { annotations: paused }],
    ['spec.paused', { paused: true }],
  ] as const) {
    it(`Cluster created later with ${what}: no allocation`, async () => {
      const ns = await poolNs('cluster-later');
      await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterName: 'cl' });
      await plane.ipam.waitForClaimReason(ns, 'c', 'ClusterNotFound');
      await plane.ipam.createCluster('cl', ns, opts);
      await waitFor(
        async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.reason === 'ClusterPaused',
        {
          what: 'ClusterPaused',
        },
      );
      await noAddress(ns, 'c');
    });
  }

  for (const [what, opts] of [
    ['spec.paused', { paused: true }],
    ['annotation and spec.paused', { paused: true, annotations: paused }],
  ] as const) {
    it(`Cluster paused by ${what} and updated superficially: still no allocation`, async () => {
      const ns = await poolNs('cluster-touch');
      await plane.ipam.createCluster('cl', ns, opts);
      await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterName: 'cl' });
      await waitFor(
        async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.reason === 'ClusterPaused',
        {
          what: 'ClusterPaused',
        },
      );
      await plane.ipam.clusters.mergePatch(
        { namespace: ns, name: 'cl' },
        { metadata: { labels: { touched: 'yes' } } },
      );
      await noAddress(ns, 'c');
    });
  }

  it('claim linked by the cluster-name label: unpausing spec.paused allocates', async () => {
    const ns = await poolNs('label-unpause');
    await plane.ipam.createCluster('cl', ns, { paused: true });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterLabel: 'cl' });
    await noAddress(ns, 'c');
    await plane.ipam.clusters.mergePatch({ namespace: ns, name: 'cl' }, { spec: { paused: false } });
    await plane.ipam.waitForAddress(ns, 'c', 5_000);
  });

  it('Cluster with the paused annotation: removing it allocates', async () => {
    const ns = await poolNs('annotation-unpause');
    await plane.ipam.createCluster('cl', ns, { annotations: paused });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterName: 'cl' });
    await noAddress(ns, 'c');
    await plane.ipam.clusters.mergePatch(
      { namespace: ns, name: 'cl' },
      { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } },
    );
    await plane.ipam.waitForAddress(ns, 'c', 5_000);
  });

  it('Cluster cannot be found (claim with clusterName and our finalizer pre-set): no allocation', async () => {
    const ns = await poolNs('cluster-missing');
    await plane.ipam.createClaim(
      'c',
      ns,
      { kind: IP, name: 'p' },
      { clusterName: 'nope', finalizers: [FINALIZER_RELEASE_ADDRESS] },
    );
    await plane.ipam.waitForClaimReason(ns, 'c', 'ClusterNotFound');
    await noAddress(ns, 'c');
  });

  it('claim fulfilled, then its Cluster deleted, then the claim deleted: the claim goes and its address is released', async () => {
    const ns = await poolNs('cluster-deleted');
    await plane.ipam.createCluster('cl', ns);
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterName: 'cl' });
    await plane.ipam.waitForAddress(ns, 'c');
    await plane.ipam.deleteAndWait(plane.ipam.clusters, { namespace: ns, name: 'cl' });
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined, {
      what: 'the claim to go',
    });
    assert.equal(await plane.ipam.findAddress(ns, 'c'), undefined);
  });

  it('cluster-name label naming a Cluster created paused: no allocation', async () => {
    const ns = await poolNs('label-paused');
    await plane.ipam.createCluster('cl', ns, { paused: true });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterLabel: 'cl' });
    await waitFor(
      async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.reason === 'ClusterPaused',
      {
        what: 'ClusterPaused',
      },
    );
    await noAddress(ns, 'c');
  });

  it('cluster-name label naming a Cluster that does not exist: no allocation', async () => {
    const ns = await poolNs('label-missing');
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { clusterLabel: 'nope' });
    await plane.ipam.waitForClaimReason(ns, 'c', 'ClusterNotFound');
    await noAddress(ns, 'c');
  });

  it('claim paused by annotation: no allocation (even when enqueued by a pool event); removing it allocates 10.0.0.1 with full refs', async () => {
    const ns = await poolNs('claim-paused');
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { annotations: paused });
    await waitFor(async () => (await plane.ipam.claimCondition(ns, 'c', 'Paused'))?.reason === 'Paused', {
      what: 'Paused=Paused',
    });
    // Upstream's weak spot: a pool event enqueues the paused claim and allocates. Ours re-checks.
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: { [ANNOTATION_PAUSED]: 'x' } } });
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } });
    await noAddress(ns, 'c');
    await plane.ipam.claims.mergePatch(
      { namespace: ns, name: 'c' },
      { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } },
    );
    const a = await plane.ipam.waitForAddress(ns, 'c');
    assert.equal(a.spec.address, '10.0.0.1');
    assert.deepEqual(
      (a.metadata.ownerReferences ?? []).map((o) => o.kind),
      ['IPAddressClaim', IP],
    );
  });

  it('an empty cluster-name label means no Cluster: allocated, no error loop', async () => {
    const ns = await poolNs('empty-label');
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' }, { labels: { [LABEL_CLUSTER_NAME]: '' } });
    const a = await plane.ipam.waitForAddress(ns, 'c');
    assert.equal(a.metadata.labels?.[LABEL_CLUSTER_NAME], '');
  });

  it('a claim terminating under a foreign finalizer gets no finalizer of ours and causes no error loop', async () => {
    const ns = await poolNs('foreign-terminating');
    await plane.ipam.createClaim(
      'c',
      ns,
      { kind: IP, name: 'p' },
      { annotations: paused, finalizers: ['example.com/hold'] },
    );
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    const before = await reconcileErrors();
    await plane.ipam.claims.mergePatch(
      { namespace: ns, name: 'c' },
      { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } },
    );
    await staysFalse(
      async () =>
        ((await plane.ipam.claims.get({ namespace: ns, name: 'c' })).metadata.finalizers ?? []).includes(
          FINALIZER_RELEASE_ADDRESS,
        ),
      2_000,
      'our finalizer on a terminating claim',
    );
    assert.equal(await plane.ipam.findAddress(ns, 'c'), undefined);
    assert.equal(await reconcileErrors(), before);
    await plane.ipam.stripFinalizers(plane.ipam.claims, { namespace: ns, name: 'c' });
  });
});
