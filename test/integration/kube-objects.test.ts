// packages/kube object clients against the real API server: CRUD, each patch type with its content
// type, optimistic concurrency, finalizers, and error classification from real Status bodies.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FINALIZER_PROTECT_POOL, POOL_API_VERSION, type InClusterIPPool } from '@ipam-in-cluster/api';
import {
  classifyApiError,
  CustomResourceDefinitionResource,
  discoverServedResources,
  KubeClient,
  KubeTransport,
  loadKubeConfig,
  type KubeObject,
} from '@ipam-in-cluster/kube';
import { planeWithNamespaces, testCluster, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

async function kube(): Promise<{ transport: KubeTransport; client: KubeClient }> {
  const { kubeconfigPath } = await testCluster();
  const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
  return { transport, client: new KubeClient(transport) };
}

function pool(namespace: string, name: string, labels: Record<string, string> = {}): InClusterIPPool {
  return {
    apiVersion: POOL_API_VERSION,
    kind: 'InClusterIPPool',
    metadata: { namespace, name, labels },
    spec: { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' },
  };
}

/** Runs `fn`, expects it to fail, returns the classified error. */
async function failure(fn: () => Promise<unknown>): Promise<ReturnType<typeof classifyApiError>> {
  try {
    await fn();
  } catch (error) {
    return classifyApiError(error);
  }
  throw new Error('expected the call to fail');
}

describe('kube object clients', () => {
  let ns: TestNamespace;
  let client: KubeClient;
  let transport: KubeTransport;

  before(async () => {
    [ns] = (await planeWithNamespaces('kube-objects')).namespaces;
    ({ client, transport } = await kube());
  });
  after(async () => {
    await ns.cleanup();
  });

  it('creates, reads, lists with selectors and pages, and classifies NotFound/AlreadyExists', async () => {
    const pools = client.pools('InClusterIPPool');
    const created = await pools.create(pool(ns.name, 'a', { team: 'x' }));
    assert.equal(created.metadata.name, 'a');
    assert.ok(created.metadata.resourceVersion);
    await pools.create(pool(ns.name, 'b', { team: 'x' }));
    await pools.create(pool(ns.name, 'c', { team: 'y' }));

    assert.deepEqual((await pools.get({ namespace: ns.name, name: 'a' })).spec.addresses, [
      '10.0.0.10-10.0.0.20',
    ]);
    const selected = await pools.list({ namespace: ns.name, labelSelector: 'team=x' });
    assert.deepEqual(selected.items.map((p) => p.metadata.name).sort(), ['a', 'b']);
    const byField = await pools.list({ namespace: ns.name, fieldSelector: 'metadata.name=c' });
    assert.deepEqual(
      byField.items.map((p) => p.metadata.name),
      ['c'],
    );

    const page1 = await pools.list({ namespace: ns.name, limit: 2 });
    assert.equal(page1.items.length, 2);
    assert.ok(page1.metadata?.continue);
    const page2 = await pools.list({ namespace: ns.name, limit: 2, continue: page1.metadata.continue });
    assert.equal(page2.items.length, 1);
    const all = await pools.listAll({ namespace: ns.name, limit: 1 });
    assert.deepEqual(all.items.map((p) => p.metadata.name).sort(), ['a', 'b', 'c']);
    assert.ok(all.resourceVersion);

    const missing = await failure(() => pools.get({ namespace: ns.name, name: 'nope' }));
    assert.equal(missing.kind, 'NotFound');
    assert.equal(await pools.find({ namespace: ns.name, name: 'nope' }), undefined);
    const exists = await failure(() => pools.create(pool(ns.name, 'a')));
    assert.equal(exists.kind, 'AlreadyExists');
    assert.equal(exists.status, 409);
  });

  it('replace with a stale resourceVersion is a Conflict; an Invalid object carries field causes', async () => {
    const pools = client.pools('InClusterIPPool');
    const original = await pools.create(pool(ns.name, 'occ'));
    const updated = await pools.replace({ ...original, spec: { ...original.spec, prefix: 25 } });
    assert.equal(updated.spec.prefix, 25);
    const stale = await failure(() => pools.replace({ ...original, spec: { ...original.spec, prefix: 26 } }));
    assert.equal(stale.kind, 'Conflict');
    assert.equal(stale.reason, 'Conflict');
    assert.ok(stale.retriable);

    const invalid = await failure(() =>
      pools.create({ ...pool(ns.name, 'bad'), spec: { addresses: ['10.0.0.1'], prefix: 129 } }),
    );
    assert.equal(invalid.kind, 'Invalid');
    assert.ok(invalid.causes?.some((c) => c.field === 'spec.prefix'));
  });

  it('merge patches spec and status (explicit content type), conditional on resourceVersion', async () => {
    const pools = client.pools('InClusterIPPool');
    const created = await pools.create(pool(ns.name, 'merge'));
    const patched = await pools.mergePatch(
      { namespace: ns.name, name: 'merge' },
      { metadata: { labels: { patched: 'yes' } } },
      { resourceVersion: created.metadata.resourceVersion },
    );
    assert.equal(patched.metadata.labels?.patched, 'yes');
    const stale = await failure(() =>
      pools.mergePatch(
        { namespace: ns.name, name: 'merge' },
        { metadata: { labels: { again: 'no' } } },
        { resourceVersion: created.metadata.resourceVersion },
      ),
    );
    assert.equal(stale.kind, 'Conflict');

    // Counts above 2^53 go out and come back exact (bigint), through the status subresource only.
    const max = 2n ** 63n - 1n;
    const withStatus = await pools.mergePatchStatus(
      { namespace: ns.name, name: 'merge' },
      {
        status: { ipAddresses: { total: max, used: 1, free: max - 1n, outOfRange: 0 } },
        spec: { prefix: 8 },
      },
    );
    assert.equal(withStatus.status?.ipAddresses?.total, max);
    assert.equal(withStatus.status.ipAddresses.free, max - 1n);
    assert.equal(withStatus.spec.prefix, 24, 'the status subresource ignores spec');
    const read = await pools.get({ namespace: ns.name, name: 'merge' });
    assert.equal(read.status?.ipAddresses?.total, max);
  });

  it('server-side applies with a field manager and force; applies status', async () => {
    const pools = client.pools('InClusterIPPool');
    const applied = await pools.apply(pool(ns.name, 'ssa'), { fieldManager: 'kube-test', force: true });
    assert.ok(applied.metadata.resourceVersion);
    const managed = (applied.metadata as { managedFields?: { manager: string; operation: string }[] })
      .managedFields;
    assert.ok(managed?.some((f) => f.manager === 'kube-test' && f.operation === 'Apply'));

    // A second manager changing an owned field conflicts unless it forces.
    const other = { ...pool(ns.name, 'ssa'), spec: { addresses: ['10.0.0.10-10.0.0.20'], prefix: 23 } };
    const conflict = await failure(() => pools.apply(other, { fieldManager: 'someone-else' }));
    assert.equal(conflict.kind, 'Conflict');
    const forced = await pools.apply(other, { fieldManager: 'someone-else', force: true });
    assert.equal(forced.spec.prefix, 23);

    const status = await pools.applyStatus(
      {
        apiVersion: POOL_API_VERSION,
        kind: 'InClusterIPPool',
        metadata: { namespace: ns.name, name: 'ssa' },
        status: { ipAddresses: { total: 11, used: 0, free: 11, outOfRange: 0 } },
      } as InClusterIPPool,
      { fieldManager: 'kube-test', force: true },
    );
    assert.equal(status.status?.ipAddresses?.total, 11);
  });

  it('JSON patch with a resourceVersion test op fails when stale', async () => {
    const pools = client.pools('InClusterIPPool');
    const created = await pools.create(pool(ns.name, 'jp'));
    const patched = await pools.jsonPatch(
      { namespace: ns.name, name: 'jp' },
      [{ op: 'replace', path: '/spec/prefix', value: 28 }],
      { resourceVersion: created.metadata.resourceVersion },
    );
    assert.equal(patched.spec.prefix, 28);
    const stale = await failure(() =>
      pools.jsonPatch(
        { namespace: ns.name, name: 'jp' },
        [{ op: 'replace', path: '/spec/prefix', value: 27 }],
        {
          resourceVersion: created.metadata.resourceVersion,
        },
      ),
    );
    assert.equal(stale.kind, 'Invalid', 'a failed test op is 422 Invalid, not Conflict');
    assert.equal((await pools.get({ namespace: ns.name, name: 'jp' })).spec.prefix, 28);
  });

  it('deletes with uid/resourceVersion preconditions', async () => {
    const pools = client.pools('InClusterIPPool');
    const created = await pools.create(pool(ns.name, 'del'));
    const wrongUid = await failure(() =>
      pools.delete({ namespace: ns.name, name: 'del' }, { preconditions: { uid: 'not-the-uid' } }),
    );
    assert.equal(wrongUid.kind, 'Conflict');
    await pools.mergePatch({ namespace: ns.name, name: 'del' }, { metadata: { labels: { x: 'y' } } });
    const staleRv = await failure(() =>
      pools.delete(
        { namespace: ns.name, name: 'del' },
        { preconditions: { resourceVersion: created.metadata.resourceVersion } },
      ),
    );
    assert.equal(staleRv.kind, 'Conflict');
    await pools.delete(
      { namespace: ns.name, name: 'del' },
      { preconditions: { uid: created.metadata.uid }, propagationPolicy: 'Background' },
    );
    assert.equal(await pools.find({ namespace: ns.name, name: 'del' }), undefined);
    assert.equal((await failure(() => pools.delete({ namespace: ns.name, name: 'del' }))).kind, 'NotFound');
  });

  it('adds and removes finalizers idempotently, also when two writers race', async () => {
    const pools = client.pools('InClusterIPPool');
    await pools.create(pool(ns.name, 'fin'));
    const ref = { namespace: ns.name, name: 'fin' };
    const once = await pools.addFinalizer(ref, FINALIZER_PROTECT_POOL);
    const twice = await pools.addFinalizer(ref, FINALIZER_PROTECT_POOL);
    assert.deepEqual(twice.metadata.finalizers, [FINALIZER_PROTECT_POOL]);
    assert.equal(
      twice.metadata.resourceVersion,
      once.metadata.resourceVersion,
      'no write when already present',
    );

    // Two finalizers added concurrently from the same stale read: the merge patch alone would lose one.
    const stale = await pools.get(ref);
    await Promise.all([
      pools.addFinalizer(ref, 'example.com/one', stale),
      pools.addFinalizer(ref, 'example.com/two', stale),
    ]);
    assert.deepEqual(
      (await pools.get(ref)).metadata.finalizers?.slice().sort(),
      ['example.com/one', 'example.com/two', FINALIZER_PROTECT_POOL].sort(),
    );

    await pools.delete(ref);
    for (const f of [FINALIZER_PROTECT_POOL, 'example.com/one', 'example.com/two']) {
      await pools.removeFinalizer(ref, f);
    }
    await waitFor(async () => (await pools.find(ref)) === undefined, { what: 'the pool to be gone' });
    assert.equal(await pools.removeFinalizer(ref, FINALIZER_PROTECT_POOL), undefined);
  });

  it('round-trips a body with x-kubernetes-* keys (no model re-serialisation)', async () => {
    const crds = client.resource<KubeObject & { spec: Record<string, unknown> }>(
      CustomResourceDefinitionResource,
    );
    const group = `kube-${randomBytes(3).toString('hex')}.example.com`;
    const name = `widgets.${group}`;
    const schema = {
      type: 'object',
      properties: {
        spec: {
          type: 'object',
          properties: { port: { 'x-kubernetes-int-or-string': true } },
          'x-kubernetes-preserve-unknown-fields': true,
        },
      },
    };
    try {
      const created = await crds.create({
        metadata: { name },
        spec: {
          group,
          scope: 'Namespaced',
          names: { plural: 'widgets', singular: 'widget', kind: 'Widget', listKind: 'WidgetList' },
          versions: [{ name: 'v1', served: true, storage: true, schema: { openAPIV3Schema: schema } }],
        },
      });
      const versions = created.spec.versions as { schema: { openAPIV3Schema: unknown } }[];
      assert.deepEqual(versions[0]?.schema.openAPIV3Schema, schema);
      const read = await crds.get({ name });
      assert.deepEqual((read.spec.versions as typeof versions)[0]?.schema.openAPIV3Schema, schema);
    } finally {
      await crds.delete({ name }).catch(() => undefined);
    }
  });

  it('reads and writes IPAddressClaim/IPAddress in the contract version, with claim status', async () => {
    const claims = client.ipAddressClaims('v1beta2');
    const claim = await claims.create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddressClaim',
      metadata: { namespace: ns.name, name: 'claim' },
      spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'a' } },
    });
    const withStatus = await claims.mergePatchStatus(
      { namespace: ns.name, name: 'claim' },
      { status: { addressRef: { name: 'claim' } } },
      { resourceVersion: claim.metadata.resourceVersion },
    );
    assert.equal(withStatus.status?.addressRef?.name, 'claim');
    const address = await client.ipAddresses('v1beta2').create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddress',
      metadata: { namespace: ns.name, name: 'claim' },
      spec: {
        claimRef: { name: 'claim' },
        poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'a' },
        address: '10.0.0.10',
        prefix: 24,
      },
    });
    assert.equal(address.spec.address, '10.0.0.10');
  });

  it('discovers the served contract versions and our CRDs', async () => {
    const served = await discoverServedResources(transport);
    assert.ok(served.contractVersions.includes('v1beta2'));
    assert.ok(served.clusterVersions.includes('v1beta2'));
    assert.equal(served.poolCrdsInstalled, true);
    assert.deepEqual(served.missingPoolKinds, []);
  });
});
