import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { claimFromWire } from '@ipam-in-cluster/api';
import { renderPools } from '../commands/pools.js';
import { address, claim, ipPool, prefixPool, withControllerStatus } from '../testing/wire-objects.js';
import { PoolCounter } from '../data/pool-summary.js';
import { buildInventory } from '../data/snapshot.js';
import { bar } from './bar.js';
import { colourEnabled, palette, stripAnsi } from './colour.js';
import { compactCount, percentText } from './counts.js';

const NOW = new Date('2026-01-04T00:00:00Z');

/** -o json counts of nodes-v6 (fd00::/64, one address in use) in the fixtures below. */
const V6_COUNTS = {
  total: '18446744073709551615',
  used: '1',
  allocated: '1',
  free: '18446744073709551614',
  outOfRange: '0',
  reserved: '0',
};

function fixture() {
  const addrs = [];
  const claims = [];
  for (let i = 0; i < 200; i++) {
    const name = `m-${i}`;
    claims.push(claim('capi-a', name, 'InClusterIPPool', 'nodes-v4', { addressName: name }));
    addrs.push(address('capi-a', name, `10.0.0.${10 + i}`, 24, 'InClusterIPPool', 'nodes-v4'));
  }
  addrs.push(address('capi-a', 'v6-0', 'fd00::10', 64, 'InClusterIPPool', 'nodes-v6'));
  claims.push(claim('capi-a', 'v6-0', 'InClusterIPPool', 'nodes-v6', { addressName: 'v6-0' }));
  return buildInventory({
    pools: [
      ipPool(
        'InClusterIPPool',
        'capi-a',
        'nodes-v4',
        {
          addresses: ['10.0.0.0/24'],
          prefix: 24,
          gateway: '10.0.0.1',
          excludedAddresses: ['10.0.0.2-10.0.0.9'],
        },
        { total: 245, used: 200, free: 45, outOfRange: 0 },
      ),
      ipPool(
        'InClusterIPPool',
        'capi-a',
        'nodes-v6',
        { addresses: ['fd00::/64'], prefix: 64 },
        { total: 9223372036854775807n, used: 0, free: 9223372036854775807n, outOfRange: 0 },
      ),
      ipPool('GlobalInClusterIPPool', undefined, 'shared-dc1', {
        addresses: ['10.1.0.10-10.1.0.13'],
        prefix: 24,
      }),
      prefixPool('capi-a', 'delegated', { prefixes: ['fd10::/62'], allocationPrefixLength: 64 }),
    ],
    addresses: addrs,
    claims,
    readAt: NOW,
  });
}

describe('counts and bars', () => {
  it('compacts huge counts: exact to 7 digits, powers of two, then 1.8e19', () => {
    assert.equal(compactCount(245n), '245');
    assert.equal(compactCount(9_999_999n), '9999999');
    assert.equal(compactCount(2n ** 64n), '2^64');
    assert.equal(compactCount(2n ** 64n - 2n), '1.8e19');
    assert.equal(compactCount(2n ** 128n - 1n), '3.4e38');
    assert.equal(compactCount(99_500_000n), '1e8');
  });
  it('percent never says 100% unless full, and <1% for a sliver', () => {
    assert.equal(percentText(0.999, false), '99%');
    assert.equal(percentText(1, true), '100%');
    assert.equal(percentText(1e-20, false), '<1%');
    assert.equal(percentText(0, false), '0%');
  });
  it('bars use eighth blocks', () => {
    assert.equal(bar(0.5, 4), '██░░');
    assert.equal(bar(0.74, 20), '██████████████▊░░░░░');
    assert.equal(bar(1e-12, 4), '▏░░░');
    assert.equal(bar(1, 4, true), '████');
  });
});

describe('colours', () => {
  it('honours --no-color, NO_COLOR, FORCE_COLOR and the terminal', () => {
    assert.equal(colourEnabled({ isTTY: true, env: {} }), true);
    assert.equal(colourEnabled({ isTTY: true, env: { NO_COLOR: '1' } }), false);
    assert.equal(colourEnabled({ isTTY: true, env: {}, noColorFlag: true }), false);
    assert.equal(colourEnabled({ isTTY: false, env: {} }), false);
    assert.equal(colourEnabled({ isTTY: false, env: { FORCE_COLOR: '1' } }), true);
    assert.equal(palette(false).paint('critical', 'x'), 'x');
    assert.equal(palette(true).paint('critical', 'x'), '\u001b[31mx\u001b[39m');
  });
});

