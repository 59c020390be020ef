// Duplicate addresses inside one pool: two IPAddresses made by hand with the same address and the
// same poolRef. The pool reports them (DuplicateAddresses condition + a DuplicateAddress Event naming
// the address and the IPAddresses), counts them sanely (used = IPAddresses, free counts the address
// once), and the allocator never hands the address out while any holder remains.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ConditionType,
  DuplicateAddressesReason,
  IPAM_GROUP,
  PoolEventReason,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { useControllerPlane } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const plane = useControllerPlane('dups');

const IP = 'InClusterIPPool';
const GLOBAL = 'GlobalInClusterIPPool';

/** An IPAddress made by hand (no claim, no finalizer), labelled so the test controller sees it. */
async function handMade(
  ns: string,
  name: string,
  kind: PoolKind,
  pool: string,
  address: string,
  prefix = 24,
) {
  return plane.ipam.addresses.create({
    apiVersion: `${IPAM_GROUP}/v1beta2`,
    kind: 'IPAddress',
    metadata: { name, namespace: ns, labels: plane.ipam.labels() },
    spec: {
      claimRef: { name },
      poolRef: { apiGroup: IPAM_GROUP, kind, name: pool },
      address,
      prefix,
    },
  });
}

async function poolStatus(kind: PoolKind, ns: string | undefined, name: string) {
  return (await plane.ipam.pools(kind).find({ namespace: ns, name }))?.status;
}

async function waitDuplicates(
  kind: PoolKind,
  ns: string | undefined,
  name: string,
  status: 'True' | 'False',
  counts: { used: number; free: number },
) {
  return waitFor(
    async () => {
      const s = await poolStatus(kind, ns, name);
      const c = s?.conditions?.find((x) => x.type === ConditionType.DuplicateAddresses);
      const n = s?.ipAddresses;
      return c?.status === status && Number(n?.used) === counts.used && Number(n?.free) === counts.free
        ? c
        : undefined;
    },
    { what: `${kind} ${name} DuplicateAddresses=${status} with used ${counts.used}, free ${counts.free}` },
  );
}

