import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addressFromWire,
  claimFromWire,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
} from '@ipam-in-cluster/api';
import {
  address,
  awkwardAddresses,
  claim,
  ipPool,
  prefixAddresses,
  prefixPool,
  v6Addresses,
} from '../testing/wire-objects.js';
import type { PoolSnapshot, PoolSummary } from './model.js';
import { PoolCounter, addressNamespaces } from './pool-summary.js';
import { buildInventory } from './snapshot.js';

/** Both kinds of IP pool, namespaced and global, IPv4 and IPv6, a prefix pool, a broken spec. */
const pools: Pool[] = [
  ipPool('InClusterIPPool', 'a', 'nodes', {
    addresses: ['10.0.0.10-10.0.0.20'],
    prefix: 24,
    gateway: '10.0.0.1',
  }),
  ipPool('InClusterIPPool', 'b', 'nodes', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
  ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['10.9.0.0/30'], prefix: 24 }),
  ipPool(
    'GlobalInClusterIPPool',
    undefined,
    'v6',
    { addresses: ['fd00::/64'], prefix: 64 },
    { total: 9223372036854775807n, used: 2, free: 9223372036854775805n, outOfRange: 1 },
  ),
  // Same name as a namespaced pool of another kind in another namespace; and a global/namespaced id clash.
  ipPool('InClusterIPPool', 'global', 'shared', { addresses: ['10.7.0.1-10.7.0.2'], prefix: 24 }),
  ipPool('InClusterIPPool', 'a', 'broken', { addresses: ['nope'], prefix: 24 }),
  prefixPool('a', 'pfx', { prefixes: ['fd10::/56'], allocationPrefixLength: 64 }),
];

const wireAddresses: IPAddressWire[] = [
  ...awkwardAddresses('a', 'nodes'), // a duplicate, an out-of-range and an unparsable one
  address('b', 'b1', '10.0.0.11', 24, 'InClusterIPPool', 'nodes'),
  address('c', 'c1', '10.0.0.12', 24, 'InClusterIPPool', 'nodes'), // namespace without that pool
  address('a', 'g1', '10.9.0.1', 24, 'GlobalInClusterIPPool', 'shared'),
  address('z', 'g2', '10.9.0.2', 24, 'GlobalInClusterIPPool', 'shared'),
  address('z', 'g3', '10.8.0.1', 24, 'GlobalInClusterIPPool', 'shared'), // out of range
  ...v6Addresses('y', 'v', 'GlobalInClusterIPPool', 'v6'), // the third out of range
  address('global', 's1', '10.7.0.1', 24, 'InClusterIPPool', 'shared'),
  address('a', 'br', '10.0.0.1', 24, 'InClusterIPPool', 'broken'),
  ...prefixAddresses('a', 'pfx'), // the third out of range
  address('a', 'nopool', '10.0.0.13', 24, 'InClusterIPPool', 'missing'),
  // Right kind and name, another provider's API group: not ours.
  {
    ...address('a', 'other', '10.0.0.14', 24, 'InClusterIPPool', 'nodes'),
    spec: {
      claimRef: { name: 'other' },
      poolRef: { apiGroup: 'ipam.example.com', kind: 'InClusterIPPool', name: 'nodes' },
      address: '10.0.0.14',
      prefix: 24,
    },
  },
];

const wireClaims: IPAddressClaimWire[] = [
  claim('a', 'a1', 'InClusterIPPool', 'nodes'),
  claim('a', 'a2', 'InClusterIPPool', 'nodes'),
  claim('b', 'b1', 'InClusterIPPool', 'nodes'),
  claim('z', 'g2', 'GlobalInClusterIPPool', 'shared'),
  claim('a', 'p1', 'InClusterPrefixPool', 'pfx'),
  claim('a', 'gone', 'InClusterIPPool', 'missing'),
];

function summaries(): PoolSummary[] {
  const counter = new PoolCounter(pools);
  for (const a of wireAddresses) counter.addAddress(addressFromWire(a));
  counter.addClaims(wireClaims.map((c) => claimFromWire(c)));
  return counter.summaries();
}

/** The PoolSummary fields of a snapshot pool. */
function summaryOf(p: PoolSnapshot): PoolSummary {
  const snapshotOnly = new Set(['layout', 'prefixLayout', 'index', 'addresses', 'claims']);
  return Object.fromEntries(
    Object.entries(p).filter(([k]) => !snapshotOnly.has(k)),
  ) as unknown as PoolSummary;
}

describe('PoolCounter', () => {
  it('gives exactly the summaries of the full snapshot', () => {
    const inv = buildInventory({ pools, addresses: wireAddresses, claims: wireClaims });
    assert.deepEqual(summaries(), inv.pools.map(summaryOf));
  });

  it('counts duplicates once, out-of-range apart, IPv6 exactly, and ignores foreign pool refs', () => {
    const all = summaries();
    const byId = (id: string): PoolSummary => {
      const p = all.find((x) => x.id === id);
      assert.ok(p, id);
      return p;
    };
    const nodesA = byId('a/nodes');
    // used counts IPAddress objects (the duplicate and the unparsable one too), as the
    // controller's status does.
    assert.deepEqual(nodesA.counts, { total: 11n, used: 4n, allocated: 1n, free: 10n, outOfRange: 1n });
    assert.equal(nodesA.claimCount, 2);
    assert.deepEqual(byId('b/nodes').counts.allocated, 1n);
    const shared = byId('global/shared@global');
    assert.equal(shared.counts.allocated, 2n);
    assert.equal(shared.counts.outOfRange, 1n);
    assert.equal(shared.claimCount, 1);
    assert.equal(byId('global/shared@pool').counts.allocated, 1n);
    const v6 = byId('global/v6');
    assert.deepEqual(v6.counts, {
      total: 18446744073709551615n, // exact, far beyond 2^53
      used: 3n,
      allocated: 2n,
      free: 18446744073709551613n,
      outOfRange: 1n,
    });
    assert.deepEqual(v6.statusMismatch, ['used', 'free']);
    assert.equal(byId('a/broken').severity, 'invalid');
    const pfx = byId('a/pfx');
    assert.equal(pfx.counts.allocated, 2n);
    assert.equal(pfx.counts.outOfRange, 1n);
    assert.equal(pfx.claimCount, 1);
  });

  it('is the same whatever order the addresses arrive in (pages in any order)', () => {
    const counter = new PoolCounter(pools);
    for (const a of [...wireAddresses].reverse()) counter.addAddress(addressFromWire(a));
    counter.addClaims(wireClaims.map((c) => claimFromWire(c)));
    assert.deepEqual(counter.summaries(), summaries());
  });
});

describe('addressNamespaces', () => {
  it('reads only the namespaces of namespaced pools, everything once a global pool is in view', () => {
    const a = ipPool('InClusterIPPool', 'a', 'p', { addresses: ['10.0.0.1'], prefix: 24 });
    const b = prefixPool('b', 'q', { prefixes: ['fd10::/56'], allocationPrefixLength: 64 });
    const a2 = ipPool('InClusterIPPool', 'a', 'r', { addresses: ['10.0.0.2'], prefix: 24 });
    const g = ipPool('GlobalInClusterIPPool', undefined, 'g', { addresses: ['10.0.0.3'], prefix: 24 });
    assert.deepEqual(addressNamespaces([]), []);
    assert.deepEqual(addressNamespaces([b, a, a2]), ['a', 'b']);
    assert.deepEqual(addressNamespaces([a, g]), [undefined]);
  });
});
