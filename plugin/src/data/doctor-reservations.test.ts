import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPAddressReservation } from '@ipam-in-cluster/api';
import { audit, makeReport } from './doctor.js';
import { ipPool, reservation } from '../testing/wire-objects.js';
import { buildInventory } from './snapshot.js';

const NOW = new Date('2026-06-01T00:00:00Z');
const liveLease = { found: true, live: true, unknown: false, holder: 'ctrl-0' } as const;

function inventory() {
  return buildInventory({
    pools: [
      ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
      ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['10.9.0.1-10.9.0.9'], prefix: 24 }),
    ],
    claims: [],
    addresses: [],
    readAt: NOW,
  });
}

function run(reservations: IPAddressReservation[] | undefined) {
  return audit(inventory(), {
    now: NOW,
    minAgeSeconds: 30,
    factsFor: () => ({ lease: liveLease, now: NOW }),
    reservations,
  });
}

describe('doctor: reservations', () => {
  it('finds a reservation whose pool is gone, or of a kind that cannot be reserved (warning)', () => {
    const f = run([
      reservation('a', 'live', { kind: 'InClusterIPPool', name: 'nodes' }, { note: 'lb' }),
      reservation(
        'a',
        'global-live',
        { kind: 'GlobalInClusterIPPool', name: 'shared' },
        { addresses: ['10.9.0.2'] },
      ),
      reservation('a', 'gone', { kind: 'InClusterIPPool', name: 'deleted' }),
      // A namespaced pool is only ever the reservation's own namespace's: b/nodes does not exist.
      reservation('b', 'other-ns', { kind: 'InClusterIPPool', name: 'nodes' }),
      reservation('a', 'prefix', { kind: 'InClusterPrefixPool', name: 'nodes' }),
      reservation('a', 'foreign', { apiGroup: 'example.com', kind: 'InClusterIPPool', name: 'nodes' }),
    ]);
    assert.deepEqual(
      f.map((x) => `${x.severity} ${x.check} ${x.object.kind} ${x.object.namespace ?? ''}/${x.object.name}`),
      [
        'warning reservation-pool-missing IPAddressReservation a/foreign',
        'warning reservation-pool-missing IPAddressReservation a/gone',
        'warning reservation-pool-missing IPAddressReservation a/prefix',
        'warning reservation-pool-missing IPAddressReservation b/other-ns',
      ],
    );
    const gone = f.find((x) => x.object.name === 'gone') ?? assert.fail();
    assert.equal(
      gone.message,
      'IPAddressReservation a/gone holds addresses of InClusterIPPool a/deleted, which does not exist: it holds nothing; remove it with: kubectl ipam unreserve a/gone --yes',
    );
    assert.equal(gone.address, '10.0.0.11');
    assert.equal(gone.object.uid, 'uid-gone');
    assert.equal(gone.releasable, false);
    assert.match(
      (f.find((x) => x.object.name === 'prefix') ?? assert.fail()).message,
      /names spec\.poolRef ipam\.cluster\.x-k8s\.io\/InClusterPrefixPool nodes, which is not an IP pool/,
    );
  });

  it('reports an expired reservation that still exists as info, by expiresAt or by its Expired condition', () => {
    const f = run([
      reservation(
        'a',
        'past',
        { kind: 'InClusterIPPool', name: 'nodes' },
        { expiresAt: '2026-05-31T00:00:00Z' },
      ),
      reservation(
        'a',
        'marked',
        { kind: 'InClusterIPPool', name: 'nodes' },
        { addresses: ['10.0.0.12-10.0.0.13'] },
        'Expired',
      ),
      reservation(
        'a',
        'future',
        { kind: 'InClusterIPPool', name: 'nodes' },
        { expiresAt: '2026-07-01T00:00:00Z' },
      ),
    ]);
    assert.deepEqual(
      f.map((x) => `${x.severity} ${x.check} ${x.object.name} ${x.pool ?? ''}`),
      ['info reservation-expired marked a/nodes', 'info reservation-expired past a/nodes'],
    );
    assert.equal(
      f[1]?.message,
      'IPAddressReservation a/past expired at 2026-05-31T00:00:00Z: it holds nothing (10.0.0.11 are free to allocate); remove it with: kubectl ipam unreserve a/past --yes',
    );
    const report = makeReport(f, { now: NOW, context: 'c', namespace: 'a', allNamespaces: false });
    assert.deepEqual(report.summary, { errors: 0, warnings: 0, info: 2, releasable: 0 });
  });

  it('skips a pool whose kind could not be listed, and checks nothing when reservations were not read', () => {
    const inv = { ...inventory() };
    const partial = {
      ...inv,
      coverage: { ...inv.coverage, pools: { GlobalInClusterIPPool: { all: false, namespaces: [] } } },
    };
    const f = audit(partial, {
      now: NOW,
      minAgeSeconds: 30,
      factsFor: () => ({ lease: liveLease, now: NOW }),
      reservations: [reservation('a', 'g', { kind: 'GlobalInClusterIPPool', name: 'unseen' })],
    });
    assert.deepEqual(f, []);
    assert.deepEqual(run(undefined), []);
  });
});
