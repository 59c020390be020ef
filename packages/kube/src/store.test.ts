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
    assert.equal(store.get('a', 'x')?.metadata.name, 'x');
    assert.deepEqual(
      store.list('b').map((o) => o.metadata.name),
      ['y'],
    );
    assert.equal(store.list().length, 2);
  });

  it('tells a cluster-scoped object from a namespaced one of the same name, and counts both', () => {
    const store = new IndexedStore<IPAddressWire>({ [INDEX_POOL_REF]: ipAddressByPoolRef });
    const scoped = address('', 'x', 'p');
    delete (scoped.metadata as { namespace?: string }).namespace;
    store.set(scoped);
    store.set(address('a', 'x', 'p'));
    store.set(address('a', 'x', 'p', '2'));
    assert.equal(store.size, 2);
    assert.deepEqual(store.list().map(objectKey).sort(), ['a/x', 'x']);
    assert.equal(store.get('', 'x'), scoped);
    assert.equal(store.get(undefined, 'x'), scoped);
    assert.equal(store.get('a', 'x')?.metadata.resourceVersion, '2');
    const value = poolRefIndexValue({ kind: 'InClusterIPPool', name: 'p' });
    assert.equal(store.byIndex(INDEX_POOL_REF, value).length, 2);
    assert.deepEqual(
      store.byIndex(INDEX_POOL_REF, value, 'a').map((o) => o.metadata.resourceVersion),
      ['2'],
    );
    assert.equal(store.delete('a', 'x')?.metadata.resourceVersion, '2');
    assert.equal(store.delete('a', 'x'), undefined);
    assert.equal(store.size, 1);
    assert.deepEqual(store.list('a'), []);
    assert.deepEqual(store.byIndex(INDEX_POOL_REF, value), [scoped]);
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
    store.delete('a', 'y');
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

describe('IndexedStore: index values recomputed from the stored object', () => {
  const byPool = (o: IPAddressWire): readonly string[] => [o.spec.poolRef.name];
  const names = (store: IndexedStore<IPAddressWire>, index: string, value: string): string[] =>
    store
      .byIndex(index, value)
      .map((o) => o.metadata.name ?? '')
      .sort();

  it('keeps several indexes right through add, update and delete', () => {
    const byNamespace = (o: IPAddressWire): readonly string[] => [o.metadata.namespace ?? ''];
    const store = new IndexedStore<IPAddressWire>({ pool: byPool, ns: byNamespace });
    store.set(address('a', 'x', 'p1'));
    store.set(address('a', 'y', 'p1'));
    store.set(address('b', 'z', 'p2'));
    assert.deepEqual(names(store, 'pool', 'p1'), ['x', 'y']);
    assert.deepEqual(names(store, 'ns', 'a'), ['x', 'y']);
    // Same key, new pool: out of p1, into p2; the namespace index is unchanged.
    store.set(address('a', 'x', 'p2', '2'));
    assert.deepEqual(names(store, 'pool', 'p1'), ['y']);
    assert.deepEqual(names(store, 'pool', 'p2'), ['x', 'z']);
    assert.deepEqual(names(store, 'ns', 'a'), ['x', 'y']);
    // Setting the same values again changes nothing.
    store.set(address('a', 'x', 'p2', '3'));
    assert.deepEqual(names(store, 'pool', 'p2'), ['x', 'z']);
    store.delete('a', 'y');
    assert.deepEqual(names(store, 'pool', 'p1'), []);
    assert.deepEqual(names(store, 'ns', 'a'), ['x']);
    assert.equal(store.delete('a', 'y'), undefined, 'deleting twice is a no-op');
    store.delete('a', 'x');
    store.delete('b', 'z');
    assert.deepEqual(names(store, 'pool', 'p2'), []);
    assert.deepEqual(names(store, 'ns', 'a'), []);
    assert.equal(store.size, 0);
  });

  it('files an object under no value when its index function throws, and under the right one after', () => {
    const errors: string[] = [];
    const store = new IndexedStore<IPAddressWire>(
      {
        pool: (o) => {
          if (o.spec.poolRef.name === 'bad') throw new Error('boom');
          return byPool(o);
        },
      },
      (index) => errors.push(index),
    );
    store.set(address('a', 'x', 'bad'));
    assert.equal(store.size, 1);
    // The old object throws again when it is unfiled (reported), the new one is filed.
    store.set(address('a', 'x', 'p1', '2'));
    assert.deepEqual(names(store, 'pool', 'p1'), ['x']);
    assert.deepEqual(errors, ['pool', 'pool']);
    // The other way round: the new one throws and is filed under nothing; p1 no longer lists it.
    store.set(address('a', 'x', 'bad', '3'));
    assert.deepEqual(names(store, 'pool', 'p1'), []);
    store.delete('a', 'x');
    assert.equal(store.size, 0);
    assert.deepEqual(errors, ['pool', 'pool', 'pool', 'pool']);
  });

  it('leaves no stale key when an index function throws for the old object only now', () => {
    // Not pure (throws for one object instance from some moment on): the store must still not keep
    // the key under the value the object was filed under.
    let poisoned: IPAddressWire | undefined;
    const errors: unknown[] = [];
    const store = new IndexedStore<IPAddressWire>(
      {
        pool: (o) => {
          if (o === poisoned) throw new Error('boom');
          return byPool(o);
        },
        other: byPool,
      },
      (_index, error) => errors.push(error),
    );
    const old = address('a', 'x', 'p1');
    store.set(old);
    store.set(address('a', 'y', 'p1'));
    poisoned = old;
    store.set(address('a', 'x', 'p2', '2'));
    assert.equal(errors.length, 1);
    assert.deepEqual(names(store, 'pool', 'p1'), ['y']);
    assert.deepEqual(names(store, 'pool', 'p2'), ['x']);
    assert.deepEqual(names(store, 'other', 'p1'), ['y']);
    // And on delete.
    poisoned = store.get('a', 'y');
    store.delete('a', 'y');
    assert.deepEqual(names(store, 'pool', 'p1'), []);
    assert.deepEqual(names(store, 'other', 'p1'), []);
    assert.equal(errors.length, 2);
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
