import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ItemExponentialRateLimiter,
  TokenBucketRateLimiter,
  defaultControllerRateLimiter,
} from './backoff.js';
import { FakeClock } from './clock.js';

describe('rate limiters', () => {
  it('item exponential: 5 ms doubling, capped at 1000 s, per key', () => {
    const l = new ItemExponentialRateLimiter(5, 1_000_000);
    assert.deepEqual([l.when('a'), l.when('a'), l.when('a'), l.when('b')], [5, 10, 20, 5]);
    for (let i = 0; i < 100; i++) l.when('a');
    assert.equal(l.when('a'), 1_000_000);
    l.forget('a');
    assert.equal(l.when('a'), 5);
  });

  it('token bucket: burst passes at once, then qps spacing; refills over time', () => {
    const clock = new FakeClock();
    const l = new TokenBucketRateLimiter(10, 100, clock);
    for (let i = 0; i < 100; i++) assert.equal(l.when(`k${String(i)}`), 0);
    assert.equal(Math.round(l.when('x')), 100);
    assert.equal(Math.round(l.when('y')), 200);
    clock.advance(10_000);
    assert.equal(l.when('z'), 0);
  });

  it('default: the max of both', () => {
    const clock = new FakeClock();
    const l = defaultControllerRateLimiter(clock);
    assert.equal(l.when('a'), 5);
    assert.equal(l.when('a'), 10);
    assert.equal(l.numRequeues('a'), 2);
    l.forget('a');
    assert.equal(l.numRequeues('a'), 0);
  });
});
