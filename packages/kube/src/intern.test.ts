import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactObject } from './informer.js';
import { JsonInterner, StringInterner } from './intern.js';

const claim = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
  kind: 'IPAddressClaim',
  metadata: {
    name: 'c-1',
    namespace: 'bench',
    resourceVersion: '123',
    creationTimestamp: '2026-11-24T07:00:00Z',
    finalizers: ['ipam.cluster.x-k8s.io/ReleaseAddress'],
    labels: { 'cluster.x-k8s.io/cluster-name': 'c' },
    managedFields: [{ manager: 'controller', operation: 'Update' }],
  },
  spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p0' } },
  status: {
    conditions: [
      {
        type: 'Ready',
        status: 'True',
        reason: 'Allocated',
        message: 'x'.repeat(100),
        lastTransitionTime: '2026-11-24T07:00:01Z',
        observedGeneration: 1,
      },
    ],
    capacity: 2n ** 64n,
    empty: null,
    flag: true,
  },
};

/** A claim as `kubectl get -o json` shows one the controller allocated (bench dump). */
function serverClaim(name: string, uid: string, address: string): Record<string, unknown> {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddressClaim',
    metadata: {
      creationTimestamp: '2026-11-24T12:01:37Z',
      finalizers: ['ipam.cluster.x-k8s.io/ReleaseAddress'],
      generation: 1,
      managedFields: [
        { apiVersion: 'ipam.cluster.x-k8s.io/v1beta2', fieldsType: 'FieldsV1', manager: 'bench' },
      ],
      name,
      namespace: 'bench',
      resourceVersion: String(20_000 + name.length),
      uid,
    },
    spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p0' } },
    status: {
      addressRef: { name },
      conditions: [
        {
          lastTransitionTime: '2026-11-24T12:02:05Z',
          message: '',
          observedGeneration: 1,
          reason: 'NotPaused',
          status: 'False',
          type: 'Paused',
        },
        {
          lastTransitionTime: '2026-11-24T12:02:05Z',
          message: `${address}/16 from InClusterIPPool bench/p0`,
          observedGeneration: 1,
          reason: 'Allocated',
          status: 'True',
          type: 'Ready',
        },
      ],
    },
  };
}

/** Its IPAddress: the claim is the controller owner, the pool another owner. */
function serverAddress(name: string, claimUid: string, address: string): Record<string, unknown> {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddress',
    metadata: {
      creationTimestamp: '2026-11-24T12:02:05Z',
      finalizers: ['ipam.cluster.x-k8s.io/ProtectAddress'],
      generation: 1,
      managedFields: [{ manager: 'controller', operation: 'Update' }],
      name,
      namespace: 'bench',
      ownerReferences: [
        {
          apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
          blockOwnerDeletion: true,
          controller: true,
          kind: 'IPAddressClaim',
          name,
          uid: claimUid,
        },
        {
          apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
          blockOwnerDeletion: true,
          controller: false,
          kind: 'InClusterIPPool',
          name: 'p0',
          uid: '65373242-eb11-4fb4-adaf-edf17c7e2295',
        },
      ],
      resourceVersion: '20334',
      uid: `addr-${claimUid}`,
    },
    spec: {
      address,
      claimRef: { name },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p0' },
      prefix: 16,
    },
  };
}

/** What compactObject must leave: the server's JSON minus metadata.managedFields. */
function withoutManagedFields(o: Record<string, unknown>): Record<string, unknown> {
  const { managedFields: _m, ...metadata } = o.metadata as Record<string, unknown>;
  return { ...o, metadata };
}

/** Parsed from text, as the informer gets them: no two objects share anything to begin with. */
function parsed<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

interface Claim {
  metadata: { finalizers: string[] };
  spec: { poolRef: { name: string } };
  status: { addressRef: object; conditions: object[] };
}
interface Address {
  metadata: { finalizers: string[]; ownerReferences: object[] };
  spec: { claimRef: object; poolRef: { name: string } };
}

describe('StringInterner', () => {
  it('returns one instance per short value', () => {
    const interner = new StringInterner({ maxLength: 20 });
    const a = ['ipam', 'cluster'].join('.');
    const b = ['ipam', 'cluster'].join('.');
    assert.equal(interner.intern(a), a);
    assert.equal(interner.intern(b), a);
    assert.equal(interner.size, 1);
    interner.intern('a string longer than twenty');
    assert.equal(interner.size, 1, 'long strings stay out of the table');
  });

  it('empties its table when full instead of growing', () => {
    const interner = new StringInterner({ maxEntries: 10 });
    for (let i = 0; i < 1000; i++) interner.intern(`name-${String(i)}`);
    assert.ok(interner.size <= 10);
    assert.equal(interner.intern('name-999'), 'name-999');
  });
});

