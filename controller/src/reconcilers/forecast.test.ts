import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { PoolForecast } from '@ipam-in-cluster/api';
import {
  daysToExhaustion,
  decayFactor,
  forecastDue,
  forecastRequeueMs,
  MAX_RATE_PER_HOUR,
  nextForecast,
  refreshIntervalMs,
} from './forecast.js';

const HOUR = 3_600_000;
const H = 6 * HOUR;
const t0 = new Date('2026-12-07T00:00:00Z');
const at = (ms: number): Date => new Date(t0.getTime() + ms);

function observe(previous: PoolForecast | undefined, used: bigint, free: bigint, ms: number): PoolForecast {
  return nextForecast(previous, { used, free, now: at(ms), halfLifeMs: H });
}

describe('nextForecast', () => {
  it('only sets the baseline on the first observation: existing addresses are not allocations', () => {
    const f = observe(undefined, 500n, 12n, 0);
    assert.deepEqual(f, { netAllocationsPerHour: 0, observedAt: t0.toISOString(), observedUsed: 500n });
  });

  it('adds ln2/H per allocation and halves every half-life', () => {
    const base = observe(undefined, 10n, 90n, 0);
    const after = observe(base, 16n, 84n, 1_000);
    const expected = (6 * Math.LN2) / 6;
    assert.ok(Math.abs(after.netAllocationsPerHour - expected) < 1e-3, String(after.netAllocationsPerHour));
    const later = observe(after, 16n, 84n, 1_000 + H);
    assert.ok(Math.abs(later.netAllocationsPerHour - expected / 2) < 1e-3);
    assert.equal(later.observedUsed, 16n);
  });

  it('converges to the steady allocation rate', () => {
    let f = observe(undefined, 0n, 1_000_000n, 0);
    // 10 allocations per hour, one every 6 minutes, for 10 half-lives.
    for (let i = 1; i <= 600; i++) f = observe(f, BigInt(i), BigInt(1_000_000 - i), i * 6 * 60_000);
    assert.ok(Math.abs(f.netAllocationsPerHour - 10) < 0.3, String(f.netAllocationsPerHour));
    const days = f.daysToExhaustion;
    assert.ok(days !== undefined && Math.abs(days - (1_000_000 - 600) / 240) < 200, String(days));
  });

  it('counts releases negatively and gives no exhaustion date for a shrinking pool', () => {
    const base = observe(undefined, 50n, 50n, 0);
    const f = observe(base, 40n, 60n, 1_000);
    assert.ok(f.netAllocationsPerHour < 0);
    assert.equal(f.daysToExhaustion, undefined);
  });

  it('composes: observing twice from the same stored state counts an allocation once', () => {
    const base = observe(undefined, 10n, 90n, 0);
    const once = observe(base, 13n, 87n, HOUR);
    const again = observe(base, 13n, 87n, HOUR);
    assert.deepEqual(once, again);
    // Decay composes: two quiet steps equal one.
    const stepped = observe(observe(once, 13n, 87n, 2 * HOUR), 13n, 87n, 3 * HOUR);
    const direct = observe(once, 13n, 87n, 3 * HOUR);
    assert.ok(Math.abs(stepped.netAllocationsPerHour - direct.netAllocationsPerHour) < 1e-4);
  });

  it('treats a clock that went backwards as no time passed', () => {
    const base = observe(observe(undefined, 0n, 10n, HOUR), 4n, 6n, HOUR);
    const back = observe(base, 4n, 6n, 0);
    assert.equal(back.netAllocationsPerHour, base.netAllocationsPerHour);
  });

  it('restarts from a baseline when the stored state is unreadable', () => {
    const broken = { netAllocationsPerHour: 3, observedAt: 'yesterday', observedUsed: 4 };
    assert.equal(observe(broken, 9n, 1n, 0).netAllocationsPerHour, 0);
  });

  it('fades to exactly zero and then stops asking for writes', () => {
    let f = observe(observe(undefined, 0n, 10n, 0), 1n, 9n, 0);
    let t = 0;
    let writes = 0;
    while (f.netAllocationsPerHour !== 0) {
      t += refreshIntervalMs(H);
      const next = observe(f, 1n, 9n, t);
      if (forecastDue(f, next, H)) {
        f = next;
        writes++;
      }
      assert.ok(writes < 1_000);
    }
    assert.equal(forecastRequeueMs(f, at(t), H), undefined);
    assert.equal(forecastDue(f, observe(f, 1n, 9n, t + 30 * HOUR), H), false);
    // One allocation fades below 0.001/h in log2(115.5) ≈ 6.9 half-lives: about 41 hourly writes.
    assert.ok(writes > 30 && writes < 50, String(writes));
  });

  const stored = fc.record({
    netAllocationsPerHour: fc.oneof(
      fc.double({ noNaN: false }),
      fc.constantFrom(0, Number.MAX_VALUE, -Number.MAX_VALUE),
    ),
    observedAt: fc
      .date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true })
      .map((d) => d.toISOString()),
    observedUsed: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
  });
  const input = fc.record({
    used: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    free: fc.bigInt({ min: 0n, max: (1n << 63n) - 1n }),
    now: fc.date({ min: new Date(2000, 0, 1), max: new Date(2100, 0, 1), noInvalidDate: true }),
    halfLifeMs: fc.integer({ min: 1_000, max: 30 * 24 * HOUR }),
  });

  it('never writes NaN or Infinity and stays bounded, whatever the stored state (property)', () => {
    fc.assert(
      fc.property(fc.option(stored, { nil: undefined }), input, (prev, i) => {
        const f = nextForecast(prev, i);
        assert.ok(Number.isFinite(f.netAllocationsPerHour));
        assert.ok(Math.abs(f.netAllocationsPerHour) <= MAX_RATE_PER_HOUR);
        if (f.daysToExhaustion !== undefined) {
          assert.ok(Number.isFinite(f.daysToExhaustion) && f.daysToExhaustion >= 0);
          assert.ok(f.netAllocationsPerHour > 0);
        } else {
          assert.ok(!(f.netAllocationsPerHour > 0), 'a positive rate always has a finite estimate');
        }
        assert.ok(!JSON.stringify(f, (_k, v: unknown) => (typeof v === 'bigint' ? 0 : v)).includes('null'));
      }),
    );
  });

  it('decays monotonically towards zero while nothing happens (property)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e6, max: 1e6, noNaN: true }),
        fc.integer({ min: 0, max: 10 * H }),
        fc.integer({ min: 0, max: 10 * H }),
        (rate, a, b) => {
          const prev: PoolForecast = {
            netAllocationsPerHour: rate,
            observedAt: t0.toISOString(),
            observedUsed: 7n,
          };
          const [early, late] = a <= b ? [a, b] : [b, a];
          const x = observe(prev, 7n, 100n, early).netAllocationsPerHour;
          const y = observe(prev, 7n, 100n, late).netAllocationsPerHour;
          assert.ok(Math.abs(y) <= Math.abs(x) + 1e-9, `${x} then ${y}`);
          assert.ok(Math.sign(y) === 0 || Math.sign(y) === Math.sign(rate));
        },
      ),
    );
  });
});

