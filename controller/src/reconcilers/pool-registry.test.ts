import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Address, Pool } from '@ipam-in-cluster/api';
import { parsePoolKey, poolIdFromRef, poolKey } from './keys.js';
import { addressPoolId, PoolRegistry } from './pool-registry.js';

function ipPool(spec: Pool['spec'], deleting = false): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: {
      name: 'p',
      namespace: 'ns',
      uid: 'u',
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec,
  } as Pool;
}

function address(name: string, addr: string, poolName = 'p', group = 'ipam.cluster.x-k8s.io'): Address {
  return {
    metadata: { name, namespace: 'ns' },
    claimName: name,
    poolRef: { apiGroup: group, kind: 'InClusterIPPool', name: poolName },
    address: addr,
    prefix: 24,
    gateway: undefined,
  };
}

const id = { kind: 'InClusterIPPool' as const, namespace: 'ns', name: 'p' };
const key = poolKey(id);

describe('keys', () => {
  it('round-trips pool keys and keeps namespaced and global pools apart', () => {
    assert.deepEqual(parsePoolKey(key), id);
    assert.notEqual(poolKey({ kind: 'GlobalInClusterIPPool', namespace: '', name: 'p' }), key);
    assert.deepEqual(
      poolIdFromRef({ apiGroup: 'ipam.cluster.x-k8s.io', kind: 'GlobalInClusterIPPool', name: 'g' }, 'ns'),
      {
        kind: 'GlobalInClusterIPPool',
        namespace: '',
        name: 'g',
      },
    );
    assert.equal(poolIdFromRef({ apiGroup: '', kind: 'InClusterIPPool', name: 'p' }, 'ns'), undefined);
    assert.equal(
      poolIdFromRef({ apiGroup: 'ipam.cluster.x-k8s.io', kind: 'Other', name: 'p' }, 'ns'),
      undefined,
    );
  });

  it('reads an IPAddress poolRef without group as ours (upstream index rule)', () => {
    assert.deepEqual(addressPoolId(address('a', '10.0.0.1', 'p', '')), id);
  });
});

describe('PoolRegistry', () => {
  it('allocates lowest-first, never twice, and frees on delete', async () => {
    const r = new PoolRegistry();
    r.upsertPool(id, ipPool({ addresses: ['10.0.0.1-10.0.0.3'], prefix: 24 }));
    r.addressObserved(address('x', '10.0.0.1'));
    const a = await r.allocate(key, 'ns/a');
    const b = await r.allocate(key, 'ns/b');
    assert.ok(a.ok && b.ok);
    assert.deepEqual([a.reservation.address, b.reservation.address], ['10.0.0.2', '10.0.0.3']);
    const c = await r.allocate(key, 'ns/c');
    assert.deepEqual(c.ok ? 'ok' : c.reason, 'PoolExhausted');
    r.addressDeleted(address('x', '10.0.0.1'));
    const d = await r.allocate(key, 'ns/c');
    assert.ok(d.ok);
    assert.equal(d.reservation.address, '10.0.0.1');
  });

  it('refuses terminating pools and invalid specs with PoolNotReady, unknown pools with PoolNotFound', async () => {
    const r = new PoolRegistry();
    assert.deepEqual(await r.allocate(key, 'ns/a').then((x) => (x.ok ? 'ok' : x.reason)), 'PoolNotFound');
    r.upsertPool(id, ipPool({ addresses: ['10.0.0.1', '10.1.0.1'], prefix: 24 }));
    assert.match(r.specError(key) ?? '', /different subnet/);
    assert.deepEqual(await r.allocate(key, 'ns/a').then((x) => (x.ok ? 'ok' : x.reason)), 'PoolNotReady');
    r.upsertPool(id, ipPool({ addresses: ['10.0.0.1'], prefix: 24 }, true));
    assert.deepEqual(await r.allocate(key, 'ns/a').then((x) => (x.ok ? 'ok' : x.reason)), 'PoolNotReady');
  });

  it('an unparsable IPAddress is counted, not blocking', async () => {
    const r = new PoolRegistry();
    r.upsertPool(id, ipPool({ addresses: ['10.0.0.1-10.0.0.2'], prefix: 24 }));
    r.addressObserved(address('bad', 'nope'));
    const a = await r.allocate(key, 'ns/a');
    assert.ok(a.ok);
    const c = r.counts(key);
    assert.deepEqual([c?.used, c?.free, c?.invalid], [2n, 1n, ['ns/bad']]);
  });

  it('wakes waiting claims once', () => {
    const r = new PoolRegistry();
    r.addWaiting(key, 'ns/a');
    r.addWaiting(key, 'ns/a');
    r.addWaiting(key, 'ns/b');
    assert.deepEqual(r.takeWaiting(key), ['ns/a', 'ns/b']);
    assert.deepEqual(r.takeWaiting(key), []);
  });

  it('cancels an in-flight reservation of a vanished claim', async () => {
    const r = new PoolRegistry();
    r.upsertPool(id, ipPool({ addresses: ['10.0.0.1'], prefix: 24 }));
    assert.ok((await r.allocate(key, 'ns/a')).ok);
    r.cancelReservations('ns/a');
    const b = await r.allocate(key, 'ns/b');
    assert.ok(b.ok);
    assert.equal(b.reservation.address, '10.0.0.1');
  });
});
