// Leader election on a real Lease and Events recorded on the real API server, with short timings.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  EventRecorder,
  formatMicroTime,
  KubeClient,
  KubeTransport,
  LeaderElector,
  loadKubeConfig,
  type ClassifiedError,
  type CoreEvent,
  type EventRecorderOptions,
  type LeaderElectionOptions,
} from '@ipam-in-cluster/kube';
import { createTestNamespace, testCluster, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';

const waitUntil = (condition: () => boolean, opts: { what: string; timeoutMs?: number }): Promise<true> =>
  waitFor(() => Promise.resolve(condition() || undefined), opts);

const timings = { leaseDurationMs: 3_000, renewDeadlineMs: 2_000, retryPeriodMs: 250 };

describe('kube leader election', () => {
  let ns: TestNamespace;
  let transport: KubeTransport;
  const electors: LeaderElector[] = [];

  before(async () => {
    ns = await createTestNamespace('kube-leader');
    const { kubeconfigPath } = await testCluster();
    transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
  });
  after(async () => {
    await Promise.all(electors.map((e) => e.release()));
    await ns.cleanup();
  });

  function candidate(identity: string, lease: string, extra: Partial<LeaderElectionOptions> = {}) {
    const state = {
      leading: false,
      started: 0,
      stopped: 0,
      leaders: [] as string[],
      signal: undefined as AbortSignal | undefined,
    };
    const elector = new LeaderElector({
      transport,
      namespace: ns.name,
      name: lease,
      identity,
      ...timings,
      onStartedLeading: (signal) => {
        state.leading = true;
        state.started++;
        state.signal = signal;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
      onNewLeader: (id) => state.leaders.push(id),
      ...extra,
    });
    electors.push(elector);
    return { elector, state };
  }

  /** Waits until `led()` is set, steps the elector down, and returns how long after `since` it led. */
  async function tookOver(led: () => number, elector: LeaderElector, run: Promise<void>, since: number) {
    await waitUntil(() => !Number.isNaN(led()), { what: 'b to take over', timeoutMs: 20_000 });
    await elector.release();
    await run;
    return led() - since;
  }

  /** One scenario (ms) with the release watch and without it, each on a Lease of its own. */
  async function watchedAndPolled(
    name: string,
    scenario: (lease: string, watch: boolean) => Promise<number>,
  ) {
    return {
      watched: await scenario(`${name}-watched`, true),
      polled: await scenario(`${name}-polled`, false),
    };
  }

  it('elects exactly one of two candidates; release hands over at once', async () => {
    const errors: string[] = [];
    const a = candidate('a', 'handover', { onError: (e) => errors.push(`a ${e.kind} ${e.message}`) });
    const b = candidate('b', 'handover', { onError: (e) => errors.push(`b ${e.kind} ${e.message}`) });
    const runA = a.elector.run();
    await waitUntil(() => a.state.leading, { what: 'a to lead' });
    const runB = b.elector.run();
    await waitUntil(() => b.state.leaders.includes('a'), { what: 'b to see a as leader' });
    assert.equal(b.state.leading, false);

    const lease = await new KubeClient(transport).leases().get({ namespace: ns.name, name: 'handover' });
    assert.equal(lease.spec?.holderIdentity, 'a');
    assert.match(lease.spec.renewTime ?? '', /\.\d{6}Z$/, 'MicroTime with 6 digits');

    await a.elector.release();
    await runA;
    assert.equal(a.state.stopped, 1);
    assert.equal(a.state.signal?.aborted, true);
    // Released means cleared at once, so b need not wait out the lease duration.
    const cleared = await new KubeClient(transport).leases().get({ namespace: ns.name, name: 'handover' });
    assert.ok(
      ['', 'b'].includes(cleared.spec?.holderIdentity ?? ''),
      `holder after release: ${cleared.spec?.holderIdentity ?? ''}; errors: ${errors.join('; ')}`,
    );
    await waitUntil(() => b.state.leading, { what: 'b to take over' });
    const after = await new KubeClient(transport).leases().get({ namespace: ns.name, name: 'handover' });
    assert.equal(after.spec?.holderIdentity, 'b');
    assert.equal(after.spec.leaseTransitions, 1);
    await b.elector.release();
    await runB;
  });

  it('firstTry settles after the first try: won (onStartedLeading already called), held, or stopped', async () => {
    const a = candidate('a', 'first-try');
    const runA = a.elector.run();
    await a.elector.firstTry;
    assert.equal(a.state.started, 1, 'a won at its first try and was told before firstTry settled');
    const b = candidate('b', 'first-try');
    const runB = b.elector.run();
    await b.elector.firstTry;
    assert.equal(b.state.started, 0);
    assert.deepEqual(b.state.leaders, ['a'], 'b read the Lease held by a');
    await Promise.all([b.elector.release(), a.elector.release()]);
    await Promise.all([runA, runB]);
    // Stopped before its first try: settles all the same, so nobody waits on it.
    const c = candidate('c', 'first-try-stopped');
    const runC = c.elector.run(AbortSignal.abort());
    await c.elector.firstTry;
    await runC;
    assert.equal(c.state.started, 0);
  });

  it('a leader whose lease is taken away steps down within the renew deadline', async () => {
    const errors: ClassifiedError[] = [];
    const a = candidate('a', 'stolen', { onError: (e) => errors.push(e) });
    const run = a.elector.run();
    await waitUntil(() => a.state.leading, { what: 'a to lead' });
    const leases = new KubeClient(transport).leases();
    // Someone else writes the lease (as a partitioned-away leader would find on return).
    const current = await leases.get({ namespace: ns.name, name: 'stolen' });
    await leases.replace({ ...current, spec: { ...current.spec, holderIdentity: 'intruder' } });
    const stolen = Date.now();
    await waitUntil(() => !a.state.leading, { what: 'a to step down', timeoutMs: 10_000 });
    assert.ok(Date.now() - stolen <= timings.retryPeriodMs + timings.renewDeadlineMs + 1_000);
    assert.equal(a.state.signal?.aborted, true);
    await run;
    const lease = await leases.get({ namespace: ns.name, name: 'stolen' });
    assert.equal(lease.spec?.holderIdentity, 'intruder', 'a lost leader does not clear the lease');
  });

  it('takes over an abandoned lease only after leaseDuration on its own clock', async () => {
    const leases = new KubeClient(transport).leases();
    await leases.create({
      metadata: { namespace: ns.name, name: 'abandoned' },
      spec: {
        holderIdentity: 'dead',
        leaseDurationSeconds: 3,
        // A renewTime far in the future must not matter: only local observation counts.
        renewTime: '2099-01-01T00:00:00.000000Z',
        acquireTime: '2099-01-01T00:00:00.000000Z',
        leaseTransitions: 4,
      },
    });
    const b = candidate('b', 'abandoned');
    const started = Date.now();
    const run = b.elector.run();
    await waitUntil(() => b.state.leading, { what: 'b to take over', timeoutMs: 10_000 });
    assert.ok(
      Date.now() - started >= timings.leaseDurationMs - 100,
      `took over after ${Date.now() - started} ms`,
    );
    const lease = await leases.get({ namespace: ns.name, name: 'abandoned' });
    assert.equal(lease.spec?.leaseTransitions, 5);
    await b.elector.release();
    await run;
  });

  it('takes over an abandoned lease when it expires, not a jittered retry period later', async () => {
    // Retry 2 s with client-go's jitter at its top (random 0.99): tries 4.4 s apart, so a try
    // falling due when the 3 s lease expires would be the old behaviour's luck; here it is the rule.
    const slow = { leaseDurationMs: 3_000, renewDeadlineMs: 2_500, retryPeriodMs: 2_000, random: () => 0.99 };
    const leases = new KubeClient(transport).leases();
    await leases.create({
      metadata: { namespace: ns.name, name: 'expiry' },
      spec: { holderIdentity: 'dead', leaseDurationSeconds: 3, leaseTransitions: 0 },
    });
    let observed = Number.NaN;
    let led = Number.NaN;
    const b = candidate('b', 'expiry', {
      ...slow,
      // Both on the elector's path: the first read's holder reported, then leadership started.
      onNewLeader: (id) => {
        if (id === 'dead') observed = performance.now();
      },
      onStartedLeading: () => {
        led = performance.now();
      },
    });
    const run = b.elector.run();
    await waitUntil(() => !Number.isNaN(led), { what: 'b to take over', timeoutMs: 15_000 });
    const took = led - observed;
    assert.ok(
      took >= slow.leaseDurationMs - 100,
      `took over ${String(Math.round(took))} ms after seeing the lease`,
    );
    // The jittered try would come 4.38 s after the first; the expiry try at 3 s, then one read and one write.
    assert.ok(took < 4_200, `took over ${String(Math.round(took))} ms after seeing the lease (expiry 3 s)`);
    await b.elector.release();
    await run;
  });

  it("counts an abandoned lease from the holder's last renewal as the watch saw it, not from its next read", async () => {
    // b reads the lease (holder 'dead'), then 'dead' renews once 0.2 s later and dies. Polling, b
    // sees that renewal only at its next read, at the first record's expiry (3 s), and takes over
    // 3 s after that: ≈ 5.8 s after the renewal. Watching, 3 s after it; never sooner.
    const slow = { leaseDurationMs: 3_000, renewDeadlineMs: 2_500, retryPeriodMs: 2_000, random: () => 0.99 };
    const leases = new KubeClient(transport).leases();
    const takeOver = async (lease: string, watchRelease: boolean): Promise<number> => {
      await leases.create({
        metadata: { namespace: ns.name, name: lease },
        spec: {
          holderIdentity: 'dead',
          leaseDurationSeconds: 3,
          leaseTransitions: 0,
          renewTime: formatMicroTime(new Date()),
        },
      });
      let observed = false;
      let led = Number.NaN;
      const b = candidate('b', lease, {
        ...slow,
        watchRelease,
        onNewLeader: (id) => {
          if (id === 'dead') observed = true;
        },
        onStartedLeading: () => {
          led = performance.now();
        },
      });
      const run = b.elector.run();
      await waitUntil(() => observed, { what: 'b to see the lease' });
      await new Promise((resolve) => setTimeout(resolve, 200));
      const current = await leases.get({ namespace: ns.name, name: lease });
      await leases.replace({ ...current, spec: { ...current.spec, renewTime: formatMicroTime(new Date()) } });
      const renewed = performance.now();
      return tookOver(() => led, b.elector, run, renewed);
    };
    const { watched, polled } = await watchedAndPolled('renewed', takeOver);
    console.log(
      `last renewal -> taken over: ${String(Math.round(watched))} ms watching, ${String(Math.round(polled))} ms polling (lease 3 s)`,
    );
    assert.ok(
      watched >= slow.leaseDurationMs - 100,
      `took over ${String(Math.round(watched))} ms after a renewal`,
    );
    assert.ok(
      watched < 4_500,
      `a watching candidate took over ${String(Math.round(watched))} ms after the renewal`,
    );
    assert.ok(
      polled >= 5_000,
      `a polling candidate took over ${String(Math.round(polled))} ms after the renewal`,
    );
  });

  it('a waiting candidate takes a released lease at once (it watches the Lease), not at its next retry', async () => {
    // Retry 5 s with the jitter at its top: a poll-only candidate tries 11 s apart.
    const slow = {
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 5_000,
      random: () => 0.99,
    };
    const handOver = async (lease: string, watchRelease: boolean): Promise<number> => {
      const a = candidate('a', lease, slow);
      let led = Number.NaN;
      const b = candidate('b', lease, {
        ...slow,
        watchRelease,
        onStartedLeading: () => {
          led = performance.now();
        },
      });
      const runA = a.elector.run();
      await waitUntil(() => a.state.leading, { what: 'a to lead' });
      const runB = b.elector.run();
      await waitUntil(() => b.state.leaders.includes('a'), { what: 'b to see a as leader' });
      // b's first try is done and its wait for the next one has begun.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const released = performance.now();
      await a.elector.release();
      await runA;
      return tookOver(() => led, b.elector, runB, released);
    };
    const { watched, polled } = await watchedAndPolled('handover', handOver);
    console.log(
      `released -> taken: ${String(Math.round(watched))} ms watching, ${String(Math.round(polled))} ms polling (retry 5 s)`,
    );
    assert.ok(watched < 2_000, `a watching candidate took ${String(Math.round(watched))} ms`);
    assert.ok(polled > 5_000, `a polling candidate took ${String(Math.round(polled))} ms`);
  });
});

describe('kube event recorder', () => {
  let ns: TestNamespace;
  let client: KubeClient;
  let transport: KubeTransport;

  before(async () => {
    ns = await createTestNamespace('kube-events');
    const { kubeconfigPath } = await testCluster();
    transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
    client = new KubeClient(transport);
  });
  after(async () => {
    await ns.cleanup();
  });

  async function eventsFor(name: string): Promise<CoreEvent[]> {
    const list = await client
      .events()
      .list({ namespace: ns.name, fieldSelector: `involvedObject.name=${name}` });
    return list.items;
  }

  it('records an event and aggregates repeats into a count', async () => {
    const errors: ClassifiedError[] = [];
    const recorder = new EventRecorder({
      transport,
      component: 'kube-test',
      instance: 'pod-1',
      onError: (e) => errors.push(e),
    });
    const namespaceObject = await client.namespaces().get({ name: ns.name });
    const involved = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { ...namespaceObject.metadata, namespace: ns.name },
    };
    for (let i = 0; i < 3; i++) recorder.warning(involved, 'PoolExhausted', 'no free address in pool p');
    recorder.normal(involved, 'AddressAllocated', 'allocated 10.0.0.10');
    await recorder.flush();
    assert.deepEqual(errors, []);
    const events = await eventsFor(ns.name);
    const exhausted = events.filter((e) => e.reason === 'PoolExhausted');
    assert.equal(exhausted.length, 1, 'repeats fold into one Event');
    assert.equal(exhausted[0]?.count, 3);
    assert.equal(exhausted[0].type, 'Warning');
    assert.equal(exhausted[0].source?.component, 'kube-test');
    assert.equal(exhausted[0].involvedObject.uid, namespaceObject.metadata.uid);
    assert.equal(events.filter((e) => e.reason === 'AddressAllocated').length, 1);

    // A repeat after the Event exists is a merge patch of its count.
    recorder.warning(involved, 'PoolExhausted', 'no free address in pool p');
    await recorder.flush();
    const again = (await eventsFor(ns.name)).filter((e) => e.reason === 'PoolExhausted');
    assert.equal(again.length, 1);
    assert.equal(again[0]?.count, 4);
    assert.equal(again[0].metadata.name, exhausted[0].metadata.name);
  });

  /** A recorder with these limits that collects what it drops and its errors. */
  function limitedRecorder(
    limits: Pick<EventRecorderOptions, 'burst' | 'refillPerSecond' | 'normalBurst' | 'normalRefillPerSecond'>,
  ) {
    const dropped: { type: string; message: string; limit: string }[] = [];
    const errors: ClassifiedError[] = [];
    const recorder = new EventRecorder({
      transport,
      component: 'kube-test',
      ...limits,
      onDropped: ({ type, message, limit }) => dropped.push({ type, message, limit }),
      onError: (e) => errors.push(e),
    });
    return { recorder, dropped, errors };
  }

  it('rate-limits per object without throwing and carries the count forward', async () => {
    const { recorder, dropped, errors } = limitedRecorder({ burst: 2, refillPerSecond: 0.001 });
    const involved = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns.name, name: 'limited', uid: 'u-1' },
    };
    recorder.warning(involved, 'A', 'first');
    recorder.warning(involved, 'B', 'second');
    recorder.warning(involved, 'C', 'third');
    await recorder.flush();
    assert.deepEqual(dropped, [{ type: 'Warning', message: 'third', limit: 'object' }]);
    assert.deepEqual((await eventsFor('limited')).map((e) => e.reason).sort(), ['A', 'B']);

    // Failures are reported, never thrown (an invalid reason is rejected by the server).
    const failing = new EventRecorder({ transport, component: 'kube-test', onError: (e) => errors.push(e) });
    failing.warning(
      { kind: 'ConfigMap', metadata: { namespace: 'no-such-namespace-xyz', name: 'x' } },
      'R',
      'm',
    );
    await failing.flush();
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.kind, 'NotFound');
  });

  it('holds Normal events to the shared budget and writes Warnings regardless (ADR 0012)', async () => {
    const { recorder, dropped, errors } = limitedRecorder({ normalBurst: 2, normalRefillPerSecond: 0 });
    const object = (i: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns.name, name: `budget-${String(i)}`, uid: `b-${String(i)}` },
    });
    for (let i = 0; i < 3; i++) recorder.normal(object(i), 'AddressAllocated', `allocated ${String(i)}`);
    recorder.warning(object(3), 'PoolExhausted', 'no free address');
    await recorder.flush();
    assert.deepEqual(errors, []);
    assert.deepEqual(dropped, [{ type: 'Normal', message: 'allocated 2', limit: 'budget' }]);
    const written = await Promise.all(
      [0, 1, 2, 3].map(async (i) => (await eventsFor(`budget-${String(i)}`)).length),
    );
    assert.deepEqual(written, [1, 1, 0, 1]);
  });

  it('keeps at most maxWritesInFlight writes in flight and still writes every event, in order', async () => {
    // The real transport, counting its requests in flight.
    let inFlight = 0;
    let most = 0;
    const counting = new (class extends KubeTransport {
      override async request<T>(options: Parameters<KubeTransport['request']>[0]): Promise<T> {
        inFlight++;
        most = Math.max(most, inFlight);
        try {
          return await super.request<T>(options);
        } finally {
          inFlight--;
        }
      }
    })(transport.kubeConfig);
    const errors: ClassifiedError[] = [];
    const recorder = new EventRecorder({
      transport: counting,
      component: 'kube-test',
      maxWritesInFlight: 2,
      onError: (e) => errors.push(e),
    });
    const object = (i: number) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { namespace: ns.name, name: `inflight-${String(i)}`, uid: `f-${String(i)}` },
    });
    // Warnings: no shared budget, so all 30 are written; one of them repeated (a count update).
    for (let i = 0; i < 30; i++) recorder.warning(object(i), 'PoolExhausted', 'no free address');
    recorder.warning(object(0), 'PoolExhausted', 'no free address');
    await recorder.flush();
    assert.deepEqual(errors, []);
    assert.equal(most, 2, 'two writes in flight at most, and the limit was reached');
    const counts = await Promise.all(
      Array.from({ length: 30 }, async (_, i) =>
        (await eventsFor(`inflight-${String(i)}`)).map((e) => e.count),
      ),
    );
    assert.deepEqual(counts, [[2], ...Array.from({ length: 29 }, () => [1])]);
  });
});