describe('decayFactor and daysToExhaustion', () => {
  it('halves per half-life and is 1 for no or negative time', () => {
    assert.equal(decayFactor(H, H), 0.5);
    assert.equal(decayFactor(0, H), 1);
    assert.equal(decayFactor(-5, H), 1);
  });

  it('is free / rate / 24 for a positive rate only', () => {
    assert.equal(daysToExhaustion(240n, 1), 10);
    assert.equal(daysToExhaustion(0n, 1), 0);
    assert.equal(daysToExhaustion(240n, 0), undefined);
    assert.equal(daysToExhaustion(240n, -2), undefined);
  });
});

describe('forecastDue and refresh', () => {
  it('writes at least hourly while the rate is not zero, and at once when used moved', () => {
    assert.equal(refreshIntervalMs(H), HOUR);
    assert.equal(refreshIntervalMs(60_000), 10_000);
    const f = observe(observe(undefined, 0n, 10n, 0), 2n, 8n, 0);
    assert.equal(forecastDue(f, observe(f, 2n, 8n, HOUR - 1), H), false);
    assert.equal(forecastDue(f, observe(f, 2n, 8n, HOUR), H), true);
    assert.equal(forecastDue(f, observe(f, 3n, 7n, 1), H), true);
    assert.equal(forecastDue(undefined, f, H), true);
    assert.equal(forecastRequeueMs(f, at(HOUR / 4), H), (3 * HOUR) / 4);
  });
});
