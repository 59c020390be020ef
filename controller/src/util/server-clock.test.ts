import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ServerClock } from './server-clock.js';

/** A server whose clock is `skew` ms behind the local one; stamps are whole seconds, as managedFields. */
function harness(skew: number, start = Date.parse('2026-12-07T09:00:00.000Z')) {
  let local = start;
  const clock = new ServerClock({ localNow: () => local });
  return {
    clock,
    advance: (ms: number) => {
      local += ms;
    },
    /** A write taking `rtt` ms, the server stamping it `at` ms into the round trip. */
    write: (rtt: number, at = rtt / 2) => {
      const sent = local;
      const server = local + at - skew;
      local += rtt;
      clock.observe(
        new Date(Math.floor(server / 1000) * 1000).toISOString().replace('.000Z', 'Z'),
        sent,
        local,
      );
    },
  };
}

describe('ServerClock', () => {
  it('without samples it is the local clock (upstream)', () => {
    const h = harness(600_000);
    assert.equal(h.clock.estimate(), undefined);
    assert.equal(h.clock.untilServerTime(h.clock.localNow() + 5_000), 5_000);
  });

  it('learns a 10-minute skew from one write, within a second, and never ends a wait early', () => {
    const h = harness(600_000);
    h.write(20);
    const e = h.clock.estimate();
    assert.ok(e !== undefined);
    assert.ok(
      Math.abs(e.offsetMs + 600_000) <= e.errorMs + 1,
      `offset ${String(e.offsetMs)} ± ${String(e.errorMs)}`,
    );
    assert.ok(
      e.errorMs <= 520,
      `one whole-second stamp bounds the error by half a second plus the RTT: ${String(e.errorMs)}`,
    );
    // A time 30 s ahead on the server's clock is at least 30 s away, and at most 30 s + 2 × error.
    const serverNow = h.clock.localNow() - 600_000;
    const wait = h.clock.untilServerTime(serverNow + 30_000);
    assert.ok(wait >= 30_000 && wait <= 30_000 + 2 * e.errorMs + 1, `wait ${String(wait)}`);
  });

  it('samples across second boundaries narrow the error to about the round trip', () => {
    const h = harness(-2_345);
    for (let i = 0; i < 12; i++) {
      h.write(10);
      h.advance(137);
    }
    const e = h.clock.estimate();
    assert.ok(e !== undefined);
    assert.ok(e.errorMs <= 150, `error ${String(e.errorMs)}`);
    assert.ok(Math.abs(e.offsetMs - 2_345) <= e.errorMs + 1, `offset ${String(e.offsetMs)}`);
  });

  it('a stale stamp (a write that changed nothing) is outvoted', () => {
    const h = harness(0);
    h.write(10);
    h.advance(3_000);
    h.write(10);
    // A response whose managedFields time is a minute old.
    const sent = h.clock.localNow();
    h.clock.observe(new Date(sent - 60_000).toISOString(), sent, sent + 10);
    h.advance(1_500);
    h.write(10);
    const e = h.clock.estimate();
    assert.ok(e !== undefined);
    assert.equal(e.agreeing, 3);
    assert.ok(Math.abs(e.offsetMs) <= e.errorMs + 1);
  });

  it('reads the field manager entry of the written subresource; ignores garbage and old samples', () => {
    const h = harness(0);
    const at = h.clock.localNow();
    h.clock.observeWrite(
      {
        metadata: {
          managedFields: [
            { manager: 'other', operation: 'Update', subresource: 'status', time: '2020-01-01T00:00:00Z' },
            { manager: 'me', operation: 'Update', time: '2020-01-01T00:00:00Z' },
            { manager: 'me', operation: 'Update', subresource: 'status', time: new Date(at).toISOString() },
          ],
        },
      },
      'me',
      'status',
      at,
      at + 5,
    );
    assert.equal(h.clock.estimate()?.samples, 1);
    assert.ok(Math.abs(h.clock.estimate()?.offsetMs ?? Infinity) < 10);
    h.clock.observe('garbage', at, at + 1);
    h.clock.observe(new Date(at).toISOString(), at + 1, at);
    assert.equal(h.clock.estimate()?.samples, 1);
    h.advance(11 * 60_000);
    assert.equal(h.clock.estimate(), undefined);
  });
});
