import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FINALIZER_PROTECT_ADDRESS,
  LABEL_CLUSTER_NAME,
  LABEL_WATCH_FILTER,
  type Address,
  type AddressClaim,
  type Condition,
  type OwnerReference,
} from '@ipam-in-cluster/api';
import {
  adoptionConflict,
  adoptionPatch,
  claimClusterName,
  copiedLabels,
  ensureOwnerReferences,
  releasableBy,
  sameConditions,
  type PoolCheck,
} from './claim-logic.js';

function claim(overrides: Partial<AddressClaim> = {}, labels?: Record<string, string>): AddressClaim {
  return {
    metadata: { name: 'c', namespace: 'ns', uid: 'claim-uid', ...(labels === undefined ? {} : { labels }) },
    clusterName: undefined,
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
    addressName: undefined,
    conditions: [],
    legacyConditions: [],
    ...overrides,
  };
}
const pool = { kind: 'InClusterIPPool' as const, name: 'p', uid: 'pool-uid' };
const V = 'ipam.cluster.x-k8s.io/v1beta2';

describe('claimClusterName', () => {
  it('prefers spec.clusterName, then the label', () => {
    assert.equal(claimClusterName(claim({ clusterName: 'a' }, { [LABEL_CLUSTER_NAME]: 'b' })), 'a');
    assert.equal(claimClusterName(claim({}, { [LABEL_CLUSTER_NAME]: 'b' })), 'b');
    assert.equal(claimClusterName(claim()), undefined);
  });

  it('reads an empty label (or empty clusterName) as no Cluster (upstream loops on it)', () => {
    assert.equal(claimClusterName(claim({}, { [LABEL_CLUSTER_NAME]: '' })), undefined);
    assert.equal(claimClusterName(claim({ clusterName: '' }, { [LABEL_CLUSTER_NAME]: 'b' })), 'b');
  });
});

