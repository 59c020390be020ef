// Every table and text the CLI prints, rendered for an 80-column terminal: no line is wider. The
// prose commands (explain, inspect, release) go through wrapText as program.ts sends them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainAddress, explainPool, parseAddr } from '@ipam-in-cluster/allocator';
import { renderDoctor, wrapSteps } from '../commands/doctor.js';
import {
  renderAddressExplanation,
  renderClaimDiagnosis,
  renderIPPoolExplanation,
  renderPrefixPoolExplanation,
} from '../commands/explain.js';
import { renderInspect } from '../commands/inspect.js';
import { renderPools } from '../commands/pools.js';
import { renderPlan } from '../commands/release.js';
import { diagnoseClaim } from '../data/diagnose.js';
import { audit, makeReport } from '../data/doctor.js';
import { address, claim, ipPool, prefixPool } from '../testing/wire-objects.js';
import { planRelease, releaseTargetOf } from '../data/release.js';
import { buildInventory } from '../data/snapshot.js';
import { palette, visibleWidth } from './colour.js';
import { toAscii, terminalWidth, truncate, unicodeCapable, wrapText } from './terminal.js';

const NOW = new Date('2026-01-04T00:00:00Z');
const PAL = palette(false);

/** A cluster as operators have them: long-ish names, IPv6, an orphan, a duplicate, a pending claim. */
function inventory() {
  const ns = 'capi-quickstart';
  const addrs = [];
  const claims = [];
  for (let i = 0; i < 40; i++) {
    const name = `quickstart-md-0-x7k2p-${i}-ip0`;
    claims.push(claim(ns, name, 'InClusterIPPool', 'nodes-v4', { addressName: name }));
    addrs.push(address(ns, name, `10.20.30.${10 + i}`, 24, 'InClusterIPPool', 'nodes-v4'));
  }
  addrs.push(
    address(ns, 'quickstart-control-plane-orphan-ip0', '10.20.30.200', 24, 'InClusterIPPool', 'nodes-v4'),
  );
  addrs.push(address(ns, 'v6-node-0-ip0', 'fd00:aa:0:3::10', 64, 'InClusterIPPool', 'nodes-v6'));
  claims.push(claim(ns, 'v6-node-0-ip0', 'InClusterIPPool', 'nodes-v6', { addressName: 'v6-node-0-ip0' }));
  claims.push(claim(ns, 'quickstart-md-0-pending-claim-ip0', 'InClusterIPPool', 'gone-pool'));
  addrs.push(address(ns, 'dup-a', '10.1.0.11', 24, 'GlobalInClusterIPPool', 'shared-dc1'));
  addrs.push(address('capi-other', 'dup-b', '10.1.0.11', 24, 'GlobalInClusterIPPool', 'shared-dc1'));
  return buildInventory({
    pools: [
      ipPool(
        'InClusterIPPool',
        ns,
        'nodes-v4',
        {
          addresses: ['10.20.30.0/24'],
          prefix: 24,
          gateway: '10.20.30.1',
          excludedAddresses: ['10.20.30.2-10.20.30.9'],
        },
        { total: 245, used: 3, free: 242, outOfRange: 0 },
      ),
      ipPool(
        'InClusterIPPool',
        ns,
        'nodes-v6',
        { addresses: ['fd00:aa:0:3::/64'], prefix: 64, gateway: 'fd00:aa:0:3::1' },
        { total: 9223372036854775807n, used: 0, free: 9223372036854775807n, outOfRange: 0 },
      ),
      ipPool('GlobalInClusterIPPool', undefined, 'shared-dc1', {
        addresses: ['10.1.0.10-10.1.0.13'],
        prefix: 24,
      }),
      ipPool('InClusterIPPool', ns, 'broken', {
        addresses: ['10.9.0.20-10.9.0.10'],
        prefix: 24,
      }),
      prefixPool(ns, 'delegated', { prefixes: ['fd10::/56'], allocationPrefixLength: 64 }),
    ],
    addresses: addrs,
    claims,
    readAt: NOW,
  });
}

function assertFits(text: string, width: number, what: string): void {
  for (const line of text.split('\n'))
    assert.ok(visibleWidth(line) <= width, `${what}: ${visibleWidth(line)} columns: ${line}`);
}

