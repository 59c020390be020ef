// The pool-edit fence (docs/adr/0009): pool edits that shrink or exclude race against allocations,
// with the validating webhook running (registered for this file's namespaces and objects only). No
// IPAddress may ever land outside the spec the pool had when it was created: every IPAddress ADDED
// event is checked against the pool version just before it (resourceVersion order), and every
// IPAddress against the final spec. Then the cost: 300 claims of one pool, without and with the fence.
// FENCE_OFF=1 runs the race without the fence: it then usually finds IPAddresses outside the spec
// (upstream's time-of-check window). FENCE_SEED replays the editor, FENCE_CLAIMS sizes the benchmark.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { checkIPPoolUpdate, formatRangeList } from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_PENDING_ALLOCATIONS,
  readPendingAllocations,
  type IPAddressWire,
  type IPPoolSpec,
  type Pool,
} from '@ipam-in-cluster/api';
import { classifyApiError, Informer } from '@ipam-in-cluster/kube';
import { Fixture, Ipam, startTestController, uniqueWatchFilter, openFixture } from '../support/controller.js';
import { waitFor } from '../support/wait.js';
import { startTestWebhooks, type TestWebhooks } from '../support/webhooks.js';
import { mulberry32 as prng } from '../support/prng.js';

const watchFilter = uniqueWatchFilter('fence');
let ipam: Ipam;
let fx: Fixture;
let hooks: TestWebhooks;
let raceNs: string;
let sparesNs: string;
const benchNs: Record<'off' | 'on', string> = { off: '', on: '' };

const rv = (o: { metadata?: { resourceVersion?: string } }): bigint =>
  BigInt(o.metadata?.resourceVersion ?? '0');

interface Timeline {
  pools: { rv: bigint; spec: IPPoolSpec; pending: string }[];
  addresses: { rv: bigint; name: string; address: string }[];
  stop(): Promise<void>;
}

/** Every version of the pool and every IPAddress as they appear, from watches on the namespace. */
async function recordTimeline(ns: string, pool: string): Promise<Timeline> {
  const t = ipam.client.transport;
  const pools = new Informer<Pool>({
    transport: t,
    resource: ipam.pools('InClusterIPPool').resource,
    namespace: ns,
    fieldSelector: `metadata.name=${pool}`,
  });
  const addresses = new Informer<IPAddressWire>({
    transport: t,
    resource: ipam.addresses.resource,
    namespace: ns,
  });
  const timeline: Timeline = {
    pools: [],
    addresses: [],
    stop: async () => {
      await pools.stop();
      await addresses.stop();
    },
  };
  const onPool = (p: Pool): void => {
    timeline.pools.push({
      rv: rv(p),
      spec: p.spec as IPPoolSpec,
      pending: p.metadata.annotations?.[ANNOTATION_PENDING_ALLOCATIONS] ?? '',
    });
  };
  pools.onAdd(onPool);
  pools.onUpdate(onPool);
  addresses.onAdd((a) => {
    timeline.addresses.push({ rv: rv(a), name: a.metadata.name ?? '', address: a.spec.address });
  });
  await Promise.all([pools.start(), addresses.start()]);
  return timeline;
}

function outside(spec: IPPoolSpec, address: string): string | undefined {
  const r = checkIPPoolUpdate(spec, [address]);
  assert.ok(r.ok);
  return r.value.length === 0 ? undefined : formatRangeList(r.value);
}

