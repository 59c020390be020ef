// Hundreds of claims at once across pools of every kind: all allocated, all distinct within their
// pool, all inside their pool; prints the wall time (a rough figure: the test machine is shared).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAddr, parsePrefix, prefixContains } from '@ipam-in-cluster/allocator';
import type { IPAddressWire, PoolKind } from '@ipam-in-cluster/api';
import { useControllerPlane, type Ipam } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const plane = useControllerPlane('scale', { claimWorkers: 16 });

const PER_POOL = 50;

interface PoolPlan {
  kind: PoolKind;
  name: string;
  /** Namespace of the pool (undefined for global) and of its claims. */
  ns: string | undefined;
  claimNamespaces: string[];
  spec: Parameters<Ipam['createPool']>[3];
  /** CIDR every allocation must be inside. */
  within: string;
}

describe('controller: scale', () => {
  it(`allocates ${String(PER_POOL * 6)} claims created at once across 6 pools: distinct and inside their pools`, async () => {
    const a = await plane.fx.namespace('scale-a');
    const b = await plane.fx.namespace('scale-b');
    const plans: PoolPlan[] = [
      {
        kind: 'InClusterIPPool',
        name: 'v4a',
        ns: a,
        claimNamespaces: [a],
        spec: { addresses: ['10.10.0.0/24'], prefix: 24, gateway: '10.10.0.1' },
        within: '10.10.0.0/24',
      },
      {
        kind: 'InClusterIPPool',
        name: 'v4b',
        ns: a,
        claimNamespaces: [a],
        spec: { addresses: ['10.20.0.0/25'], prefix: 24 },
        within: '10.20.0.0/25',
      },
      {
        kind: 'InClusterIPPool',
        name: 'v6',
        ns: b,
        claimNamespaces: [b],
        spec: { addresses: ['fd00:1::/120'], prefix: 64 },
        within: 'fd00:1::/120',
      },
      {
        kind: 'InClusterIPPool',
        name: 'v4c',
        ns: b,
        claimNamespaces: [b],
        spec: { addresses: ['10.40.0.10-10.40.0.200'], prefix: 24 },
        within: '10.40.0.0/24',
      },
      {
        kind: 'InClusterPrefixPool',
        name: 'pfx',
        ns: a,
        claimNamespaces: [a],
        spec: { prefixes: ['fd50::/56'] },
        within: 'fd50::/56',
      },
      {
        kind: 'GlobalInClusterIPPool',
        name: plane.fx.globalName('g'),
        ns: undefined,
        claimNamespaces: [a, b],
        spec: { addresses: ['10.30.0.0/24'], prefix: 24 },
        within: '10.30.0.0/24',
      },
    ];
    for (const p of plans) await plane.ipam.createPool(p.kind, p.name, p.ns, p.spec);
    const claims: { ns: string; name: string; plan: PoolPlan }[] = [];
    for (const p of plans) {
      for (let i = 0; i < PER_POOL; i++) {
        const ns = p.claimNamespaces[i % p.claimNamespaces.length] ?? a;
        claims.push({ ns, name: `${p.name}-${String(i)}`, plan: p });
      }
    }
    const t0 = Date.now();
    for (let i = 0; i < claims.length; i += 50) {
      await Promise.all(
        claims
          .slice(i, i + 50)
          .map((c) => plane.ipam.createClaim(c.name, c.ns, { kind: c.plan.kind, name: c.plan.name })),
      );
    }
    const created = Date.now() - t0;
    const all = await waitFor(
      async () => {
        const list = [...(await plane.ipam.listAddresses(a)), ...(await plane.ipam.listAddresses(b))];
        return list.length === claims.length ? list : undefined;
      },
      { what: `${String(claims.length)} IPAddresses`, timeoutMs: 120_000, intervalMs: 250 },
    );
    const elapsed = Date.now() - t0;
    console.log(
      `scale: ${String(claims.length)} claims created in ${String(created)} ms, all allocated after ${String(elapsed)} ms (${(claims.length / (elapsed / 1000)).toFixed(1)} claims/s)`,
    );

    const byName = new Map<string, IPAddressWire>(
      all.map((x) => [`${x.metadata.namespace ?? ''}/${x.metadata.name ?? ''}`, x]),
    );
    for (const p of plans) {
      const mine = claims.filter((c) => c.plan === p).map((c) => byName.get(`${c.ns}/${c.name}`));
      const addrs = mine.map((x) => {
        assert.ok(x !== undefined);
        assert.equal(x.spec.poolRef.name, p.name);
        return x.spec.address;
      });
      assert.equal(new Set(addrs).size, PER_POOL, `duplicates in ${p.name}`);
      const within = parsePrefix(p.within);
      assert.ok(within.ok);
      for (const text of addrs) {
        const addr = parseAddr(text);
        assert.ok(addr.ok && prefixContains(within.value, addr.value), `${text} outside ${p.within}`);
      }
    }
    // And the status agrees.
    for (const p of plans) {
      await waitFor(
        async () => {
          const c = (await plane.ipam.pools(p.kind).find({ namespace: p.ns, name: p.name }))?.status
            ?.ipAddresses;
          return c !== undefined && BigInt(c.used) === BigInt(PER_POOL);
        },
        { what: `${p.name} used ${String(PER_POOL)}` },
      );
    }
  });
});
