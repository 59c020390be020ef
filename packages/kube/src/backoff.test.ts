import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from './backoff.js';
import { formatMicroTime, parseMicroTime } from './microtime.js';
import { TokenBucket } from './rate-limit.js';

describe('Backoff', () => {
  it('doubles from 1 s and caps at 30 s; reset starts over', () => {
    const b = new Backoff({ random: () => 0 });
    assert.deepEqual(
      Array.from({ length: 7 }, () => b.next()),
      [1000, 2000, 4000, 8000, 16000, 30000, 30000],
    );
    assert.equal(b.attempts, 7);
    b.reset();
    assert.equal(b.next(), 1000);
  });

  it('adds bounded jitter and never exceeds the cap', () => {
    const b = new Backoff({ random: () => 1, jitter: 0.2 });
    assert.equal(b.next(), 1200);
    for (let i = 0; i < 10; i++) assert.ok(b.next() <= 30_000);
  });
});

describe('MicroTime', () => {
  it('has exactly six fractional digits in UTC', () => {
    assert.equal(formatMicroTime(new Date(Date.UTC(2026, 0, 2, 3, 4, 5, 67))), '2026-01-02T03:04:05.067000Z');
    assert.match(formatMicroTime(new Date()), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  });

  it('parses what it writes and what the server writes', () => {
    assert.equal(parseMicroTime('2026-01-02T03:04:05.067000Z')?.getTime(), Date.UTC(2026, 0, 2, 3, 4, 5, 67));
    assert.equal(parseMicroTime('2026-01-02T03:04:05Z')?.getTime(), Date.UTC(2026, 0, 2, 3, 4, 5));
    assert.equal(parseMicroTime('garbage'), undefined);
    assert.equal(parseMicroTime(undefined), undefined);
  });
});

describe('TokenBucket', () => {
  it('allows a burst, then refills at the rate', () => {
    const bucket = new TokenBucket(2, 1, 0);
    assert.equal(bucket.take(0), true);
    assert.equal(bucket.take(0), true);
    assert.equal(bucket.take(0), false);
    assert.equal(bucket.take(500), false);
    assert.equal(bucket.take(1000), true);
    assert.equal(bucket.take(100_000), true);
    assert.equal(bucket.take(100_000), true);
    assert.equal(bucket.take(100_000), false);
  });
});
