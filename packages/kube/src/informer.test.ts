import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPAddressWire } from '@ipam-in-cluster/api';
import { stripManagedFields } from './informer.js';

function address(managedFields?: unknown[]): IPAddressWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddress',
    metadata: {
      namespace: 'ns',
      name: 'a',
      resourceVersion: '7',
      labels: { app: 'x' },
      finalizers: ['ipam.cluster.x-k8s.io/ProtectAddress'],
      ...(managedFields === undefined ? {} : { managedFields }),
    },
    spec: {
      address: '10.0.0.1',
      prefix: 24,
      claimRef: { name: 'a' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
    },
  };
}

describe('stripManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else', () => {
    const entry = { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} };
    const original = address([entry]);
    const stripped = stripManagedFields(original);
    assert.deepEqual(stripped, address());
    assert.ok(!('managedFields' in stripped.metadata));
    // The argument is untouched (it may be a write response the caller still holds).
    assert.deepEqual((original.metadata as { managedFields?: unknown[] }).managedFields, [entry]);
    assert.equal(stripped.spec, original.spec, 'the rest is shared, not copied');
  });

  it('returns the same object when there is nothing to strip', () => {
    const plain = address();
    assert.equal(stripManagedFields(plain), plain);
    const noMeta = { kind: 'Status' };
    assert.equal(stripManagedFields(noMeta), noMeta);
  });
});
