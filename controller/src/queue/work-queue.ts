/**
 * WorkQueue: a client-go-style rate-limiting, delaying work queue keyed by string.
 *
 * Guarantees (the same as client-go's workqueue, plus key groups):
 * - De-duplication: a key queued several times before a worker takes it is processed once.
 * - Dirty while processing: a key added while it is being processed is not handed to a second
 *   worker; it is queued again when the first worker calls {@link WorkQueue.done}.
 * - Per-key serialisation follows from the two rules above: never two workers on one key.
 * - Key groups (optional `groupOf`): at most `groupConcurrency` keys of one group are handed out
 *   at a time, in FIFO order, while keys of other groups run in parallel. The claim controller
 *   groups claims by pool so that claims of one pool are reconciled in arrival order (lowest
 *   address to the oldest claim, as upstream's single worker does) while pools run in parallel.
 * - After {@link WorkQueue.shutDown} nothing new is accepted or handed out; {@link WorkQueue.drain}
 *   additionally waits (bounded) for in-flight work to finish.
 */
import { defaultControllerRateLimiter, type RateLimiter } from '../util/backoff.js';
import { realClock, type Clock, type TimerHandle } from '../util/clock.js';

/**
 * QueueMetrics receives the queue's measurements; the metrics registry provides an
 * implementation, tests can pass their own. Durations are in seconds (Prometheus base unit).
 */
export interface QueueMetrics {
  /** The number of keys waiting to be handed out changed. */
  depth(n: number): void;
  /** A key was accepted by add() (counted even when de-duplicated, as client-go does). */
  add(): void;
  /** How long a key waited between being queued and being handed to a worker. */
  latency(seconds: number): void;
  /** How long a worker held a key (get → done). */
  workDuration(seconds: number): void;
  /** A key was re-queued through the rate limiter. */
  retry(): void;
}

/** Options of {@link WorkQueue}. */
export interface WorkQueueOptions {
  /** Name used in metrics and logs, e.g. the controller name. */
  readonly name?: string;
  readonly clock?: Clock;
  /** Defaults to controller-runtime's: per item 5 ms → 1000 s, overall 10 qps / burst 100. */
  readonly rateLimiter?: RateLimiter;
  readonly metrics?: QueueMetrics;
  /** The key's group (e.g. its pool), or undefined for an ungrouped key. Evaluated when queued. */
  readonly groupOf?: (key: string) => string | undefined;
  /** Keys of one group handed out at a time. Default 1. */
  readonly groupConcurrency?: number;
}

/** A tiny FIFO with O(1) push/shift (an array with a moving head, compacted now and then). */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;

  push(item: T): void {
    this.#items.push(item);
  }

  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }
}

export class WorkQueue {
  readonly name: string;
  readonly #clock: Clock;
  readonly #limiter: RateLimiter;
  readonly #metrics: QueueMetrics | undefined;
  readonly #groupOf: ((key: string) => string | undefined) | undefined;
  readonly #groupConcurrency: number;

