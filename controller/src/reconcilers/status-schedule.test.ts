import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { StatusSchedule } from './status-schedule.js';

/** A schedule on a hand-moved clock, recording when each queued write would run. */
function harness(delayMs = 500, intervalMs = 2000) {
  let now = 1000;
  const runs: { key: string; at: number }[] = [];
  const schedule = new StatusSchedule({
    delayMs,
    intervalMs,
    now: () => now,
    schedule: (key, ms) => runs.push({ key, at: now + ms }),
  });
  return {
    schedule,
    runs,
    at(t: number) {
      now = t;
    },
  };
}

describe('StatusSchedule', () => {
  it('writes a lone change after the delay', () => {
    const h = harness();
    h.schedule.due('ns/a');
    assert.deepEqual(h.runs, [{ key: 'ns/a', at: 1500 }]);
  });

  it('folds changes into the write already scheduled', () => {
    const h = harness();
    h.schedule.due('ns/a');
    h.at(1200);
    h.schedule.due('ns/a');
    h.at(1499);
    h.schedule.due('ns/a');
    assert.deepEqual(h.runs, [{ key: 'ns/a', at: 1500 }]);
  });

  it('keeps writes of one pool an interval apart while changes keep coming', () => {
    const h = harness();
    h.schedule.due('ns/a'); // due 1500
    h.at(1600);
    h.schedule.due('ns/a'); // 1500 + 2000
    h.at(3600);
    h.schedule.due('ns/a'); // 3500 + 2000
    assert.deepEqual(
      h.runs.map((r) => r.at),
      [1500, 3500, 5500],
    );
  });

  it('writes after the delay again once the pool was quiet for an interval', () => {
    const h = harness();
    h.schedule.due('ns/a'); // due 1500
    h.at(9000);
    h.schedule.due('ns/a');
    assert.deepEqual(
      h.runs.map((r) => r.at),
      [1500, 9500],
    );
  });

  it('schedules each pool on its own, and starts over for a pool forgotten', () => {
    const h = harness();
    h.schedule.due('ns/a');
    h.schedule.due('ns/b');
    h.at(1600);
    h.schedule.forget('ns/a');
    h.schedule.due('ns/a');
    h.schedule.due('ns/b');
    assert.deepEqual(h.runs, [
      { key: 'ns/a', at: 1500 },
      { key: 'ns/b', at: 1500 },
      { key: 'ns/a', at: 2100 },
      { key: 'ns/b', at: 3500 },
    ]);
  });

  it('any sequence of changes: every change is followed by a write, writes are an interval apart', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5000 }), { minLength: 1, maxLength: 60 }), (gaps) => {
        const h = harness(500, 2000);
        let t = 1000;
        const changes: number[] = [];
        for (const gap of gaps) {
          t += gap;
          h.at(t);
          changes.push(t);
          h.schedule.due('ns/a');
        }
        const writes = h.runs.map((r) => r.at);
        for (let i = 1; i < writes.length; i++) {
          assert.ok((writes[i] ?? 0) - (writes[i - 1] ?? 0) >= 2000, `writes ${String(writes)}`);
        }
        for (const c of changes) {
          const next = writes.find((w) => w >= c);
          assert.ok(next !== undefined, `change at ${String(c)} never written (${String(writes)})`);
          assert.ok(next - c <= 2000, `change at ${String(c)} waits until ${String(next)}`);
        }
      }),
    );
  });
});
