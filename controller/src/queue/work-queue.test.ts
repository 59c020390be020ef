import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ItemExponentialRateLimiter } from '../util/backoff.js';
import { FakeClock } from '../util/clock.js';
import { WorkQueue, type QueueMetrics } from './work-queue.js';
import { TerminalError, processKey, runWorkers } from './workers.js';

/** Lets pending promise continuations run (no timers involved). */
async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await Promise.resolve();
}

/** 'BLOCKED' when a get() would wait, else the key it returns (without leaving a waiter behind). */
async function getNow(q: WorkQueue): Promise<string | undefined> {
  return q.ready === 0 ? 'BLOCKED' : q.get();
}

describe('WorkQueue', () => {
  it('de-duplicates a key queued twice', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(q.len, 2);
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(q.len, 0);
  });

  it('re-queues a key added while processing only after done', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len, 0, 'not handed to a second worker');
    q.done('a');
    assert.equal(q.len, 1);
    assert.equal(await q.get(), 'a');
    q.done('a');
    assert.equal(q.len, 0);
  });

  it('never runs one key on two workers, while different keys run in parallel', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const running = new Map<string, number>();
    let maxPerKey = 0;
    let maxOverall = 0;
    let overall = 0;
    let processed = 0;
    const handler = async (key: string): Promise<undefined> => {
      const n = (running.get(key) ?? 0) + 1;
      running.set(key, n);
      overall++;
      maxPerKey = Math.max(maxPerKey, n);
      maxOverall = Math.max(maxOverall, overall);
      // Re-add ourselves and others while processing.
      q.add(key);
      q.add(`k${String(processed % 5)}`);
      for (let i = 0; i < (processed % 3) + 1; i++) await Promise.resolve();
      running.set(key, n - 1);
      overall--;
      processed++;
      if (processed >= 300) q.shutDown();
      return undefined;
    };
    for (let i = 0; i < 5; i++) q.add(`k${String(i)}`);
    await runWorkers(q, 4, handler);
    assert.equal(maxPerKey, 1);
    assert.ok(maxOverall > 1, 'keys ran in parallel');
    assert.ok(processed >= 300);
  });

  it('addAfter: the earlier deadline wins, and the key is queued once', () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 50);
    q.addAfter('a', 200);
    assert.equal(q.delayed, 1);
    clock.advance(49);
    assert.equal(q.len, 0);
    clock.advance(1);
    assert.equal(q.len, 1);
    clock.advance(1000);
    assert.equal(q.len, 1, 'superseded timers do not fire');
    assert.equal(clock.pendingTimers, 0);
  });

  it('addAfter with 0 ms queues at once', () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    q.addAfter('a', 0);
    assert.equal(q.len, 1);
  });

  it('addRateLimited backs off exponentially per key and forget resets', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1_000_000) });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      q.addRateLimited('a');
      while (q.len === 0) clock.advance(1);
      delays.push(clock.now() - before);
      // take it so the next retry is a fresh add
      const k = await q.get();
      if (k !== undefined) q.done(k);
    }
    assert.deepEqual(delays, [5, 10, 20, 40]);
    assert.equal(q.numRequeues('a'), 4);
    q.forget('a');
    assert.equal(q.numRequeues('a'), 0);
  });

  it('key groups: one key per group at a time, FIFO within the group, groups in parallel', async () => {
    const q = new WorkQueue({ clock: new FakeClock(), groupOf: (k) => k.split('/')[0] });
    for (const k of ['p1/a', 'p1/b', 'p2/x', 'p1/c', 'p2/y', 'free']) q.add(k);
    assert.equal(await q.get(), 'p1/a');
    assert.equal(await q.get(), 'p2/x');
    assert.equal(await q.get(), 'free');
    assert.equal(await getNow(q), 'BLOCKED', 'both groups busy');
    q.done('p2/x');
    assert.equal(await q.get(), 'p2/y');
    q.done('p1/a');
    assert.equal(await q.get(), 'p1/b');
    q.add('p1/a'); // behind p1/c
    q.done('p1/b');
    assert.equal(await q.get(), 'p1/c');
    q.done('p1/c');
    assert.equal(await q.get(), 'p1/a');
    q.done('p1/a');
    q.done('p2/y');
    q.done('free');
    assert.equal(q.len, 0);
    assert.equal(await getNow(q), 'BLOCKED');
    q.shutDown();
  });

  it('key groups: a key re-added while processing keeps its group slot rules', async () => {
    const q = new WorkQueue({ clock: new FakeClock(), groupOf: () => 'g', groupConcurrency: 2 });
    q.add('a');
    q.add('b');
    q.add('c');
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    assert.equal(await getNow(q), 'BLOCKED');
    q.add('a');
    q.done('a'); // c gets the slot, a is parked behind it
    assert.equal(await q.get(), 'c');
    assert.equal(await getNow(q), 'BLOCKED');
    q.done('b');
    assert.equal(await q.get(), 'a');
    q.shutDown();
  });

  it('shutDown wakes blocked workers and ignores new adds', async () => {
    const q = new WorkQueue({ clock: new FakeClock() });
    const pending = q.get();
    q.shutDown();
    assert.equal(await pending, undefined);
    q.add('a');
    q.addAfter('b', 10);
    assert.equal(q.len, 0);
    assert.equal(q.delayed, 0);
    assert.equal(await q.get(), undefined);
  });

  it('drain waits for in-flight work, bounded by the deadline', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock });
    q.add('a');
    q.add('b');
    assert.equal(await q.get(), 'a');
    assert.equal(await q.get(), 'b');
    const drained = q.drain(1000);
    q.done('a');
    await settle();
    q.done('b');
    assert.equal(await drained, true);

    const q2 = new WorkQueue({ clock });
    q2.add('x');
    await q2.get();
    const cut = q2.drain(1000);
    clock.advance(1000);
    assert.equal(await cut, false);
    assert.equal(await new WorkQueue({ clock }).drain(10), true, 'idle queue drains at once');
  });

  it('reports metrics through the hooks', async () => {
    const clock = new FakeClock();
    const seen = {
      adds: 0,
      retries: 0,
      depth: [] as number[],
      latency: [] as number[],
      work: [] as number[],
    };
    const metrics: QueueMetrics = {
      add: () => seen.adds++,
      retry: () => seen.retries++,
      depth: (n) => seen.depth.push(n),
      latency: (s) => seen.latency.push(s),
      workDuration: (s) => seen.work.push(s),
    };
    const q = new WorkQueue({ clock, metrics, rateLimiter: new ItemExponentialRateLimiter(5, 100) });
    q.add('a');
    q.add('a');
    clock.advance(250);
    await q.get();
    clock.advance(500);
    q.done('a');
    q.addRateLimited('a');
    assert.equal(seen.adds, 2);
    assert.equal(seen.retries, 1);
    assert.deepEqual(seen.latency, [0.25]);
    assert.deepEqual(seen.work, [0.5]);
    assert.deepEqual(seen.depth, [1, 0]);
  });
});