describe('pools printer', () => {
  it('table: compact counts, bars, markers (golden, NO_COLOR, wide terminal)', () => {
    const out = renderPools(fixture().pools, 'table', palette(false), NOW, { width: 120 });
    assert.equal(
      out,
      [
        'NAMESPACE  NAME        KIND    FAMILY    TOTAL  USED    FREE  OOR  UTILISATION',
        'capi-a     delegated   prefix  IPv6/64       4     0       4    0  ░░░░░░░░░░░░░░░░░░░░    0%',
        'capi-a     nodes-v4    pool    IPv4        245   200      45    0  ████████████████▎░░░   81%',
        'capi-a     nodes-v6    pool    IPv6     1.8e19     1  1.8e19    0  ▏░░░░░░░░░░░░░░░░░░░   <1%  ≠ status',
        '—          shared-dc1  global  IPv4          4     0       4    0  ░░░░░░░░░░░░░░░░░░░░    0%',
        '',
      ].join('\n'),
    );
  });
  it('colour marks severity but the text is the same', () => {
    const coloured = renderPools(fixture().pools, 'table', palette(true), NOW, { width: 120 });
    assert.ok(coloured.includes('\u001b[33m████████████████▎░░░'));
    assert.equal(
      stripAnsi(coloured),
      renderPools(fixture().pools, 'table', palette(false), NOW, { width: 120 }),
    );
  });
  it('wide: exact IPv6 counts and status comparison', () => {
    const out = renderPools(fixture().pools, 'wide', palette(false), NOW);
    const v6 = out.split('\n').find((l) => l.includes('nodes-v6')) ?? '';
    assert.match(v6, /18446744073709551615\s+1\s+18446744073709551614\s+0/);
    assert.match(v6, /≠ status {2}recount:requested {2}used=0\s+1\s+3d\s+fd00::\/64\s+0\s+0\s+-$/);
  });
  it('wide and json say where the counts come from; claims unknown unless read', () => {
    const pools = [
      withControllerStatus(
        ipPool('InClusterIPPool', 'capi-a', 'nodes-v6', { addresses: ['fd00::/64'], prefix: 64 }),
        { total: 9223372036854775807n, used: 1, free: 9223372036854775807n, outOfRange: 0 },
      ),
      ipPool('InClusterIPPool', 'capi-a', 'fresh', { addresses: ['10.0.0.0/30'], prefix: 24 }),
      ipPool('InClusterIPPool', 'capi-a', 'broken', { addresses: ['nope'], prefix: 24 }),
      // Two of 10.0.1.1-10.0.1.6 held by an IPAddressReservation: neither used nor free (ADR 0030).
      withControllerStatus(
        ipPool('InClusterIPPool', 'capi-a', 'held', { addresses: ['10.0.1.0/29'], prefix: 24 }),
        { total: 7, used: 1, free: 4, outOfRange: 0, reserved: 2 },
      ),
    ];
    const counter = new PoolCounter(pools, { from: 'status' });
    const summaries = counter.summaries();
    const wide = renderPools(summaries, 'wide', palette(false), NOW).split('\n');
    assert.match(
      wide[0] ?? '',
      /UTILISATION\s+COUNTS\s+STATUS\s+CLAIMS\s+AGE\s+SPEC\s+QUARANTINED\s+RESERVED\s+FULL-IN$/,
    );
    const row = (name: string): string => wide.find((l) => l.includes(` ${name} `)) ?? '';
    assert.match(
      row('nodes-v6'),
      /18446744073709551615\s+1\s+18446744073709551614\s+0\s+.*<1%\s+status\s+-\s+-\s+3d/,
    );
    assert.match(row('fresh'), / 0%\s+recount:no-status\s+none\s+-\s+3d/);
    assert.match(row('broken'), /✗ invalid spec\s+-\s+none\s+-\s+3d/);
    const doc = JSON.parse(renderPools(summaries, 'json', palette(false), NOW)) as {
      items: Record<string, unknown>[];
    };
    const item = (name: string): Record<string, unknown> | undefined =>
      doc.items.find((i) => i.name === name);
    assert.equal(item('nodes-v6')?.countsFrom, 'status');
    assert.equal(item('nodes-v6')?.recountReason, null);
    assert.deepEqual(item('nodes-v6')?.counts, V6_COUNTS);
    assert.equal(item('nodes-v6')?.claims, null);
    assert.equal(item('fresh')?.countsFrom, 'ipaddresses');
    assert.equal(item('fresh')?.recountReason, 'no-status');
    assert.equal(item('broken')?.countsFrom, 'none');
    assert.equal(item('held')?.countsFrom, 'status');
    assert.deepEqual(item('held')?.counts, {
      total: '7',
      used: '1',
      allocated: '1',
      free: '4',
      outOfRange: '0',
      reserved: '2',
    });
    assert.match(row('held'), /held\s+pool\s+IPv4\s+7\s+1\s+4\s+0\s.*10\.0\.1\.0\/29\s+-\s+2\s+-$/);
    // The default table is unchanged by where counts come from.
    const table = renderPools(summaries, 'table', palette(false), NOW);
    assert.doesNotMatch(table, /status|recount/);
  });
  it('json: counts as exact strings, documented shape', () => {
    const doc = JSON.parse(renderPools(fixture().pools, 'json', palette(false), NOW)) as {
      apiVersion: string;
      kind: string;
      items: Record<string, unknown>[];
    };
    assert.equal(doc.kind, 'PoolList');
    const v6 = doc.items.find((i) => i.id === 'capi-a/nodes-v6');
    assert.deepEqual(v6, {
      id: 'capi-a/nodes-v6',
      kind: 'InClusterIPPool',
      kindShort: 'pool',
      namespace: 'capi-a',
      name: 'nodes-v6',
      type: 'ip',
      family: 'IPv6',
      allocationPrefixLength: null,
      counts: V6_COUNTS,
      countsFrom: 'ipaddresses',
      recountReason: 'requested',
      utilisationPercent: 0,
      severity: 'ok',
      status: {
        total: '9223372036854775807',
        used: '0',
        free: '9223372036854775807',
        outOfRange: '0',
        reserved: '0',
      },
      statusMismatch: ['used'],
      paused: false,
      deleting: false,
      error: null,
      claims: 1,
      quarantined: '0',
      forecast: null,
    });
    const global = doc.items.find((i) => i.id === 'global/shared-dc1');
    assert.equal(global?.namespace, null);
  });
  it('QUARANTINED: from status.ipAddresses.quarantined, else from the claims read, else -', () => {
    const grace = { addresses: ['10.0.0.0/29'], prefix: 24, addressReuseGracePeriodSeconds: 60 };
    const counts = { total: 8, used: 2, free: 6, outOfRange: 0 };
    const deleted = (name: string) => {
      const c = claim('ns', name, 'InClusterIPPool', 'old', { addressName: name });
      return { ...c, metadata: { ...c.metadata, deletionTimestamp: '2026-01-03T23:59:30Z' } };
    };
    const pools = [
      withControllerStatus(ipPool('InClusterIPPool', 'ns', 'new', grace), { ...counts, quarantined: 1 }),
      withControllerStatus(ipPool('InClusterIPPool', 'ns', 'old', grace), counts),
      prefixPool('ns', 'pfx', { prefixes: ['fd10::/62'], allocationPrefixLength: 64 }),
    ];
    const claims = [deleted('a'), deleted('b'), claim('ns', 'c', 'InClusterIPPool', 'old')];
    const withClaims = new PoolCounter(pools, { from: 'status' });
    withClaims.addClaims(claims.map((w) => claimFromWire(w)));
    const row = (out: string, name: string): string =>
      out.split('\n').find((l) => l.includes(` ${name} `)) ?? '';
    const wide = renderPools(withClaims.summaries(), 'wide', palette(false), NOW);
    // QUARANTINED, then FULL-IN (no forecast: -).
    assert.match(row(wide, 'new'), /\s1\s+0\s+-$/);
    assert.match(
      row(wide, 'old'),
      /\s2\s+0\s+-$/,
      'the older status has no count: the two deleted claims read',
    );
    assert.match(row(wide, 'pfx'), /\s-\s+-\s+-$/);
    const doc = JSON.parse(renderPools(withClaims.summaries(), 'json', palette(false), NOW)) as {
      items: Record<string, unknown>[];
    };
    assert.deepEqual(
      doc.items.map((i) => [i.name, i.quarantined]),
      [
        ['new', '1'],
        ['old', '2'],
        ['pfx', null],
      ],
    );
    // No claims read (the default table's read) and an older status: not known.
    const unread = renderPools(
      new PoolCounter(pools, { from: 'status' }).summaries(),
      'wide',
      palette(false),
      NOW,
    );
    assert.match(row(unread, 'old'), /\s-\s+0\s+-$/);
  });
  it('yaml: the same document, big counts quoted', () => {
    const out = renderPools(fixture().pools, 'yaml', palette(false), NOW);
    assert.match(out, /^apiVersion: kubectl-ipam\/v1alpha1\nkind: PoolList\nitems:\n/);
    assert.match(out, /total: "18446744073709551615"/);
  });
});
