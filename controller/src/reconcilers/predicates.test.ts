import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_PENDING_ALLOCATIONS, FINALIZER_RELEASE_ADDRESS } from '@ipam-in-cluster/api';
import { metaChanged, withoutFence } from './predicates.js';

describe('watch predicates', () => {
  const base = { name: 'c', generation: 1, labels: { a: '1' }, annotations: { x: 'y' }, finalizers: [] };

  it('our own finalizer being added is no change; any other finalizer change is', () => {
    assert.equal(metaChanged({ ...base, finalizers: [FINALIZER_RELEASE_ADDRESS] }, base), false);
    assert.equal(metaChanged({ ...base, finalizers: ['other'] }, base), true);
    assert.equal(metaChanged(base, { ...base, finalizers: [FINALIZER_RELEASE_ADDRESS] }), true);
  });

  it('generation, deletion, labels and annotations are changes; an equal copy is not', () => {
    assert.equal(metaChanged({ ...base }, base), false);
    assert.equal(metaChanged({ ...base, generation: 2 }, base), true);
    assert.equal(metaChanged({ ...base, deletionTimestamp: '2026-01-01T00:00:00Z' }, base), true);
    assert.equal(metaChanged({ ...base, labels: { a: '2' } }, base), true);
    assert.equal(metaChanged({ ...base, annotations: {} }, base), true);
  });

  it('a fence write alone is no change of a pool', () => {
    const fenced = { ...base, annotations: { ...base.annotations, [ANNOTATION_PENDING_ALLOCATIONS]: '[]' } };
    assert.equal(metaChanged(withoutFence(fenced), withoutFence(base)), false);
    assert.equal(metaChanged(fenced, base), true);
    assert.equal(withoutFence(base), base, 'nothing to strip: the same object');
  });
});
