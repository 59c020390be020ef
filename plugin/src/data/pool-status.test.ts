import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_INT64, capInt64 } from '@ipam-in-cluster/allocator';
import { addressFromWire, claimFromWire, type IPAddressWire, type Pool } from '@ipam-in-cluster/api';
import {
  address,
  awkwardAddresses,
  claim,
  ipPool,
  prefixAddresses,
  prefixPool,
  v6Addresses,
  withControllerStatus,
} from '../testing/wire-objects.js';
import type { PoolSummary } from './model.js';
import { countsFromStatus } from './pool-status.js';
import { PoolCounter, addressNamespaces, type CountPlan } from './pool-summary.js';

const FROM_STATUS: CountPlan = { from: 'status' };

const v4Spec = { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' };
const v6Spec = { addresses: ['fd00::/64'], prefix: 64 };
/** 2^64 − 1: fd00::/64 without its subnet-router anycast address (the allocator's layout). */
const V6_TOTAL = 2n ** 64n - 1n;
const pfxSpec = { prefixes: ['fd10::/56'], allocationPrefixLength: 64 };

/** Pools without status, and their IPAddresses: duplicates, out-of-range and unparsable ones too. */
const bare: Pool[] = [
  ipPool('InClusterIPPool', 'a', 'v4', v4Spec),
  ipPool('InClusterIPPool', 'b', 'v6', v6Spec),
  ipPool('GlobalInClusterIPPool', undefined, 'g', { addresses: ['10.9.0.0/30'], prefix: 24 }),
  prefixPool('a', 'pfx', pfxSpec),
];
const wire: IPAddressWire[] = [
  ...awkwardAddresses('a', 'v4'), // a duplicate, an out-of-range and an unparsable one
  address('a', 'a5', '10.0.0.11', 24, 'InClusterIPPool', 'v4'),
  ...v6Addresses('b', 'b', 'InClusterIPPool', 'v6'), // the third out of range
  address('x', 'g1', '10.9.0.1', 24, 'GlobalInClusterIPPool', 'g'),
  ...prefixAddresses('a', 'pfx'), // the third out of range
];

function count(pools: readonly Pool[], plan?: CountPlan): { counter: PoolCounter; summaries: PoolSummary[] } {
  const counter = new PoolCounter(pools, plan);
  // Like session.ts: only pools that need their IPAddresses get any.
  const recount = new Set(counter.recountPools.map((p) => p.metadata.name));
  for (const a of wire) if (recount.has(a.spec.poolRef.name)) counter.addAddress(addressFromWire(a));
  return { counter, summaries: counter.summaries() };
}

function byName(summaries: readonly PoolSummary[], name: string): PoolSummary {
  const p = summaries.find((s) => s.key.name === name);
  assert.ok(p, name);
  return p;
}

/** The pools with the status our controller writes for `bare`'s addresses (from a recount). */
function withStatus(): Pool[] {
  const recounted = count(bare).summaries;
  const dup: Record<string, boolean> = { v4: true };
  const unparsable: Record<string, string> = { v4: '1 IPAddress(es) with an unparsable address …' };
  return bare.map((pool) => {
    const c = byName(recounted, pool.metadata.name ?? '').counts;
    const name = pool.metadata.name ?? '';
    return withControllerStatus(
      pool,
      { total: capInt64(c.total), used: c.used, free: capInt64(c.free), outOfRange: c.outOfRange },
      { duplicates: dup[name] === true, readyMessage: unparsable[name] ?? '' },
    );
  });
}

describe('pool counts from status', () => {
  it('a status written for the current spec gives the same counts as a recount, without any IPAddress', () => {
    const pools = withStatus();
    const fromStatus = count(pools, FROM_STATUS);
    assert.deepEqual(fromStatus.counter.recountPools, []);
    assert.deepEqual(addressNamespaces(fromStatus.counter.recountPools), []);
    const recount = count(pools).summaries;
    for (const s of fromStatus.summaries) {
      assert.equal(s.countsFrom, 'status', s.id);
      assert.equal(s.recountReason, undefined);
      assert.deepEqual(s.statusMismatch, []);
      const r = byName(recount, s.key.name);
      assert.equal(r.countsFrom, 'ipaddresses');
      assert.equal(r.recountReason, 'requested');
      assert.deepEqual(r.statusMismatch, [], `${s.id}: the fixture status is what the controller writes`);
      assert.deepEqual(s.counts, r.counts, s.id);
      assert.equal(s.severity, r.severity);
      assert.equal(s.utilisation, r.utilisation);
    }
    // The IPv4 pool with a duplicate, an out-of-range and an unparsable address: free uncapped, exact.
    assert.deepEqual(byName(fromStatus.summaries, 'v4').counts, {
      total: 11n,
      used: 5n,
      allocated: 2n,
      free: 9n,
      outOfRange: 1n,
    });
  });

  it('IPv6: total exact from the spec, free exact although the status caps both at 2^63−1', () => {
    const v6 = byName(count(withStatus(), FROM_STATUS).summaries, 'v6');
    assert.equal(v6.status?.total, MAX_INT64);
    assert.equal(v6.status.free, MAX_INT64);
    assert.deepEqual(v6.counts, {
      total: V6_TOTAL,
      used: 3n,
      allocated: 2n,
      free: V6_TOTAL - 2n,
      outOfRange: 1n,
    });
    assert.equal(v6.countsFrom, 'status');
  });

  it('a capped IPv6 pool with duplicates or unparsable IPAddresses is recounted (allocated unknown)', () => {
    const [, v6Pool] = withStatus();
    assert.ok(v6Pool);
    const s = v6Pool.status?.ipAddresses;
    assert.ok(s);
    const dup = withControllerStatus(v6Pool, s, { duplicates: true });
    assert.deepEqual(countsFromStatus(dup, 'ip', V6_TOTAL), { ok: false, reason: 'status-capped' });
    const unparsable = withControllerStatus(v6Pool, s, { readyMessage: '1 IPAddress(es) …' });
    assert.deepEqual(countsFromStatus(unparsable, 'ip', V6_TOTAL), { ok: false, reason: 'status-capped' });
    const { summaries, counter } = count([dup], FROM_STATUS);
    const [one] = summaries;
    assert.ok(one);
    assert.deepEqual(
      counter.recountPools.map((p) => p.metadata.name),
      ['v6'],
    );
    assert.equal(one.recountReason, 'status-capped');
    assert.equal(one.counts.free, V6_TOTAL - 2n);
  });

  it('no status yet: counted from IPAddresses, only that pool and only its namespace', () => {
    const pools = withStatus().map((p) => (p.metadata.name === 'pfx' ? prefixPool('a', 'pfx', pfxSpec) : p));
    const { counter, summaries } = count(pools, FROM_STATUS);
    assert.deepEqual(
      counter.recountPools.map((p) => p.metadata.name),
      ['pfx'],
    );
    assert.deepEqual(addressNamespaces(counter.recountPools), ['a']);
    const pfx = byName(summaries, 'pfx');
    assert.equal(pfx.countsFrom, 'ipaddresses');
    assert.equal(pfx.recountReason, 'no-status');
    assert.deepEqual(pfx.counts, { total: 256n, used: 3n, allocated: 2n, free: 254n, outOfRange: 1n });
    assert.equal(byName(summaries, 'v4').countsFrom, 'status');
  });

  it('a status for another generation, or without one, is stale: recounted, and compared', () => {
    const [v4] = withStatus();
    assert.ok(v4);
    const bumped = { ...v4, metadata: { ...v4.metadata, generation: 2 } } as Pool;
    assert.deepEqual(countsFromStatus(bumped, 'ip', 11n), { ok: false, reason: 'stale-status' });
    const s = v4.status?.ipAddresses;
    assert.ok(s);
    const upstream = withControllerStatus(v4, s, { unstamped: true });
    assert.deepEqual(countsFromStatus(upstream, 'ip', 11n), { ok: false, reason: 'stale-status' });
    // status.ipAddresses without conditions (our fixture's plain form): no generation either.
    const plain = ipPool('InClusterIPPool', 'a', 'v4', v4Spec, {
      total: 11,
      used: 0,
      free: 11,
      outOfRange: 0,
    });
    const [one] = count([plain], FROM_STATUS).summaries;
    assert.ok(one);
    assert.equal(one.recountReason, 'stale-status');
    assert.equal(one.counts.used, 5n);
    assert.deepEqual(one.statusMismatch, ['used', 'free', 'outOfRange']);
  });

  it('a status that disagrees with the spec or with itself is not used', () => {
    const [v4] = withStatus();
    assert.ok(v4);
    const again = (counts: Record<string, number>): Pool =>
      withControllerStatus(v4, { total: 11, used: 5, free: 9, outOfRange: 1, ...counts });
    assert.equal(countsFromStatus(again({}), 'ip', 11n).ok, true);
    // The spec lays out to 12 here (the status was computed for 11).
    assert.deepEqual(countsFromStatus(again({}), 'ip', 12n), { ok: false, reason: 'status-disagrees' });
    // used cannot be less than allocated + outOfRange.
    assert.deepEqual(countsFromStatus(again({ used: 1 }), 'ip', 11n), {
      ok: false,
      reason: 'status-disagrees',
    });
    assert.deepEqual(countsFromStatus(again({ free: 12 }), 'ip', 11n), {
      ok: false,
      reason: 'status-disagrees',
    });
    assert.deepEqual(countsFromStatus(again({ used: -1 }), 'ip', 11n), {
      ok: false,
      reason: 'status-disagrees',
    });
    assert.deepEqual(countsFromStatus(again({ used: 0.5 }), 'ip', 11n), {
      ok: false,
      reason: 'status-disagrees',
    });
  });

  it('a deleting pool is recounted (the controller stops updating its counts)', () => {
    const [v4] = withStatus();
    assert.ok(v4);
    const deleting = {
      ...v4,
      metadata: { ...v4.metadata, deletionTimestamp: '2026-01-02T00:00:00Z' },
    } as Pool;
    assert.deepEqual(countsFromStatus(deleting, 'ip', 11n), { ok: false, reason: 'deleting' });
  });

  it('a prefix pool reporting duplicates is recounted; its free is not total − allocated', () => {
    const pools = withStatus();
    const pfx = pools.find((p) => p.metadata.name === 'pfx');
    assert.ok(pfx);
    const s = pfx.status?.ipAddresses;
    assert.ok(s);
    assert.deepEqual(countsFromStatus(withControllerStatus(pfx, s, { duplicates: true }), 'prefix', 256n), {
      ok: false,
      reason: 'duplicates',
    });
    const ok = countsFromStatus(pfx, 'prefix', 256n);
    assert.ok(ok.ok);
    assert.equal(ok.counts.allocated, 2n);
  });

  it('--recount (and the controller stopped) count every pool from its IPAddresses', () => {
    const pools = withStatus();
    for (const reason of ['requested', 'controller-stopped'] as const) {
      const { counter, summaries } = count(pools, { from: 'ipaddresses', reason });
      assert.equal(counter.recountPools.length, pools.length);
      assert.deepEqual(addressNamespaces(counter.recountPools), [undefined]); // a global pool is among them
      for (const s of summaries) {
        assert.equal(s.countsFrom, 'ipaddresses');
        assert.equal(s.recountReason, reason);
        assert.deepEqual(s.statusMismatch, []);
      }
    }
  });

  it('an invalid spec is counted from its IPAddresses, all held out of range, whatever its status says (issue 16.4)', () => {
    const broken = withControllerStatus(
      ipPool('InClusterIPPool', 'a', 'broken', { addresses: ['nope'], prefix: 24 }),
      { total: 3, used: 1, free: 2, outOfRange: 0 },
    );
    const held = [
      address('a', 'h1', '10.0.0.1', 24, 'InClusterIPPool', 'broken'),
      address('a', 'h2', '10.0.0.2', 24, 'InClusterIPPool', 'broken'),
      address('a', 'h3', 'garbage', 24, 'InClusterIPPool', 'broken'),
    ];
    for (const plan of [FROM_STATUS, undefined]) {
      const counter = new PoolCounter([broken], plan);
      assert.deepEqual(
        counter.recountPools.map((p) => p.metadata.name),
        ['broken'],
      );
      for (const a of held) counter.addAddress(addressFromWire(a));
      const [one] = counter.summaries();
      assert.ok(one);
      assert.equal(one.countsFrom, 'none');
      assert.equal(one.recountReason, undefined);
      assert.equal(one.severity, 'invalid');
      assert.deepEqual(one.counts, { total: 0n, used: 3n, allocated: 0n, free: 0n, outOfRange: 2n });
    }
  });

  it('claim counts are unknown unless claims were read', () => {
    const counter = new PoolCounter(withStatus(), FROM_STATUS);
    assert.equal(counter.summaries()[0]?.claimCount, undefined);
    counter.addClaims([]);
    assert.equal(counter.summaries()[0]?.claimCount, 0);
    counter.addClaims([claimFromWire(claim('a', 'c', 'InClusterIPPool', 'v4'))]);
    assert.equal(byName(counter.summaries(), 'v4').claimCount, 1);
  });
});
