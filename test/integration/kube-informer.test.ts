// The packages/kube informer against the real API server. Outages are injected at the transport (the
// next watch waits, then fails the way undici or the server would); everything else is real.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { POOL_API_VERSION, type InClusterIPPool, type IPAddressWire } from '@ipam-in-cluster/api';
import {
  INDEX_POOL_REF,
  Informer,
  ipAddressByPoolRef,
  ipAddressResource,
  KubeClient,
  KubeTransport,
  loadKubeConfig,
  poolRefIndexValue,
  poolResource,
  type ClassifiedError,
  type InformerHooks,
  type InformerOptions,
  type RequestOptions,
  type ResponseStream,
} from '@ipam-in-cluster/kube';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { staysFalse, waitFor } from '../support/wait.js';

const waitUntil = (condition: () => boolean, opts: { what: string; timeoutMs?: number }): Promise<true> =>
  waitFor(() => Promise.resolve(condition() || undefined), opts);
/** The names of what an informer caches, sorted. */
const cachedNames = (informer: Informer<InClusterIPPool>): (string | undefined)[] =>
  informer
    .list()
    .map((p) => p.metadata.name)
    .sort();
const staysNot = (condition: () => boolean, ms: number, what: string): Promise<void> =>
  staysFalse(() => Promise.resolve(condition()), ms, what);

/** A real transport whose next watch can be held back and then failed. */
class FaultInjectingTransport extends KubeTransport {
  watchQueries: Record<string, unknown>[] = [];
  /** Queries of the list (non-watch GET collection) requests, in order. */
  listQueries: Record<string, unknown>[] = [];
  /** Watches that got a response (so a restart now really drops an open watch). */
  established = 0;
  private gate: Promise<void> | undefined;
  private open: (() => void) | undefined;
  private failure: Error | undefined;

  hold(): void {
    this.gate = new Promise((resolve) => (this.open = resolve));
  }

  release(failWith?: Error): void {
    this.failure = failWith;
    this.gate = undefined;
    this.open?.();
  }

  override async request<T = unknown>(options: RequestOptions): Promise<T> {
    if (options.method === 'GET' && options.query !== undefined && 'limit' in options.query) {
      this.listQueries.push({ ...options.query });
    }
    return super.request<T>(options);
  }

  override async stream(
    options: Omit<RequestOptions, 'body' | 'contentType' | 'timeoutMs'>,
  ): Promise<ResponseStream> {
    if (options.query?.watch === true) {
      this.watchQueries.push({ ...options.query });
      if (this.gate !== undefined) await this.gate;
      const failure = this.failure;
      this.failure = undefined;
      if (failure !== undefined) throw failure;
    }
    const stream = await super.stream(options);
    if (options.query?.watch === true) this.established++;
    return stream;
  }
}

const gone = (): ApiException<string> =>
  new ApiException(
    410,
    'watch',
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    }),
    {},
  );
const reset = (): TypeError =>
  new TypeError('fetch failed', {
    cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }),
  });

function pool(namespace: string, name: string, labels: Record<string, string> = {}): InClusterIPPool {
  return {
    apiVersion: POOL_API_VERSION,
    kind: 'InClusterIPPool',
    metadata: { namespace, name, labels },
    spec: { addresses: ['10.1.0.10-10.1.0.20'], prefix: 24 },
  };
}

/** Records everything an informer reports, for assertions. */
class Recorder<T extends { metadata?: { name?: string } }> {
  events: string[] = [];
  restarts: string[] = [];
  relists: string[] = [];
  errors: { phase: string; error: ClassifiedError }[] = [];
  hooks: InformerHooks = {
    onRestart: (reason) => this.restarts.push(reason),
    onRelist: (reason) => this.relists.push(reason),
    onError: (error, phase) => this.errors.push({ phase, error }),
  };
  attach(informer: Informer<T & object>): void {
    informer.onAdd((o) => this.events.push(`add ${o.metadata?.name ?? ''}`));
    informer.onUpdate((o) => this.events.push(`update ${o.metadata?.name ?? ''}`));
    informer.onDelete((o) => this.events.push(`delete ${o.metadata?.name ?? ''}`));
  }
  has(event: string): boolean {
    return this.events.includes(event);
  }
}