describe('every table and text fits 80 columns', () => {
  const inv = inventory();
  it('pools: -A and one namespace, any colour, ASCII', () => {
    for (const namespaceColumn of [true, false])
      for (const pal of [palette(false), palette(true)])
        for (const ascii of [false, true]) {
          const out = renderPools(inv.pools, 'table', pal, NOW, { width: 80, namespaceColumn, ascii });
          assertFits(out, 80, `pools ns=${namespaceColumn} ascii=${ascii}`);
        }
    // Markers in words come before the bar: with `✗ invalid spec` in the table there is no bar.
    const all = renderPools(inv.pools, 'table', PAL, NOW, { width: 80, namespaceColumn: false });
    assert.match(all, /broken +pool +- +0 +0 +0 +0 +— {2}✗ invalid spec$/m);
    assert.doesNotMatch(all, /[█░]/);
    const valid = inv.pools.filter((p) => p.error === undefined);
    const single = renderPools(valid, 'table', PAL, NOW, { width: 80, namespaceColumn: false });
    // Without it, the bar shrank but is still there; the markers are whole.
    assert.match(single, /nodes-v4 +pool +IPv4 +245 +41 +204 +0 +[█▏▎▍▌▋▊▉░]{5,} +16%/);
    assert.match(single, /≠ status/);
    assert.doesNotMatch(single.split('\n')[0] ?? '', /NAMESPACE/);
  });
  it('pools: the bar is 20 cells where there is room, gone where there is none, markers cut last', () => {
    const wide = renderPools(inv.pools, 'table', PAL, NOW, { width: 200 });
    assert.match(wide, / {2}[█▏▎▍▌▋▊▉░]{20} {2}/);
    const narrow = renderPools(inv.pools, 'table', PAL, NOW, { width: 66, namespaceColumn: false });
    assert.doesNotMatch(narrow, /[█░]/);
    assertFits(narrow, 66, 'pools at 66');
    assert.match(narrow, /<1% {2}≠$/m);
    const narrower = renderPools(inv.pools, 'table', PAL, NOW, { width: 62, namespaceColumn: false });
    assertFits(narrower, 62, 'pools at 62');
    assert.match(narrower, /<1%$/m);
  });
  it('pools: names are never cut: only a row of very long names runs over', () => {
    const long = buildInventory({
      pools: [
        ipPool('InClusterIPPool', 'a-namespace-with-a-long-name', 'a-pool-with-an-even-longer-name-v4', {
          addresses: ['10.0.0.0/24'],
          prefix: 24,
        }),
      ],
      addresses: [],
      claims: [],
      readAt: NOW,
    });
    const out = renderPools(long.pools, 'table', PAL, NOW, { width: 80 });
    assert.match(out, /a-namespace-with-a-long-name +a-pool-with-an-even-longer-name-v4 +pool/);
  });
  it('--no-headers drops the header line only', () => {
    const all = renderPools(inv.pools, 'table', PAL, NOW, { width: 80 }).split('\n');
    const none = renderPools(inv.pools, 'table', PAL, NOW, { width: 80, headers: false }).split('\n');
    assert.equal(none.length, all.length - 1);
    assert.doesNotMatch(none.join('\n'), /UTILISATION/);
  });
  it('doctor: messages wrap under their finding; -o wide keeps one line each', () => {
    const findings = audit(inv, {
      now: NOW,
      minAgeSeconds: 0,
      factsFor: () => ({ cluster: undefined, lease: { found: false, live: false } as never, now: NOW }),
    });
    assert.ok(findings.length >= 4, `findings: ${findings.length}`);
    const report = makeReport(findings, {
      now: NOW,
      context: 'test',
      namespace: undefined,
      allNamespaces: true,
    });
    const out = renderDoctor(report, PAL, { width: 80 });
    assertFits(out, 80, 'doctor');
    assert.match(out, /^SEVERITY +CHECK +ADDRESS$/m);
    assert.match(
      out,
      /^error +orphaned-address +10\.20\.30\.200\n {2}IPAddress capi-quickstart\/quickstart-control-plane-orphan-ip0 holds/m,
    );
    assertFits(toAscii(renderDoctor(report, PAL, { width: 80, ascii: true })), 80, 'doctor ascii');
    const wide = renderDoctor(report, PAL, { width: 80, wide: true }).split('\n');
    assert.match(wide[0] ?? '', /MESSAGE$/);
    assert.equal(wide.filter((l) => /^(error|warning|info) /.test(l)).length, findings.length);
    const bare = renderDoctor(report, PAL, { width: 80, headers: false });
    assert.doesNotMatch(bare, /SEVERITY/);
  });
  it("doctor's hand-off is broken between its steps only: each command stays whole", () => {
    const line =
      '2 releasable: kubectl ipam doctor -n a-rather-long-namespace-name -o json > report.json; review it; kubectl ipam release --from-report report.json [--yes]';
    const lines = wrapSteps(line, 80);
    assert.deepEqual(lines, [
      '2 releasable: kubectl ipam doctor -n a-rather-long-namespace-name -o json > report.json;',
      '    review it; kubectl ipam release --from-report report.json [--yes]',
    ]);
    assert.deepEqual(wrapSteps('1 releasable: a; b', 80), ['1 releasable: a; b']);
    const short = wrapSteps('1 releasable: kubectl ipam doctor -A -o json > report.json; review it; x', 60);
    assert.equal(short[0], '1 releasable: kubectl ipam doctor -A -o json > report.json;');
  });
  it('explain (pool, prefix pool, address, claim), inspect and release dry runs, wrapped', () => {
    const v4 = inv.pools.find((p) => p.key.name === 'nodes-v4');
    const v6 = inv.pools.find((p) => p.key.name === 'nodes-v6');
    const prefix = inv.pools.find((p) => p.key.name === 'delegated');
    assert.ok(v4?.layout !== undefined && v6?.layout !== undefined && prefix !== undefined);
    const texts: [string, string][] = [
      ['explain pool', renderIPPoolExplanation(v4, explainPool(v4.layout, v4.index, { limit: 20 }), PAL)],
      ['explain v6 pool', renderIPPoolExplanation(v6, explainPool(v6.layout, v6.index, { limit: 20 }), PAL)],
      ['explain prefix pool', renderPrefixPoolExplanation(prefix)],
    ];
    const addr = parseAddr('fd00:aa:0:3::10');
    assert.ok(addr.ok);
    const e = explainAddress(v6.layout, addr.value, v6.index);
    assert.ok(e.ok);
    const holders = v6.addresses;
    texts.push([
      'explain address',
      renderAddressExplanation(v6, e.value, holders, new Map(), undefined, PAL, NOW),
    ]);
    for (const c of inv.claims.filter((x) => x.name.includes('pending') || x.name === 'v6-node-0-ip0')) {
      const d = diagnoseClaim(inv, c, {
        cluster: undefined,
        lease: { found: false, live: false } as never,
        now: NOW,
      });
      texts.push([`explain claim ${c.name}`, renderClaimDiagnosis(d, [], PAL, NOW)]);
    }
    for (const a of inv.addresses.slice(-4)) {
      texts.push([`inspect ${a.name}`, renderInspect(a, inv, [], PAL, NOW)]);
      for (const force of [false, true])
        texts.push([`release ${a.name}`, renderPlan(planRelease(releaseTargetOf(a), { force }), true)]);
    }
    for (const [what, text] of texts) {
      assertFits(wrapText(text, 80), 80, what);
      assertFits(wrapText(toAscii(text), 80), 80, `${what} (ascii)`);
    }
  });
});

