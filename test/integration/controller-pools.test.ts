// Upstream §15.1 "IP Pool Reconciler": status counts, out-of-range, the ProtectPool finalizer; plus
// ours: correct free with out-of-range allocations, exact 2^63-1 counts, pool conditions and Events,
// terminating and invalid pools refusing new claims, an unparsable IPAddress not blocking a pool.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_PROTECT_POOL, MAX_STATUS_COUNT, type Pool, type PoolKind } from '@ipam-in-cluster/api';
import { useControllerPlane, type Ipam } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const plane = useControllerPlane('pools', { highUtilizationPercent: 80 });

const IP = 'InClusterIPPool';
const GLOBAL = 'GlobalInClusterIPPool';

interface Counts {
  total: bigint;
  used: bigint;
  free: bigint;
  outOfRange: bigint;
}

function countsOf(p: Pool | undefined): Counts | undefined {
  const c = p?.status?.ipAddresses;
  if (c === undefined) return undefined;
  return {
    total: BigInt(c.total),
    used: BigInt(c.used),
    free: BigInt(c.free),
    outOfRange: BigInt(c.outOfRange),
  };
}

/** A pool of either kind in `ns` (global pools get a unique name). */
async function pool(
  kind: PoolKind,
  ns: string,
  base: string,
  spec: Parameters<Ipam['createPool']>[3],
): Promise<{ kind: PoolKind; name: string; ns: string | undefined }> {
  const global = kind.startsWith('Global');
  const name = global ? plane.fx.globalName(base, kind) : base;
  await plane.ipam.createPool(kind, name, global ? undefined : ns, spec);
  return { kind, name, ns: global ? undefined : ns };
}

