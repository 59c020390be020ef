import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from './work-queue.js';
import { runWorkers } from './workers.js';

/** Keeps the thread busy, as a reconcile that computes but never waits for I/O. */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // spin
  }
}

describe('runWorkers', () => {
  it('lets the event loop turn during a long run of reconciles that need no I/O', async () => {
    const keys = 400;
    const queue = new WorkQueue({ name: 'io-turns' });
    for (let i = 0; i < keys; i++) queue.add(`k${String(i)}`);
    let done = 0;
    let doneAtFirstTurn: number | undefined;
    // ~100 ms of work against 10 ms slices (SLICE_MS): the first turn comes after a few dozen keys.
    setImmediate(() => {
      doneAtFirstTurn = done;
    });
    const running = runWorkers(queue, 8, () => {
      busy(0.25); // 400 keys: ~100 ms of work
      done++;
      return Promise.resolve(undefined);
    });
    while (done < keys) await new Promise((resolve) => setTimeout(resolve, 5));
    queue.shutDown();
    await running;
    assert.ok(
      doneAtFirstTurn !== undefined && doneAtFirstTurn < keys / 2,
      `the event loop first turned after ${String(doneAtFirstTurn)} of ${String(keys)} reconciles`,
    );
  });
});
