// Upstream §15.1 "Prefix Pool Reconciler" and "IPAddressClaimReconciler prefix allocation".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_PAUSED, FINALIZER_PROTECT_POOL, type PoolKind } from '@ipam-in-cluster/api';
import { useControllerPlane, type Ipam } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';

const plane = useControllerPlane('prefix');

const NS_KIND = 'InClusterPrefixPool';
const GLOBAL = 'GlobalInClusterPrefixPool';

interface Ref {
  kind: PoolKind;
  name: string;
  ns: string | undefined;
}

async function pool(
  kind: PoolKind,
  ns: string,
  base: string,
  spec: Parameters<Ipam['createPool']>[3],
  annotations?: Record<string, string>,
): Promise<Ref> {
  const global = kind.startsWith('Global');
  const name = global ? plane.fx.globalName(base, kind) : base;
  await plane.ipam.createPool(
    kind,
    name,
    global ? undefined : ns,
    spec,
    annotations === undefined ? {} : { annotations },
  );
  return { kind, name, ns: global ? undefined : ns };
}

async function counts(p: Ref): Promise<[bigint, bigint, bigint, bigint] | undefined> {
  const c = (await plane.ipam.pools(p.kind).find({ namespace: p.ns, name: p.name }))?.status?.ipAddresses;
  return c === undefined
    ? undefined
    : [BigInt(c.total), BigInt(c.used), BigInt(c.free), BigInt(c.outOfRange)];
}

async function waitCounts(p: Ref, want: [bigint, bigint, bigint, bigint]): Promise<void> {
  let last: unknown;
  await waitFor(
    async () => {
      const c = await counts(p);
      last = c?.map(Number);
      return c !== undefined && c.every((v, i) => v === want[i]);
    },
    { what: `counts ${want.map(Number).join('/')} of ${p.name}` },
  ).catch((error: unknown) => {
    throw new Error(`${(error as Error).message}; last ${JSON.stringify(last)}`);
  });
}

async function claimPrefix(ns: string, name: string, p: Ref): Promise<string> {
  await plane.ipam.createClaim(name, ns, { kind: p.kind, name: p.name });
  const a = await plane.ipam.waitForAddress(ns, name);
  return `${a.spec.address}/${String(a.spec.prefix)}`;
}

