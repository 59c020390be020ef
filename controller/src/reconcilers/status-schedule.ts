// When a pool's status write is due after its IPAddresses (or reservations) changed: `delayMs` after
// the first change that follows a quiet spell, so a lone allocation shows in the pool's counts within
// half a second; while changes keep coming, at most once every `intervalMs`. A pool write costs the
// API server about as much as a claim's status write (docs/performance.md, "Issue 17, session 15"),
// and in a burst every write of the pool's status is soon outdated by the next.
export interface StatusScheduleOptions {
  /** Wait after the first change of a quiet spell (batches the changes that come with it). */
  delayMs: number;
  /** Shortest time between two scheduled writes of one pool's status. */
  intervalMs: number;
  /** Queues `key` to be processed in `ms` (the pool work queue's addAfter). */
  schedule(key: string, ms: number): void;
  /** Monotonic milliseconds (default performance.now). */
  now?: () => number;
}

export class StatusSchedule {
  readonly #o: StatusScheduleOptions;
  readonly #now: () => number;
  /** Per pool key: when its last scheduled write was due. */
  readonly #due = new Map<string, number>();

  constructor(options: StatusScheduleOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The status of the pool `key` is out of date: schedule its write unless one is coming. */
  due(key: string): void {
    const now = this.#now();
    const last = this.#due.get(key);
    if (last !== undefined && last > now) return; // a write is already scheduled: it sees this change
    const at = Math.max(now + this.#o.delayMs, last === undefined ? 0 : last + this.#o.intervalMs);
    this.#due.set(key, at);
    this.#o.schedule(key, at - now);
  }

  /** The pool is gone. */
  forget(key: string): void {
    this.#due.delete(key);
  }
}