describe('controller: duplicate addresses in one pool', () => {
  it('reports the shared address and its IPAddresses, counts it once in free, and never hands it out', async () => {
    const ns = await plane.fx.namespace('dups');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.0.0.1-10.0.0.4'], prefix: 24 });
    await handMade(ns, 'by-hand-a', IP, 'p', '10.0.0.2');
    await handMade(ns, 'by-hand-b', IP, 'p', '10.0.0.2');

    const dup = await waitDuplicates(IP, ns, 'p', 'True', { used: 2, free: 3 });
    assert.equal(dup.reason, DuplicateAddressesReason.DuplicatesFound);
    assert.match(
      dup.message,
      new RegExp(`10\\.0\\.0\\.2 held by IPAddresses ${ns}/by-hand-a, ${ns}/by-hand-b`),
    );
    assert.equal((await poolStatus(IP, ns, 'p'))?.ipAddresses?.total, 4);
    const event = await waitFor(
      async () =>
        (await plane.ipam.client.events().list({ namespace: ns })).items.find(
          (e) => e.involvedObject.kind === IP && e.reason === PoolEventReason.DuplicateAddress,
        ),
      { what: 'DuplicateAddress Event on the pool' },
    );
    assert.match(event.message ?? '', /by-hand-a, .*by-hand-b/);

    // The three other addresses go to claims; the shared one is skipped; the fourth claim waits.
    // Which claim waits depends on reconcile order (workers run concurrently), so find it.
    const claims = ['c1', 'c2', 'c3', 'c4'];
    for (const c of claims) await plane.ipam.createClaim(c, ns, { kind: IP, name: 'p' });
    const allocated = await waitFor(
      async () => {
        const found = await Promise.all(claims.map((c) => plane.ipam.findAddress(ns, c)));
        const held = found.flatMap((a) => (a === undefined ? [] : [a.spec.address]));
        return held.length >= 3
          ? { held: held.sort(), waiting: claims.filter((_, i) => found[i] === undefined) }
          : undefined;
      },
      { what: 'IPAddresses for three of the four claims' },
    );
    assert.deepEqual(allocated.held, ['10.0.0.1', '10.0.0.3', '10.0.0.4']);
    assert.equal(allocated.waiting.length, 1);
    const waiting = allocated.waiting[0] ?? '';
    await plane.ipam.waitForClaimReason(ns, waiting, 'PoolExhausted');

    // One holder gone: no duplicate any more, but the address is still held by the other.
    await plane.ipam.deleteAndWait(plane.ipam.addresses, { namespace: ns, name: 'by-hand-a' });
    const none = await waitDuplicates(IP, ns, 'p', 'False', { used: 4, free: 0 });
    assert.deepEqual([none.reason, none.message], [DuplicateAddressesReason.NoDuplicates, '']);
    assert.equal(await plane.ipam.findAddress(ns, waiting), undefined);
    assert.equal((await plane.ipam.claimCondition(ns, waiting, 'Ready'))?.reason, 'PoolExhausted');

    // Last holder gone: now the address is free and the waiting claim gets it.
    await plane.ipam.deleteAndWait(plane.ipam.addresses, { namespace: ns, name: 'by-hand-b' });
    assert.equal((await plane.ipam.waitForAddress(ns, waiting)).spec.address, '10.0.0.2');
    await waitDuplicates(IP, ns, 'p', 'False', { used: 4, free: 0 });
  });

  it('a global pool reports duplicates across namespaces', async () => {
    const ns1 = await plane.fx.namespace('dups-g1');
    const ns2 = await plane.fx.namespace('dups-g2');
    const g = plane.fx.globalName('dups');
    await plane.ipam.createPool(GLOBAL, g, undefined, { addresses: ['10.1.0.1-10.1.0.3'], prefix: 24 });
    await handMade(ns1, 'x', GLOBAL, g, '10.1.0.1');
    await handMade(ns2, 'y', GLOBAL, g, '10.1.0.1');
    await handMade(ns2, 'z', GLOBAL, g, '10.1.0.3');
    const dup = await waitDuplicates(GLOBAL, undefined, g, 'True', { used: 3, free: 1 });
    assert.match(
      dup.message,
      /^1 address\(es\) held by more than one IPAddress: 10\.1\.0\.1 held by IPAddresses /,
    );
    assert.match(dup.message, new RegExp(`${ns1}/x, ${ns2}/y`));
    assert.doesNotMatch(dup.message, /10\.1\.0\.3/);
    await plane.ipam.createClaim('c', ns1, { kind: GLOBAL, name: g });
    assert.equal((await plane.ipam.waitForAddress(ns1, 'c')).spec.address, '10.1.0.2');
  });

  it('a prefix pool reports two IPAddresses holding one sub-prefix (compared masked)', async () => {
    const ns = await plane.fx.namespace('dups-prefix');
    const PREFIX = 'InClusterPrefixPool';
    await plane.ipam.createPool(PREFIX, 'p', ns, { prefixes: ['fd00::/62'] });
    await handMade(ns, 'pa', PREFIX, 'p', 'fd00::', 64);
    await handMade(ns, 'pb', PREFIX, 'p', 'fd00::1', 64);
    const dup = await waitDuplicates(PREFIX, ns, 'p', 'True', { used: 2, free: 3 });
    assert.match(
      dup.message,
      new RegExp(
        `^1 prefix\\(es\\) held by more than one IPAddress: fd00::/64 held by IPAddresses ${ns}/pa, ${ns}/pb;`,
      ),
    );
    await plane.ipam.createClaim('c', ns, { kind: PREFIX, name: 'p' });
    const a = await plane.ipam.waitForAddress(ns, 'c');
    assert.equal(`${a.spec.address}/${String(a.spec.prefix)}`, 'fd00:0:0:1::/64');
  });
});