describe('ensureOwnerReferences', () => {
  it('appends the claim (controller) then the pool (not controller, blocking)', () => {
    const r = ensureOwnerReferences(undefined, claim(), pool, V);
    assert.equal(r.ownedByOther, undefined);
    assert.deepEqual(r.ownerReferences, [
      {
        apiVersion: V,
        kind: 'IPAddressClaim',
        name: 'c',
        uid: 'claim-uid',
        controller: true,
        blockOwnerDeletion: true,
      },
      {
        apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
        kind: 'InClusterIPPool',
        name: 'p',
        uid: 'pool-uid',
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('keeps unrelated references first and is idempotent', () => {
    const unrelated = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u' };
    const once = ensureOwnerReferences([unrelated], claim(), pool, V).ownerReferences;
    assert.deepEqual(
      once.map((o) => o.kind),
      ['ConfigMap', 'IPAddressClaim', 'InClusterIPPool'],
    );
    assert.deepEqual(ensureOwnerReferences(once, claim(), pool, V).ownerReferences, once);
  });

  it('forces the pool reference to controller false / blockOwnerDeletion true and updates its uid', () => {
    const stale = {
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha1',
      kind: 'InClusterIPPool',
      name: 'p',
      uid: 'old',
      controller: true,
    };
    const refs = ensureOwnerReferences([stale], claim(), pool, V).ownerReferences;
    assert.deepEqual(refs[0], {
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
      kind: 'InClusterIPPool',
      name: 'p',
      uid: 'pool-uid',
      controller: false,
      blockOwnerDeletion: true,
    });
  });

  it('takes over the controller reference of an earlier claim of the same name (another uid: gone)', () => {
    const earlier = {
      apiVersion: V,
      kind: 'IPAddressClaim',
      name: 'c',
      uid: 'earlier-claim',
      controller: true,
    };
    const r = ensureOwnerReferences([earlier], claim(), pool, V);
    assert.equal(r.ownedByOther, undefined);
    const controllers = r.ownerReferences.filter((o) => o.controller === true);
    assert.deepEqual(
      controllers.map((o) => [o.kind, o.name, o.uid]),
      [['IPAddressClaim', 'c', claim().metadata.uid]],
    );
    assert.equal(r.ownerReferences.length, 2);
  });

  it('does not take over an IPAddress controlled by another object', () => {
    const other = {
      apiVersion: V,
      kind: 'IPAddressClaim',
      name: 'another-claim',
      uid: 'another-claim',
      controller: true,
    };
    const r = ensureOwnerReferences([other], claim(), pool, V);
    assert.deepEqual(r.ownedByOther, other);
    assert.deepEqual(
      r.ownerReferences.map((o) => o.uid),
      ['another-claim', 'pool-uid'],
    );
  });
});

describe('copiedLabels and adoptionPatch', () => {
  it('copies cluster-name (even empty) and watch-filter only', () => {
    assert.deepEqual(
      copiedLabels(claim({}, { [LABEL_CLUSTER_NAME]: '', [LABEL_WATCH_FILTER]: 'w', other: 'x' })),
      {
        [LABEL_CLUSTER_NAME]: '',
        [LABEL_WATCH_FILTER]: 'w',
      },
    );
  });

  it('patches owners, labels and the finalizer, never the spec; nothing when complete', () => {
    const c = claim({}, { [LABEL_CLUSTER_NAME]: 'cl' });
    const { patch } = adoptionPatch({ name: 'c', namespace: 'ns' }, c, pool, V);
    assert.ok(patch !== undefined);
    assert.deepEqual(Object.keys(patch.metadata).sort(), ['finalizers', 'labels', 'ownerReferences']);
    assert.deepEqual(patch.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    const complete = {
      name: 'c',
      namespace: 'ns',
      labels: { [LABEL_CLUSTER_NAME]: 'cl' },
      finalizers: [FINALIZER_PROTECT_ADDRESS],
      ownerReferences: ensureOwnerReferences(undefined, c, pool, V).ownerReferences,
    };
    assert.equal(adoptionPatch(complete, c, pool, V).patch, undefined);
    // The API server returns owner references with its own key order: still nothing to patch.
    const reordered = {
      ...complete,
      ownerReferences: complete.ownerReferences.map((r) =>
        Object.fromEntries(Object.entries(r).reverse()),
      ) as typeof complete.ownerReferences,
    };
    assert.equal(adoptionPatch(reordered, c, pool, V).patch, undefined);
  });
});

describe('releasableBy', () => {
  it('only an IPAddress controlled by this claim (or an earlier one of its name), or by nobody', () => {
    assert.equal(releasableBy({}, claim()), true);
    assert.equal(
      releasableBy(
        {
          ownerReferences: [
            { apiVersion: V, kind: 'IPAddressClaim', name: 'c', uid: 'claim-uid', controller: true },
          ],
        },
        claim(),
      ),
      true,
    );
    assert.equal(
      releasableBy(
        {
          ownerReferences: [
            { apiVersion: V, kind: 'IPAddressClaim', name: 'c', uid: 'earlier', controller: true },
          ],
        },
        claim(),
      ),
      true,
    );
    assert.equal(
      releasableBy(
        {
          ownerReferences: [
            { apiVersion: V, kind: 'IPAddressClaim', name: 'other', uid: 'other', controller: true },
          ],
        },
        claim(),
      ),
      false,
    );
    assert.equal(
      releasableBy(
        { ownerReferences: [{ apiVersion: 'v1', kind: 'Machine', name: 'c', uid: 'm', controller: true }] },
        claim(),
      ),
      false,
    );
  });
});

describe('sameConditions', () => {
  const c: Condition = {
    type: 'Ready',
    status: 'True',
    reason: 'Allocated',
    message: 'm',
    lastTransitionTime: 't',
  };
  it('compares by type regardless of order', () => {
    const p: Condition = { ...c, type: 'Paused', status: 'False', reason: 'NotPaused' };
    assert.equal(sameConditions([c, p], [p, c]), true);
    assert.equal(sameConditions([c], [{ ...c, message: 'other' }]), false);
    assert.equal(sameConditions([c], []), false);
  });
});

describe('adoptionConflict', () => {
  const address = (
    meta: { ownerReferences?: OwnerReference[] } = {},
    claimName = 'c',
    at = '10.0.0.5',
  ): Address => ({
    metadata: { name: 'c', namespace: 'ns', ...meta },
    claimName,
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
    address: at,
    prefix: 24,
    gateway: undefined,
  });
  const ok: PoolCheck = { inPool: true, alsoHeldBy: [] };
  const claimRef = (uid: string): OwnerReference => ({
    apiVersion: V,
    kind: 'IPAddressClaim',
    name: 'c',
    uid,
    controller: true,
  });
  const where = 'InClusterIPPool ns/p';

  it('adopts a free, in-pool IPAddress for this claim with no other controller', () => {
    assert.equal(adoptionConflict(address(), claim(), where, ok), undefined);
    assert.equal(adoptionConflict(address({}, ''), claim(), where, ok), undefined, 'empty claimRef');
    assert.equal(
      adoptionConflict(address({ ownerReferences: [claimRef('older-claim-uid')] }), claim(), where, ok),
      undefined,
      'controlled by an earlier claim of this name',
    );
  });

  it('does not check again an IPAddress this claim already controls', () => {
    const ours = address({ ownerReferences: [claimRef('claim-uid')] });
    assert.equal(adoptionConflict(ours, claim(), where, { inPool: false, alsoHeldBy: ['ns/x'] }), undefined);
    assert.equal(adoptionConflict(ours, claim(), where, undefined), undefined);
  });

  it('names each conflict and the way out', () => {
    const cm: OwnerReference = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: 'cm',
      uid: 'u',
      controller: true,
    };
    const cases: [Address, PoolCheck | undefined, RegExp][] = [
      [
        address({}, 'other'),
        ok,
        /^IPAddress ns\/c references claim other, not c: it is not adopted; delete it/,
      ],
      [
        address({ ownerReferences: [cm] }),
        ok,
        /^IPAddress ns\/c is controlled by ConfigMap cm: it is not adopted/,
      ],
      [
        address({}, 'c', '192.168.1.1'),
        { inPool: false, alsoHeldBy: [] },
        /holds 192\.168\.1\.1\/24, which InClusterIPPool ns\/p cannot hand out/,
      ],
      [
        address(),
        { inPool: true, alsoHeldBy: ['ns/a'] },
        /holds 10\.0\.0\.5\/24, which IPAddress ns\/a also holds in InClusterIPPool ns\/p/,
      ],
      [
        address(),
        { inPool: true, alsoHeldBy: ['ns/a', 'ns/b'] },
        /IPAddress ns\/a, IPAddress ns\/b also hold in/,
      ],
      [address(), undefined, /cannot be checked while InClusterIPPool ns\/p is not ready/],
    ];
    for (const [a, check, pattern] of cases)
      assert.match(adoptionConflict(a, claim(), where, check) ?? '', pattern);
  });
});