describe('controller: prefix pools', () => {
  for (const kind of [NS_KIND, GLOBAL] as const) {
    it(`${kind}: /64 counts (fd00::/62: 4 total, one claim -> used 1, free 3)`, async () => {
      const ns = await plane.fx.namespace('p64');
      const p = await pool(kind, ns, 'p64', { prefixes: ['fd00::/62'] });
      await waitCounts(p, [4n, 0n, 4n, 0n]);
      await claimPrefix(ns, 'c', p);
      await waitCounts(p, [4n, 1n, 3n, 0n]);
    });
  }

  it('allocationPrefixLength 56 (fd40::/48: 256 total, free 255 after one claim)', async () => {
    const ns = await plane.fx.namespace('p56');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd40::/48'], allocationPrefixLength: 56 });
    await claimPrefix(ns, 'c', p);
    await waitCounts(p, [256n, 1n, 255n, 0n]);
  });

  it('outOfRange 1 after shrinking the prefixes away from an allocation', async () => {
    const ns = await plane.fx.namespace('shrink');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd01::/62'] });
    assert.equal(await claimPrefix(ns, 'c', p), 'fd01::/64');
    await plane.ipam
      .pools(NS_KIND)
      .mergePatch({ namespace: ns, name: 'p' }, { spec: { prefixes: ['fd01:0:0:1::/64'] } });
    await waitCounts(p, [1n, 1n, 1n, 1n]);
  });

  it('outOfRange 1 after excluding the allocated /64 (and setting a gateway)', async () => {
    const ns = await plane.fx.namespace('exclude');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd03::/62'] });
    assert.equal(await claimPrefix(ns, 'c', p), 'fd03::/64');
    await plane.ipam
      .pools(NS_KIND)
      .mergePatch(
        { namespace: ns, name: 'p' },
        { spec: { excludedPrefixes: ['fd03::/64'], gateway: 'fd03::1' } },
      );
    await waitCounts(p, [3n, 1n, 3n, 1n]);
  });

  for (const kind of [NS_KIND, GLOBAL] as const) {
    it(`${kind}: ProtectPool keeps a deleted prefix pool while allocations exist`, async () => {
      const ns = await plane.fx.namespace('pprotect');
      const p = await pool(kind, ns, 'pprotect', { prefixes: ['fd05::/62'] });
      await claimPrefix(ns, 'c', p);
      await waitFor(
        async () =>
          (
            (await plane.ipam.pools(kind).get({ namespace: p.ns, name: p.name })).metadata.finalizers ?? []
          ).includes(FINALIZER_PROTECT_POOL),
        {
          what: 'ProtectPool',
        },
      );
      await plane.ipam.pools(kind).delete({ namespace: p.ns, name: p.name });
      await staysFalse(
        async () => (await plane.ipam.pools(kind).find({ namespace: p.ns, name: p.name })) === undefined,
        2_000,
        'the pool to go',
      );
      await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
      await waitFor(
        async () => (await plane.ipam.pools(kind).find({ namespace: p.ns, name: p.name })) === undefined,
        { what: 'the pool to go' },
      );
    });
  }

  it('allocates deterministic non-overlapping /64s with the gateway copied (fd00::, fd00:0:0:1::)', async () => {
    const ns = await plane.fx.namespace('det');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd00::/62'], gateway: 'fd10::1' });
    assert.equal(await claimPrefix(ns, 'c1', p), 'fd00::/64');
    assert.equal(await claimPrefix(ns, 'c2', p), 'fd00:0:0:1::/64');
    assert.equal((await plane.ipam.waitForAddress(ns, 'c2')).spec.gateway, 'fd10::1');
  });

  it('a paused prefix pool allocates nothing until unpaused, then fd04::', async () => {
    const ns = await plane.fx.namespace('ppaused');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd04::/62'] }, { [ANNOTATION_PAUSED]: '' });
    await plane.ipam.createClaim('c', ns, { kind: NS_KIND, name: p.name });
    await staysFalse(
      async () => (await plane.ipam.findAddress(ns, 'c')) !== undefined,
      2_000,
      'an IPAddress',
    );
    await plane.ipam
      .pools(NS_KIND)
      .mergePatch({ namespace: ns, name: 'p' }, { metadata: { annotations: { [ANNOTATION_PAUSED]: null } } });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, 'fd04::');
  });

  it('allocates /56s: fd06::, fd06:0:0:100::', async () => {
    const ns = await plane.fx.namespace('a56');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd06::/48'], allocationPrefixLength: 56 });
    assert.equal(await claimPrefix(ns, 'c1', p), 'fd06::/56');
    assert.equal(await claimPrefix(ns, 'c2', p), 'fd06:0:0:100::/56');
  });

  it('mixed sources: fd00:0:0:1::/64 first, then fd10::', async () => {
    const ns = await plane.fx.namespace('mixed');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd00:0:0:1::/64', 'fd10::/48'] });
    assert.equal(await claimPrefix(ns, 'c1', p), 'fd00:0:0:1::/64');
    assert.equal(await claimPrefix(ns, 'c2', p), 'fd10::/64');
  });

  it('a global prefix pool serves claims in two namespaces: fd01::, fd01:0:0:1::', async () => {
    const ns1 = await plane.fx.namespace('gp-a');
    const ns2 = await plane.fx.namespace('gp-b');
    const p = await pool(GLOBAL, ns1, 'gp', { prefixes: ['fd01::/63'] });
    assert.equal(await claimPrefix(ns1, 'c', p), 'fd01::/64');
    assert.equal(await claimPrefix(ns2, 'c', p), 'fd01:0:0:1::/64');
  });

  it('deleting a prefix claim removes its IPAddress', async () => {
    const ns = await plane.fx.namespace('pdel');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd02::/62'] });
    await claimPrefix(ns, 'c', p);
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress to go',
      timeoutMs: 5_000,
    });
  });

  it('an exhausted single /64 leaves the second claim unfulfilled (PoolExhausted); Total 1, Used 1, Free 0', async () => {
    const ns = await plane.fx.namespace('pfull');
    const p = await pool(NS_KIND, ns, 'p', { prefixes: ['fd07::/64'] });
    assert.equal(await claimPrefix(ns, 'c1', p), 'fd07::/64');
    await plane.ipam.createClaim('c2', ns, { kind: NS_KIND, name: 'p' });
    await plane.ipam.waitForClaimReason(ns, 'c2', 'PoolExhausted');
    await waitCounts(p, [1n, 1n, 0n, 0n]);
    assert.equal(await plane.ipam.findAddress(ns, 'c2'), undefined);
  });
});