  /** Keys ready to be handed out, FIFO. */
  readonly #ready = new Fifo<string>();
  /** Keys whose group is at capacity, FIFO per group. */
  readonly #parked = new Map<string, Fifo<string>>();
  /** Keys of a group that are ready or processing. */
  readonly #groupLoad = new Map<string, number>();
  /** Group of each key that is ready, parked or processing (fixed when it was queued). */
  readonly #groupOfKey = new Map<string, string>();
  /** Keys that need processing: queued, or re-added while processing. Value: time first queued. */
  readonly #dirty = new Map<string, number>();
  /** Keys held by a worker. Value: time handed out. */
  readonly #processing = new Map<string, number>();
  /** addAfter timers: key → earliest deadline. */
  readonly #waiting = new Map<string, { at: number; timer: TimerHandle }>();
  /** Workers blocked in get(). */
  #waiters: (() => void)[] = [];
  /** Resolvers of drain() waiting for processing to empty. */
  #idleWaiters: (() => void)[] = [];
  #shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.name = options.name ?? 'queue';
    this.#clock = options.clock ?? realClock;
    this.#limiter = options.rateLimiter ?? defaultControllerRateLimiter(this.#clock);
    this.#metrics = options.metrics;
    this.#groupOf = options.groupOf;
    this.#groupConcurrency = Math.max(1, options.groupConcurrency ?? 1);
  }

  /** Queues `key` for processing now. No-op after shutDown. */
  add(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.add();
    if (this.#dirty.has(key)) return; // already queued (or re-queued while processing)
    this.#dirty.set(key, this.#clock.now());
    if (this.#processing.has(key)) return; // done() queues it again
    this.#enqueue(key);
  }

  /**
   * Queues `key` after `ms` milliseconds. Several pending delays for one key keep the earliest
   * deadline (client-go semantics), so a later, longer requeue-after never postpones a retry.
   */
  addAfter(key: string, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const existing = this.#waiting.get(key);
    if (existing !== undefined) {
      if (existing.at <= at) return;
      this.#clock.clearTimeout(existing.timer);
    }
    const timer = this.#clock.setTimeout(() => {
      this.#waiting.delete(key);
      this.add(key);
    }, ms);
    this.#waiting.set(key, { at, timer });
  }

  /** Queues `key` after the rate limiter's delay (per-item exponential, overall bucket). */
  addRateLimited(key: string): void {
    if (this.#shuttingDown) return;
    this.#metrics?.retry();
    this.addAfter(key, this.#limiter.when(key));
  }

  /** Clears `key`'s retry history; call after it was processed successfully. */
  forget(key: string): void {
    this.#limiter.forget(key);
  }

  /** Rate-limited retries of `key` since the last forget. */
  numRequeues(key: string): number {
    return this.#limiter.numRequeues(key);
  }

  /**
   * Waits for the next key and marks it processing; the caller must call {@link done} with it.
   * Resolves undefined once the queue is shut down.
   */
  async get(): Promise<string | undefined> {
    for (;;) {
      if (this.#shuttingDown) return undefined;
      const key = this.#ready.shift();
      if (key !== undefined) {
        const queuedAt = this.#dirty.get(key) ?? this.#clock.now();
        this.#dirty.delete(key);
        const now = this.#clock.now();
        this.#processing.set(key, now);
        this.#metrics?.latency((now - queuedAt) / 1000);
        this.#metrics?.depth(this.len);
        return key;
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  /** Ends processing of `key`: frees its group slot and re-queues it if it was added meanwhile. */
  done(key: string): void {
    const started = this.#processing.get(key);
    if (started === undefined) return;
    this.#processing.delete(key);
    this.#metrics?.workDuration((this.#clock.now() - started) / 1000);
    this.#releaseGroupSlot(key);
    if (this.#dirty.has(key) && !this.#shuttingDown) this.#enqueue(key);
    if (this.#processing.size === 0) {
      const idle = this.#idleWaiters;
      this.#idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Keys waiting to be handed out (ready and parked; not delayed, not processing). */
  get len(): number {
    let parked = 0;
    for (const q of this.#parked.values()) parked += q.length;
    return this.#ready.length + parked;
  }

  /** Keys a get() would hand out right now (not parked behind a busy group). */
  get ready(): number {
    return this.#ready.length;
  }

  /** Keys currently held by workers. */
  get processing(): number {
    return this.#processing.size;
  }

  /** Keys waiting for an addAfter/addRateLimited deadline. */
  get delayed(): number {
    return this.#waiting.size;
  }

  get shuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops the queue: adds are ignored, pending delays are cancelled, blocked get() calls resolve
   * undefined and queued keys are dropped (a new leader or the next start re-lists everything,
   * reconcile being level-triggered). In-flight keys may still call done().
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    for (const { timer } of this.#waiting.values()) this.#clock.clearTimeout(timer);
    this.#waiting.clear();
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
    this.#metrics?.depth(0);
  }

  /**
   * Shuts down and waits until in-flight keys are done or `deadlineMs` passes. Resolves true when
   * everything finished in time, false when the deadline cut it short.
   */
  async drain(deadlineMs: number): Promise<boolean> {
    this.shutDown();
    if (this.#processing.size === 0) return true;
    let timer: TimerHandle | undefined;
    const idle = new Promise<boolean>((resolve) => {
      this.#idleWaiters.push(() => {
        resolve(true);
      });
    });
    const deadline = new Promise<boolean>((resolve) => {
      timer = this.#clock.setTimeout(() => {
        resolve(false);
      }, deadlineMs);
    });
    const result = await Promise.race([idle, deadline]);
    if (timer !== undefined) this.#clock.clearTimeout(timer);
    return result;
  }

  /** Puts a dirty, not-processing key into the ready FIFO or, if its group is busy, parks it. */
  #enqueue(key: string): void {
    const group = this.#groupOf?.(key);
    if (group === undefined) {
      this.#ready.push(key);
    } else {
      this.#groupOfKey.set(key, group);
      const load = this.#groupLoad.get(group) ?? 0;
      if (load < this.#groupConcurrency) {
        this.#groupLoad.set(group, load + 1);
        this.#ready.push(key);
      } else {
        let parked = this.#parked.get(group);
        if (parked === undefined) {
          parked = new Fifo<string>();
          this.#parked.set(group, parked);
        }
        parked.push(key);
      }
    }
    this.#metrics?.depth(this.len);
    this.#wakeOne();
  }

  /** A grouped key finished: its slot passes to the group's oldest parked key. */
  #releaseGroupSlot(key: string): void {
    const group = this.#groupOfKey.get(key);
    if (group === undefined) return;
    this.#groupOfKey.delete(key);
    const parked = this.#parked.get(group);
    const next = parked?.shift();
    if (next !== undefined) {
      if (parked?.length === 0) this.#parked.delete(group);
      this.#ready.push(next); // the slot is handed over, the load stays the same
      this.#wakeOne();
      return;
    }
    const load = (this.#groupLoad.get(group) ?? 1) - 1;
    if (load <= 0) this.#groupLoad.delete(group);
    else this.#groupLoad.set(group, load);
  }

  #wakeOne(): void {
    this.#waiters.shift()?.();
  }
}
