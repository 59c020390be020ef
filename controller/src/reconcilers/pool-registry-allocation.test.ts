import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { parseAddr } from '@ipam-in-cluster/allocator';
import type { TypedPoolSpec } from '@ipam-in-cluster/api';
import { gatewayText, PoolRegistry } from './pool-registry.js';
import { setPoolSpec } from './pool-registry.test-helper.js';

const P = 'InClusterIPPool/default/p';
const ipPool = (addresses: string[], prefix = 24, gateway?: string): TypedPoolSpec => ({
  type: 'ip',
  spec: { addresses, prefix, ...(gateway === undefined ? {} : { gateway }) },
});

async function reserve(idx: PoolRegistry, pool: string, key: string) {
  const r = await idx.allocate(pool, key);
  assert.ok(r.ok, r.ok ? '' : `${r.reason}: ${r.message}`);
  return r.reservation;
}

/** A seeded PRNG (mulberry32), so the stress test is reproducible. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('gatewayText', () => {
  const parsed = (s: string) => {
    const a = parseAddr(s);
    assert.ok(a.ok);
    return a.value;
  };
  it("keeps the pool's text where the IPAddress schema takes it, canonical beyond 39 characters", () => {
    assert.equal(gatewayText('FD00::1', parsed('FD00::1')), 'FD00::1');
    assert.equal(gatewayText('fe80::1%eth0', parsed('fe80::1%eth0')), 'fe80::1%eth0');
    assert.equal(gatewayText('10.0.0.1', parsed('10.0.0.1')), '10.0.0.1');
    const long = 'fe80:0000:0000:0000:0000:0000:0000:0001%eth0';
    assert.equal(gatewayText(long, parsed(long)), 'fe80::1');
    assert.equal(gatewayText('', undefined), undefined);
  });
});

describe('PoolRegistry allocation', () => {
  it('hands out the lowest free address with the pool prefix and gateway, and reserves it', async () => {
    const idx = new PoolRegistry();
    assert.ok(setPoolSpec(idx, P, ipPool(['10.0.0.10-10.0.0.20'], 24, '10.0.0.10')).ok);
    const a = await reserve(idx, P, 'default/a');
    const b = await reserve(idx, P, 'default/b');
    assert.deepEqual([a.address, a.prefix, a.gateway, a.existing], ['10.0.0.11', 24, '10.0.0.10', false]);
    assert.equal(
      b.address,
      '10.0.0.12',
      'a reserved address is not handed out again before its create returns',
    );
    assert.deepEqual(
      idx.counts(P) && {
        total: idx.counts(P)?.total,
        used: idx.counts(P)?.used,
        reserved: idx.counts(P)?.reserved,
      },
      { total: 10n, used: 2n, reserved: 2 },
    );
  });

  it('a failed create releases its reservation; the address is handed out again', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    const a = await reserve(idx, P, 'default/a');
    assert.equal(a.release(), true);
    assert.equal(a.release(), false, 'release is one-shot');
    assert.equal(idx.holding(P, 'default/a'), undefined);
    assert.equal((await reserve(idx, P, 'default/b')).address, a.address);
  });

  it('events for addresses the controller created itself are idempotent', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    const a = await reserve(idx, P, 'default/a');
    a.confirm();
    assert.equal(idx.hold(P, 'default/a', a.address, 24), 'unchanged');
    assert.equal(idx.hold(P, 'default/a', a.address, 24), 'unchanged');
    assert.equal(idx.counts(P)?.used, 1n);
    assert.equal(idx.holding(P, 'default/a')?.state, 'observed');
    assert.equal(a.release(), false, 'a confirmed holding is never released by the reservation');
    assert.equal((await reserve(idx, P, 'default/b')).address, '10.0.0.2');
    assert.equal(idx.release(P, 'default/a'), true);
    assert.equal(idx.release(P, 'default/a'), false);
    assert.equal((await reserve(idx, P, 'default/c')).address, '10.0.0.1');
  });

  it('a watch event that beats the create answer makes release a no-op (the object exists)', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    const a = await reserve(idx, P, 'default/a');
    idx.hold(P, 'default/a', a.address, 24);
    assert.equal(a.release(), false);
    assert.equal(idx.counts(P)?.used, 1n);
  });

  it('returns the existing address for a key that already holds one, and refuses a second in-flight pick', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    const a = await reserve(idx, P, 'default/a');
    const again = await idx.allocate(P, 'default/a');
    assert.deepEqual(again.ok ? undefined : again.reason, 'AllocationInProgress');
    a.confirm();
    const adopt = await reserve(idx, P, 'default/a');
    assert.deepEqual([adopt.existing, adopt.address], [true, a.address]);
    assert.equal(idx.counts(P)?.used, 1n);
  });

  it('reports PoolNotFound, PoolNotReady (invalid spec) and PoolExhausted as values', async () => {
    const idx = new PoolRegistry();
    const missing = await idx.allocate(P, 'default/a');
    assert.equal(missing.ok ? '' : missing.reason, 'PoolNotFound');
    const bad = setPoolSpec(idx, P, ipPool(['10.0.0.x']));
    assert.equal(bad.ok, false);
    const notReady = await idx.allocate(P, 'default/a');
    assert.equal(notReady.ok ? '' : notReady.reason, 'PoolNotReady');
    setPoolSpec(idx, P, ipPool(['10.0.0.5'], 24));
    await reserve(idx, P, 'default/a');
    const full = await idx.allocate(P, 'default/b');
    assert.equal(full.ok ? '' : full.reason, 'PoolExhausted');
    idx.removePool(P);
    const gone = await idx.allocate(P, 'default/c');
    assert.equal(gone.ok ? '' : gone.reason, 'PoolNotFound');
  });

  it('addresses seen before the pool are applied when its spec arrives', async () => {
    const idx = new PoolRegistry();
    idx.hold(P, 'default/old', '10.0.0.1', 24);
    assert.equal(idx.isReady(P), false);
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    assert.equal((await reserve(idx, P, 'default/new')).address, '10.0.0.2');
  });

  it('rebuild on a spec change re-marks holdings; ones now outside are out of range; same spec is a no-op', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, {
      type: 'ip',
      spec: {
        addresses: ['10.0.0.10-10.0.0.20'],
        prefix: 24,
        gateway: '10.0.0.1',
        allocateReservedIPAddresses: true,
      },
    });
    for (const k of ['a', 'b', 'c', 'd', 'e']) (await reserve(idx, P, `default/${k}`)).confirm();
    assert.equal(idx.holding(P, 'default/e')?.address, '10.0.0.14');
    setPoolSpec(idx, P, {
      type: 'ip',
      spec: { addresses: ['10.0.0.13-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' },
    });
    const c = idx.counts(P);
    assert.deepEqual([c?.total, c?.used, c?.free, c?.outOfRange], [8n, 5n, 6n, 3n]);
    assert.equal((await reserve(idx, P, 'default/f')).address, '10.0.0.15');
    const before = idx.counts(P);
    setPoolSpec(idx, P, {
      type: 'ip',
      spec: { addresses: ['10.0.0.13-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' },
    });
    assert.deepEqual(idx.counts(P), before);
    idx.release(P, 'default/a');
    assert.equal(idx.counts(P)?.outOfRange, 2n, 'releasing an out-of-range holding works');
  });

  it('sync drops holdings a relist no longer shows, keeping in-flight and recently created ones', async () => {
    const clock = new FakeClock();
    const idx = new PoolRegistry({ clock, confirmGraceMs: 1000 });
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.9']));
    idx.hold(P, 'default/gone', '10.0.0.1', 24);
    idx.hold(P, 'default/kept', '10.0.0.2', 24);
    const inflight = await reserve(idx, P, 'default/inflight');
    const created = await reserve(idx, P, 'default/created');
    created.confirm();
    idx.sync(P, [
      { ipAddressKey: 'default/kept', address: '10.0.0.2', prefix: 24 },
      { ipAddressKey: 'default/new', address: '10.0.0.9', prefix: 24 },
    ]);
    assert.equal(idx.holding(P, 'default/gone'), undefined);
    assert.deepEqual(
      ['default/kept', 'default/inflight', 'default/created', 'default/new'].map(
        (k) => idx.holding(P, k)?.state,
      ),
      ['observed', 'reserved', 'created', 'observed'],
    );
    clock.advance(1000);
    idx.sync(P, [{ ipAddressKey: 'default/kept', address: '10.0.0.2', prefix: 24 }]);
    assert.equal(
      idx.holding(P, 'default/created'),
      undefined,
      'a create never observed within the grace is dropped',
    );
    assert.equal(idx.holding(P, 'default/inflight')?.address, inflight.address);
  });

  it('moves an IPAddress key to another pool instead of holding it twice', () => {
    const idx = new PoolRegistry();
    const Q = 'InClusterIPPool/default/q';
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    setPoolSpec(idx, Q, ipPool(['10.0.1.1-10.0.1.3']));
    idx.hold(P, 'default/a', '10.0.0.1', 24);
    idx.hold(Q, 'default/a', '10.0.1.1', 24);
    assert.equal(idx.counts(P)?.used, 0n);
    assert.equal(idx.counts(Q)?.used, 1n);
  });

  it('counts unparsable addresses as used without blocking allocation', async () => {
    const idx = new PoolRegistry();
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.3']));
    idx.hold(P, 'default/junk', 'not-an-ip', 24);
    assert.deepEqual(idx.counts(P)?.invalid, ['default/junk']);
    assert.equal(idx.counts(P)?.used, 1n);
    assert.equal((await reserve(idx, P, 'default/a')).address, '10.0.0.1');
  });

  it('check: whether the pool could hand out an address, and who else holds it', () => {
    const idx = new PoolRegistry();
    assert.equal(idx.check(P, 'default/x', '10.0.0.11', 24), undefined, 'no layout yet');
    assert.ok(setPoolSpec(idx, P, ipPool(['10.0.0.10-10.0.0.20'], 24, '10.0.0.10')).ok);
    idx.hold(P, 'default/a', '10.0.0.11', 24);
    idx.hold(P, 'default/b', '10.0.0.11', 24);
    assert.deepEqual(idx.check(P, 'default/x', '10.0.0.11', 24), {
      inPool: true,
      alsoHeldBy: ['default/a', 'default/b'],
    });
    assert.deepEqual(idx.check(P, 'default/a', '10.0.0.11', 24), { inPool: true, alsoHeldBy: ['default/b'] });
    assert.deepEqual(idx.check(P, 'default/x', '10.0.0.12', 24), { inPool: true, alsoHeldBy: [] });
    // The gateway, an address outside the ranges, and garbage are not the pool's to hand out.
    for (const address of ['10.0.0.10', '192.168.1.1', 'banana'])
      assert.equal(idx.check(P, 'default/x', address, 24)?.inPool, false, address);
    const Q = 'InClusterPrefixPool/default/q';
    assert.ok(
      setPoolSpec(idx, Q, { type: 'prefix', spec: { prefixes: ['fd00::/48'], allocationPrefixLength: 64 } })
        .ok,
    );
    assert.equal(idx.check(Q, 'default/x', 'fd00:0:0:5::', 64)?.inPool, true);
    assert.equal(idx.check(Q, 'default/x', 'fd00:0:0:5::', 80)?.inPool, false, 'wrong prefix length');
    assert.equal(idx.check(Q, 'default/x', 'fd01::', 64)?.inPool, false, 'outside the prefixes');
  });

  it('prefix pools hand out the lowest free sub-prefix', async () => {
    const idx = new PoolRegistry();
    const X = 'InClusterPrefixPool/default/x';
    assert.ok(
      setPoolSpec(idx, X, {
        type: 'prefix',
        spec: { prefixes: ['fd00::/62'], allocationPrefixLength: 64, gateway: 'fd00::1' },
      }).ok,
    );
    idx.hold(X, 'default/old', 'fd00::', 64);
    const a = await reserve(idx, X, 'default/a');
    assert.deepEqual([a.address, a.prefix, a.gateway], ['fd00:0:0:1::', 64, 'fd00::1']);
    a.confirm();
    idx.hold(X, 'default/a', a.address, 64);
    const c = idx.counts(X);
    assert.deepEqual([c?.total, c?.used, c?.free], [4n, 2n, 2n]);
  });

  it('hundreds of concurrent allocations across pools, with failing creates and racing watch events, never duplicate', async () => {
    const random = rng(42);
    const idx = new PoolRegistry();
    const pools = ['a', 'b', 'c', 'd'].map((n) => `InClusterIPPool/ns/${n}`);
    // 4 pools of 140 addresses; 600 claims → some pools run out, which must be reported, not duplicated.
    pools.forEach((p, i) => setPoolSpec(idx, p, ipPool([`10.${String(i)}.0.1-10.${String(i)}.0.140`])));
    /** The "API server": IPAddress key → address, per pool. Names are claim names, so unique. */
    const api = new Map<string, Map<string, string>>(pools.map((p) => [p, new Map()]));
    const tick = async (): Promise<void> => {
      const n = Math.floor(random() * 4);
      for (let i = 0; i < n; i++) await Promise.resolve();
      if (random() < 0.2) await new Promise<void>((resolve) => setImmediate(resolve));
    };
    const outcomes = { created: 0, failed: 0, exhausted: 0 };
    const claim = async (i: number): Promise<void> => {
      const pool = pools[i % pools.length] ?? '';
      const key = `ns/claim-${String(i)}`;
      for (let attempt = 0; attempt < 5; attempt++) {
        const r = await idx.allocate(pool, key);
        if (!r.ok) {
          assert.equal(r.reason, 'PoolExhausted');
          outcomes.exhausted++;
          return;
        }
        await tick(); // the create call is in flight
        if (random() < 0.25) {
          assert.equal(r.reservation.release(), true);
          outcomes.failed++;
          continue; // retry
        }
        api.get(pool)?.set(key, r.reservation.address);
        // The watch event may arrive before or after the create answer.
        const echo = async (): Promise<void> => {
          await tick();
          idx.hold(pool, key, r.reservation.address, 24);
        };
        const echoed = echo();
        await tick();
        r.reservation.confirm();
        await echoed;
        outcomes.created++;
        // Some claims are deleted again and their IPAddress with them.
        if (random() < 0.1) {
          await tick();
          api.get(pool)?.delete(key);
          idx.release(pool, key);
        }
        return;
      }
    };
    await Promise.all(Array.from({ length: 600 }, (_, i) => claim(i)));

    for (const pool of pools) {
      const addresses = [...(api.get(pool)?.values() ?? [])];
      assert.equal(new Set(addresses).size, addresses.length, `duplicate address in ${pool}`);
      const c = idx.counts(pool);
      assert.ok(c !== undefined);
      assert.equal(c.used, BigInt(addresses.length), 'the state matches the API');
      assert.equal(c.reserved, 0);
      for (const [key, address] of api.get(pool) ?? [])
        assert.equal(idx.holding(pool, key)?.address, address);
    }
    assert.ok(
      outcomes.created > 500 && outcomes.failed > 50 && outcomes.exhausted > 0,
      JSON.stringify(outcomes),
    );
  });

  it('allocations of one pool are served in arrival order, pools independently', async () => {
    const idx = new PoolRegistry();
    const Q = 'InClusterIPPool/default/q';
    setPoolSpec(idx, P, ipPool(['10.0.0.1-10.0.0.50']));
    setPoolSpec(idx, Q, ipPool(['10.0.1.1-10.0.1.50']));
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => idx.allocate(i % 2 === 0 ? P : Q, `default/c${String(i)}`)),
    );
    const addresses = results.map((r) => (r.ok ? r.reservation.address : ''));
    assert.deepEqual(
      addresses.filter((_, i) => i % 2 === 0),
      Array.from({ length: 10 }, (_, i) => `10.0.0.${String(i + 1)}`),
    );
    assert.deepEqual(
      addresses.filter((_, i) => i % 2 === 1),
      Array.from({ length: 10 }, (_, i) => `10.0.1.${String(i + 1)}`),
    );
  });
});
