import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pool } from '@ipam-in-cluster/api';
import { PoolCounter } from '../data/pool-summary.js';
import { palette } from '../output/colour.js';
import { ipPool, withControllerStatus } from '../testing/wire-objects.js';
import { renderPools } from './pools.js';
import { POOLS_CSV_COLUMNS } from './pools-csv.js';

const NOW = new Date('2026-12-07T10:00:00Z');

function summaries() {
  const v6status = withControllerStatus(
    ipPool('InClusterIPPool', 'capi-a', 'nodes-v6', { addresses: ['fd00::/64'], prefix: 64 }),
    { total: 9223372036854775807n, used: 3, free: 9223372036854775807n, outOfRange: 0 },
  );
  // Days above 2^53 come off the wire as a bigint (the client parses integers exactly).
  const v6: Pool = {
    ...v6status,
    status: {
      ...v6status.status,
      forecast: {
        netAllocationsPerHour: 41.6,
        daysToExhaustion: 9300000000000000n as unknown as number,
        observedAt: '2026-12-07T09:00:00Z',
        observedUsed: 3,
      },
    },
  };
  const v4 = withControllerStatus(
    ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['10.1.0.0/28'], prefix: 24 }),
    { total: 15, used: 12, free: 3, outOfRange: 0 },
  );
  const withExtras: Pool = {
    ...v4,
    status: {
      ...v4.status,
      ipAddresses: {
        total: 15,
        used: 12,
        free: 3,
        outOfRange: 0,
        quarantined: 2,
        reserved: 1,
      },
      forecast: {
        netAllocationsPerHour: 0.5,
        daysToExhaustion: 0.5,
        observedAt: '2026-12-07T09:30:00Z',
        observedUsed: 12,
      },
    },
  };
  return new PoolCounter([v6, withExtras], { from: 'status' }).summaries();
}

describe('pools -o csv', () => {
  it('has the documented header and exact counts, one record per pool', () => {
    const out = renderPools(summaries(), 'csv', palette(false), NOW);
    const lines = out.split('\n');
    assert.equal(lines.at(-1), '', 'ends with a newline');
    assert.equal(
      lines[0],
      'namespace,name,kind,family,total,used,free,outOfRange,utilisationPercent,quarantined,reserved,netAllocationsPerHour,daysToExhaustion,forecastObservedAt,countsFrom',
    );
    assert.equal(lines[0], POOLS_CSV_COLUMNS.join(','));
    assert.equal(
      lines[1],
      'capi-a,nodes-v6,InClusterIPPool,IPv6,18446744073709551615,3,18446744073709551612,0,0,,,41.6,9300000000000000,2026-12-07T09:00:00.000Z,status',
    );
    assert.equal(
      lines[2],
      ',shared,GlobalInClusterIPPool,IPv4,15,12,3,0,80,2,1,0.5,0.5,2026-12-07T09:30:00.000Z,status',
    );
    assert.equal(lines.length, 4);
  });

  it('--no-headers leaves the header out', () => {
    const out = renderPools(summaries(), 'csv', palette(false), NOW, { headers: false });
    assert.match(out, /^capi-a,nodes-v6,/);
  });

  it('wide shows FULL-IN and json the forecast', () => {
    const wide = renderPools(summaries(), 'wide', palette(false), NOW).split('\n');
    assert.match(wide.find((l) => l.includes(' shared ')) ?? '', /\s12h$/);
    assert.match(wide.find((l) => l.includes(' nodes-v6 ')) ?? '', /\s>1y$/);
    const doc = JSON.parse(renderPools(summaries(), 'json', palette(false), NOW)) as {
      items: { name: string; forecast: unknown }[];
    };
    assert.deepEqual(doc.items.find((i) => i.name === 'shared')?.forecast, {
      netAllocationsPerHour: 0.5,
      daysToExhaustion: 0.5,
      observedAt: '2026-12-07T09:30:00.000Z',
    });
    assert.deepEqual(doc.items.find((i) => i.name === 'nodes-v6')?.forecast, {
      netAllocationsPerHour: 41.6,
      daysToExhaustion: 9300000000000000,
      observedAt: '2026-12-07T09:00:00.000Z',
    });
  });
});
