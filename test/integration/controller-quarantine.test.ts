// The visible quarantine (issue 19 part 1, ADR 0028): a deleted claim's address held for the pool's
// addressReuseGracePeriodSeconds is counted in status.ipAddresses.quarantined and the
// pool_quarantined_addresses metric, announced once by an Event naming when it is free, and released
// on the API server's clock, even by a controller whose own clock is ten minutes ahead.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClaimEventReason, type IPAddressWire } from '@ipam-in-cluster/api';
import type { CoreEvent } from '@ipam-in-cluster/kube';
import { useControllerPlane, type ControllerPlane } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';

const IP = 'InClusterIPPool';

async function quarantined(plane: ControllerPlane, ns: string, pool: string): Promise<number | undefined> {
  const p = await plane.ipam.pools(IP).find({ namespace: ns, name: pool });
  const q = p?.status?.ipAddresses?.quarantined;
  return q === undefined ? undefined : Number(q);
}

async function claimEvents(plane: ControllerPlane, ns: string, claim: string): Promise<CoreEvent[]> {
  const list = await plane.ipam.client
    .events()
    .list({ namespace: ns, fieldSelector: `involvedObject.name=${claim}` });
  return list.items.filter((e) => e.involvedObject.kind === 'IPAddressClaim');
}

/** A pool with `grace` seconds of reuse grace period and claim `c` holding one of `addresses`. */
async function allocatedInGracePool(
  plane: ControllerPlane,
  ns: string,
  addresses: string[],
  grace: number,
): Promise<IPAddressWire> {
  await plane.ipam.createPool(IP, 'p', ns, { addresses, prefix: 24, addressReuseGracePeriodSeconds: grace });
  await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
  return plane.ipam.waitForAddress(ns, 'c');
}

function metric(text: string, ns: string, pool: string): number | undefined {
  const line = text
    .split('\n')
    .find(
      (l) =>
        l.startsWith('capi_ipam_pool_quarantined_addresses{') &&
        l.includes(`pool_namespace="${ns}"`) &&
        l.includes(`pool_name="${pool}"`),
    );
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('controller: a visible quarantine', () => {
  const plane = useControllerPlane('quarantine');

  it('counts, announces and releases a quarantined address (grace 6 s)', async () => {
    const ns = await plane.fx.namespace('quarantine');
    const address = await allocatedInGracePool(plane, ns, ['10.0.0.1-10.0.0.2'], 6);
    await waitFor(async () => (await quarantined(plane, ns, 'p')) === 0, { what: 'quarantined 0 written' });
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });

    // The pool's status and the metric count it; the IPAddress stays.
    await waitFor(async () => (await quarantined(plane, ns, 'p')) === 1, {
      what: 'status.ipAddresses.quarantined 1',
      timeoutMs: 5_000,
    });
    assert.ok(await plane.ipam.findAddress(ns, 'c'), 'the IPAddress is still there');
    const text = (await plane.ctl.manager.metrics.render()).body;
    assert.equal(metric(text, ns, 'p'), 1);

    // The claim says until when, from its deletionTimestamp (server clock) + the grace.
    const claim = await plane.ipam.claims.get({ namespace: ns, name: 'c' });
    const deletedAt = claim.metadata.deletionTimestamp ?? '';
    const until = new Date(Date.parse(deletedAt) + 6_000).toISOString().replace('.000Z', 'Z');
    const line = `quarantined until ${until} (grace period 6 s, claim ${ns}/c deleted at ${deletedAt})`;
    const ready = await plane.ipam.waitForClaimReason(ns, 'c', 'Deleting', 5_000);
    assert.equal(ready.message, `address ${line}`);
    const event = await waitFor(
      async () =>
        (await claimEvents(plane, ns, 'c')).find((e) => e.reason === ClaimEventReason.AddressQuarantined),
      { what: 'the AddressQuarantined Event', timeoutMs: 5_000 },
    );
    assert.equal(event.type, 'Normal');
    assert.equal(event.message, `${address.spec.address} ${line}; free again at ${until}`);

    // Released after the grace; the count goes back to 0.
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress to go',
      timeoutMs: 15_000,
    });
    assert.ok(Date.now() >= Date.parse(until) - 1_000, 'not released before the grace ended');
    await waitFor(async () => (await quarantined(plane, ns, 'p')) === 0, {
      what: 'quarantined back to 0',
      timeoutMs: 5_000,
    });
    await waitFor(async () => metric((await plane.ctl.manager.metrics.render()).body, ns, 'p') === 0, {
      what: 'the metric back to 0',
      timeoutMs: 5_000,
    });
    // One Event per deletion, not one per requeue.
    const announced = (await claimEvents(plane, ns, 'c')).filter(
      (e) => e.reason === ClaimEventReason.AddressQuarantined,
    );
    assert.equal(
      announced.reduce((n, e) => n + (e.count ?? 1), 0),
      1,
    );
  });
});

describe('controller: the quarantine follows the API server clock', () => {
  // This controller's clock runs ten minutes ahead: upstream's comparison would release at once.
  const skewed = useControllerPlane('quarantine-skew', { wallClock: () => Date.now() + 600_000 });

  it('holds the address for the grace period, no less and not ten minutes more', async () => {
    const ns = await skewed.fx.namespace('quarantine-skew');
    await allocatedInGracePool(skewed, ns, ['10.0.0.1'], 5);
    const t0 = Date.now();
    await skewed.ipam.claims.delete({ namespace: ns, name: 'c' });
    // deletionTimestamp has whole seconds: the address is due at floor(delete) + 5 s, at least
    // t0 + 4 s. It must be there until then (the window ends 100 ms short of it).
    await staysFalse(
      async () => (await skewed.ipam.findAddress(ns, 'c')) === undefined,
      Math.max(0, t0 + 3_900 - Date.now()),
      'the IPAddress to go before the grace ended',
    );
    await waitFor(async () => (await skewed.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress to go after the grace (server clock), not ten minutes later',
      timeoutMs: 15_000,
    });
    assert.ok(Date.now() - t0 >= 4_000);
  });
});
