// Issue 19.3 on the real plane: claims allocated after a pool's first status write give it a
// status.forecast with a positive net allocation rate and a finite days-to-exhaustion (the
// controller runs with a 60 s half-life so the test sees it move), the rate decays and is rewritten
// while nothing happens, the gauges carry it, and the BUILT plugin shows it: `pools -o csv` (parsed,
// checked against the pools' status) and FULL-IN in `pools -o wide` at COLUMNS=80. A restarted
// controller continues from the stored forecast; net releases drop daysToExhaustion.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Pool, PoolForecast } from '@ipam-in-cluster/api';
import { POOLS_CSV_COLUMNS } from '@ipam-in-cluster/plugin';
import { testCluster } from '../support/cluster.js';
import { startTestController, useControllerPlane } from '../support/controller.js';
import { runPlugin } from '../support/kubectl-ipam.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { waitFor } from '../support/wait.js';

const HALF_LIFE_MS = 60_000;
const IP = 'InClusterIPPool';

/** RFC 4180 records (quoted fields with doubled quotes, LF or CRLF line ends). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] ?? '';
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n') {
      row.push(field.replace(/\r$/, ''));
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  assert.equal(field + row.join(''), '', 'the document ends with a line end');
  return rows;
}

describe('pool forecast, pools -o csv and FULL-IN on the real plane', () => {
  let ns = '';
  let kubeconfig = '';
  // Leader election: `pools` takes counts from status only while a controller's Lease is live.
  const options = () => ({
    forecastHalfLifeMs: HALF_LIFE_MS,
    leaderElect: true,
    leaderElectionNamespace: ns,
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 1_000,
  });
  const plane = useControllerPlane('forecast', async ({ fx }) => {
    ns = await fx.namespace('forecast');
    return options();
  });

  const get = (name: string): Promise<Pool> => plane.ipam.pools(IP).get({ namespace: ns, name });

  async function forecastWhere(
    name: string,
    what: string,
    ok: (f: PoolForecast, p: Pool) => boolean,
  ): Promise<{ f: PoolForecast; p: Pool }> {
    let last: PoolForecast | undefined;
    try {
      return await waitFor(
        async () => {
          const p = await get(name);
          last = p.status?.forecast;
          return last !== undefined && ok(last, p) ? { f: last, p } : undefined;
        },
        { what: `${name}: ${what}`, timeoutMs: 60_000, intervalMs: 250 },
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; last forecast ${JSON.stringify(last)}`, { cause: error });
    }
  }

  before(async () => {
    ensurePluginBuilt();
    kubeconfig = (await testCluster()).kubeconfigPath;
    await plane.ctl.manager.leading;
    await plane.ipam.createPool(IP, 'nodes', ns, {
      addresses: ['10.0.0.0/27'],
      prefix: 24,
      gateway: '10.0.0.1',
    });
    await plane.ipam.createPool(IP, 'nodes-v6', ns, { addresses: ['fd00::/64'], prefix: 64 });
    // The first status write is only the baseline: existing addresses are not allocations.
    for (const name of ['nodes', 'nodes-v6'])
      await forecastWhere(
        name,
        'baseline',
        (f) => f.netAllocationsPerHour === 0 && BigInt(f.observedUsed) === 0n,
      );
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        plane.ipam.createClaim(`c-${String(i)}`, ns, { kind: IP, name: 'nodes' }),
      ),
    );
    await plane.ipam.createClaim('v6-0', ns, { kind: IP, name: 'nodes-v6' });
  });

  it('allocations give a positive rate and a finite days-to-exhaustion consistent with free', async () => {
    const { f, p } = await forecastWhere(
      'nodes',
      'six allocations counted',
      (x) => BigInt(x.observedUsed) === 6n && x.netAllocationsPerHour > 0,
    );
    // Six allocations within seconds add about 6·ln2/H = 250/h (less what decayed meanwhile).
    const ceiling = (6 * Math.LN2 * 3_600_000) / HALF_LIFE_MS;
    assert.ok(f.netAllocationsPerHour <= ceiling * 1.001, String(f.netAllocationsPerHour));
    assert.ok(f.netAllocationsPerHour > ceiling / 4, String(f.netAllocationsPerHour));
    const free = Number(p.status?.ipAddresses?.free);
    assert.equal(free, Number(p.status?.ipAddresses?.total) - 6);
    const days = f.daysToExhaustion;
    assert.ok(days !== undefined && Number.isFinite(days) && days > 0, String(days));
    assert.ok(Math.abs(days - free / (f.netAllocationsPerHour * 24)) / days < 1e-3);
  });

  it('decays while nothing happens, rewritten by the refresh (no event needed)', async () => {
    const first = (await forecastWhere('nodes', 'rate', (x) => x.netAllocationsPerHour > 0)).f;
    // A 60 s half-life refreshes every 10 s.
    const { f } = await forecastWhere(
      'nodes',
      'a later, smaller rate',
      (x) =>
        Date.parse(x.observedAt) > Date.parse(first.observedAt) &&
        x.netAllocationsPerHour < first.netAllocationsPerHour,
    );
    assert.equal(BigInt(f.observedUsed), 6n, 'the refresh does not count anything again');
    assert.ok((f.daysToExhaustion ?? 0) > (first.daysToExhaustion ?? Infinity));
  });

  it('exports the rate and days gauges for the pool', async () => {
    const text = (await plane.ctl.manager.metrics.render()).body;
    const labels = `pool_kind="${IP}",pool_namespace="${ns}",pool_name="nodes"`;
    const value = (name: string): number | undefined => {
      const line = text.split('\n').find((l) => l.startsWith(`capi_ipam_${name}{${labels}} `));
      return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const rate = value('pool_allocation_rate_per_hour');
    const days = value('pool_days_to_exhaustion');
    assert.ok(rate !== undefined && rate > 0, String(rate));
    assert.ok(days !== undefined && Number.isFinite(days) && days > 0, String(days));
  });

  it('pools -o csv: the documented header, exact counts equal to the pools’ status, the forecast columns', async () => {
    // Both pools' status written for what they hold now.
    await forecastWhere('nodes-v6', 'one allocation counted', (x) => BigInt(x.observedUsed) === 1n);
    const r = await runPlugin(kubeconfig, ['pools', '-n', ns, '-o', 'csv']);
    assert.equal(r.code, 0, r.stderr);
    const [header, ...records] = parseCsv(r.stdout);
    // The exact order is pinned in plugin/src/commands/pools-csv.test.ts (the documented contract).
    assert.deepEqual(header, [...POOLS_CSV_COLUMNS]);
    const col = (row: string[] | undefined, name: (typeof POOLS_CSV_COLUMNS)[number]): string =>
      row?.[POOLS_CSV_COLUMNS.indexOf(name)] ?? '';
    const mine = records.filter((row) => col(row, 'namespace') === ns);
    assert.deepEqual(mine.map((row) => col(row, 'name')).sort(), ['nodes', 'nodes-v6']);
    for (const row of mine) {
      const p = await get(col(row, 'name'));
      const s = p.status?.ipAddresses;
      assert.ok(s);
      assert.equal(col(row, 'countsFrom'), 'status');
      assert.equal(col(row, 'used'), String(s.used));
      assert.equal(col(row, 'outOfRange'), String(s.outOfRange));
      for (const field of ['total', 'used', 'free', 'outOfRange'] as const)
        assert.match(col(row, field), /^\d+$/);
      const f = p.status?.forecast;
      assert.ok(f);
      // The plugin read the pool a moment before this test did: a refresh may have come between.
      assert.ok(Date.parse(col(row, 'forecastObservedAt')) <= Date.parse(f.observedAt));
      assert.ok(Number(col(row, 'netAllocationsPerHour')) > 0);
    }
    const v4 = mine.find((row) => col(row, 'name') === 'nodes');
    const v4status = (await get('nodes')).status?.ipAddresses;
    assert.equal(col(v4, 'total'), String(v4status?.total));
    assert.equal(col(v4, 'free'), String(v4status?.free));
    assert.equal(col(v4, 'family'), 'IPv4');
    // IPv6: exact digits (the status caps at 2^63-1; the plugin counts the spec exactly).
    const v6 = mine.find((row) => col(row, 'name') === 'nodes-v6');
    assert.equal(col(v6, 'total'), '18446744073709551615');
    assert.equal(col(v6, 'free'), '18446744073709551614');
  });

  it('pools -o wide shows FULL-IN at COLUMNS=80; the default table still fits 80 columns', async () => {
    const wide = await runPlugin(kubeconfig, ['pools', '-n', ns, '-o', 'wide'], { COLUMNS: '80' });
    assert.equal(wide.code, 0, wide.stderr);
    const lines = wide.stdout.trimEnd().split('\n');
    assert.match(lines[0] ?? '', /\sSPEC\s+QUARANTINED\s+RESERVED\s+FULL-IN$/);
    const row = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    // About 24 free at up to ~250/h: hours, not days; the IPv6 pool will not fill up this millennium.
    assert.match(row('nodes'), /\s(<1h|\d+h)$/);
    assert.match(row('nodes-v6'), /\s>1y$/);
    const table = await runPlugin(kubeconfig, ['pools', '-n', ns], { COLUMNS: '80' });
    assert.equal(table.code, 0, table.stderr);
    for (const l of table.stdout.trimEnd().split('\n')) assert.ok(Array.from(l).length <= 80, l);
  });
  it('a restarted controller continues from status.forecast: no new baseline, nothing counted again', async () => {
    const before = (await forecastWhere('nodes', 'rate', (x) => x.netAllocationsPerHour > 0)).f;
    await plane.ctl.stop();
    plane.ctl = await startTestController({ ...options(), watchFilter: plane.watchFilter });
    await plane.ctl.manager.leading;
    const { f } = await forecastWhere(
      'nodes',
      'a refresh by the new controller',
      (x) => Date.parse(x.observedAt) > Date.parse(before.observedAt),
    );
    assert.equal(BigInt(f.observedUsed), 6n);
    assert.ok(f.netAllocationsPerHour > 0, 'not restarted from a zero baseline');
    assert.ok(f.netAllocationsPerHour < before.netAllocationsPerHour, 'decayed, the six not counted again');
  });

  it('net releases make the rate negative and remove daysToExhaustion from status', async () => {
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        plane.ipam.deleteAndWait(plane.ipam.claims, { namespace: ns, name: `c-${String(i)}` }, 30_000),
      ),
    );
    const { f } = await forecastWhere('nodes', 'six releases counted', (x) => BigInt(x.observedUsed) === 0n);
    assert.ok(f.netAllocationsPerHour < 0, String(f.netAllocationsPerHour));
    assert.equal(f.daysToExhaustion, undefined);
    assert.equal('daysToExhaustion' in f, false, 'the merge patch removed the field');
  });
});
