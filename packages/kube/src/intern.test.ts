import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compactObject } from './informer.js';
import { StringInterner } from './intern.js';

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

describe('StringInterner', () => {
  it('leaves JSON values equal (in place: same object back)', () => {
    const interner = new StringInterner();
    const value = structuredClone(claim);
    assert.equal(interner.internInPlace(value), value);
    assert.deepEqual(value, claim);
    assert.equal(interner.intern('ipam.cluster.x-k8s.io/v1beta2'), 'ipam.cluster.x-k8s.io/v1beta2');
  });

  it('keeps short strings only, not resourceVersions or condition messages; timestamps too (bursts repeat them)', () => {
    const interner = new StringInterner({ maxLength: 20 });
    interner.internInPlace({
      metadata: { resourceVersion: '1', creationTimestamp: 't' },
      status: {
        conditions: [{ lastTransitionTime: 't', message: 'm' }],
        note: 'a string longer than twenty',
      },
    });
    assert.equal(interner.size, 1, 'only the timestamp');
    interner.internInPlace({ kind: 'A', list: ['b', 'b', 'c'] });
    assert.equal(interner.size, 4);
  });

  it('empties its table when full instead of growing', () => {
    const interner = new StringInterner({ maxEntries: 10 });
    for (let i = 0; i < 1000; i++) interner.intern(`name-${String(i)}`);
    assert.ok(interner.size <= 10);
    assert.equal(interner.intern('name-999'), 'name-999');
  });
});

describe('compactObject', () => {
  it('drops managedFields and keeps the rest', () => {
    const compacted = compactObject(structuredClone(claim));
    const { managedFields: _m, ...metadata } = claim.metadata;
    assert.deepEqual(compacted, { ...claim, metadata });
  });
});
