// Upstream §15.1 "IPAddressClaimReconciler — When a new IPAddressClaim is created", adoption, and
// global pools, against the real API server with the controller running in-process. This file runs
// the production cache scope (every IPAddress of the cluster), the others only their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FINALIZER_PROTECT_ADDRESS,
  FINALIZER_RELEASE_ADDRESS,
  LABEL_CLUSTER_NAME,
  LABEL_WATCH_FILTER,
  type IPAddressWire,
  type OwnerReference,
} from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { classifyApiError, ContentType } from '@ipam-in-cluster/kube';
import { staysFalse, waitFor } from '../support/wait.js';

const plane = useControllerPlane('claims', { ipAddressScope: 'all' });

const IP = 'InClusterIPPool';
const GLOBAL = 'GlobalInClusterIPPool';

function owners(a: IPAddressWire): OwnerReference[] {
  return a.metadata.ownerReferences ?? [];
}

async function addressesIn(ns: string): Promise<string[]> {
  return (await plane.ipam.listAddresses(ns)).map((a) => a.spec.address).sort();
}

describe('controller: claims', () => {
  it('ignores a claim for an unknown pool kind: no IPAddress, no finalizer', async () => {
    const ns = await plane.fx.namespace('unknown-kind');
    await plane.ipam.createClaim('c', ns, { kind: 'UnknownIPPool', name: 'p' });
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) !== undefined,
      2_000,
      'an IPAddress',
    );
    const claim = await plane.ipam.claims.get({ namespace: ns, name: 'c' });
    assert.deepEqual(claim.metadata.finalizers ?? [], []);
    assert.equal(claim.status, undefined);
  });

  it('ignores a claim whose poolRef group is not exactly plane.ipam.cluster.x-k8s.io', async () => {
    const ns = await plane.fx.namespace('other-group');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p', apiGroup: 'example.com' });
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) !== undefined,
      2_000,
      'an IPAddress',
    );
    assert.deepEqual(
      (await plane.ipam.claims.get({ namespace: ns, name: 'c' })).metadata.finalizers ?? [],
      [],
    );
  });

  it('allocates from a namespaced pool: the IPAddress exactly as upstream', async () => {
    const ns = await plane.fx.namespace('namespaced');
    await plane.ipam.createCluster('test-cluster', ns);
    const pool = await plane.ipam.createPool(IP, 'test-pool', ns, {
      addresses: ['10.0.0.1-10.0.0.254'],
      prefix: 24,
      gateway: '10.0.0.2',
    });
    const claim = await plane.ipam.createClaim(
      'test',
      ns,
      { kind: IP, name: 'test-pool' },
      { clusterLabel: 'test-cluster' },
    );
    const address = await plane.ipam.waitForAddress(ns, 'test');
    assert.deepEqual(address.spec, {
      claimRef: { name: 'test' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: 'test-pool' },
      address: '10.0.0.1',
      prefix: 24,
      gateway: '10.0.0.2',
    });
    assert.deepEqual(address.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    assert.deepEqual(owners(address), [
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
        kind: IP,
        name: 'test-pool',
        uid: pool.metadata.uid,
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
    assert.deepEqual(address.metadata.labels, {
      [LABEL_CLUSTER_NAME]: 'test-cluster',
      [LABEL_WATCH_FILTER]: plane.watchFilter,
    });
    assert.equal(await plane.ipam.waitForAddressRef(ns, 'test'), 'test');
    const ready = await plane.ipam.claims.get({ namespace: ns, name: 'test' });
    assert.ok((ready.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS));
    const cond = await plane.ipam.claimCondition(ns, 'test', 'Ready');
    assert.deepEqual([cond?.status, cond?.reason], ['True', 'Allocated']);
  });

  it('does not allocate when the namespaced pool does not exist (Ready=False PoolNotFound), and does once it is created', async () => {
    const ns = await plane.fx.namespace('missing-pool');
    await plane.ipam.createPool(IP, 'test-pool', ns, { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24 });
    await plane.ipam.createClaim('test', ns, { kind: IP, name: 'i-do-not-exist' });
    const cond = await plane.ipam.waitForClaimReason(ns, 'test', 'PoolNotFound');
    assert.equal(cond.status, 'False');
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'test')) !== undefined,
      2_000,
      'an IPAddress',
    );
    await plane.ipam.createPool(IP, 'i-do-not-exist', ns, { addresses: ['10.9.0.1'], prefix: 24 });
    assert.equal((await plane.ipam.waitForAddress(ns, 'test')).spec.address, '10.9.0.1');
  });

  it('never hands out network, gateway or broadcast: one claim gets 10.0.1.2, the next waits (PoolExhausted)', async () => {
    const ns = await plane.fx.namespace('reserved');
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.255'],
      prefix: 24,
      gateway: '10.0.1.1',
    });
    await plane.ipam.createClaim('c1', ns, { kind: IP, name: 'p' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c1')).spec.address, '10.0.1.2');
    await plane.ipam.createClaim('c2', ns, { kind: IP, name: 'p' });
    const cond = await plane.ipam.waitForClaimReason(ns, 'c2', 'PoolExhausted');
    assert.equal(cond.status, 'False');
    await staysFalse(
      async () => (await plane.ipam.listAddresses(ns)).length !== 1,
      2_000,
      'a second IPAddress',
    );
  });

  it('skips excluded addresses: 10.1.1.6, 10.1.1.8, 10.1.1.9', async () => {
    const ns = await plane.fx.namespace('excluded');
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.1.1.0/24'],
      prefix: 24,
      gateway: '10.1.1.1',
      excludedAddresses: ['10.1.1.2-10.1.1.5', '10.1.1.7'],
    });
    const got: string[] = [];
    for (const name of ['c1', 'c2', 'c3']) {
      await plane.ipam.createClaim(name, ns, { kind: IP, name: 'p' });
      got.push((await plane.ipam.waitForAddress(ns, name)).spec.address);
    }
    assert.deepEqual(got, ['10.1.1.6', '10.1.1.8', '10.1.1.9']);
  });

  it('allocates the lowest address whatever the order of the list (10.0.1.2)', async () => {
    const ns = await plane.fx.namespace('out-of-order');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.1.3', '10.0.1.2'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, '10.0.1.2');
  });

  it('writes no gateway when the pool has none', async () => {
    const ns = await plane.fx.namespace('no-gateway');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    const a = await plane.ipam.waitForAddress(ns, 'c');
    assert.deepEqual([a.spec.address, a.spec.prefix, 'gateway' in a.spec], ['10.0.0.1', 24, false]);
  });

  it('serves a global pool to claims in two namespaces (10.0.0.2, 10.0.0.3) with a Global owner reference', async () => {
    const ns1 = await plane.fx.namespace('global-a');
    const ns2 = await plane.fx.namespace('global-b');
    const name = plane.fx.globalName('global');
    const pool = await plane.ipam.createPool(GLOBAL, name, undefined, {
      addresses: ['10.0.0.2-10.0.0.254'],
      prefix: 24,
      gateway: '10.0.0.1',
    });
    await plane.ipam.createClaim('c', ns1, { kind: GLOBAL, name });
    const a1 = await plane.ipam.waitForAddress(ns1, 'c');
    await plane.ipam.createClaim('c', ns2, { kind: GLOBAL, name });
    const a2 = await plane.ipam.waitForAddress(ns2, 'c');
    assert.deepEqual([a1.spec.address, a2.spec.address], ['10.0.0.2', '10.0.0.3']);
    assert.deepEqual(owners(a2)[1], {
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
      kind: GLOBAL,
      name,
      uid: pool.metadata.uid,
      controller: false,
      blockOwnerDeletion: true,
    });
  });

  it('does not allocate when the global pool does not exist', async () => {
    const ns = await plane.fx.namespace('global-missing');
    await plane.ipam.createClaim('c', ns, { kind: GLOBAL, name: plane.fx.globalName('nope') });
    await plane.ipam.waitForClaimReason(ns, 'c', 'PoolNotFound');
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) !== undefined,
      2_000,
      'an IPAddress',
    );
  });

  it('allocates single-IP entries in order: 10.0.0.50 then 10.0.0.128', async () => {
    const ns = await plane.fx.namespace('single-ips');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.50', '10.0.0.128'], prefix: 24 });
    await plane.ipam.createClaim('c1', ns, { kind: IP, name: 'p' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c1')).spec.address, '10.0.0.50');
    await plane.ipam.createClaim('c2', ns, { kind: IP, name: 'p' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c2')).spec.address, '10.0.0.128');
  });

  it('keeps two namespaced pools of the same name apart: both hand out 10.0.0.50', async () => {
    const ns1 = await plane.fx.namespace('same-name-a');
    const ns2 = await plane.fx.namespace('same-name-b');
    for (const ns of [ns1, ns2]) {
      await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.50'], prefix: 24 });
      await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    }
    assert.equal((await plane.ipam.waitForAddress(ns1, 'c')).spec.address, '10.0.0.50');
    assert.equal((await plane.ipam.waitForAddress(ns2, 'c')).spec.address, '10.0.0.50');
  });

  it('keeps a namespaced and a global pool of the same name apart: both hand out 10.0.0.50', async () => {
    const ns = await plane.fx.namespace('ns-and-global');
    const name = plane.fx.globalName('same');
    await plane.ipam.createPool(IP, name, ns, { addresses: ['10.0.0.50'], prefix: 24 });
    await plane.ipam.createPool(GLOBAL, name, undefined, { addresses: ['10.0.0.50'], prefix: 24 });
    await plane.ipam.createClaim('local', ns, { kind: IP, name });
    await plane.ipam.createClaim('global', ns, { kind: GLOBAL, name });
    const local = await plane.ipam.waitForAddress(ns, 'local');
    const global = await plane.ipam.waitForAddress(ns, 'global');
    assert.deepEqual([local.spec.address, global.spec.address], ['10.0.0.50', '10.0.0.50']);
    assert.deepEqual([owners(local)[1]?.kind, owners(global)[1]?.kind], [IP, GLOBAL]);
  });

  for (const kind of [IP, GLOBAL] as const) {
    it(`${kind} out of addresses: the second claim waits, then gets the freed address as soon as the first claim goes`, async () => {
      const ns = await plane.fx.namespace(`exhausted-${kind.toLowerCase()}`);
      const name = kind === GLOBAL ? plane.fx.globalName('exhausted') : 'p';
      const pool = await plane.ipam.createPool(kind, name, kind === GLOBAL ? undefined : ns, {
        addresses: ['10.0.0.1'],
        prefix: 24,
      });
      await plane.ipam.createClaim('first', ns, { kind, name });
      assert.equal((await plane.ipam.waitForAddress(ns, 'first')).spec.address, '10.0.0.1');
      const second = await plane.ipam.createClaim('second', ns, { kind, name });
      await plane.ipam.waitForClaimReason(ns, 'second', 'PoolExhausted');
      await staysFalse(
        async () => (await plane.ipam.findAddress(ns, 'second')) !== undefined,
        2_000,
        'an IPAddress for the second claim',
      );
      const t0 = Date.now();
      await plane.ipam.claims.delete({ namespace: ns, name: 'first' });
      const a = await plane.ipam.waitForAddress(ns, 'second', 5_000);
      const servedMs = Date.now() - t0;
      console.log(`${kind}: waiting claim served ${String(servedMs)} ms after the first claim's delete call`);
      assert.equal(a.spec.address, '10.0.0.1');
      assert.deepEqual(
        owners(a).map((o) => [o.kind, o.name, o.uid, o.controller]),
        [
          ['IPAddressClaim', 'second', second.metadata.uid, true],
          [kind, name, pool.metadata.uid, false],
        ],
      );
      // Served by the release itself (the exhausted claim is not retried on a timer at all); the
      // bound is loose because the shared test machine is often loaded.
      assert.ok(servedMs < 8_000, `served after ${servedMs} ms`);
    });
  }

  it('adopts an existing IPAddress without owner references or finalizers, keeping its spec', async () => {
    const ns = await plane.fx.namespace('adopt');
    const pool = await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.0.0.1-10.0.0.254'],
      prefix: 24,
      gateway: '10.0.0.254',
    });
    const spec = {
      claimRef: { name: 'c' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: 'p' },
      address: '10.0.0.42',
      prefix: 24,
      gateway: '10.0.0.254',
    };
    await plane.ipam.addresses.create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddress',
      metadata: { name: 'c', namespace: ns, labels: plane.ipam.labels() },
      spec,
    });
    const claim = await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    const adopted = await waitFor(
      async () => {
        const a = await plane.ipam.findAddress(ns, 'c');
        return a !== undefined && owners(a).length === 2 ? a : undefined;
      },
      { what: 'the IPAddress to be adopted' },
    );
    assert.deepEqual(adopted.spec, spec);
    assert.deepEqual(adopted.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    assert.deepEqual(
      owners(adopted).map((o) => [o.kind, o.uid, o.controller, o.blockOwnerDeletion]),
      [
        ['IPAddressClaim', claim.metadata.uid, true, true],
        [IP, pool.metadata.uid, false, true],
      ],
    );
    assert.equal(await plane.ipam.waitForAddressRef(ns, 'c'), 'c');
  });

  it('adopts an existing IPAddress with an unrelated owner reference, keeping it first', async () => {
    const ns = await plane.fx.namespace('adopt-unrelated');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24 });
    // A real owner: kube-controller-manager's garbage collector deletes dependents of missing owners.
    const unrelated = await plane.ipam.configMapOwner(ns, 'unrelated');
    await plane.ipam.addresses.create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddress',
      metadata: { name: 'c', namespace: ns, labels: plane.ipam.labels(), ownerReferences: [unrelated] },
      spec: {
        claimRef: { name: 'c' },
        poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: 'p' },
        address: '10.0.0.7',
        prefix: 24,
      },
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    const adopted = await waitFor(
      async () => {
        const a = await plane.ipam.findAddress(ns, 'c');
        return a !== undefined && owners(a).length === 3 ? a : undefined;
      },
      { what: 'the IPAddress to be adopted' },
    );
    assert.deepEqual(
      owners(adopted).map((o) => o.kind),
      ['ConfigMap', 'IPAddressClaim', IP],
    );
    assert.deepEqual(owners(adopted)[0], unrelated);
    assert.deepEqual(adopted.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    assert.equal(adopted.spec.address, '10.0.0.7');
  });

  it('serves two claims of the same name in two namespaces from a global pool (10.0.0.2, 10.0.0.3)', async () => {
    const ns1 = await plane.fx.namespace('gsame-a');
    const ns2 = await plane.fx.namespace('gsame-b');
    const name = plane.fx.globalName('gsame');
    await plane.ipam.createPool(GLOBAL, name, undefined, {
      addresses: ['10.0.0.2-10.0.0.254'],
      prefix: 24,
      gateway: '10.0.0.1',
    });
    await plane.ipam.createClaim('same', ns1, { kind: GLOBAL, name });
    await plane.ipam.createClaim('same', ns2, { kind: GLOBAL, name });
    const got = [
      (await plane.ipam.waitForAddress(ns1, 'same')).spec.address,
      (await plane.ipam.waitForAddress(ns2, 'same')).spec.address,
    ].sort();
    assert.deepEqual(got, ['10.0.0.2', '10.0.0.3']);
  });

  it('reports a foreign IPAddress of the same name (other pool) as AllocationFailed instead of looping', async () => {
    const ns = await plane.fx.namespace('foreign');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.addresses.create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddress',
      metadata: { name: 'c', namespace: ns, labels: plane.ipam.labels() },
      spec: {
        claimRef: { name: 'c' },
        poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: 'other' },
        address: '10.5.0.1',
        prefix: 24,
      },
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    const cond = await plane.ipam.waitForClaimReason(ns, 'c', 'AllocationFailed');
    assert.match(cond.message, /already exists/);
    assert.deepEqual(await addressesIn(ns), ['10.5.0.1']);
  });

  it('writes the status when a phase fails after the finalizer (the create refused), then allocates once it may', async () => {
    const ns = await plane.fx.namespace('refused');
    // A ValidatingAdmissionPolicy refuses every IPAddress create in this namespace only: the
    // reconcile throws after the finalizer write, and the deferred status patch must still land.
    const admission = '/apis/admissionregistration.k8s.io/v1';
    const name = `refuse-ipaddresses-${ns}`;
    const post = (resource: string, body: object) =>
      plane.ipam.client.transport.request({
        method: 'POST',
        path: `${admission}/${resource}`,
        body,
        contentType: ContentType.Json,
      });
    const remove = async (resource: string) => {
      try {
        await plane.ipam.client.transport.request({
          method: 'DELETE',
          path: `${admission}/${resource}/${name}`,
        });
      } catch (error) {
        if (classifyApiError(error).kind !== 'NotFound') throw error;
      }
    };
    await post('validatingadmissionpolicies', {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'ValidatingAdmissionPolicy',
      metadata: { name },
      spec: {
        failurePolicy: 'Fail',
        matchConstraints: {
          resourceRules: [
            {
              apiGroups: ['ipam.cluster.x-k8s.io'],
              apiVersions: ['*'],
              operations: ['CREATE'],
              resources: ['ipaddresses'],
            },
          ],
        },
        matchConditions: [{ name: 'this-namespace', expression: `request.namespace == '${ns}'` }],
        validations: [{ expression: 'false', message: 'refused by the test policy' }],
      },
    });
    try {
      await post('validatingadmissionpolicybindings', {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingAdmissionPolicyBinding',
        metadata: { name },
        spec: { policyName: name, validationActions: ['Deny'] },
      });
      const probe: IPAddressWire = {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
        kind: 'IPAddress',
        metadata: { name: 'probe', namespace: ns },
        spec: {
          claimRef: { name: 'probe' },
          poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: 'p' },
          address: '10.0.0.1',
          prefix: 24,
        },
      };
      // The API server loads a policy asynchronously: wait until a dry-run create is refused.
      await waitFor(
        async () => {
          try {
            await plane.ipam.addresses.create(probe, { dryRun: true });
            return false;
          } catch (error) {
            return /refused by the test policy/.test(classifyApiError(error).message);
          }
        },
        { what: 'the test policy to refuse IPAddress creates', timeoutMs: 30_000 },
      );
      await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
      await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
      const cond = await plane.ipam.waitForClaimReason(ns, 'c', 'AllocationFailed', 30_000);
      assert.equal(cond.status, 'False');
      assert.match(cond.message, /refused by the test policy/);
      const claim = await plane.ipam.claims.get({ namespace: ns, name: 'c' });
      assert.ok(claim.metadata.finalizers?.includes(FINALIZER_RELEASE_ADDRESS), 'finalizer written first');
      assert.equal(await plane.ipam.findAddress(ns, 'c'), undefined);
    } finally {
      await remove('validatingadmissionpolicybindings');
      await remove('validatingadmissionpolicies');
    }
    // The failed create released its address: the retry gets the pool's first one.
    await plane.ipam.waitForClaimReason(ns, 'c', 'Allocated', 60_000);
    assert.deepEqual(await addressesIn(ns), ['10.0.0.1']);
  });
});