async function waitCounts(
  p: { kind: PoolKind; name: string; ns: string | undefined },
  want: Partial<Counts>,
  timeoutMs = 10_000,
): Promise<Counts> {
  let last: Counts | undefined;
  try {
    return await waitFor(
      async () => {
        last = countsOf(await plane.ipam.pools(p.kind).find({ namespace: p.ns, name: p.name }));
        if (last === undefined) return undefined;
        const l = last;
        return Object.entries(want).every(([k, v]) => l[k as keyof Counts] === v) ? last : undefined;
      },
      {
        what: `${p.kind} ${p.name} counts ${JSON.stringify(want, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`,
        timeoutMs,
      },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last ${JSON.stringify(last, (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))}`,
      { cause: error },
    );
  }
}

async function poolCondition(p: { kind: PoolKind; name: string; ns: string | undefined }, type: string) {
  return (await plane.ipam.pools(p.kind).find({ namespace: p.ns, name: p.name }))?.status?.conditions?.find(
    (c) => c.type === type,
  );
}

describe('controller: pools', () => {
  // §9 status table: [addresses, prefix, gateway, total, [used, free] after each claim].
  const table: [string[], number, string | undefined, bigint, [bigint, bigint][]][] = [
    [
      ['10.0.0.10-10.0.0.20'],
      24,
      undefined,
      11n,
      [
        [1n, 10n],
        [2n, 9n],
      ],
    ],
    [
      ['10.0.0.10-10.0.0.20'],
      24,
      '10.0.0.10',
      10n,
      [
        [1n, 9n],
        [2n, 8n],
      ],
    ],
    [['10.0.0.10-10.0.0.20'], 24, '10.0.0.1', 11n, [[1n, 10n]]],
    [['10.0.0.0-10.0.0.1'], 24, '10.0.0.2', 1n, [[1n, 0n]]],
    [['10.0.0.254-10.0.0.255'], 24, '10.0.0.1', 1n, [[1n, 0n]]],
    [['fe80::ffff'], 120, 'fe80::a', 1n, [[1n, 0n]]],
    [['10.0.0.1/24'], 24, '10.0.0.1', 253n, [[1n, 252n]]],
    [['10.0.0.10-10.0.0.20', '10.0.0.30'], 24, undefined, 12n, [[1n, 11n]]],
  ];
  for (const kind of [IP, GLOBAL] as const) {
    it(`${kind}: status total/used/free for ${String(table.length)} layouts, before and after claims`, async () => {
      await Promise.all(
        table.map(async ([addresses, prefix, gateway, total, steps], i) => {
          const ns = await plane.fx.namespace(`status-${kind === IP ? 'ns' : 'gl'}-${String(i)}`);
          const p = await pool(kind, ns, `status-${String(i)}`, {
            addresses,
            prefix,
            ...(gateway === undefined ? {} : { gateway }),
          });
          await waitCounts(p, { total, used: 0n, free: total, outOfRange: 0n });
          for (const [n, [used, free]] of steps.entries()) {
            await plane.ipam.createClaim(`c${String(n)}`, ns, { kind, name: p.name });
            await waitCounts(p, { total, used, free });
          }
        }),
      );
    });
  }

  // §9 out-of-range table: pool created with allocateReservedIPAddresses, 5 claims, then the spec
  // changes (no webhook here). Free counts only in-range slots (upstream's total - used is wrong).
  const oor: [string[], string[], bigint, bigint, bigint][] = [
    // before, after, outOfRange, total after, free after
    [['10.0.0.10-10.0.0.20'], ['10.0.0.13-10.0.0.20'], 3n, 8n, 6n],
    [['10.0.0.0-10.0.0.255'], ['10.0.0.0', '10.0.0.2-10.0.0.255'], 1n, 253n, 249n],
    [['10.0.0.251-10.0.0.255'], ['10.0.0.251-10.0.0.254'], 1n, 4n, 0n],
    [['10.0.0.0-10.0.0.10'], ['10.0.0.1-10.0.0.10'], 1n, 9n, 5n],
  ];
  for (const kind of [IP, GLOBAL] as const) {
    it(`${kind}: outOfRange after the addresses change (${String(oor.length)} cases), free not eaten by them`, async () => {
      await Promise.all(
        oor.map(async ([before, afterAddrs, outOfRange, total, free], i) => {
          const ns = await plane.fx.namespace(`oor-${kind === IP ? 'ns' : 'gl'}-${String(i)}`);
          const p = await pool(kind, ns, `oor-${String(i)}`, {
            addresses: before,
            prefix: 24,
            gateway: '10.0.0.1',
            allocateReservedIPAddresses: true,
          });
          for (let n = 0; n < 5; n++) {
            await plane.ipam.createClaim(`c${String(n)}`, ns, { kind, name: p.name });
            await plane.ipam.waitForAddress(ns, `c${String(n)}`);
          }
          await plane.ipam
            .pools(kind)
            .mergePatch(
              { namespace: p.ns, name: p.name },
              { spec: { addresses: afterAddrs, allocateReservedIPAddresses: false } },
            );
          await waitCounts(p, { outOfRange, total, used: 5n, free });
        }),
      );
    });
  }

  for (const kind of [IP, GLOBAL] as const) {
    it(`${kind}: ProtectPool keeps a deleted pool until its last claim is gone`, async () => {
      const ns = await plane.fx.namespace('protect');
      const p = await pool(kind, ns, 'protect', { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
      await plane.ipam.createClaim('c', ns, { kind, name: p.name });
      await plane.ipam.waitForAddress(ns, 'c');
      const got = await waitFor(
        async () => {
          const o = await plane.ipam.pools(kind).get({ namespace: p.ns, name: p.name });
          return (o.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_POOL) ? o : undefined;
        },
        { what: 'ProtectPool' },
      );
      assert.ok(got);
      await plane.ipam.pools(kind).delete({ namespace: p.ns, name: p.name });
      const ready = await waitFor(
        async () => {
          const c = await poolCondition(p, 'Ready');
          return c?.reason === 'Deleting' ? c : undefined;
        },
        { what: 'Ready=False Deleting' },
      );
      assert.equal(ready.status, 'False');
      assert.notEqual(await plane.ipam.pools(kind).find({ namespace: p.ns, name: p.name }), undefined);
      // A terminating pool serves no new claim.
      await plane.ipam.createClaim('late', ns, { kind, name: p.name });
      await plane.ipam.waitForClaimReason(ns, 'late', 'PoolNotReady');
      await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
      await waitFor(
        async () => (await plane.ipam.pools(kind).find({ namespace: p.ns, name: p.name })) === undefined,
        { what: 'the pool to go' },
      );
      await plane.ipam.waitForClaimReason(ns, 'late', 'PoolNotFound');
    });
  }

  it('reports counts above 2^63-1 as exactly 9223372036854775807', async () => {
    const ns = await plane.fx.namespace('huge');
    const p = await pool(IP, ns, 'huge', { addresses: ['fd00::/56'], prefix: 56 });
    const c = await waitCounts(p, { used: 0n });
    assert.equal(c.total, MAX_STATUS_COUNT);
    assert.equal(c.free, MAX_STATUS_COUNT);
    await plane.ipam.createClaim('c', ns, { kind: IP, name: p.name });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, 'fd00::1');
    const after1 = await waitCounts(p, { used: 1n });
    assert.equal(after1.free, MAX_STATUS_COUNT);
  });

  it('conditions: Ready, Exhausted and HighUtilization with Events on the transitions', async () => {
    const ns = await plane.fx.namespace('conditions');
    const p = await pool(IP, ns, 'small', { addresses: ['10.0.0.1-10.0.0.5'], prefix: 24 });
    await waitFor(async () => (await poolCondition(p, 'Ready'))?.reason === 'Valid', {
      what: 'Ready=True Valid',
    });
    assert.equal((await poolCondition(p, 'Exhausted'))?.status, 'False');
    for (let n = 0; n < 4; n++) await plane.ipam.createClaim(`c${String(n)}`, ns, { kind: IP, name: p.name });
    await waitFor(async () => (await poolCondition(p, 'HighUtilization'))?.status === 'True', {
      what: 'HighUtilization at 80 %',
    });
    await plane.ipam.createClaim('c4', ns, { kind: IP, name: p.name });
    await waitFor(async () => (await poolCondition(p, 'Exhausted'))?.status === 'True', {
      what: 'Exhausted',
    });
    await plane.ipam.createClaim('c5', ns, { kind: IP, name: p.name });
    await plane.ipam.waitForClaimReason(ns, 'c5', 'PoolExhausted');
    const events = await waitFor(
      async () => {
        const list = (await plane.ipam.client.events().list({ namespace: ns })).items;
        const reasons = new Set(list.map((e) => `${e.involvedObject.kind ?? ''}/${e.reason ?? ''}`));
        return [
          'InClusterIPPool/PoolExhausted',
          'InClusterIPPool/HighUtilization',
          'IPAddressClaim/PoolExhausted',
          'IPAddressClaim/AddressAllocated',
        ].every((r) => reasons.has(r))
          ? list
          : undefined;
      },
      { what: 'pool and claim Events' },
    );
    assert.ok(events.length > 0);
  });

  it('a pool whose spec is invalid (written without the webhook) is not Ready and claims get PoolNotReady', async () => {
    const ns = await plane.fx.namespace('invalid');
    const p = await pool(IP, ns, 'bad', { addresses: ['10.0.0.1', '10.1.0.1'], prefix: 24 });
    const ready = await waitFor(
      async () => {
        const c = await poolCondition(p, 'Ready');
        return c?.reason === 'InvalidSpec' ? c : undefined;
      },
      { what: 'Ready=False InvalidSpec' },
    );
    assert.match(ready.message, /different subnet/);
    await plane.ipam.createClaim('c', ns, { kind: IP, name: p.name });
    await plane.ipam.waitForClaimReason(ns, 'c', 'PoolNotReady');
    await plane.ipam
      .pools(IP)
      .mergePatch({ namespace: ns, name: p.name }, { spec: { addresses: ['10.0.0.1', '10.0.0.2'] } });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, '10.0.0.1');
  });

  it('an unparsable IPAddress is counted and reported but does not block the pool', async () => {
    const ns = await plane.fx.namespace('unparsable');
    const p = await pool(IP, ns, 'p', { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await plane.ipam.addresses.create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
      kind: 'IPAddress',
      metadata: { name: 'garbage', namespace: ns, labels: plane.ipam.labels() },
      spec: {
        claimRef: { name: 'garbage' },
        poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: IP, name: p.name },
        address: 'not-an-ip',
        prefix: 24,
      },
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: p.name });
    assert.equal((await plane.ipam.waitForAddress(ns, 'c')).spec.address, '10.0.0.1');
    await waitCounts(p, { used: 2n, free: 8n });
    const ready = await poolCondition(p, 'Ready');
    assert.deepEqual([ready?.status, /garbage/.test(ready?.message ?? '')], ['True', true]);
  });

  // IPAddress spec.gateway is the pool's text, as upstream copies it (issue 20; ADR 0016): upper-case
  // hex and zones kept; only a text the IPAddress schema cannot take (over 39 characters) is canonical.
  it('copies the pool gateway verbatim (FD00::1, fe80::1%eth0), canonical only beyond 39 characters', async () => {
    const gatewayOf = async (kind: PoolKind, spec: Parameters<Ipam['createPool']>[3]) => {
      const ns = await plane.fx.namespace('gw');
      await plane.ipam.createPool(kind, 'p', ns, spec);
      await plane.ipam.createClaim('c', ns, { kind, name: 'p' });
      return (await plane.ipam.waitForAddress(ns, 'c')).spec.gateway;
    };
    const v6 = (gateway: string) => ({ addresses: ['fe80::10-fe80::20'], prefix: 64, gateway });
    assert.equal(
      await gatewayOf(IP, { addresses: ['fd00::10-fd00::20'], prefix: 64, gateway: 'FD00::1' }),
      'FD00::1',
    );
    assert.equal(await gatewayOf(IP, v6('fe80::1%eth0')), 'fe80::1%eth0');
    assert.equal(
      await gatewayOf('InClusterPrefixPool', { prefixes: ['fd00::/62'], gateway: 'FD10::0001' }),
      'FD10::0001',
    );
    // 44 characters: the schema's 39 would refuse every create, so the canonical form is written.
    assert.equal(await gatewayOf(IP, v6('fe80:0000:0000:0000:0000:0000:0000:0001%eth0')), 'fe80::1');
  });
});
