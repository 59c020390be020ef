import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PoolCounts } from '@ipam-in-cluster/allocator';
import type { IPAddressClaimWire, IPAddressWire, Pool } from '@ipam-in-cluster/api';
import { renderPools } from '../commands/pools.js';
import { address, claim, ipPool, prefixPool, prefixAddresses } from '../testing/wire-objects.js';
import { buildInventory } from '../data/snapshot.js';
import { poolRows } from '../ui/model/list.js';
import { palette } from './colour.js';
import {
  age,
  countText,
  familyText,
  fillRatio,
  markersOf,
  markersText,
  percentOf,
  presentPool,
  severityTone,
  usedOfTotal,
  type PresentablePool,
} from './present.js';

const NOW = new Date('2026-01-04T00:00:00Z');

function counts(total: bigint, taken: bigint, outOfRange = 0n): PoolCounts {
  return { total, used: taken + outOfRange, allocated: taken, free: total - taken, outOfRange };
}

function pool(extra: Partial<PresentablePool> = {}): PresentablePool {
  return {
    type: 'ip',
    family: 4,
    counts: counts(245n, 24n),
    severity: 'ok',
    error: undefined,
    paused: false,
    deleting: false,
    ...extra,
  };
}

describe('present: what every front end shows', () => {
  it('percentages round down from the exact counts, <1% for a sliver, 100% only when full', () => {
    assert.equal(percentOf(counts(241n, 235n)), '97%');
    assert.equal(percentOf(counts(1000n, 999n)), '99%');
    assert.equal(percentOf(counts(245n, 245n)), '100%');
    assert.equal(percentOf(counts(1n << 64n, 3n)), '<1%');
    assert.equal(percentOf(counts(245n, 0n)), '0%');
    assert.equal(percentOf(counts(0n, 0n)), '—');
  });
  it('the bar share agrees with the percentage: never 0 when taken, 1 only when full', () => {
    assert.ok(fillRatio(counts(1n << 64n, 3n)) > 0);
    assert.ok(fillRatio(counts(1000n, 999n)) < 1);
    assert.equal(fillRatio(counts(4n, 4n)), 1);
    assert.equal(fillRatio(counts(4n, 0n)), 0);
    assert.equal(fillRatio(counts(0n, 0n)), 0);
  });
  it('counts are compact in tables (at most 7 characters) and exact on request', () => {
    assert.equal(countText(245n), '245');
    assert.equal(countText(9_999_999n), '9999999');
    assert.equal(countText(1n << 64n), '2^64');
    assert.equal(countText((1n << 64n) - 1n), '1.8e19');
    assert.equal(countText((1n << 64n) - 1n, true), '18446744073709551615');
    assert.equal(usedOfTotal(counts((1n << 64n) - 1n, 3n)), '3/1.8e19');
  });
  it('family and severity colours', () => {
    assert.equal(familyText(pool()), 'IPv4');
    assert.equal(familyText({ type: 'prefix', family: 6, allocationPrefixLength: 64 }), 'IPv6/64');
    assert.equal(familyText({ type: 'ip', family: undefined }), '-');
    assert.equal(severityTone('full'), 'critical');
    assert.equal(severityTone('invalid'), 'critical');
    assert.equal(severityTone('empty'), 'muted');
    assert.equal(severityTone('warning'), 'warning');
  });
  it('markers: one set, most important first, in words or symbols', () => {
    assert.deepEqual(markersOf(pool()), []);
    assert.equal(markersText(pool({ severity: 'critical' })), '▲ nearly full');
    assert.equal(markersText(pool({ severity: 'full' })), '■ full');
    assert.equal(markersText(pool({ severity: 'invalid', error: 'bad' })), '✗ invalid spec');
    const many = pool({
      severity: 'critical',
      counts: counts(245n, 230n, 2n),
      paused: true,
      deleting: true,
      statusMismatch: ['used'],
      partial: true,
    });
    assert.equal(markersText(many), '▲ nearly full ! out of range ⏸ paused ⌫ deleting ≠ status ? partial');
    assert.equal(markersText(many, true), '▲ ! ⏸ ⌫ ≠ ?');
    assert.equal(new Set(markersOf(many).map((m) => m.symbol)).size, 6, 'every symbol is distinct');
  });
  it('a pool filling up within a year: `↗ full in 3d`, `↗3d` where only symbols fit, a warning within 7 days', () => {
    const at = new Date('2026-01-03T00:00:00Z');
    const filling = (days: number | undefined): PresentablePool =>
      pool({ forecast: { netAllocationsPerHour: 0.5, daysToExhaustion: days, observedAt: at } });
    assert.equal(markersText(filling(3.2)), '↗ full in 3d');
    assert.equal(markersText(filling(3.2), true), '↗3d');
    assert.equal(markersText(filling(0.5), true), '↗12h');
    assert.equal(markersOf(filling(3.2))[0]?.tone, 'warning');
    assert.equal(markersOf(filling(40))[0]?.tone, 'muted');
    assert.equal(markersText(filling(200)), '↗ full in 200d');
    // Not filling up (no rate, or full later than a year), or full already (■ full says it).
    assert.equal(markersText(filling(undefined)), '');
    assert.equal(markersText(filling(400)), '');
    assert.equal(markersText(pool({ ...filling(0), severity: 'full', counts: counts(4n, 4n) })), '■ full');
    assert.equal(markersText(pool({ severity: 'critical', forecast: filling(1).forecast }), true), '▲ ↗24h');
  });
  it("ages are kubectl's", () => {
    assert.equal(age(new Date(NOW.getTime() - 90_000), NOW), '90s');
    assert.equal(age(new Date(NOW.getTime() - 3 * 86_400_000), NOW), '3d');
    assert.equal(age(undefined, NOW), '<unknown>');
  });
});

