// The browser's live inventory with reservations (data/live.ts withReservations, ADR 0030): each IP
// pool gets the live reservations naming it (a global pool's from any namespace), expired ones and
// other pools' are left out, and an inventory without any stays as it was.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ipPool, reservation } from '../testing/wire-objects.js';
import { withReservations } from './live.js';
import { buildInventory } from './snapshot.js';

const inv = buildInventory({
  pools: [
    ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.0/24'], prefix: 24 }),
    ipPool('GlobalInClusterIPPool', undefined, 'dc', { addresses: ['10.1.0.0/24'], prefix: 24 }),
  ],
  claims: [],
  addresses: [],
  readAt: new Date('2026-06-01T00:00:00Z'),
});

describe('withReservations', () => {
  it('puts the live reservations on the pools they name', () => {
    const out = withReservations(inv, [
      reservation(
        'a',
        'lb',
        { kind: 'InClusterIPPool', name: 'nodes' },
        { addresses: ['10.0.0.17'], note: 'new lb' },
      ),
      reservation('b', 'other-ns', { kind: 'InClusterIPPool', name: 'nodes' }),
      reservation(
        'b',
        'global',
        { kind: 'GlobalInClusterIPPool', name: 'dc' },
        { expiresAt: '2027-01-31T00:00:00Z' },
      ),
      reservation(
        'a',
        'past',
        { kind: 'InClusterIPPool', name: 'nodes' },
        { expiresAt: '2026-05-01T00:00:00Z' },
      ),
      reservation('a', 'marked', { kind: 'InClusterIPPool', name: 'nodes' }, {}, 'Expired'),
    ]);
    const byId = new Map(
      out.pools.map((p) => [p.id, p.reservations?.map((r) => `${r.namespace}/${r.name}`)]),
    );
    assert.deepEqual(byId.get('a/nodes'), ['a/lb']);
    assert.deepEqual(byId.get('global/dc'), ['b/global']);
    const lb = out.pools.find((p) => p.id === 'a/nodes')?.reservations?.[0];
    assert.deepEqual(lb, {
      namespace: 'a',
      name: 'lb',
      addresses: ['10.0.0.17'],
      note: 'new lb',
      expiresAt: undefined,
    });
  });

  it('no reservations: the inventory as it was', () => {
    assert.equal(withReservations(inv, []), inv);
  });
});
