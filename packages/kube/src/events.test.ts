import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import { EventAggregator, eventAggregationKey, EventLimiter, EventRecorder } from './events.js';
import { KubeTransport } from './transport.js';

describe('EventAggregator', () => {
  it('folds repeats within the window into one entry with a count', () => {
    const agg = new EventAggregator(10_000, 10);
    const first = agg.record('k', 0);
    assert.equal(first.count, 1);
    assert.equal(first.name, undefined);
    first.name = 'obj.1';
    const second = agg.record('k', 5_000);
    assert.equal(second, first);
    assert.equal(second.count, 2);
    assert.equal(second.firstTimestamp, new Date(0).toISOString());
    assert.equal(second.lastTimestamp, new Date(5_000).toISOString());
  });

  it('starts a new event after a quiet window', () => {
    const agg = new EventAggregator(10_000, 10);
    agg.record('k', 0).name = 'obj.1';
    const later = agg.record('k', 20_001);
    assert.equal(later.count, 1);
    assert.equal(later.name, undefined);
  });

  it('forgets the least recently used entry beyond the limit', () => {
    const agg = new EventAggregator(60_000, 2);
    agg.record('a', 0);
    agg.record('b', 1);
    agg.record('a', 2); // a is now the most recent
    agg.record('c', 3); // evicts b
    assert.equal(agg.size, 2);
    assert.equal(agg.record('a', 4).count, 3);
    assert.equal(agg.record('b', 5).count, 1);
  });

  it('keys on object, type, reason and message', () => {
    const pool = {
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
      kind: 'InClusterIPPool',
      metadata: { namespace: 'n', name: 'p', uid: 'u' },
    };
    const k = eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'no free address');
    assert.equal(k, eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'no free address'));
    assert.notEqual(k, eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'other'));
    assert.notEqual(k, eventAggregationKey(pool, 'Normal', 'PoolExhausted', 'no free address'));
    assert.notEqual(
      k,
      eventAggregationKey(
        { ...pool, metadata: { ...pool.metadata, uid: 'v' } },
        'Warning',
        'PoolExhausted',
        'no free address',
      ),
    );
  });
});

/** Claim `i` as an involved object (each its own per-object bucket). */
const claim = (i: number) => ({
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
  kind: 'IPAddressClaim',
  metadata: { namespace: 'n', name: `c${String(i)}`, uid: `u${String(i)}` },
});

describe('EventLimiter: the shared budget for Normal events (ADR 0012)', () => {
  it('lets a burst of 100 Normal events through, then one per 100 ms (10/s), never above the burst', () => {
    const limits = new EventLimiter();
    for (let i = 0; i < 100; i++)
      assert.equal(limits.admit(claim(i), 'Normal', 0), undefined, `#${String(i)}`);
    assert.equal(limits.admit(claim(100), 'Normal', 0), 'budget');
    assert.equal(limits.admit(claim(101), 'Normal', 99), 'budget');
    assert.equal(limits.admit(claim(102), 'Normal', 100), undefined, 'refilled one token');
    assert.equal(limits.admit(claim(103), 'Normal', 100), 'budget');
    // An hour later the bucket is full again: exactly the burst.
    const later = 3_600_000;
    let admitted = 0;
    for (let i = 0; i < 150; i++)
      if (limits.admit(claim(1000 + i), 'Normal', later) === undefined) admitted++;
    assert.equal(admitted, 100);
  });

  it('takes burst and refill from its options', () => {
    const limits = new EventLimiter({ normalBurst: 2, normalRefillPerSecond: 0.5 });
    assert.deepEqual(
      [0, 0, 0, 1_999, 2_000].map((t, i) => limits.admit(claim(i), 'Normal', t)),
      [undefined, undefined, 'budget', 'budget', undefined],
    );
    const off = new EventLimiter({ normalBurst: Infinity });
    for (let i = 0; i < 1000; i++) assert.equal(off.admit(claim(i), 'Normal', 0), undefined);
  });

  it('never holds back a Warning, and Warnings do not use the budget', () => {
    const limits = new EventLimiter({ normalBurst: 3, normalRefillPerSecond: 0 });
    for (let i = 0; i < 500; i++) assert.equal(limits.admit(claim(i), 'Warning', 0), undefined);
    for (let i = 0; i < 3; i++) assert.equal(limits.admit(claim(500 + i), 'Normal', 0), undefined);
    assert.equal(limits.admit(claim(503), 'Normal', 0), 'budget');
    assert.equal(limits.admit(claim(504), 'Warning', 0), undefined, 'budget empty, Warning still written');
  });

  it('asks the per-object filter first: a noisy object is stopped there and leaves the budget alone', () => {
    const limits = new EventLimiter({
      burst: 2,
      refillPerSecond: 0,
      normalBurst: 5,
      normalRefillPerSecond: 0,
    });
    const noisy = claim(0);
    assert.deepEqual(
      [1, 2, 3, 4].map(() => limits.admit(noisy, 'Normal', 0)),
      [undefined, undefined, 'object', 'object'],
    );
    assert.equal(limits.admit(noisy, 'Warning', 0), 'object', 'Warnings keep the per-object filter');
    // 2 of 5 budget tokens used: three more objects get through.
    assert.deepEqual(
      [1, 2, 3, 4].map((i) => limits.admit(claim(i), 'Normal', 0)),
      [undefined, undefined, undefined, 'budget'],
    );
  });
});

describe('EventRecorder with the Normal budget', () => {
  it('reports a Normal event over the budget to onDropped, with its type, reason and limit', async () => {
    // A real transport that is never used: every event below is dropped before a write.
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'https://127.0.0.1:1', skipTLSVerify: true }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    const dropped: { type: string; reason: string; message: string; limit: string }[] = [];
    const errors: unknown[] = [];
    const recorder = new EventRecorder({
      transport: new KubeTransport(kc),
      component: 'test',
      normalBurst: 0,
      now: () => 0,
      onDropped: (e) => dropped.push(e),
      onError: (e) => errors.push(e),
    });
    recorder.normal(claim(1), 'AddressAllocated', 'Allocated 10.0.0.1');
    recorder.normal(claim(2), 'AddressReleased', 'Released 10.0.0.2');
    await recorder.flush();
    assert.deepEqual(dropped, [
      { type: 'Normal', reason: 'AddressAllocated', message: 'Allocated 10.0.0.1', limit: 'budget' },
      { type: 'Normal', reason: 'AddressReleased', message: 'Released 10.0.0.2', limit: 'budget' },
    ]);
    assert.deepEqual(errors, []);
  });
});
