// The claim finalizer webhook (docs/adr/0037-claim-finalizer-at-admission.md) behind the real API
// server, with the controller running in-process: a claim of ours is created already carrying
// ReleaseAddress, and the controller then allocates it without writing the claim's metadata; other
// providers' claims never reach the webhook; a claim deleted the moment it is created is released;
// one created under a paused Cluster waits for the unpause to go; with the webhook down, claims are
// still created at once and the controller adds the finalizer.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FINALIZER_RELEASE_ADDRESS, LABEL_WATCH_FILTER, type IPAddressClaimWire } from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';
import { startTestWebhooks, type TestWebhooks } from '../support/webhooks.js';

const plane = useControllerPlane('claimfin');
const IP = 'InClusterIPPool';
let ns: string;
let hooks: TestWebhooks;

const claimCalls = async (): Promise<number> => (await hooks.calls()).get('mutate CREATE') ?? 0;

/** Managers that wrote the claim's main resource (not its status), from managedFields. */
function metadataWriters(claim: IPAddressClaimWire): string[] {
  const fields = (claim.metadata as { managedFields?: { manager?: string; subresource?: string }[] })
    .managedFields;
  return (fields ?? []).filter((f) => f.subresource === undefined).map((f) => f.manager ?? '');
}

describe('claim finalizer webhook', () => {
  before(async () => {
    ns = await plane.fx.namespace('claimfin');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.9.0.1-10.9.0.50'], prefix: 24 });
    hooks = await startTestWebhooks({
      namespaces: [ns],
      labels: { [LABEL_WATCH_FILTER]: plane.watchFilter },
      claimScope: { watchFilter: plane.watchFilter },
    });
  });
  after(async () => {
    await hooks.cleanup();
  });

  it('creates a claim of ours with ReleaseAddress; the controller allocates it without a metadata write', async () => {
    const created = await plane.ipam.createClaim('c1', ns, { kind: IP, name: 'p' });
    assert.deepEqual(created.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
    const creator = metadataWriters(created);
    assert.equal(creator.length, 1, JSON.stringify(creator));
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c1')) !== undefined, {
      timeoutMs: 10_000,
      what: 'an IPAddress',
    });
    const claim = await waitFor(
      async () => {
        const c = await plane.ipam.claims.get({ namespace: ns, name: 'c1' });
        return c.status?.addressRef?.name === 'c1' ? c : undefined;
      },
      { timeoutMs: 10_000, what: 'status.addressRef' },
    );
    // Only the status was written after the create: no second writer of the claim's metadata.
    assert.deepEqual(metadataWriters(claim), creator);
    assert.deepEqual(claim.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
  });

  it('keeps finalizers the claim was created with, adding ours after them', async () => {
    const created = await plane.ipam.createClaim(
      'c2',
      ns,
      { kind: IP, name: 'p' },
      { finalizers: ['example.com/keep'] },
    );
    assert.deepEqual(created.metadata.finalizers, ['example.com/keep', FINALIZER_RELEASE_ADDRESS]);
  });

  it("never calls the webhook for another provider's claim, and leaves it without a finalizer", async () => {
    const before = await claimCalls();
    const created = await plane.ipam.createClaim('other', ns, {
      kind: IP,
      name: 'p',
      apiGroup: 'ipam.example.com',
    });
    assert.deepEqual(created.metadata.finalizers ?? [], []);
    const ours = await plane.ipam.createClaim('c3', ns, { kind: IP, name: 'p' });
    assert.deepEqual(ours.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
    // One call: the claim of ours; the other was filtered out by the match condition.
    assert.equal((await claimCalls()) - before, 1);
  });

  it('releases a claim deleted the moment it is created: the claim goes, no IPAddress is left', async () => {
    const created = await plane.ipam.createClaim('gone', ns, { kind: IP, name: 'p' });
    assert.deepEqual(created.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
    await plane.ipam.claims.delete({ namespace: ns, name: 'gone' });
    await waitFor(async () => (await plane.ipam.claims.find({ namespace: ns, name: 'gone' })) === undefined, {
      timeoutMs: 10_000,
      what: 'the claim to go',
    });
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'gone')) === undefined, {
      timeoutMs: 10_000,
      what: 'no IPAddress',
    });
  });

  it('gives a claim created under a paused Cluster the finalizer; its deletion waits for the unpause', async () => {
    // The one difference from upstream (ADR 0037): upstream adds ReleaseAddress only after the
    // unpause, so its claim would go at once.
    await plane.ipam.createCluster('cl', ns, { paused: true });
    const ref = { namespace: ns, name: 'under-pause' };
    const created = await plane.ipam.createClaim(
      ref.name,
      ns,
      { kind: IP, name: 'p' },
      { clusterName: 'cl' },
    );
    assert.deepEqual(created.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
    await plane.ipam.claims.delete(ref);
    await staysFalse(
      async () => (await plane.ipam.claims.find(ref)) === undefined,
      2_000,
      'the claim gone while its Cluster is paused',
    );
    await plane.ipam.clusters.mergePatch({ namespace: ns, name: 'cl' }, { spec: { paused: false } });
    await waitFor(async () => (await plane.ipam.claims.find(ref)) === undefined, {
      timeoutMs: 10_000,
      what: 'the claim to go after the unpause',
    });
    assert.equal(await plane.ipam.findAddress(ns, ref.name), undefined);
  });

  it('with the webhook down, creates claims at once without it, and the controller adds the finalizer', async () => {
    await hooks.server.close(0);
    const created = await plane.ipam.createClaim('down', ns, { kind: IP, name: 'p' });
    assert.deepEqual(created.metadata.finalizers ?? [], []);
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'down')) !== undefined, {
      timeoutMs: 10_000,
      what: 'an IPAddress',
    });
    const claim = await plane.ipam.claims.get({ namespace: ns, name: 'down' });
    assert.deepEqual(claim.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
  });
});