describe('JsonInterner', () => {
  it('leaves JSON values equal (in place: same object back, never frozen itself)', () => {
    const interner = new JsonInterner();
    const value = structuredClone(claim);
    assert.equal(interner.internInPlace(value), value);
    assert.deepEqual(value, claim);
    assert.ok(!Object.isFrozen(value) && !Object.isFrozen(value.metadata));
    const tiny = { a: 1 };
    assert.equal(interner.internInPlace(tiny), tiny);
    assert.ok(!Object.isFrozen(tiny), 'the root is never shared');
  });

  it('keeps short strings only, not resourceVersions or condition messages; timestamps too (bursts repeat them)', () => {
    const interner = new JsonInterner({ maxLength: 20, maxObjects: 0 });
    interner.internInPlace({
      metadata: { resourceVersion: '1', creationTimestamp: 't' },
      status: {
        conditions: [{ lastTransitionTime: 't', message: 'm' }],
        note: 'a string longer than twenty',
      },
    });
    assert.equal(interner.strings.size, 1, 'only the timestamp');
    interner.internInPlace({ kind: 'A', list: ['b', 'b', 'c'] });
    assert.equal(interner.strings.size, 4);
    assert.equal(interner.objectCount, 0, 'maxObjects 0: strings only');
  });

  it('shares equal small sub-objects between objects as one frozen instance', () => {
    const interner = new JsonInterner();
    const c1 = interner.internInPlace(parsed(serverClaim('a', 'uid-a', '10.0.0.1')) as unknown as Claim);
    const c2 = interner.internInPlace(parsed(serverClaim('b', 'uid-b', '10.0.0.2')) as unknown as Claim);
    const shared = (x: object, y: object, what: string): void => {
      assert.equal(x, y, `${what}: one instance`);
      assert.ok(Object.isFrozen(x), `${what}: frozen`);
    };
    shared(c1.metadata.finalizers, c2.metadata.finalizers, 'finalizers');
    shared(c1.spec, c2.spec, 'a spec holding only a (shared) poolRef');
    shared(c1.spec.poolRef, c2.spec.poolRef, 'poolRef');
    shared(c1.status.conditions[0] as object, c2.status.conditions[0] as object, 'Paused condition');
    // Unique to their object: a message, a reference carrying the object's own name.
    assert.notEqual(c1.status.conditions[1], c2.status.conditions[1]);
    assert.ok(!Object.isFrozen(c1.status.conditions[1]) && !Object.isFrozen(c1.status.conditions));
    assert.ok(!Object.isFrozen(c1.status.addressRef));

    const a1 = interner.internInPlace(parsed(serverAddress('a', 'uid-a', '10.0.0.1')) as unknown as Address);
    const a2 = interner.internInPlace(parsed(serverAddress('b', 'uid-b', '10.0.0.2')) as unknown as Address);
    shared(a1.metadata.ownerReferences[1] as object, a2.metadata.ownerReferences[1] as object, 'pool owner');
    shared(a1.spec.poolRef, c1.spec.poolRef, 'an IPAddress poolRef and its claim');
    shared(a1.metadata.finalizers, a2.metadata.finalizers, 'IPAddress finalizers');
    assert.ok(!Object.isFrozen(a1.metadata.ownerReferences[0]), 'the controller (claim) reference');
    assert.ok(!Object.isFrozen(a1.spec.claimRef) && !Object.isFrozen(a1.spec));
    assert.ok(!Object.isFrozen(a1.metadata.ownerReferences));
  });

  it('shares only what JSON text states exactly, and small things', () => {
    const interner = new JsonInterner({ maxObjectSize: 3, maxLength: 10 });
    const one = interner.internInPlace({
      big: { n: 2n ** 64n },
      negativeZero: { n: -0 },
      large: { a: 1, b: 2, c: 3, d: 4 },
      long: { s: 'longer than ten' },
      withUndefined: { u: undefined },
      nested: { deep: { x: 1 } },
      withNull: { n: null, list: [null, true, 1.5] },
    });
    const two = interner.internInPlace({
      big: { n: 2n ** 64n },
      negativeZero: { n: 0 },
      large: { a: 1, b: 2, c: 3, d: 4 },
      long: { s: 'longer than ten' },
      withUndefined: {},
      nested: { deep: { x: 1 } },
      withNull: { n: null, list: [null, true, 1.5] },
    });
    for (const k of ['big', 'negativeZero', 'large', 'long', 'withUndefined'] as const) {
      assert.notEqual(one[k], two[k], k);
      assert.ok(!Object.isFrozen(one[k]), k);
    }
    assert.ok(Object.is(one.negativeZero.n, -0));
    assert.equal(one.nested, two.nested, 'objects of shared objects are shared');
    assert.equal(one.nested.deep, two.nested.deep);
    assert.equal(one.withNull, two.withNull, 'null, booleans and numbers are shared values');
  });

  it('bounds its object table', () => {
    const interner = new JsonInterner({ maxObjects: 10 });
    for (let i = 0; i < 1000; i++) interner.internInPlace({ ref: { name: `p${String(i)}` } });
    assert.ok(interner.objectCount <= 10);
    const a = interner.internInPlace({ ref: { name: 'p0' } });
    const b = interner.internInPlace({ ref: { name: 'p0' } });
    assert.equal(a.ref, b.ref, 'a value met after a reset is shared again');
  });

  it('clear() empties both tables; what is shared stays shared, later objects share again', () => {
    const interner = new JsonInterner();
    const c1 = interner.internInPlace(parsed(serverClaim('a', 'uid-a', '10.0.0.1')) as unknown as Claim);
    assert.ok(interner.strings.size > 0 && interner.objectCount > 0);
    interner.clear();
    assert.equal(interner.strings.size, 0);
    assert.equal(interner.objectCount, 0);
    assert.ok(Object.isFrozen(c1.spec.poolRef), 'a shared instance stays frozen');
    const c2 = interner.internInPlace(parsed(serverClaim('b', 'uid-b', '10.0.0.2')) as unknown as Claim);
    const c3 = interner.internInPlace(parsed(serverClaim('c', 'uid-c', '10.0.0.3')) as unknown as Claim);
    assert.notEqual(c2.spec.poolRef, c1.spec.poolRef, 'after clear, a new canonical instance');
    assert.equal(c3.spec.poolRef, c2.spec.poolRef);
    assert.deepEqual(c2.spec.poolRef, c1.spec.poolRef);
  });

  it('makes a write into a shared sub-object throw instead of changing every object holding it', () => {
    const interner = new JsonInterner();
    const c1 = interner.internInPlace(parsed(serverClaim('a', 'uid-a', '10.0.0.1')) as unknown as Claim);
    const c2 = interner.internInPlace(parsed(serverClaim('b', 'uid-b', '10.0.0.2')) as unknown as Claim);
    assert.throws(() => c1.metadata.finalizers.push('x'), TypeError);
    assert.throws(() => c1.metadata.finalizers.splice(0, 1), TypeError);
    assert.throws(() => {
      c1.spec.poolRef.name = 'other';
    }, TypeError);
    assert.deepEqual(c2.metadata.finalizers, ['ipam.cluster.x-k8s.io/ReleaseAddress']);
    assert.equal(c2.spec.poolRef.name, 'p0');
    // A copy is the way to change one.
    const finalizers = [...c1.metadata.finalizers, 'x'];
    assert.deepEqual(finalizers, ['ipam.cluster.x-k8s.io/ReleaseAddress', 'x']);
  });
});

describe('compactObject', () => {
  it('drops managedFields and keeps the rest', () => {
    const compacted = compactObject(structuredClone(claim));
    const { managedFields: _m, ...metadata } = claim.metadata;
    assert.deepEqual(compacted, { ...claim, metadata });
  });

  it("leaves claims and IPAddresses deep-equal to the server's JSON minus managedFields", () => {
    const server = [
      serverClaim('x-1', 'uid-1', '10.0.0.1'),
      serverClaim('x-2', 'uid-2', '10.0.0.2'),
      serverAddress('x-1', 'uid-1', '10.0.0.1'),
      serverAddress('x-2', 'uid-2', '10.0.0.2'),
    ];
    const cached = server.map((o) => compactObject(parsed(o)));
    cached.forEach((o, i) => {
      assert.deepEqual(o, withoutManagedFields(server[i] as Record<string, unknown>));
    });
    const [c1, c2] = cached as unknown as [Claim, Claim];
    assert.equal(c1.metadata.finalizers, c2.metadata.finalizers, 'the default transform shares');
    assert.ok(Object.isFrozen(c1.metadata.finalizers));
  });
});