describe('processKey', () => {
  it('forgets on success, requeues after on request, backs off on error, not on terminal error', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, rateLimiter: new ItemExponentialRateLimiter(5, 1000) });
    const errors: [string, boolean][] = [];
    const hooks = {
      onError: (k: string, _e: unknown, retry: boolean) => errors.push([k, retry]),
      now: () => clock.now(),
    };

    q.add('a');
    await q.get();
    assert.equal(await processKey(q, 'a', () => Promise.reject(new Error('boom')), hooks), 'error');
    assert.equal(q.numRequeues('a'), 1);
    assert.equal(q.delayed, 1);
    clock.advance(5);
    await q.get();
    assert.equal(
      await processKey(q, 'a', () => Promise.resolve({ requeueAfter: 30_000 }), hooks),
      'requeue_after',
    );
    assert.equal(q.numRequeues('a'), 0);
    clock.advance(30_000);
    assert.equal(q.len, 1);
    await q.get();
    assert.equal(
      await processKey(q, 'a', () => Promise.reject(new TerminalError('invalid pool')), hooks),
      'terminal_error',
    );
    assert.equal(q.delayed, 0);
    assert.equal(q.len, 0);
    q.add('a');
    await q.get();
    assert.equal(await processKey(q, 'a', () => Promise.resolve(undefined), hooks), 'success');
    assert.deepEqual(errors, [
      ['a', true],
      ['a', false],
    ]);
    assert.equal(q.processing, 0);
  });
});
