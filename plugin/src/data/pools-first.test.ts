// The browser's early snapshot (buildPoolsFirst): pools alone, counted exactly as `kubectl ipam
// pools` counts them, or nothing when some pool needs its IPAddresses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capInt64 } from '@ipam-in-cluster/allocator';
import { addressFromWire, type Pool } from '@ipam-in-cluster/api';
import { address, claim, ipPool, prefixPool, withControllerStatus } from '../testing/wire-objects.js';
import { PoolCounter } from './pool-summary.js';
import { buildInventory, buildPoolsFirst } from './snapshot.js';

const NOW = new Date('2026-01-02T00:00:00Z');

const bare: Pool[] = [
  ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
  ipPool('InClusterIPPool', 'b', 'full', { addresses: ['10.1.0.1-10.1.0.2'], prefix: 24 }),
  ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['fd00::/64'], prefix: 64 }),
  prefixPool('a', 'pfx', { prefixes: ['fd10::/56'], allocationPrefixLength: 64 }),
];
const addresses = [
  address('a', 'n1', '10.0.0.10', 24, 'InClusterIPPool', 'nodes'),
  address('a', 'n2', '10.0.0.11', 24, 'InClusterIPPool', 'nodes'),
  address('a', 'old', '10.0.0.99', 24, 'InClusterIPPool', 'nodes'), // out of range
  address('b', 'f1', '10.1.0.1', 24, 'InClusterIPPool', 'full'),
  address('b', 'f2', '10.1.0.2', 24, 'InClusterIPPool', 'full'),
  address('x', 's1', 'fd00::5', 64, 'GlobalInClusterIPPool', 'shared'),
  address('a', 'p1', 'fd10::', 64, 'InClusterPrefixPool', 'pfx'),
];
const claims = [claim('a', 'n1', 'InClusterIPPool', 'nodes', { addressName: 'n1' })];

/** `bare` with the status our controller writes for `addresses` (from a recount). */
function withStatus(): Pool[] {
  const counter = new PoolCounter(bare);
  for (const a of addresses) counter.addAddress(addressFromWire(a));
  const recounted = counter.summaries();
  return bare.map((pool) => {
    const c = recounted.find((s) => s.key.name === pool.metadata.name)?.counts;
    assert.ok(c);
    return withControllerStatus(pool, {
      total: capInt64(c.total),
      used: c.used,
      free: capInt64(c.free),
      outOfRange: c.outOfRange,
    });
  });
}

function early(pools: readonly Pool[], controllerStopped = false) {
  return buildPoolsFirst({
    pools,
    controllerStopped,
    pending: 'reading IPAddresses and claims…',
    readAt: NOW,
    warnings: ['reading IPAddresses and claims…'],
  });
}

describe('buildPoolsFirst (the browser pool list before the IPAddresses are read)', () => {
  it('shows every pool with the numbers `kubectl ipam pools` shows, and those of the full snapshot', () => {
    const pools = withStatus();
    const snap = early(pools);
    assert.ok(snap, 'every status is trusted: an early snapshot');
    assert.equal(snap.pending, 'reading IPAddresses and claims…');
    assert.deepEqual(snap.warnings, ['reading IPAddresses and claims…']);
    assert.equal(snap.readAt, NOW);

    const cli = new PoolCounter(pools, { from: 'status' }).summaries(); // what `pools` prints
    const full = buildInventory({ pools, addresses, claims, readAt: NOW });
    assert.deepEqual(
      snap.pools.map((p) => p.id),
      cli.map((p) => p.id),
    );
    assert.deepEqual(
      snap.pools.map((p) => p.id),
      full.pools.map((p) => p.id),
    );
    for (const p of snap.pools) {
      const c = cli.find((x) => x.id === p.id);
      const f = full.pools.find((x) => x.id === p.id);
      assert.ok(c && f, p.id);
      assert.equal(p.countsFrom, 'status', p.id);
      assert.deepEqual(p.counts, c.counts, p.id);
      assert.deepEqual(p.counts, f.counts, `${p.id}: the status agrees with the IPAddresses`);
      assert.equal(p.severity, c.severity, p.id);
      assert.equal(p.severity, f.severity, p.id);
      assert.equal(p.utilisation, f.utilisation, p.id);
      assert.equal(p.family, f.family, p.id);
      // Nothing of the IPAddresses and claims yet: the map waits for them.
      assert.deepEqual(p.addresses, []);
      assert.deepEqual(p.claims, []);
      assert.equal(p.index, undefined);
      assert.equal(p.claimCount, undefined, `${p.id}: claims are not read yet`);
    }
    const nodes = snap.pools.find((p) => p.id === 'a/nodes');
    assert.ok(nodes);
    assert.deepEqual(nodes.counts, { total: 11n, used: 3n, allocated: 2n, free: 9n, outOfRange: 1n });
    assert.ok(nodes.layout, 'the layout comes from the spec');
    assert.equal(snap.pools.find((p) => p.id === 'b/full')?.severity, 'full');
    assert.ok(snap.pools.find((p) => p.id === 'a/pfx')?.prefixLayout);
  });

  it('is withheld when any pool must be recounted, as `pools` would recount it', () => {
    const pools = withStatus();
    // The spec changed after the controller counted (generation 2, status for 1).
    const edited = pools.map((p, i) => (i === 0 ? { ...p, metadata: { ...p.metadata, generation: 2 } } : p));
    assert.equal(new PoolCounter(edited, { from: 'status' }).recountPools.length, 1);
    assert.equal(early(edited), undefined);
    // A pool without status (no controller yet).
    assert.equal(
      early([...pools, ipPool('InClusterIPPool', 'c', 'new', { addresses: ['10.2.0.0/30'], prefix: 24 })]),
      undefined,
    );
    // A spec that does not lay out still counts what its IPAddresses hold.
    assert.equal(
      early([...pools, ipPool('InClusterIPPool', 'c', 'broken', { addresses: ['nope'], prefix: 24 })]),
      undefined,
    );
  });

  it('is withheld when the controller stopped renewing its leader Lease', () => {
    assert.equal(early(withStatus(), true), undefined);
  });

  it('is an empty list when there are no pools', () => {
    assert.deepEqual(early([])?.pools, []);
  });
});