describe('kube informer', () => {
  let ns: TestNamespace;
  let other: TestNamespace;
  let kubeconfigPath: string;
  let client: KubeClient;
  const informers: Informer<object>[] = [];

  function make<T extends object>(
    options: Omit<InformerOptions<T & { metadata?: object }>, 'transport'> & { transport?: KubeTransport },
  ): { informer: Informer<T & { metadata?: object }>; transport: FaultInjectingTransport } {
    const transport = new FaultInjectingTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
    const informer = new Informer<T & { metadata?: object }>({
      transport,
      backoff: { initialMs: 50, maxMs: 200 },
      ...options,
    });
    informers.push(informer as Informer<object>);
    return { informer, transport };
  }

  before(async () => {
    const plane = await planeWithNamespaces('kube-informer', 'kube-informer-other');
    kubeconfigPath = plane.kubeconfigPath;
    [ns, other] = plane.namespaces;
    client = new KubeClient(new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig));
  });
  after(async () => {
    await Promise.all(informers.map((i) => i.stop()));
    await Promise.all([ns.cleanup(), other.cleanup()]);
  });

  it('syncs before start() resolves, then delivers add/update/delete, scoped by namespace and labels', async () => {
    const pools = client.pools('InClusterIPPool');
    await pools.create(pool(ns.name, 'before', { app: 'ipam' }));
    await pools.create(pool(ns.name, 'unlabelled'));
    await pools.create(pool(other.name, 'elsewhere', { app: 'ipam' }));
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'app=ipam',
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    assert.ok(informer.hasSynced());
    assert.deepEqual(rec.events, ['add before']);
    assert.deepEqual(
      informer.list().map((p) => p.metadata.name),
      ['before'],
    );
    assert.ok(informer.latestResourceVersion);

    await pools.create(pool(ns.name, 'after', { app: 'ipam' }));
    await waitUntil(() => rec.has('add after'), { what: 'add event' });
    await pools.mergePatch({ namespace: ns.name, name: 'after' }, { spec: { prefix: 25 } });
    await waitUntil(() => rec.has('update after'), { what: 'update event' });
    assert.equal(informer.get(ns.name, 'after')?.spec.prefix, 25);
    await pools.delete({ namespace: ns.name, name: 'after' });
    await waitUntil(() => rec.has('delete after'), { what: 'delete event' });
    assert.equal(informer.get(ns.name, 'after'), undefined);
    assert.ok(!rec.events.some((e) => e.endsWith('unlabelled') || e.endsWith('elsewhere')));

    const query = transport.watchQueries[0];
    assert.equal(query?.allowWatchBookmarks, true, 'watches request bookmarks');
    assert.equal(typeof query.timeoutSeconds, 'number', 'watches carry a server-side timeout');
  });

  it('keeps the IPAddress-by-poolRef index current', async () => {
    const { informer } = make<IPAddressWire>({
      resource: ipAddressResource('v1beta2'),
      namespace: ns.name,
      indexers: { [INDEX_POOL_REF]: ipAddressByPoolRef },
    });
    await informer.start();
    const addresses = client.ipAddresses('v1beta2');
    for (const [name, poolName, ip] of [
      ['ip-a', 'p1', '10.1.0.10'],
      ['ip-b', 'p1', '10.1.0.11'],
      ['ip-c', 'p2', '10.1.0.12'],
    ] as const) {
      await addresses.create({
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
        kind: 'IPAddress',
        metadata: { namespace: ns.name, name },
        spec: {
          claimRef: { name },
          poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: poolName },
          address: ip,
          prefix: 24,
        },
      });
    }
    const p1 = poolRefIndexValue({ apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p1' });
    await waitUntil(() => informer.byIndex(INDEX_POOL_REF, p1).length === 2, {
      what: 'two addresses in p1',
    });
    await addresses.delete({ namespace: ns.name, name: 'ip-a' });
    await waitUntil(() => informer.byIndex(INDEX_POOL_REF, p1).length === 1, {
      what: 'one address left in p1',
    });
    assert.deepEqual(
      informer.byIndex(INDEX_POOL_REF, p1, ns.name).map((a) => a.metadata.name),
      ['ip-b'],
    );
    assert.equal(informer.byIndex(INDEX_POOL_REF, p1, 'another-namespace').length, 0);
  });

  it('survives a throwing handler (reported, never thrown) and keeps delivering', async () => {
    const rec = new Recorder<InClusterIPPool>();
    const { informer } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: other.name,
      hooks: rec.hooks,
    });
    informer.onAdd(() => {
      throw new Error('handler bug');
    });
    informer.onAdd(async () => {
      await Promise.resolve();
      throw new Error('async handler bug');
    });
    rec.attach(informer);
    await informer.start();
    await client.pools('InClusterIPPool').create(pool(other.name, 'h1'));
    await client.pools('InClusterIPPool').create(pool(other.name, 'h2'));
    await waitUntil(() => rec.has('add h2'), { what: 'events after a throwing handler' });
    await waitUntil(() => rec.errors.filter((e) => e.phase === 'handler').length >= 4, {
      what: 'handler errors reported',
    });
  });

  it('reconnects after a broken watch with backoff and loses no event', async () => {
    const pools = client.pools('InClusterIPPool');
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=broken',
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    await waitUntil(() => transport.established === 1, { what: 'the first watch' });
    transport.hold();
    informer.restart();
    await waitUntil(() => rec.restarts.includes('requested'), { what: 'the watch to be dropped' });
    // Changes while no watch is open.
    await pools.create(pool(ns.name, 'during-outage', { case: 'broken' }));
    transport.release(reset());
    await waitUntil(() => rec.restarts.includes('error'), { what: 'a restart after the network error' });
    assert.equal(rec.errors.at(-1)?.error.kind, 'Network');
    await waitUntil(() => rec.has('add during-outage'), { what: 'the change made during the outage' });
    assert.deepEqual(rec.relists, ['initial'], 're-watched from the last resourceVersion, no relist');

    // restart() is idempotent: many calls, one new watch.
    const before = transport.watchQueries.length;
    for (let i = 0; i < 5; i++) informer.restart();
    await waitUntil(() => transport.watchQueries.length > before, { what: 'a new watch' });
    await staysNot(() => transport.watchQueries.length > before + 1, 500, 'a second concurrent watch');
  });

  it('relists on 410 Gone and emits deletes for objects that vanished', async () => {
    const pools = client.pools('InClusterIPPool');
    await pools.create(pool(ns.name, 'stays', { case: 'gone' }));
    await pools.create(pool(ns.name, 'vanishes', { case: 'gone' }));
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=gone',
      hooks: rec.hooks,
    });
    rec.attach(informer);
    // Read through a function: an assertion would narrow the property for the rest of the test.
    const listedAt = (): number => informer.lastListRequestedAt ?? Number.NaN;
    assert.ok(Number.isNaN(listedAt()), 'no list yet');
    const beforeStart = performance.now();
    await informer.start();
    const firstList = listedAt();
    assert.ok(
      firstList >= beforeStart && firstList <= performance.now(),
      'the list was requested in start()',
    );
    await waitUntil(() => transport.established === 1, { what: 'the first watch' });
    transport.hold();
    informer.restart();
    await waitUntil(() => transport.watchQueries.length >= 2, { what: 'the held watch' });
    await pools.delete({ namespace: ns.name, name: 'vanishes' });
    await pools.create(pool(ns.name, 'appears', { case: 'gone' }));
    transport.release(gone());
    await waitUntil(() => rec.relists.includes('gone'), { what: 'a relist after 410' });
    await waitUntil(() => rec.has('delete vanishes') && rec.has('add appears'), {
      what: 'delete and add from the relist',
    });
    assert.deepEqual(cachedNames(informer), ['appears', 'stays']);
    // The cache now comes from the relist: its request time moved on with it.
    assert.ok(listedAt() > firstList, 'the relist is the newer list');
  });

  it('re-watches when the server ends a quiet watch, and the watchdog restarts a silent one', async () => {
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=quiet',
      watchTimeoutSeconds: 1,
      hooks: rec.hooks,
    });
    await informer.start();
    await waitUntil(() => transport.watchQueries.length >= 3, {
      what: 'server-closed watches to be renewed',
      timeoutMs: 15_000,
    });
    await client.pools('InClusterIPPool').create(pool(ns.name, 'late', { case: 'quiet' }));
    await waitUntil(() => informer.get(ns.name, 'late') !== undefined, {
      what: 'an event after re-watches',
    });

    const silent = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=silent',
      watchTimeoutSeconds: 600,
      staleAfterMs: 800,
      hooks: rec.hooks,
    });
    await silent.informer.start();
    await waitUntil(() => rec.restarts.includes('stale'), { what: 'a watchdog restart' });
  });

  it('does not come back after stop()', async () => {
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=stop',
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    const stopping = Date.now();
    await informer.stop();
    assert.ok(Date.now() - stopping < 1_000, 'stop() returns promptly');
    informer.restart();
    await assert.rejects(informer.start(), /informer stopped/);
    const watches = transport.watchQueries.length;
    await client.pools('InClusterIPPool').create(pool(ns.name, 'after-stop', { case: 'stop' }));
    await staysNot(
      () => rec.has('add after-stop') || transport.watchQueries.length > watches,
      1_000,
      'an event after stop',
    );
    assert.ok(!rec.errors.some((e) => e.phase === 'watch'), 'stopping is not reported as a watch error');
  });

  it('observes its own writes at once and ignores the echo and older versions', async () => {
    const pools = client.pools('InClusterIPPool');
    const rec = new Recorder<InClusterIPPool>();
    const { informer } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=own',
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    const created = await pools.create(pool(ns.name, 'mine', { case: 'own' }));
    informer.observe(created);
    assert.equal(informer.get(ns.name, 'mine')?.metadata.resourceVersion, created.metadata.resourceVersion);
    const updated = await pools.mergePatch({ namespace: ns.name, name: 'mine' }, { spec: { prefix: 26 } });
    informer.observe(updated);
    informer.observe(created); // older: ignored
    assert.equal(informer.get(ns.name, 'mine')?.spec.prefix, 26);
    await waitUntil(() => informer.latestResourceVersion === updated.metadata.resourceVersion, {
      what: 'the watch to catch up',
    });
    await staysNot(() => rec.events.length > 2, 300, 'duplicate events for the echoed writes');
    assert.deepEqual(rec.events, ['add mine', 'update mine']);
  });

  it('streams its lists when asked (sendInitialEvents), watches on from the bookmark, relists streamed on 410', async () => {
    const pools = client.pools('InClusterIPPool');
    for (const name of ['s-0', 's-1', 's-2']) await pools.create(pool(ns.name, name, { case: 'streamed' }));
    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=streamed',
      streamingLists: true,
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    assert.deepEqual(transport.listQueries, [], 'no paged list');
    const first = transport.watchQueries[0];
    assert.equal(first?.sendInitialEvents, true);
    assert.equal(first.resourceVersionMatch, 'NotOlderThan');
    assert.equal(first.resourceVersion, undefined, 'a consistent snapshot');
    assert.deepEqual(cachedNames(informer), ['s-0', 's-1', 's-2']);
    assert.ok(!('managedFields' in (informer.get(ns.name, 's-0')?.metadata ?? {})), 'transformed');
    const snapshot = informer.latestResourceVersion;
    assert.ok(snapshot !== undefined && snapshot !== '');
    await waitUntil(() => transport.established === 2, { what: 'the watch after the streamed list' });
    assert.equal(transport.watchQueries[1]?.resourceVersion, snapshot, 'watches on from the bookmark');
    assert.equal(transport.watchQueries[1].sendInitialEvents, undefined);
    await pools.create(pool(ns.name, 's-3', { case: 'streamed' }));
    await waitUntil(() => rec.has('add s-3'), { what: 'an add after the snapshot' });

    transport.hold();
    informer.restart();
    await waitUntil(() => transport.watchQueries.length >= 3, { what: 'the held watch' });
    await pools.delete({ namespace: ns.name, name: 's-1' });
    transport.release(gone());
    await waitUntil(() => rec.has('delete s-1') && rec.relists.includes('gone'), {
      what: 'the delete from a relist after 410',
    });
    assert.equal(transport.watchQueries[3]?.sendInitialEvents, true, 'the relist is streamed too');
    assert.deepEqual(transport.listQueries, []);
    assert.deepEqual(cachedNames(informer), ['s-0', 's-2', 's-3']);
  });

  it('lists in pages for good when the server refuses a streaming list (422: WatchList gate off)', async () => {
    const pools = client.pools('InClusterIPPool');
    for (const name of ['r-0', 'r-1']) await pools.create(pool(ns.name, name, { case: 'refused' }));
    const refusals: string[] = [];
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=refused',
      streamingLists: true,
      hooks: { onStreamingRefused: (why) => refusals.push(why) },
    });
    transport.hold();
    const started = informer.start();
    await waitUntil(() => transport.watchQueries.length === 1, { what: 'the streaming list' });
    transport.release(
      new ApiException(
        422,
        'watch',
        JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 422, reason: 'Invalid' }),
        {},
      ),
    );
    await started;
    assert.deepEqual(refusals, ['rejected']);
    assert.equal(transport.listQueries.length, 1, 'one paged list instead');
    assert.deepEqual(cachedNames(informer), ['r-0', 'r-1']);
    await waitUntil(() => transport.established === 1, { what: 'the watch after the paged list' });
    transport.hold();
    informer.restart();
    await waitUntil(() => transport.watchQueries.length >= 3, { what: 'the held watch' });
    transport.release(gone());
    await waitUntil(() => transport.listQueries.length === 2, { what: 'the relist after 410, in pages' });
    assert.ok(
      transport.watchQueries.slice(1).every((q) => q.sendInitialEvents === undefined),
      'never asked again',
    );
  });

  it('lists in pages of pageSize from one snapshot, and caches objects without managedFields', async () => {
    const pools = client.pools('InClusterIPPool');
    for (let i = 0; i < 5; i++) await pools.create(pool(ns.name, `paged-${String(i)}`, { case: 'paged' }));
    const created = await pools.get({ namespace: ns.name, name: 'paged-0' });
    const managed = (created.metadata as { managedFields?: unknown[] }).managedFields;
    assert.ok(managed !== undefined && managed.length > 0, 'the server sends managedFields');

    const rec = new Recorder<InClusterIPPool>();
    const { informer, transport } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=paged',
      pageSize: 2,
      hooks: rec.hooks,
    });
    rec.attach(informer);
    await informer.start();
    assert.deepEqual(
      transport.listQueries.map((q) => [q.limit, q.continue === undefined ? 'first' : 'continue']),
      [
        [2, 'first'],
        [2, 'continue'],
        [2, 'continue'],
      ],
    );
    assert.deepEqual(cachedNames(informer), ['paged-0', 'paged-1', 'paged-2', 'paged-3', 'paged-4']);
    assert.equal(rec.events.length, 5);
    const cached = informer.get(ns.name, 'paged-0');
    assert.ok(cached !== undefined);
    assert.equal(cached.metadata.uid, created.metadata.uid);
    assert.deepEqual(cached.spec, created.spec);
    assert.ok(!('managedFields' in cached.metadata), 'listed objects are cached without managedFields');

    await pools.mergePatch({ namespace: ns.name, name: 'paged-1' }, { spec: { prefix: 25 } });
    await waitUntil(() => informer.get(ns.name, 'paged-1')?.spec.prefix === 25, { what: 'update event' });
    assert.ok(
      !('managedFields' in (informer.get(ns.name, 'paged-1')?.metadata ?? {})),
      'watched objects too',
    );
    const written = await pools.mergePatch({ namespace: ns.name, name: 'paged-2' }, { spec: { prefix: 26 } });
    informer.observe(written);
    assert.ok('managedFields' in written.metadata, "observe() leaves the caller's object alone");
    assert.ok(
      !('managedFields' in (informer.get(ns.name, 'paged-2')?.metadata ?? {})),
      'observed objects too',
    );

    // transform: identity keeps what the server sent.
    const { informer: raw } = make<InClusterIPPool>({
      resource: poolResource('InClusterIPPool'),
      namespace: ns.name,
      labelSelector: 'case=paged',
      transform: (o) => o,
    });
    await raw.start();
    assert.ok('managedFields' in (raw.get(ns.name, 'paged-0')?.metadata ?? {}));
  });
});
