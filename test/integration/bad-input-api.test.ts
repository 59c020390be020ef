// Hostile and random input through the API, against the controller running as a separate process
// (with a --watch-filter, on a private plane: a controller started elsewhere without a filter on the
// shared plane would also serve these claims, and its IPAddress load would blur the CPU figures): claims for missing pools, wrong kinds and groups,
// claims in a terminating namespace, hand-made IPAddresses with garbage addresses, a pool with tens
// of thousands of entries, IPv6 ::/0, invalid specs written without the webhook, random claims.
// The controller keeps serving every other claim, reports each problem on the object (condition
// and/or Event), never exits, and does not hot-loop: its CPU time and reconcile count stay low
// while the bad objects sit there.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import {
  FINALIZER_RELEASE_ADDRESS,
  IPAM_GROUP,
  POOL_API_VERSION,
  type IPAddressWire,
  type Pool,
} from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';
import { ControllerProcess, logTail, metricValue } from '../support/controller-process.js';
import { Ipam, uniqueWatchFilter } from '../support/controller.js';
import { startIpamPlane, type IpamPlane } from '../support/ipam-plane.js';
import { mulberry32 } from '../support/prng.js';
import { ScratchDir } from '../support/scratch-dir.js';
import { staysFalse, waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('bad');
const logs = new ScratchDir('ipam-bad-input-');
const logFile = logs.file('controller.log');
let ipam: Ipam;
let env: IpamPlane | undefined;
let nsCounter = 0;
let ctl: ControllerProcess;
let ns = '';

async function namespace(prefix: string): Promise<string> {
  const name = `${prefix}-${String(++nsCounter)}`;
  await ipam.client.namespaces().create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  return name;
}

function globalName(base: string): string {
  return `${base}-${watchFilter}`;
}

async function events(
  namespace: string,
  name: string,
): Promise<{ reason: string; type: string; message: string }[]> {
  const list = await ipam.client.events().list({ namespace, fieldSelector: `involvedObject.name=${name}` });
  return list.items.map((e) => ({ reason: e.reason ?? '', type: e.type ?? '', message: e.message ?? '' }));
}

async function poolCondition(
  kind: 'InClusterIPPool' | 'GlobalInClusterIPPool',
  namespace: string | undefined,
  name: string,
  type: string,
) {
  const p: Pool = await ipam.pools(kind).get(namespace === undefined ? { name } : { namespace, name });
  return p.status?.conditions?.find((c) => c.type === type);
}

/** Creates a good claim and waits for its address: the controller still serves everyone else. */
async function stillServes(tag: string): Promise<string> {
  const name = `good-${tag}`;
  await ipam.createClaim(name, ns, { kind: 'InClusterIPPool', name: 'good' });
  const a = await ipam.waitForAddress(ns, name, 15_000);
  await ipam.waitForAddressRef(ns, name, 15_000);
  return a.spec.address;
}

function rawAddress(
  namespace: string,
  name: string,
  address: string,
  pool: { kind: string; name: string },
): IPAddressWire {
  return {
    apiVersion: `${IPAM_GROUP}/v1beta2`,
    kind: 'IPAddress',
    metadata: { name, namespace, labels: ipam.labels() },
    spec: {
      address,
      prefix: 24,
      claimRef: { name },
      poolRef: { apiGroup: IPAM_GROUP, kind: pool.kind, name: pool.name },
    },
  };
}

describe('bad input: the controller (separate process) keeps working and reports problems', () => {
  before(async () => {
    env = await startIpamPlane('bad-input');
    ipam = await Ipam.connect(watchFilter, 'v1beta2', env.kubeconfig);
    ns = await namespace('bad-input');
    await ipam.createPool('InClusterIPPool', 'good', ns, { addresses: ['10.8.0.0/24'], prefix: 24 });
    ctl = await ControllerProcess.start({
      kubeconfig: env.kubeconfig,
      name: 'bad-input-controller',
      logFile,
      args: ['--watch-filter', watchFilter, '--log-level', 'info'],
    });
    await ctl.waitReady(60_000);
  });

  afterEach(logs.noteOutcome);
  after(async () => {
    const exit = await ctl.stop(10_000).catch(() => undefined);
    if (exit?.code !== 0)
      console.log(`controller exit ${JSON.stringify(exit)}; log tail:\n${logTail(logFile)}`);
    env?.stop();
    logs.finish();
  });

  it('claim for a missing pool: Ready=False PoolNotFound and a Warning Event; served once the pool exists', async () => {
    await ipam.createClaim('orphan', ns, { kind: 'InClusterIPPool', name: 'later' });
    await ipam.waitForClaimReason(ns, 'orphan', 'PoolNotFound');
    await waitFor(
      async () =>
        (await events(ns, 'orphan')).some((e) => e.reason === 'PoolNotFound' && e.type === 'Warning'),
      {
        what: 'PoolNotFound Event',
      },
    );
    await ipam.createClaim('orphan-g', ns, { kind: 'GlobalInClusterIPPool', name: globalName('missing') });
    await ipam.waitForClaimReason(ns, 'orphan-g', 'PoolNotFound');
    await ipam.createPool('InClusterIPPool', 'later', ns, { addresses: ['10.8.1.10-10.8.1.20'], prefix: 24 });
    assert.equal((await ipam.waitForAddress(ns, 'orphan')).spec.address, '10.8.1.10');
    await ipam.waitForClaimReason(ns, 'orphan', 'Allocated');
  });

  it('wrong kinds and groups: ignored entirely (no finalizer, no status), others still served', async () => {
    const wrong = [
      { name: 'wrong-kind', ref: { kind: 'FooPool', name: 'good' } },
      { name: 'wrong-group', ref: { kind: 'InClusterIPPool', name: 'good', apiGroup: 'example.com' } },
      {
        name: 'wrong-group-2',
        ref: { kind: 'InClusterIPPool', name: 'good', apiGroup: 'ipam.cluster.x-k8s.io.evil' },
      },
      { name: 'kind-case', ref: { kind: 'inclusterippool', name: 'good' } },
      { name: 'core-group', ref: { kind: 'InClusterIPPool', name: 'good', apiGroup: 'cluster.x-k8s.io' } },
    ];
    for (const w of wrong) await ipam.createClaim(w.name, ns, w.ref);
    await stillServes('wrong');
    await staysFalse(
      async () => {
        for (const w of wrong) {
          const c = await ipam.claims.get({ namespace: ns, name: w.name });
          if ((c.metadata.finalizers ?? []).length > 0 || c.status !== undefined) return true;
          if ((await ipam.findAddress(ns, w.name)) !== undefined) return true;
        }
        return false;
      },
      2_000,
      'a claim for a foreign pool kind/group to be touched',
    );
  });

  it('hand-made IPAddresses with garbage addresses: counted and reported, the pool keeps allocating around them', async () => {
    await ipam.createPool('InClusterIPPool', 'dirty', ns, { addresses: ['10.8.2.1-10.8.2.6'], prefix: 24 });
    const garbage = [
      'not-an-ip',
      '10.8.2.300',
      '10.8.2.2/24',
      ' 10.8.2.3',
      '010.008.002.004',
      '10.8.2.5%eth0',
      '::ffff:10.8.2.1',
      'fd00::1',
      '1.2.3.4.5',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffff',
    ];
    const accepted: string[] = [];
    for (const [i, address] of garbage.entries()) {
      try {
        await ipam.addresses.create(
          rawAddress(ns, `junk-${String(i)}`, address, { kind: 'InClusterIPPool', name: 'dirty' }),
        );
        accepted.push(address);
      } catch (error) {
        if (classifyApiError(error).kind !== 'Invalid') throw error;
      }
    }
    assert.ok(accepted.length >= 5, `the CRD accepted only ${JSON.stringify(accepted)}`);
    // A valid, hand-made address without a claim: held, never handed out again.
    await ipam.addresses.create(
      rawAddress(ns, 'squatter', '10.8.2.1', { kind: 'InClusterIPPool', name: 'dirty' }),
    );
    const claims = ['d0', 'd1', 'd2', 'd3', 'd4'];
    for (const c of claims) await ipam.createClaim(c, ns, { kind: 'InClusterIPPool', name: 'dirty' });
    const got = await Promise.all(
      claims.map(async (c) => (await ipam.waitForAddress(ns, c, 15_000)).spec.address),
    );
    assert.deepEqual([...got].sort(), ['10.8.2.2', '10.8.2.3', '10.8.2.4', '10.8.2.5', '10.8.2.6']);
    // The sixth claim finds the pool full (10.8.2.1 is the squatter's).
    await ipam.createClaim('d5', ns, { kind: 'InClusterIPPool', name: 'dirty' });
    await ipam.waitForClaimReason(ns, 'd5', 'PoolExhausted');
    const ready = await waitFor(
      async () => {
        const c = await poolCondition('InClusterIPPool', ns, 'dirty', 'Ready');
        return c?.status === 'True' && c.message.includes('unparsable') ? c : undefined;
      },
      { what: 'pool Ready message naming the unparsable IPAddresses' },
    );
    assert.match(ready.message, /IPAddress\(es\) with an unparsable address are ignored: .*junk-0/);
    await waitFor(async () => (await events(ns, 'dirty')).some((e) => e.reason === 'InvalidIPAddress'), {
      what: 'InvalidIPAddress Event',
    });
    const status = await waitFor(
      async () => {
        const p: Pool = await ipam.pools('InClusterIPPool').get({ namespace: ns, name: 'dirty' });
        const s = p.status?.ipAddresses;
        return s !== undefined && BigInt(s.used) === BigInt(accepted.length + 1 + claims.length)
          ? s
          : undefined;
      },
      { what: 'pool status used = every IPAddress referencing it' },
    );
    assert.equal(BigInt(status.total), 6n);
    assert.equal(BigInt(status.free), 0n);
  });

  it('claims in a terminating namespace: addresses released, our finalizer removed, no loop', async () => {
    const t = await namespace('bad-terminating');
    await ipam.createPool('InClusterIPPool', 'tp', t, { addresses: ['10.8.3.0/29'], prefix: 29 });
    const global = globalName('full');
    await ipam.createPool('GlobalInClusterIPPool', global, undefined, {
      addresses: ['10.8.4.1'],
      prefix: 24,
      allocateReservedIPAddresses: true,
    });
    await ipam.createClaim('fills', ns, { kind: 'GlobalInClusterIPPool', name: global });
    await ipam.waitForAddress(ns, 'fills');
    await ipam.createClaim(
      'held',
      t,
      { kind: 'InClusterIPPool', name: 'tp' },
      { finalizers: ['test.ipam-in-cluster/hold'] },
    );
    await ipam.waitForAddress(t, 'held');
    await ipam.createClaim('waiting', t, { kind: 'GlobalInClusterIPPool', name: global });
    await ipam.waitForClaimReason(t, 'waiting', 'PoolExhausted');
    await ipam.createClaim('missing', t, { kind: 'InClusterIPPool', name: 'nope' });
    await ipam.waitForClaimReason(t, 'missing', 'PoolNotFound');
    await ipam.client.namespaces().delete({ name: t });
    // The namespace controller marks the claims deleted (its own pace); from then on it is our move.
    await waitFor(
      async () =>
        (await ipam.claims.find({ namespace: t, name: 'held' }))?.metadata.deletionTimestamp !== undefined,
      {
        what: 'held claim marked for deletion by the namespace controller',
        timeoutMs: 90_000,
      },
    );
    // The held claim loses its address and our finalizer, but stays (foreign finalizer).
    await waitFor(
      async () => {
        const c = await ipam.claims.find({ namespace: t, name: 'held' });
        return (
          c !== undefined &&
          !(c.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS) &&
          (await ipam.findAddress(t, 'held')) === undefined
        );
      },
      { what: 'held claim released in the terminating namespace', timeoutMs: 15_000 },
    );
    await waitFor(async () => (await ipam.claims.find({ namespace: t, name: 'waiting' })) === undefined, {
      what: 'waiting claim gone',
      timeoutMs: 30_000,
    });
    await waitFor(async () => (await ipam.claims.find({ namespace: t, name: 'missing' })) === undefined, {
      what: 'missing-pool claim gone',
      timeoutMs: 30_000,
    });
    // Freeing the global pool's address must not try to allocate into the terminating namespace.
    await ipam.deleteAndWait(ipam.claims, { namespace: ns, name: 'fills' }, 15_000);
    await ipam.stripFinalizers(ipam.claims, { namespace: t, name: 'held' });
    await waitFor(async () => (await ipam.client.namespaces().find({ name: t })) === undefined, {
      what: `namespace ${t} gone`,
      timeoutMs: 60_000,
    });
    await stillServes('terminating');
  });

  it('a pool with 20 000 address entries and 5 000 exclusions: counted exactly, allocates', async () => {
    const addresses: string[] = [];
    for (let i = 0; i < 20_000; i++)
      addresses.push(`10.9.${String(Math.floor(i / 250))}.${String((i % 250) + 2)}`);
    const excludedAddresses = addresses.filter((_, i) => i % 4 === 0);
    await ipam.createPool('InClusterIPPool', 'huge', ns, { addresses, excludedAddresses, prefix: 16 });
    await ipam.createClaim('h0', ns, { kind: 'InClusterIPPool', name: 'huge' });
    await ipam.createClaim('h1', ns, { kind: 'InClusterIPPool', name: 'huge' });
    // Both claims are reconciled concurrently, so which one gets which is open; together they get
    // the two lowest addresses left after the exclusions (.2 is excluded as entry 0).
    const got = [
      (await ipam.waitForAddress(ns, 'h0', 20_000)).spec.address,
      (await ipam.waitForAddress(ns, 'h1', 20_000)).spec.address,
    ].sort();
    assert.deepEqual(got, ['10.9.0.3', '10.9.0.4']);
    const s = await waitFor(
      async () => {
        const p: Pool = await ipam.pools('InClusterIPPool').get({ namespace: ns, name: 'huge' });
        const c = p.status?.ipAddresses;
        return c !== undefined && BigInt(c.used) === 2n ? c : undefined;
      },
      { what: 'huge pool status', timeoutMs: 20_000 },
    );
    assert.equal(BigInt(s.total), 15_000n);
    assert.equal(BigInt(s.free), 14_998n);
  });

  it('IPv6 ::/0 and IPv4 0.0.0.0/0: exact capped counts, lowest addresses allocated', async () => {
    const v6 = globalName('all-v6');
    const v4 = globalName('all-v4');
    await ipam.createPool('GlobalInClusterIPPool', v6, undefined, { addresses: ['::/0'], prefix: 0 });
    await ipam.createPool('GlobalInClusterIPPool', v4, undefined, {
      addresses: ['0.0.0.0/0'],
      prefix: 0,
      gateway: '0.0.0.1',
    });
    await ipam.createClaim('all6', ns, { kind: 'GlobalInClusterIPPool', name: v6 });
    await ipam.createClaim('all4', ns, { kind: 'GlobalInClusterIPPool', name: v4 });
    assert.equal((await ipam.waitForAddress(ns, 'all6')).spec.address, '::1');
    assert.equal((await ipam.waitForAddress(ns, 'all4')).spec.address, '0.0.0.2');
    const counts = async (name: string) =>
      waitFor(
        async () => {
          const p: Pool = await ipam.pools('GlobalInClusterIPPool').get({ name });
          const c = p.status?.ipAddresses;
          return c !== undefined && BigInt(c.used) === 1n ? c : undefined;
        },
        { what: `${name} status` },
      );
    const c6 = await counts(v6);
    assert.equal(BigInt(c6.total), 9223372036854775807n);
    assert.equal(BigInt(c6.free), 9223372036854775807n);
    const c4 = await counts(v4);
    assert.equal(BigInt(c4.total), 2n ** 32n - 3n);
    assert.equal(BigInt(c4.free), 2n ** 32n - 4n);
  });

  it('invalid pool specs written without the webhook: Ready=False InvalidSpec, claims PoolNotReady', async () => {
    const bad: [string, Record<string, unknown>][] = [
      ['banana', { addresses: ['banana'], prefix: 24 }],
      ['mixed', { addresses: ['10.8.5.1', 'fd00::1'], prefix: 24 }],
      ['prefix-99', { addresses: ['10.8.6.0/24'], prefix: 99 }],
      ['bad-gw', { addresses: ['10.8.7.0/24'], prefix: 24, gateway: 'fd00::1' }],
      ['reversed', { addresses: ['10.8.8.9-10.8.8.1'], prefix: 24 }],
      ['empty', { addresses: [], prefix: 24 }],
    ];
    const created: string[] = [];
    for (const [name, spec] of bad) {
      try {
        await ipam.pools('InClusterIPPool').create({
          apiVersion: POOL_API_VERSION,
          kind: 'InClusterIPPool',
          metadata: { name, namespace: ns, labels: ipam.labels() },
          spec,
        } as unknown as Pool);
        created.push(name);
      } catch (error) {
        if (classifyApiError(error).kind !== 'Invalid') throw error;
      }
    }
    // The CRD's own schema rules reject most of these (banana, prefix 99, gateway family, empty);
    // what gets through must be reported by the controller.
    assert.ok(created.length >= 2, `created ${JSON.stringify(created)}`);
    for (const name of created) {
      await ipam.createClaim(`on-${name}`, ns, { kind: 'InClusterIPPool', name });
      await waitFor(
        async () => (await poolCondition('InClusterIPPool', ns, name, 'Ready'))?.reason === 'InvalidSpec',
        {
          what: `pool ${name} Ready=False InvalidSpec`,
        },
      );
      await ipam.waitForClaimReason(ns, `on-${name}`, 'PoolNotReady');
      assert.equal(await ipam.findAddress(ns, `on-${name}`), undefined);
    }
    await stillServes('invalid');
  });

  it('an IPAddress of the claim name in another pool, and a Cluster that does not exist: reported, not looped', async () => {
    await ipam.addresses.create(
      rawAddress(ns, 'taken', '10.8.0.200', { kind: 'InClusterIPPool', name: 'later' }),
    );
    await ipam.createClaim('taken', ns, { kind: 'InClusterIPPool', name: 'good' });
    await ipam.waitForClaimReason(ns, 'taken', 'AllocationFailed');
    await ipam.createClaim(
      'no-cluster',
      ns,
      { kind: 'InClusterIPPool', name: 'good' },
      { clusterName: 'ghost' },
    );
    await ipam.waitForClaimReason(ns, 'no-cluster', 'ClusterNotFound');
    await ipam.createClaim(
      'empty-label',
      ns,
      { kind: 'InClusterIPPool', name: 'good' },
      { clusterLabel: '' },
    );
    await ipam.waitForAddress(ns, 'empty-label');
  });

  it('200 random claims (seeded): every one ends in a definite state', async () => {
    const random = mulberry32(20261124);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
    const kinds = [
      'InClusterIPPool',
      'GlobalInClusterIPPool',
      'InClusterPrefixPool',
      'GlobalInClusterPrefixPool',
      'Foo',
      'IPAddress',
    ];
    const groups = [IPAM_GROUP, IPAM_GROUP, IPAM_GROUP, 'example.com', 'x-k8s.io'];
    const names = ['good', 'later', 'dirty', 'huge', 'banana', 'nope', 'zz', 'a.b.c'];
    const made: { name: string; ours: boolean }[] = [];
    for (let i = 0; i < 200; i++) {
      const kind = pick(kinds);
      const apiGroup = pick(groups);
      const name = `r-${String(i)}`;
      await ipam.createClaim(name, ns, { kind, name: pick(names), apiGroup });
      made.push({ name, ours: apiGroup === IPAM_GROUP && kinds.slice(0, 4).includes(kind) });
    }
    await waitFor(
      async () => {
        const list = (await ipam.claims.list({ namespace: ns })).items;
        const byName = new Map(list.map((c) => [c.metadata.name ?? '', c]));
        return made.every(({ name, ours }) => {
          const c = byName.get(name);
          if (c === undefined) return false;
          const conditions = c.status?.conditions ?? [];
          return ours ? conditions.some((x) => x.type === 'Ready') : conditions.length === 0;
        });
      },
      { what: 'every random claim of ours to carry a Ready condition', timeoutMs: 60_000, intervalMs: 500 },
    );
    await stillServes('random');
  });

  it('while all of that sits there: no hot loop (CPU and reconciles over 10 s), still alive, still serving', async () => {
    // Let the last events settle (pool status debounce, Events), then measure a quiet window.
    await new Promise((r) => setTimeout(r, 3_000));
    const reconciles = async (): Promise<number> => {
      const text = await ctl.metrics();
      return text === undefined ? NaN : (metricValue(text, 'capi_ipam_reconcile_total') ?? 0);
    };
    const cpu0 = ctl.stats()?.cpuSeconds ?? NaN;
    const r0 = await reconciles();
    const samples: number[] = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 1_000));
      samples.push(ctl.stats()?.cpuSeconds ?? NaN);
    }
    const cpu = (ctl.stats()?.cpuSeconds ?? NaN) - cpu0;
    const r = (await reconciles()) - r0;
    const rss = ctl.stats()?.rssBytes ?? NaN;
    console.log(
      `bad input, idle window 10 s: CPU ${cpu.toFixed(2)} s, ${String(r)} reconciles, RSS ${String(Math.round(rss / 1024 / 1024))} MB; per-second CPU ${samples.map((s, i) => (s - (i === 0 ? cpu0 : (samples[i - 1] ?? 0))).toFixed(2)).join(' ')}`,
    );
    assert.ok(ctl.alive, 'the controller exited');
    // A hot loop burns a core (10 s); the shared plane's other tests add some watch traffic.
    assert.ok(cpu < 1.5, `controller used ${cpu.toFixed(2)} s CPU in 10 s with bad objects sitting there`);
    assert.ok(r < 40, `${String(r)} reconciles in 10 s with nothing changing`);
    await stillServes('final');
  });
});