describe('terminal facts', () => {
  it('width: $COLUMNS, else the terminal, else 80', () => {
    assert.equal(terminalWidth({ env: {}, isTTY: false }), 80);
    assert.equal(terminalWidth({ env: {}, isTTY: false, columns: 200 }), 80);
    assert.equal(terminalWidth({ env: {}, isTTY: true, columns: 132 }), 132);
    assert.equal(terminalWidth({ env: { COLUMNS: '100' }, isTTY: true, columns: 132 }), 100);
    assert.equal(terminalWidth({ env: { COLUMNS: 'wide' }, isTTY: false }), 80);
    assert.equal(terminalWidth({ env: { COLUMNS: '10' }, isTTY: false }), 40);
  });
  it('unicode unless TERM=dumb or a locale that is not UTF-8', () => {
    assert.equal(unicodeCapable({}), true);
    assert.equal(unicodeCapable({ LANG: 'en_US.UTF-8' }), true);
    assert.equal(unicodeCapable({ LANG: 'C.utf8' }), true);
    assert.equal(unicodeCapable({ LANG: 'C' }), false);
    assert.equal(unicodeCapable({ LANG: 'en_US.UTF-8', LC_ALL: 'POSIX' }), false);
    assert.equal(unicodeCapable({ LC_CTYPE: 'de_DE.ISO-8859-1', LANG: 'en_US.UTF-8' }), false);
    assert.equal(unicodeCapable({ LANG: 'en_US.UTF-8', TERM: 'dumb' }), false);
  });
  it('ASCII stand-ins keep bars one cell per cell', () => {
    assert.equal(toAscii('████▎░░░  ≠ status — a–b · x → y'), '####+...  != status - a-b - x -> y');
  });
  it('wrapText: words, hanging indent, long words split, short lines untouched', () => {
    assert.equal(wrapText('short', 10), 'short');
    assert.equal(wrapText('  aaa bbb ccc ddd eee', 14), '  aaa bbb ccc\n      ddd eee');
    // The hang stops at half the width.
    assert.equal(wrapText('  aaa bbb ccc ddd', 10), '  aaa bbb\n     ccc\n     ddd');
    assert.equal(wrapText('abcdefghijkl', 5), 'abcde\n  fgh\n  ijk\n  l');
    assert.equal(truncate('! invalid spec', 6), '! inv…');
  });
});
