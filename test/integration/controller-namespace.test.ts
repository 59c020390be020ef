// --namespace: a controller restricted to one namespace serves the claims and namespaced pools of
// that namespace and leaves every other namespace alone (no IPAddress, no finalizer, no status).
// Global pools are cluster-scoped: claims in the watched namespace are served, others are not. The
// IPAddress cache holds every namespace (upstream's holds only the watched one): the last test checks
// that a global pool's IPAddresses in other namespaces count, are never handed out again and hold
// ProtectPool (see controller/README.md, "What is watched").
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  FINALIZER_PROTECT_POOL,
  FINALIZER_RELEASE_ADDRESS,
  IPAM_GROUP,
  LABEL_WATCH_FILTER,
} from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const plane = useControllerPlane('ns', async ({ fx }) => {
  watched = await fx.namespace('watched');
  other = await fx.namespace('other');
  return { namespace: watched };
});

let watched: string;
let other: string;
const IP = 'InClusterIPPool';
const GLOBAL = 'GlobalInClusterIPPool';

async function untouchedClaim(ns: string, name: string): Promise<void> {
  const claim = await plane.ipam.claims.get({ namespace: ns, name });
  assert.deepEqual(claim.metadata.finalizers ?? [], [], `${ns}/${name} finalizers`);
  assert.deepEqual(claim.status ?? {}, {}, `${ns}/${name} status`);
  assert.equal(await plane.ipam.findAddress(ns, name), undefined, `${ns}/${name} IPAddress`);
}

describe('controller: --namespace', () => {
  it('serves claims and pools of the watched namespace only', async () => {
    // The other namespace's objects come first, so the watched ones being done is a barrier.
    await plane.ipam.createPool(IP, 'p', other, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.createClaim('c', other, { kind: IP, name: 'p' });
    await plane.ipam.createPool(IP, 'p', watched, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.createClaim('c', watched, { kind: IP, name: 'p' });

    assert.equal((await plane.ipam.waitForAddress(watched, 'c')).spec.address, '10.0.0.1');
    const claim = await plane.ipam.claims.get({ namespace: watched, name: 'c' });
    assert.deepEqual(claim.metadata.finalizers, [FINALIZER_RELEASE_ADDRESS]);
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(IP).find({ namespace: watched, name: 'p' });
        return Number(p?.status?.ipAddresses?.used) === 1 &&
          (p?.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_POOL)
          ? p
          : undefined;
      },
      { what: 'watched pool status used 1 and ProtectPool' },
    );

    await untouchedClaim(other, 'c');
    const otherPool = await plane.ipam.pools(IP).get({ namespace: other, name: 'p' });
    assert.deepEqual(otherPool.metadata.finalizers ?? [], []);
    assert.equal(otherPool.status, undefined);
  });

  it('global pools: claims of other namespaces are left alone, the watched namespace is served', async () => {
    const g = plane.fx.globalName('nsg');
    await plane.ipam.createPool(GLOBAL, g, undefined, { addresses: ['10.2.0.1-10.2.0.9'], prefix: 24 });
    await plane.ipam.createClaim('g', other, { kind: GLOBAL, name: g });
    await plane.ipam.createClaim('g', watched, { kind: GLOBAL, name: g });
    assert.equal((await plane.ipam.waitForAddress(watched, 'g')).spec.address, '10.2.0.1');
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(GLOBAL).find({ name: g });
        return Number(p?.status?.ipAddresses?.used) === 1 ? p : undefined;
      },
      { what: 'global pool status used 1' },
    );
    await untouchedClaim(other, 'g');
  });

  it("global pools: the watched namespace's allocations see the pool's IPAddresses in every namespace", async () => {
    const g = plane.fx.globalName('nsg-elsewhere');
    await plane.ipam.createPool(GLOBAL, g, undefined, { addresses: ['10.3.0.1-10.3.0.9'], prefix: 24 });
    // An IPAddress of the global pool in the other namespace (e.g. made by another controller).
    await plane.ipam.addresses.create({
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddress',
      metadata: { name: 'elsewhere', namespace: other, labels: plane.ipam.labels() },
      spec: {
        claimRef: { name: 'elsewhere' },
        poolRef: { apiGroup: IPAM_GROUP, kind: GLOBAL, name: g },
        address: '10.3.0.1',
        prefix: 24,
      },
    });
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(GLOBAL).find({ name: g });
        return Number(p?.status?.ipAddresses?.used) === 1 ? p : undefined;
      },
      { what: 'global pool counts the IPAddress of the other namespace', timeoutMs: 10_000 },
    );
    await plane.ipam.createClaim('h', watched, { kind: GLOBAL, name: g });
    // Not 10.3.0.1: the other namespace's IPAddress holds it.
    assert.equal((await plane.ipam.waitForAddress(watched, 'h')).spec.address, '10.3.0.2');
    const listed = await plane.ipam.addresses.list({
      labelSelector: `${LABEL_WATCH_FILTER}=${plane.watchFilter}`,
    });
    const inPool = listed.items
      .filter((a) => a.spec.poolRef.kind === GLOBAL && a.spec.poolRef.name === g)
      .map((a) => a.spec.address)
      .sort();
    assert.deepEqual(inPool, ['10.3.0.1', '10.3.0.2'], 'no address handed out twice');
    // Counts: both IPAddresses, whichever namespace they live in.
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(GLOBAL).find({ name: g });
        const counts = p?.status?.ipAddresses;
        return Number(counts?.used) === 2 && Number(counts?.free) === 7 ? p : undefined;
      },
      { what: 'global pool status used 2, free 7 (one IPAddress in each namespace)' },
    );
    // Deleting the pool: ProtectPool stays while the other namespace's IPAddress references it.
    await plane.ipam.deleteAndWait(plane.ipam.claims, { namespace: watched, name: 'h' });
    await plane.ipam.pools(GLOBAL).delete({ name: g });
    const deleting = await waitFor(
      async () => {
        const p = await plane.ipam.pools(GLOBAL).find({ name: g });
        return p?.status?.conditions?.find((c) => c.type === 'Ready')?.reason === 'Deleting' ? p : undefined;
      },
      { what: 'global pool held (Ready=False Deleting) by the IPAddress in the other namespace' },
    );
    assert.ok((deleting.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_POOL), 'ProtectPool kept');
    await plane.ipam.deleteAndWait(plane.ipam.addresses, { namespace: other, name: 'elsewhere' });
    await waitFor(async () => (await plane.ipam.pools(GLOBAL).find({ name: g })) === undefined, {
      what: 'global pool gone once the last IPAddress is',
    });
  });
});
