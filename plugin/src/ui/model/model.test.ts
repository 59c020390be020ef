import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultSet, poolsFrom } from '../testing/fixtures.js';
import { buildBrowserPool, simpleAddress } from './build.js';
import { addressDetail, blockParts, holdersOf, machineOf } from './detail.js';
import { blockPhrase, truncate, truncateStart } from './format.js';
import {
  buildGrid,
  cellIndexAt,
  cellsPerRow,
  moveInGrid,
  poolExtent,
  rowsNeeded,
  SPARSE_BLOCK,
} from './grid.js';
import { clampIndex, matchesFilter, poolRows, viewport } from './list.js';

const [v4, v6, big] = poolsFrom(defaultSet());
if (v4 === undefined || v6 === undefined || big === undefined) throw new Error('fixtures');
const NOW = new Date('2026-03-01T12:00:00Z');

describe('format', () => {
  it('truncation and block phrases', () => {
    assert.equal(truncate('abcdef', 4), 'abc…');
    assert.equal(truncateStart('fd00::1:0', 5), '…:1:0');
    assert.equal(blockPhrase(16n, 4), '16 addresses (/28)');
    assert.equal(blockPhrase(1n, 6), '1 address');
  });
});

describe('pool list rows', () => {
  it('one row per pool with counts, bar share and a marker that survives NO_COLOR', () => {
    const rows = poolRows([v4, v6, big], '');
    assert.deepEqual(
      rows.map((r) => [r.id, r.kind, r.family, r.used, r.total, r.percent]),
      [
        ['capi-a/nodes-v4', 'pool', 'IPv4', '24', '245', '9%'],
        ['capi-a/nodes-v6', 'pool', 'IPv6', '3', '1.8e19', '<1%'],
        ['global/shared-dc1', 'global', 'IPv4', '1003', '1022', '98%'],
      ],
    );
    assert.equal(rows[2]?.severity, 'critical');
    assert.deepEqual(
      rows[2].markers.map((m) => `${m.symbol} ${m.words}`),
      ['▲ nearly full', '! out of range'],
    );
    assert.deepEqual(
      rows[0]?.markers.map((m) => `${m.symbol} ${m.words}`),
      ['! out of range'],
    );
  });
  it('filters on every word, case-insensitively', () => {
    assert.deepEqual(
      poolRows([v4, v6, big], 'V6').map((r) => r.id),
      ['capi-a/nodes-v6'],
    );
    assert.deepEqual(
      poolRows([v4, v6, big], 'global ipv4').map((r) => r.id),
      ['global/shared-dc1'],
    );
    assert.equal(matchesFilter(v4, 'nothing'), false);
  });
  it('cursor clamping and paging', () => {
    assert.equal(clampIndex(5, 3), 2);
    assert.equal(clampIndex(-1, 3), 0);
    assert.deepEqual(viewport(0, 50, 10), { start: 0, end: 10 });
    assert.deepEqual(viewport(23, 50, 10), { start: 20, end: 30 });
    assert.deepEqual(viewport(49, 50, 10), { start: 40, end: 50 });
  });
  it('an invalid spec gives an invalid pool without a layout', () => {
    const bad = buildBrowserPool({
      kind: 'InClusterIPPool',
      namespace: 'n',
      name: 'bad',
      spec: { addresses: ['nope'], prefix: 24 },
      addresses: [],
    });
    assert.equal(bad.layout, undefined);
    assert.equal(bad.severity, 'invalid');
    assert.match(bad.error ?? '', /nope/);
  });
});

