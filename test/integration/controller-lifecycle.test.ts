// Deletion paths and the address reuse grace period (upstream §15.1 "When a pool has an address reuse
// grace period", §8.4, §8.5), IPAddresses deleted behind the controller's back, and metrics.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_PROTECT_ADDRESS } from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';

const plane = useControllerPlane('life');

const IP = 'InClusterIPPool';

describe('controller: lifecycle', () => {
  it('grace period 2 s: the IPAddress outlives its claim by at least 1 s (Ready=False Deleting), then goes', async () => {
    const ns = await plane.fx.namespace('grace');
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.0.0.1'],
      prefix: 24,
      addressReuseGracePeriodSeconds: 2,
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'c');
    const t0 = Date.now();
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await plane.ipam.waitForClaimReason(ns, 'c', 'Deleting', 2_000).catch(() => undefined);
    // deletionTimestamp has whole seconds, so the address is due at floor(delete) + 2 s: as early as
    // t0 + 1 s. It must be there until then; the window ends 100 ms short of it, so that a probe
    // sent inside it is not answered after it.
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) === undefined,
      Math.max(0, t0 + 900 - Date.now()),
      'the IPAddress to go within 1 s',
    );
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress to go',
      timeoutMs: 5_000,
    });
    assert.ok(Date.now() - t0 >= 1_000);
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined, {
      what: 'the claim to go',
    });
  });

  it('grace period 300 s but the pool is deleted first: claim and pool go at once', async () => {
    const ns = await plane.fx.namespace('grace-teardown');
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.0.0.1-10.0.0.9'],
      prefix: 24,
      addressReuseGracePeriodSeconds: 300,
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'c');
    await plane.ipam.pools(IP).delete({ namespace: ns, name: 'p' });
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined, {
      what: 'the claim to go',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await plane.ipam.pools(IP).find({ namespace: ns, name: 'p' })) === undefined, {
      what: 'the pool to go',
      timeoutMs: 10_000,
    });
  });

  it('a claim whose pool is gone (finalizer removed by force) can still be deleted', async () => {
    const ns = await plane.fx.namespace('pool-gone');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'c');
    await plane.ipam.pools(IP).delete({ namespace: ns, name: 'p' });
    await plane.ipam.stripFinalizers(plane.ipam.pools(IP), { namespace: ns, name: 'p' });
    await waitFor(async () => (await plane.ipam.pools(IP).find({ namespace: ns, name: 'p' })) === undefined, {
      what: 'the pool to go',
    });
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'c' })) === undefined, {
      what: 'the claim to go',
    });
    assert.equal(await plane.ipam.findAddress(ns, 'c'), undefined);
  });

  it('an IPAddress deleted by a user stays (ProtectAddress) and the claim keeps it', async () => {
    const ns = await plane.fx.namespace('user-delete');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'c');
    await plane.ipam.addresses.delete({ namespace: ns, name: 'c' });
    const a = await waitFor(
      async () => {
        const x = await plane.ipam.findAddress(ns, 'c');
        return x?.metadata.deletionTimestamp !== undefined ? x : undefined;
      },
      { what: 'the IPAddress to be terminating' },
    );
    assert.deepEqual(a.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) === undefined,
      2_000,
      'the IPAddress to go',
    );
    assert.equal((await plane.ipam.claimCondition(ns, 'c', 'Ready'))?.status, 'True');
    // Deleting the claim releases it.
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress to go',
    });
  });

  it('an IPAddress removed by force is replaced with the lowest free address', async () => {
    const ns = await plane.fx.namespace('force');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.createClaim('a', ns, { kind: IP, name: 'p' });
    await plane.ipam.waitForAddress(ns, 'a');
    await plane.ipam.createClaim('b', ns, { kind: IP, name: 'p' });
    const old = await plane.ipam.waitForAddress(ns, 'b');
    assert.equal(old.spec.address, '10.0.0.2');
    await plane.ipam.claims.delete({ namespace: ns, name: 'a' });
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'a')) === undefined, { what: 'a released' });
    await plane.ipam.stripFinalizers(plane.ipam.addresses, { namespace: ns, name: 'b' });
    await plane.ipam.addresses.delete({ namespace: ns, name: 'b' });
    const replaced = await waitFor(
      async () => {
        const x = await plane.ipam.findAddress(ns, 'b');
        return x !== undefined && x.metadata.uid !== old.metadata.uid ? x : undefined;
      },
      { what: 'a new IPAddress for b' },
    );
    assert.equal(replaced.spec.address, '10.0.0.1');
  });

  it('exposes reconcile, allocation and pool metrics', async () => {
    const text = (await plane.ctl.manager.metrics.render()).body;
    for (const name of [
      'capi_ipam_reconcile_total{controller="ipaddressclaim",result="success"}',
      'capi_ipam_reconcile_total{controller="pool",result="success"}',
      'capi_ipam_allocation_duration_seconds_count{pool_kind="InClusterIPPool",result="success"}',
      'capi_ipam_pool_size_addresses{pool_kind="InClusterIPPool"',
      'capi_ipam_workqueue_depth{name="ipaddressclaim"}',
    ]) {
      assert.ok(text.includes(name), `missing ${name}`);
    }
  });
});
