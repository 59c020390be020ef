import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { poolKey } from './keys.js';
import { PoolRegistry } from './pool-registry.js';
import { setPoolSpec } from './pool-registry.test-helper.js';

const key = poolKey({ kind: 'InClusterIPPool', namespace: 'ns', name: 'p' });
const holder = 'IPAddressReservation ns/lb';

function pool(addresses: string[]): PoolRegistry {
  const registry = new PoolRegistry();
  setPoolSpec(registry, key, { type: 'ip', spec: { addresses, prefix: 24 } });
  return registry;
}

async function allocateAll(registry: PoolRegistry, n: number, claim = 'c'): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await registry.allocate(key, `ns/${claim}${String(i)}`);
    if (!r.ok) {
      out.push(r.reason);
      continue;
    }
    r.reservation.confirm();
    out.push(r.reservation.address);
  }
  return out;
}

describe('PoolRegistry reservations', () => {
  it('allocation skips reserved addresses and hands them out once the reservation is released', async () => {
    const registry = pool(['10.0.0.1-10.0.0.5']);
    assert.deepEqual(registry.holdReservation(key, holder, ['10.0.0.1', '10.0.0.2']), {
      held: 2,
      outOfPool: 0,
      allocated: [],
    });
    assert.deepEqual(await allocateAll(registry, 4), ['10.0.0.3', '10.0.0.4', '10.0.0.5', 'PoolExhausted']);
    assert.equal(registry.releaseReservation(holder), key);
    assert.deepEqual(await allocateAll(registry, 1, 'later'), ['10.0.0.1']);
  });

  it('counts reserved addresses apart: used counts IPAddresses, free excludes reserved ones', () => {
    const registry = pool(['10.0.0.0/29']);
    registry.hold(key, 'ns/a', '10.0.0.1');
    registry.holdReservation(key, holder, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    const c = registry.counts(key);
    assert.ok(c);
    assert.deepEqual(
      [c.total, c.used, c.allocated, c.free, c.reservationHeld],
      // .1-.7 (.0 is the /24's network address); .1 is both allocated and reserved
      [7n, 1n, 1n, 4n, 2n],
    );
    assert.deepEqual(registry.heldBy(key, '10.0.0.1'), [holder, 'ns/a']);
  });

  it('keeps an allocated address reserved after its IPAddress goes', async () => {
    const registry = pool(['10.0.0.1-10.0.0.3']);
    registry.hold(key, 'ns/a', '10.0.0.1');
    assert.deepEqual(registry.holdReservation(key, holder, ['10.0.0.1']).allocated, ['10.0.0.1']);
    registry.release(key, 'ns/a');
    assert.equal(registry.counts(key)?.reservationHeld, 1n);
    assert.deepEqual(await allocateAll(registry, 1), ['10.0.0.2']);
  });

  it('sets aside addresses a shrunk pool no longer covers and holds them again when it grows back', async () => {
    const registry = pool(['10.0.0.1-10.0.0.4']);
    registry.holdReservation(key, holder, ['10.0.0.4']);
    setPoolSpec(registry, key, { type: 'ip', spec: { addresses: ['10.0.0.1-10.0.0.3'], prefix: 24 } });
    const shrunk = registry.counts(key);
    assert.deepEqual([shrunk?.used, shrunk?.outOfRange, shrunk?.reservationHeld], [0n, 0n, 0n]);
    setPoolSpec(registry, key, { type: 'ip', spec: { addresses: ['10.0.0.1-10.0.0.4'], prefix: 24 } });
    assert.equal(registry.counts(key)?.reservationHeld, 1n);
    assert.deepEqual(await allocateAll(registry, 4), ['10.0.0.1', '10.0.0.2', '10.0.0.3', 'PoolExhausted']);
  });

  it('replaces a reservation that changes its addresses or its pool, and holds before the pool is known', () => {
    const registry = new PoolRegistry();
    assert.deepEqual(registry.holdReservation(key, holder, ['10.0.0.9']), {
      held: 0,
      outOfPool: 1,
      allocated: [],
    });
    setPoolSpec(registry, key, { type: 'ip', spec: { addresses: ['10.0.0.0/24'], prefix: 24 } });
    assert.equal(registry.counts(key)?.reservationHeld, 1n);
    registry.holdReservation(key, holder, ['10.0.0.7', '10.0.0.8']);
    assert.equal(registry.counts(key)?.reservationHeld, 2n);
    assert.deepEqual(registry.heldBy(key, '10.0.0.9'), []);
    const other = poolKey({ kind: 'InClusterIPPool', namespace: 'ns', name: 'q' });
    registry.holdReservation(other, holder, ['10.0.0.7']);
    assert.equal(registry.counts(key)?.reservationHeld, 0n);
  });
});