describe('controller: the pool-edit fence', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
    raceNs = await fx.namespace('fence');
    sparesNs = await fx.namespace('fence-spares');
    benchNs.off = await fx.namespace('fence-off');
    benchNs.on = await fx.namespace('fence-on');
    hooks = await startTestWebhooks({ namespaces: [raceNs, sparesNs, benchNs.off, benchNs.on] });
  });

  after(async () => {
    await hooks.cleanup();
    await fx.teardown();
  });

  it('never creates an IPAddress outside the pool spec while shrinks and exclusions race allocations', async () => {
    const ctl = await startTestController({
      watchFilter,
      allocationFence: process.env.FENCE_OFF === undefined,
    });
    const timeline = await recordTimeline(raceNs, 'race');
    const seed = Number(process.env.FENCE_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const full: IPPoolSpec = { addresses: ['10.77.0.1-10.77.0.250'], prefix: 24, gateway: '10.77.0.254' };
    try {
      await ipam.createPool('InClusterIPPool', 'race', raceNs, full, { labels: hooks.labels });
      const CLAIMS = 90;
      let accepted = 0;
      let refused = 0;
      const run = { editing: true };
      const editor = (async () => {
        while (run.editing) {
          const current = await ipam.pools('InClusterIPPool').get({ namespace: raceNs, name: 'race' });
          const spec = current.spec as IPPoolSpec;
          // The allocation front: addresses are handed out lowest first, so the next ones are just
          // above the number of IPAddresses seen so far. Shrink or exclude right there.
          const front = timeline.addresses.length + 1;
          const roll = random();
          const next: IPPoolSpec =
            roll < 0.45
              ? {
                  ...spec,
                  addresses: [`10.77.0.1-10.77.0.${String(Math.min(250, front + Math.floor(random() * 8)))}`],
                }
              : roll < 0.85
                ? (() => {
                    const from = Math.min(245, front + Math.floor(random() * 8));
                    return {
                      ...spec,
                      excludedAddresses: [
                        `10.77.0.${String(from)}-10.77.0.${String(from + Math.floor(random() * 3))}`,
                      ],
                    };
                  })()
                : { ...full };
          try {
            await ipam
              .pools('InClusterIPPool')
              .mergePatch(
                { namespace: raceNs, name: 'race' },
                { spec: { addresses: next.addresses, excludedAddresses: next.excludedAddresses ?? null } },
              );
            accepted++;
          } catch (error) {
            const kind = classifyApiError(error).kind;
            if (kind !== 'BadRequest' && kind !== 'Invalid' && kind !== 'Conflict') throw error;
            refused++;
          }
          await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 5)));
        }
      })();
      // Claims arrive while the pool is being edited.
      for (let i = 0; i < CLAIMS; i += 3) {
        await Promise.all(
          [i, i + 1, i + 2]
            .filter((n) => n < CLAIMS)
            .map((n) => ipam.createClaim(`c${String(n)}`, raceNs, { kind: 'InClusterIPPool', name: 'race' })),
        );
        await new Promise((resolve) => setTimeout(resolve, Math.floor(random() * 20)));
      }
      await new Promise((resolve) => setTimeout(resolve, 1500));
      run.editing = false;
      await editor;
      // Room for everyone again, then every claim gets its address.
      await ipam
        .pools('InClusterIPPool')
        .mergePatch(
          { namespace: raceNs, name: 'race' },
          { spec: { addresses: full.addresses, excludedAddresses: null } },
        );
      const all = await waitFor(
        async () => {
          const list = await ipam.listAddresses(raceNs);
          return list.length === CLAIMS ? list : undefined;
        },
        { what: `${String(CLAIMS)} IPAddresses`, timeoutMs: 60_000, intervalMs: 250 },
      );
      await waitFor(async () => Promise.resolve(timeline.addresses.length === CLAIMS), {
        what: 'the timeline to see every IPAddress',
      });
      console.log(
        `fence race: ${String(accepted)} pool edits accepted, ${String(refused)} refused, ${String(timeline.pools.length)} pool versions, ${String(timeline.pools.filter((p) => p.pending !== '').length)} with pending allocations (seed ${String(seed)})`,
      );
      // Edits at the allocation front are refused while the addresses there are pending (or land
      // first, and the controller picks again); either way the editor raced the allocations.
      assert.ok(accepted + refused >= 3, 'the editor raced the allocations');
      assert.equal(new Set(all.map((a) => a.spec.address)).size, CLAIMS, 'duplicate addresses');

      // Each IPAddress against the pool version in force when it was stored.
      const versions = [...timeline.pools].sort((a, b) => (a.rv < b.rv ? -1 : a.rv > b.rv ? 1 : 0));
      const violations: string[] = [];
      for (const a of timeline.addresses) {
        const before = versions.filter((v) => v.rv < a.rv).at(-1);
        assert.ok(before !== undefined, `no pool version before ${a.name}`);
        const out = outside(before.spec, a.address);
        if (out !== undefined) {
          violations.push(
            `${a.name}=${a.address} (rv ${String(a.rv)}) outside ${JSON.stringify(before.spec)} (rv ${String(before.rv)})`,
          );
        }
      }
      assert.deepEqual(
        violations,
        [],
        `IPAddresses created outside the pool spec in force (seed ${String(seed)})`,
      );
      // Pending entries are cleared once the creates are done.
      await waitFor(
        async () => {
          const p = await ipam.pools('InClusterIPPool').get({ namespace: raceNs, name: 'race' });
          return p.metadata.annotations?.[ANNOTATION_PENDING_ALLOCATIONS] === undefined;
        },
        { what: 'the pending-allocations annotation to be cleared', timeoutMs: 10_000 },
      );
    } finally {
      await timeline.stop();
      await ctl.stop();
    }
  });

  it('spares: claims one after another pass on addresses fenced ahead, each pending on the pool before its IPAddress (ADR 0033)', async () => {
    const CLAIMS = 40;
    const ctl = await startTestController({ watchFilter });
    const timeline = await recordTimeline(sparesNs, 'spares');
    try {
      await ipam.createPool(
        'InClusterIPPool',
        'spares',
        sparesNs,
        { addresses: ['10.79.0.0/24'], prefix: 24 },
        { labels: hooks.labels },
      );
      for (let i = 0; i < CLAIMS; i++) {
        await ipam.createClaim(`c${String(i)}`, sparesNs, { kind: 'InClusterIPPool', name: 'spares' });
        await waitFor(async () => Promise.resolve(timeline.addresses.length === i + 1), {
          what: `IPAddress ${String(i + 1)}`,
          timeoutMs: 30_000,
          intervalMs: 10,
        });
      }
      await waitFor(
        async () => {
          const p = await ipam.pools('InClusterIPPool').get({ namespace: sparesNs, name: 'spares' });
          return p.metadata.annotations?.[ANNOTATION_PENDING_ALLOCATIONS] === undefined;
        },
        { what: 'the pending allocations and spares to be cleared', timeoutMs: 15_000 },
      );
      // The fence's guarantee, seen from outside: the pool version stored last before each IPAddress
      // holds its address as pending.
      const versions = [...timeline.pools].sort((a, b) => (a.rv < b.rv ? -1 : a.rv > b.rv ? 1 : 0));
      const unfenced = timeline.addresses.filter((a) => {
        const before = versions.filter((v) => v.rv < a.rv).at(-1);
        const pending = readPendingAllocations({
          annotations: { [ANNOTATION_PENDING_ALLOCATIONS]: before?.pending ?? '' },
        });
        return !pending.some((e) => e.address === a.address);
      });
      assert.deepEqual(
        unfenced.map((a) => `${a.name}=${a.address}`),
        [],
        'IPAddresses created without their address pending',
      );
      let writes = 0;
      let last = '';
      for (const v of versions) {
        if (v.pending !== last) writes++;
        last = v.pending;
      }
      console.log(`fence spares: ${String(CLAIMS)} claims one after another, ${String(writes)} fence writes`);
      // Without spares each claim that arrives alone needs a write of its own (40 and more).
      assert.ok(writes <= CLAIMS / 3, `${String(writes)} fence writes for ${String(CLAIMS)} claims`);
    } finally {
      await timeline.stop();
      await ctl.stop();
    }
  });

  it('costs little: 300 claims of one pool, without and with the fence', async () => {
    const CLAIMS = Number(process.env.FENCE_CLAIMS ?? 300);
    const results: Record<string, { ms: number; fenceWrites: number; admissions: number }> = {};
    const admissions = async () => [...(await hooks.calls()).values()].reduce((a, b) => a + b, 0);
    for (const mode of ['off', 'on'] as const) {
      const ns = benchNs[mode];
      const pool = `bench-${mode}`;
      // A watch filter per run: the second controller must not also reconcile the first run's claims.
      const filter = uniqueWatchFilter(`fence-${mode}`);
      const benchIpam = await Ipam.connect(filter);
      await benchIpam.createPool(
        'InClusterIPPool',
        pool,
        ns,
        { addresses: ['10.78.0.0/23'], prefix: 23 },
        { labels: hooks.labels },
      );
      for (let i = 0; i < CLAIMS; i += 50) {
        await Promise.all(
          Array.from({ length: Math.min(50, CLAIMS - i) }, (_, k) =>
            benchIpam.createClaim(`c${String(i + k)}`, ns, { kind: 'InClusterIPPool', name: pool }),
          ),
        );
      }
      const timeline = await recordTimeline(ns, pool);
      const admissionsBefore = await admissions();
      const t0 = Date.now();
      const ctl = await startTestController({ watchFilter: filter, allocationFence: mode === 'on' });
      try {
        const all = await waitFor(
          async () => {
            const list = await ipam.listAddresses(ns);
            return list.length === CLAIMS ? list : undefined;
          },
          { what: `${String(CLAIMS)} IPAddresses (fence ${mode})`, timeoutMs: 120_000, intervalMs: 100 },
        );
        const ms = Date.now() - t0;
        assert.equal(new Set(all.map((a) => a.spec.address)).size, CLAIMS);
        await new Promise((resolve) => setTimeout(resolve, 1500)); // the last removal write (1 s quiet)
        // Pool versions that changed the annotation: the fence writes (batched).
        let writes = 0;
        let last = '';
        for (const p of timeline.pools) {
          if (p.pending !== last) writes++;
          last = p.pending;
        }
        results[mode] = {
          ms,
          fenceWrites: mode === 'on' ? writes : 0,
          admissions: (await admissions()) - admissionsBefore,
        };
      } finally {
        await timeline.stop();
        await ctl.stop();
      }
    }
    const off = results.off;
    const on = results.on;
    assert.ok(off !== undefined && on !== undefined);
    const rate = (ms: number) => (CLAIMS / (ms / 1000)).toFixed(1);
    console.log(
      `fence cost: ${String(CLAIMS)} claims of one pool in ${String(off.ms)} ms without the fence (${rate(off.ms)} claims/s), ${String(on.ms)} ms with it (${rate(on.ms)} claims/s, ${String(on.fenceWrites)} fence writes, ${String(on.admissions)} webhook calls)`,
    );
    // The fence writes only metadata: the webhooks' matchConditions keep them from the webhook.
    assert.equal(on.admissions, off.admissions, 'fence writes reached the webhooks');
    // A loose bound only: the machine is shared and other test files run at the same time.
    assert.ok(on.ms < off.ms * 4 + 10_000, `fence too slow: ${String(on.ms)} ms vs ${String(off.ms)} ms`);
  });
});