describe('occupancy grid', () => {
  it('a /24 fits 16 rows of 16 single addresses, each cell in its state', () => {
    const g = buildGrid({ pool: v4, scope: undefined, perRow: 16, fitRows: 16 });
    assert.ok(g);
    assert.equal(g.blockSize, 1n);
    assert.equal(g.rows.length, 16);
    assert.equal(g.cells.length, 256);
    assert.equal(g.sparse, false);
    const state = (last: number): string | undefined =>
      g.cells.find((c) => c.startText === `10.0.0.${last}`)?.state;
    assert.equal(state(0), 'reserved');
    assert.equal(state(1), 'gateway');
    assert.equal(state(2), 'excluded');
    assert.equal(state(5), 'out-of-range');
    assert.equal(state(16), 'free');
    assert.equal(state(17), 'allocated');
    assert.equal(state(255), 'reserved');
    assert.equal(g.rows[1]?.label, '10.0.0.16');
  });
  it('fewer rows make bigger blocks, shaded by how full they are', () => {
    const g = buildGrid({ pool: v4, scope: undefined, perRow: 16, fitRows: 8 });
    assert.ok(g);
    assert.equal(g.blockSize, 2n);
    assert.equal(g.cells[8]?.state, 'partial'); // 10.0.0.16–17: one free, one used
    assert.equal(g.cells[9]?.state, 'allocated');
  });
  it('a /22 pool at 16×16 uses blocks of 4; zooming into one shows its addresses', () => {
    const g = buildGrid({ pool: big, scope: undefined, perRow: 16, fitRows: 16 });
    assert.ok(g);
    assert.equal(g.blockSize, 4n);
    const first = g.cells[0];
    assert.ok(first);
    const z = buildGrid({
      pool: big,
      scope: { family: 4, from: first.start, to: first.end },
      perRow: 16,
      fitRows: 16,
    });
    assert.equal(z?.blockSize, 1n);
    assert.deepEqual(
      z.cells.map((c) => c.startText),
      ['172.16.0.0', '172.16.0.1', '172.16.0.2', '172.16.0.3'],
    );
  });
  it('an IPv6 /64 shows only its populated blocks', () => {
    const g = buildGrid({ pool: v6, scope: undefined, perRow: 16, fitRows: 16 });
    assert.ok(g);
    assert.equal(g.sparse, true);
    assert.equal(g.blockSize, SPARSE_BLOCK);
    assert.deepEqual(
      g.cells.map((c) => c.startText),
      ['fd00::', 'fd00::1:0', 'fd00::ffff:0:0'],
    );
    assert.equal(g.cells[0]?.block.used, 1n);
    assert.equal(g.cells[0].block.gateway, 1n);
    assert.equal(g.cells[0].block.reserved, 1n);
    const cell = g.cells[1];
    assert.ok(cell);
    const z = buildGrid({
      pool: v6,
      scope: { family: 6, from: cell.start, to: cell.end },
      perRow: 16,
      fitRows: 16,
    });
    assert.equal(z?.sparse, false);
    assert.equal(z.blockSize, 1n);
    assert.equal(z.cells.find((c) => c.startText === 'fd00::1:5')?.state, 'allocated');
  });
  it('the extent includes out-of-range allocations', () => {
    const p = buildBrowserPool({
      kind: 'InClusterIPPool',
      namespace: 'n',
      name: 'p',
      spec: { addresses: ['10.1.0.0/28'], prefix: 28 },
      addresses: [simpleAddress('n', 'a', '10.1.0.200')],
    });
    assert.deepEqual(poolExtent(p), { family: 4, from: 0x0a010000n, to: 0x0a0100c8n });
    const g = buildGrid({ pool: p, scope: undefined, perRow: 16, fitRows: 16 });
    assert.equal(g?.rows.length, 2);
    assert.equal(g.cells.at(-1)?.state, 'out-of-range');
  });
  it('cursor moves keep the column and stop at the edges', () => {
    const g = buildGrid({ pool: v4, scope: undefined, perRow: 16, fitRows: 16 });
    assert.ok(g);
    const at17 = cellIndexAt(g, 0x0a000011n);
    assert.equal(g.cells[at17]?.startText, '10.0.0.17');
    assert.equal(g.cells[moveInGrid(g, at17, 'up', 16)]?.startText, '10.0.0.1');
    assert.equal(g.cells[moveInGrid(g, at17, 'down', 16)]?.startText, '10.0.0.33');
    assert.equal(g.cells[moveInGrid(g, at17, 'left', 16)]?.startText, '10.0.0.16');
    assert.equal(g.cells[moveInGrid(g, at17, 'right', 16)]?.startText, '10.0.0.18');
    assert.equal(g.cells[moveInGrid(g, at17, 'pageDown', 16)]?.startText, '10.0.0.241');
    assert.equal(g.cells[moveInGrid(g, at17, 'pageUp', 16)]?.startText, '10.0.0.1');
    assert.equal(moveInGrid(g, 0, 'left', 16), 0);
    assert.equal(moveInGrid(g, 0, 'last', 16), 255);
    assert.equal(moveInGrid(g, 200, 'first', 16), 0);
    assert.equal(cellIndexAt(g, undefined), 0);
    assert.equal(cellIndexAt(g, 1n << 40n), 255);
  });
  it('row counting and cells per row', () => {
    const r = [
      { family: 4 as const, from: 0n, to: 255n },
      { family: 4 as const, from: 1000n, to: 1000n },
    ];
    assert.equal(rowsNeeded(r, 16n, 100), 17);
    assert.equal(rowsNeeded(r, 256n, 100), 2);
    assert.equal(rowsNeeded(r, 1n, 10), 11);
    assert.equal(cellsPerRow(33), 16);
    assert.equal(cellsPerRow(80), 32);
    assert.equal(cellsPerRow(20), 8);
  });
});

describe('address detail', () => {
  it('an allocated address: headline, reasons, holder with claim and machine', () => {
    const d = addressDetail(v4, '10.0.0.17', NOW);
    assert.ok(d);
    assert.equal(d.verdict, 'allocated');
    assert.equal(d.headline, '10.0.0.17 is allocated to claim capi-a/md-0-x7k2-ip0');
    assert.deepEqual(
      d.reasons.map((r) => r.mark),
      ['ok', 'use'],
    );
    assert.equal(d.holders[0]?.machine, 'VSphereMachine md-0-x7k2');
    assert.equal(d.holders[0].age, '3d');
  });
  it('excluded, gateway, reserved and out-of-range addresses say why', () => {
    assert.match(
      addressDetail(v4, '10.0.0.3', NOW)
        ?.reasons.map((r) => r.text)
        .join('|') ?? '',
      /excluded by spec.excludedAddresses\[0\]/,
    );
    assert.equal(addressDetail(v4, '10.0.0.1', NOW)?.verdict, 'gateway');
    assert.equal(addressDetail(v4, '10.0.0.0', NOW)?.verdict, 'reserved');
    const oor = addressDetail(v4, '10.0.0.5', NOW);
    assert.equal(oor?.verdict, 'out-of-range-allocation');
    assert.equal(oor.reasons.at(-1)?.mark, 'warn');
    assert.equal(addressDetail(v4, 'bogus', NOW), undefined);
  });
  it('holders match by address value, machine falls back to the first owner', () => {
    assert.equal(holdersOf(v6, 'FD00:0::10').length, 1);
    assert.equal(machineOf(undefined), undefined);
    assert.equal(
      machineOf({
        namespace: 'n',
        name: 'c',
        clusterName: undefined,
        raw: { metadata: { ownerReferences: [{ kind: 'Metal3Data', name: 'm' }] } },
      }),
      'Metal3Data m',
    );
    assert.deepEqual(
      blockParts({ used: 1n, free: 0n, excluded: 2n, reserved: 0n, gateway: 0n, outOfRange: 0n }).map(
        (p) => p.label,
      ),
      ['allocated', 'excluded'],
    );
  });
});
