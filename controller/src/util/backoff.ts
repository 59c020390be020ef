/**
 * Retry delays, the client-go way: a per-item exponential limiter, an overall token bucket, and
 * the max of the two (controller-runtime's default controller rate limiter). The plain exponential
 * backoff with jitter for reconnect loops is packages/kube's `Backoff`.
 */
import { realClock, type Clock } from './clock.js';

/** RateLimiter decides how long an item waits before its next retry. */
export interface RateLimiter {
  /** Delay in ms for the next retry of `key`; records the retry. */
  when(key: string): number;
  /** Forgets `key`'s history (call after a success). */
  forget(key: string): void;
  /** Retries recorded for `key` since the last forget. */
  numRequeues(key: string): number;
}

/** ItemExponentialRateLimiter: base·2^failures per key, capped (client-go ItemExponentialFailureRateLimiter). */
export class ItemExponentialRateLimiter implements RateLimiter {
  readonly #failures = new Map<string, number>();

  constructor(
    readonly baseMs = 5,
    readonly maxMs = 1_000_000,
  ) {}

  when(key: string): number {
    const n = this.#failures.get(key) ?? 0;
    this.#failures.set(key, n + 1);
    // 2^n overflows to Infinity long after the cap is reached, so min() stays correct.
    return Math.min(this.maxMs, this.baseMs * 2 ** n);
  }

  forget(key: string): void {
    this.#failures.delete(key);
  }

  numRequeues(key: string): number {
    return this.#failures.get(key) ?? 0;
  }
}

/**
 * TokenBucketRateLimiter: an overall `qps` with `burst` (client-go BucketRateLimiter over
 * x/time/rate). Reservations may drive the bucket negative; the delay is the time until the
 * reservation's token exists, so a burst of failures is spread out instead of retried at once.
 */
export class TokenBucketRateLimiter implements RateLimiter {
  #tokens: number;
  #last: number;

  constructor(
    readonly qps = 10,
    readonly burst = 100,
    private readonly clock: Clock = realClock,
  ) {
    this.#tokens = burst;
    this.#last = clock.now();
  }

  when(_key: string): number {
    const now = this.clock.now();
    this.#tokens = Math.min(this.burst, this.#tokens + ((now - this.#last) / 1000) * this.qps);
    this.#last = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens / this.qps) * 1000;
  }

  forget(_key: string): void {
    // The bucket is shared; there is no per-item state to forget.
  }

  numRequeues(_key: string): number {
    return 0;
  }
}

/** MaxOfRateLimiter: the longest delay of its limiters (client-go MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  readonly #limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    this.#limiters = limiters;
  }

  when(key: string): number {
    // Every limiter must record the retry, so no short-circuit.
    return this.#limiters.reduce((max, l) => Math.max(max, l.when(key)), 0);
  }

  forget(key: string): void {
    for (const l of this.#limiters) l.forget(key);
  }

  numRequeues(key: string): number {
    return this.#limiters.reduce((max, l) => Math.max(max, l.numRequeues(key)), 0);
  }
}

/** defaultControllerRateLimiter: controller-runtime's default, 5 ms → 1000 s per item, 10 qps / burst 100 overall. */
export function defaultControllerRateLimiter(clock: Clock = realClock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(5, 1_000_000),
    new TokenBucketRateLimiter(10, 100, clock),
  );
}
