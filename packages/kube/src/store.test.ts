import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPAddressClaimWire, IPAddressWire } from '@ipam-in-cluster/api';
import {
  INDEX_CLUSTER_NAME,
  INDEX_POOL_REF,
  ipAddressByPoolRef,
  ipAddressClaimByClusterName,
  ipAddressClaimByPoolRef,
  poolRefIndexValue,
} from './indexers.js';
import { compareResourceVersions, IndexedStore, keyOf, objectKey } from './store.js';

function address(ns: string, name: string, pool: string, rv = '1', apiGroup?: string): IPAddressWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta1',
    kind: 'IPAddress',
    metadata: { namespace: ns, name, resourceVersion: rv },
    spec: {
      claimRef: { name },
      poolRef: { ...(apiGroup !== undefined && { apiGroup }), kind: 'InClusterIPPool', name: pool },
      address: '10.0.0.1',
      prefix: 24,
    },
  };
}

function claim(ns: string, name: string, clusterName?: string, label?: string): IPAddressClaimWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddressClaim',
    metadata: {
      namespace: ns,
      name,
      ...(label !== undefined && { labels: { 'cluster.x-k8s.io/cluster-name': label } }),
    },
    spec: {
      ...(clusterName !== undefined && { clusterName }),
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'GlobalInClusterIPPool', name: 'g' },
    },
  };
}

describe('IndexedStore', () => {
  it('keys by namespace/name and lists per namespace', () => {
    const store = new IndexedStore<IPAddressWire>();
    store.set(address('a', 'x', 'p'));
    store.set(address('b', 'y', 'p'));
    assert.equal(objectKey(address('a', 'x', 'p')), 'a/x');
    assert.equal(keyOf(undefined, 'cluster-scoped'), 'cluster-scoped');
    assert.equal(store.get('a/x')?.metadata.name, 'x');
    assert.deepEqual(
      store.list('b').map((o) => o.metadata.name),
      ['y'],
    );
    assert.equal(store.list().length, 2);
  });

  it('keeps indexes right across update and delete', () => {
    const store = new IndexedStore<IPAddressWire>({ [INDEX_POOL_REF]: ipAddressByPoolRef });
    store.set(address('a', 'x', 'p1'));
    store.set(address('a', 'y', 'p1'));
    store.set(address('b', 'z', 'p1'));
    const key = poolRefIndexValue({ kind: 'InClusterIPPool', name: 'p1' });
    assert.equal(key, 'ipam.cluster.x-k8s.io/InClusterIPPool/p1');
    assert.equal(store.byIndex(INDEX_POOL_REF, key).length, 3);
    assert.equal(store.byIndex(INDEX_POOL_REF, key, 'a').length, 2);
    store.set(address('a', 'x', 'p2', '2'));
    assert.deepEqual(
      store.byIndex(INDEX_POOL_REF, key, 'a').map((o) => o.metadata.name),
      ['y'],
    );
    assert.equal(store.byIndex(INDEX_POOL_REF, 'ipam.cluster.x-k8s.io/InClusterIPPool/p2').length, 1);
    store.delete('a/y');
    assert.deepEqual(
      store.byIndex(INDEX_POOL_REF, key).map((o) => o.metadata.name),
      ['z'],
    );
    assert.throws(() => store.byIndex('nope', 'v'), /no index named nope/);
  });

  it('reads an empty v1beta1 apiGroup as ipam.cluster.x-k8s.io, like upstream', () => {
    assert.deepEqual(ipAddressByPoolRef(address('a', 'x', 'p', '1', '')), [
      'ipam.cluster.x-k8s.io/InClusterIPPool/p',
    ]);
    assert.deepEqual(ipAddressClaimByPoolRef(claim('a', 'c')), [
      'ipam.cluster.x-k8s.io/GlobalInClusterIPPool/g',
    ]);
  });

  it('indexes claims by spec.clusterName, else the cluster-name label, else not at all', () => {
    const store = new IndexedStore<IPAddressClaimWire>({ [INDEX_CLUSTER_NAME]: ipAddressClaimByClusterName });
    store.set(claim('a', 'c1', 'wl'));
    store.set(claim('a', 'c2', undefined, 'wl'));
    store.set(claim('a', 'c3', 'other', 'wl'));
    store.set(claim('a', 'c4'));
    assert.deepEqual(
      store
        .byIndex(INDEX_CLUSTER_NAME, 'wl')
        .map((o) => o.metadata.name)
        .sort(),
      ['c1', 'c2'],
    );
    assert.equal(store.byIndex(INDEX_CLUSTER_NAME, '').length, 0);
  });

  it('reports a throwing index function and still stores the object', () => {
    const errors: string[] = [];
    const store = new IndexedStore<IPAddressWire>(
      {
        bad: () => {
          throw new Error('boom');
        },
      },
      (index) => errors.push(index),
    );
    store.set(address('a', 'x', 'p'));
    assert.deepEqual(errors, ['bad']);
    assert.equal(store.size, 1);
  });
});

describe('compareResourceVersions', () => {
  it('orders integer versions numerically and refuses opaque ones', () => {
    assert.equal(compareResourceVersions('9', '10'), -1);
    assert.equal(compareResourceVersions('10', '10'), 0);
    assert.equal(compareResourceVersions('18446744073709551617', '18446744073709551616'), 1);
    assert.equal(compareResourceVersions('abc', '10'), undefined);
    assert.equal(compareResourceVersions(undefined, '10'), undefined);
  });
});