/** Pools covering every marker and rounding case, and their IPAddresses. */
function snapshot() {
  const pools: Pool[] = [];
  const addrs: IPAddressWire[] = [];
  const claims: IPAddressClaimWire[] = [];
  const fill = (ns: string, name: string, ips: string[], withClaims = true): void => {
    ips.forEach((ip, i) => {
      const n = `${name}-${i}`;
      addrs.push(address(ns, n, ip, 24, 'InClusterIPPool', name));
      if (withClaims) claims.push(claim(ns, n, 'InClusterIPPool', name, { addressName: n }));
    });
  };
  // 235 of 241: 97 % (pools used to say 97 %, the browser 98 %).
  pools.push(
    ipPool('InClusterIPPool', 'capi-a', 'almost', { addresses: ['10.9.0.10-10.9.0.250'], prefix: 24 }),
  );
  fill(
    'capi-a',
    'almost',
    Array.from({ length: 235 }, (_, i) => `10.9.0.${10 + i}`),
  );
  // 80 %: warning; one address out of range; filling up (status.forecast: full in 3 days).
  const warm = ipPool('InClusterIPPool', 'capi-a', 'warm', { addresses: ['10.8.0.1-10.8.0.10'], prefix: 24 });
  pools.push({
    ...warm,
    status: {
      forecast: { netAllocationsPerHour: 0.03, daysToExhaustion: 3.2, observedAt: '2026-01-03T23:00:00Z' },
    },
  } as Pool);
  fill('capi-a', 'warm', [
    '10.8.0.1',
    '10.8.0.2',
    '10.8.0.3',
    '10.8.0.4',
    '10.8.0.5',
    '10.8.0.6',
    '10.8.0.7',
    '10.8.0.8',
    '10.8.0.99',
  ]);
  // Full.
  pools.push(ipPool('InClusterIPPool', 'capi-a', 'full', { addresses: ['10.7.0.1-10.7.0.2'], prefix: 24 }));
  fill('capi-a', 'full', ['10.7.0.1', '10.7.0.2']);
  // Invalid (reversed range).
  pools.push(ipPool('InClusterIPPool', 'capi-a', 'broken', { addresses: ['10.6.0.9-10.6.0.1'], prefix: 24 }));
  // IPv6 sliver, and a status that disagrees.
  pools.push(
    ipPool(
      'InClusterIPPool',
      'capi-a',
      'v6',
      { addresses: ['fd00::/64'], prefix: 64 },
      { total: 5, used: 0, free: 5, outOfRange: 0 },
    ),
  );
  fill('capi-a', 'v6', ['fd00::10']);
  // A global pool, empty.
  pools.push(
    ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['10.1.0.10-10.1.0.13'], prefix: 24 }),
  );
  // A prefix pool with two of its /64s taken and one outside it.
  pools.push(prefixPool('capi-a', 'delegated', { prefixes: ['fd10::/62'], allocationPrefixLength: 64 }));
  addrs.push(...prefixAddresses('capi-a', 'delegated'));
  return buildInventory({
    pools,
    addresses: addrs,
    claims,
    readAt: NOW,
    scope: { namespace: undefined, allNamespaces: true },
    warnings: [],
  });
}

describe('pools and the browser agree', () => {
  it('the same snapshot gives the same numbers and markers in `pools` and in the browser list', () => {
    const inv = snapshot();
    const table = renderPools(inv.pools, 'table', palette(false), NOW, { width: 250 });
    const lines = table.trimEnd().split('\n').slice(1);
    const rows = poolRows(inv.pools, '');
    assert.equal(rows.length, inv.pools.length);
    assert.equal(lines.length, rows.length);
    const seen = new Set<string>();
    for (const [i, p] of inv.pools.entries()) {
      const row = rows.find((r) => r.id === p.id);
      assert.ok(row, p.id);
      // NAMESPACE NAME KIND FAMILY TOTAL USED FREE OOR then the bar, the percentage and markers.
      const cells = (lines[i] ?? '').split(/ {2,}/);
      const [, name, kind, family, total, used] = cells;
      assert.equal(name, p.key.name);
      assert.equal(kind, row.kind, `${p.id} kind`);
      assert.equal(family, row.family, `${p.id} family`);
      assert.equal(total, row.total, `${p.id} total`);
      assert.equal(used, row.used, `${p.id} used`);
      const util = cells.slice(8).join('  ');
      const pct = /(\d+%|<1%|—)/.exec(util)?.[1];
      assert.equal(pct, row.percent, `${p.id} percentage`);
      const words = row.markers.map((m) => `${m.symbol} ${m.words}`).join(' ');
      assert.equal(
        util.slice(util.indexOf(row.percent) + row.percent.length).trim(),
        words,
        `${p.id} markers`,
      );
      assert.equal(row.tone, presentPool(p).tone);
      seen.add(row.percent);
      for (const m of row.markers) seen.add(m.words);
    }
    // The cases the fixture is for are really there.
    for (const want of [
      '97%',
      '80%',
      '100%',
      '<1%',
      '—',
      '0%',
      'full',
      'invalid spec',
      'out of range',
      'status',
      'full in 3d',
    ])
      assert.ok(seen.has(want), `${want} is covered`);
  });
});
