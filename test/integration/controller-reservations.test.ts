// IPAddressReservations on the real plane, with the controller in-process (docs/adr/0030-reservations.md):
// allocation skips reserved addresses (claims get the next free ones), the pool's status counts
// them (`reserved`, outside used and free), the reservation's status says what it holds, and an
// expiry lapses by itself: the holding goes, the record stays (Ready=False, Expired) and a claim
// waiting on the full pool gets the address.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  IPAM_GROUP,
  LABEL_WATCH_FILTER,
  RESERVATION_API_VERSION,
  type IPAddressReservation,
  type Pool,
} from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const plane = useControllerPlane('reservations');
const IP = 'InClusterIPPool';

async function reserve(
  ns: string,
  name: string,
  addresses: string[],
  extra: { note?: string; expiresAt?: string; pool?: string } = {},
): Promise<IPAddressReservation> {
  return plane.ipam.client.reservations().create({
    apiVersion: RESERVATION_API_VERSION,
    kind: 'IPAddressReservation',
    metadata: { name, namespace: ns, labels: { [LABEL_WATCH_FILTER]: plane.watchFilter } },
    spec: {
      poolRef: { apiGroup: IPAM_GROUP, kind: IP, name: extra.pool ?? 'pool' },
      addresses,
      ...(extra.note === undefined ? {} : { note: extra.note }),
      ...(extra.expiresAt === undefined ? {} : { expiresAt: extra.expiresAt }),
    },
  });
}

async function readyOf(ns: string, name: string) {
  const r = await plane.ipam.client.reservations().find({ namespace: ns, name });
  return { res: r, ready: r?.status?.conditions?.find((c) => c.type === 'Ready') };
}

function counts(p: Pool | undefined) {
  const c = p?.status?.ipAddresses;
  return c === undefined
    ? undefined
    : { used: Number(c.used), free: Number(c.free), reserved: Number(c.reserved ?? 0) };
}

async function waitPoolCounts(ns: string, want: { used: number; free: number; reserved: number }) {
  let last: ReturnType<typeof counts>;
  try {
    return await waitFor(
      async () => {
        last = counts(await plane.ipam.pools(IP).find({ namespace: ns, name: 'pool' }));
        return JSON.stringify(last) === JSON.stringify(want);
      },
      { what: `pool counts ${JSON.stringify(want)}`, timeoutMs: 20_000 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last ${JSON.stringify(last)}`, { cause: error });
  }
}

describe('controller: IPAddressReservations', () => {
  it('allocation skips reserved addresses; the pool status counts them apart; deleting lets them go', async () => {
    const ns = await plane.fx.namespace('res-skip');
    await plane.ipam.createPool(IP, 'pool', ns, { addresses: ['10.30.0.10-10.30.0.15'], prefix: 24 });
    await reserve(ns, 'lb', ['10.30.0.10-10.30.0.11'], { note: 'held for the new load balancer' });
    await waitFor(async () => (await readyOf(ns, 'lb')).ready?.reason === 'Holding', {
      what: 'reservation Ready=True Holding',
      timeoutMs: 20_000,
    });
    const { res, ready } = await readyOf(ns, 'lb');
    assert.ok(ready);
    assert.equal(ready.status, 'True');
    assert.equal(ready.message, `2 address(es) held in InClusterIPPool ${ns}/pool`);
    assert.equal(res?.status?.total, 2);

    await plane.ipam.createClaim('c1', ns, { kind: IP, name: 'pool' });
    await plane.ipam.createClaim('c2', ns, { kind: IP, name: 'pool' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c1', 20_000)).spec.address, '10.30.0.12');
    assert.equal((await plane.ipam.waitForAddress(ns, 'c2', 20_000)).spec.address, '10.30.0.13');
    await waitPoolCounts(ns, { used: 2, free: 2, reserved: 2 });

    await plane.ipam.client.reservations().delete({ namespace: ns, name: 'lb' });
    await waitPoolCounts(ns, { used: 2, free: 4, reserved: 0 });
    await plane.ipam.createClaim('c3', ns, { kind: IP, name: 'pool' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c3', 20_000)).spec.address, '10.30.0.10');
  });

  it('lapses at expiresAt: the record stays Expired and a claim waiting on the full pool gets the address', async () => {
    const ns = await plane.fx.namespace('res-expiry');
    await plane.ipam.createPool(IP, 'pool', ns, { addresses: ['10.30.1.10-10.30.1.11'], prefix: 24 });
    const expiresAt = new Date(Date.now() + 8_000).toISOString().replace(/\.\d+Z$/, 'Z');
    await reserve(ns, 'soon', ['10.30.1.11'], { note: 'short', expiresAt });
    await waitFor(async () => (await readyOf(ns, 'soon')).ready?.reason === 'Holding', {
      what: 'reservation holding',
      timeoutMs: 20_000,
    });
    await plane.ipam.createClaim('first', ns, { kind: IP, name: 'pool' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'first', 20_000)).spec.address, '10.30.1.10');
    await plane.ipam.createClaim('waiting', ns, { kind: IP, name: 'pool' });
    await plane.ipam.waitForClaimReason(ns, 'waiting', 'PoolExhausted', 20_000);

    // No event arrives at expiresAt: the controller's own requeue lets go of the address.
    assert.equal((await plane.ipam.waitForAddress(ns, 'waiting', 40_000)).spec.address, '10.30.1.11');
    assert.ok(Date.now() >= Date.parse(expiresAt), 'not before the expiry');
    const { ready } = await readyOf(ns, 'soon');
    assert.ok(ready);
    assert.equal(ready.status, 'False');
    assert.equal(ready.reason, 'Expired');
    assert.equal(ready.message, `expired at ${expiresAt}; the addresses are free again`);
  });

  it('says when the pool is missing, and holds the addresses once it exists', async () => {
    const ns = await plane.fx.namespace('res-nopool');
    await reserve(ns, 'early', ['10.30.2.10']);
    await waitFor(async () => (await readyOf(ns, 'early')).ready?.reason === 'PoolNotFound', {
      what: 'reservation PoolNotFound',
      timeoutMs: 20_000,
    });
    await plane.ipam.createPool(IP, 'pool', ns, { addresses: ['10.30.2.10-10.30.2.11'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'pool' });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c', 20_000)).spec.address, '10.30.2.11');
    await waitPoolCounts(ns, { used: 1, free: 0, reserved: 1 });
  });
});
