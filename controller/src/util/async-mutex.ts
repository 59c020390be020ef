/**
 * KeyedMutex: one FIFO lock per key. Holders of different keys never wait for each other;
 * holders of one key run one at a time in arrival order. Entries are dropped when the last
 * holder of a key releases, so the map stays as small as the set of busy keys.
 */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<void>>();

  /** Waits for the lock on `key` and returns its release function (idempotent). */
  async lock(key: string): Promise<() => void> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let unlock!: () => void;
    const mine = new Promise<void>((resolve) => {
      unlock = resolve;
    });
    const tail = previous.then(() => mine);
    this.#tails.set(key, tail);
    await previous;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      unlock();
      // Only the last waiter's tail is in the map; anyone queued behind us replaced it.
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    };
  }

  /** Runs `fn` while holding the lock on `key`; the lock is released even if `fn` throws. */
  async runExclusive<T>(key: string, fn: () => T | Promise<T>): Promise<T> {
    const release = await this.lock(key);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Whether someone holds or waits for `key`. */
  isLocked(key: string): boolean {
    return this.#tails.has(key);
  }

  /** Number of keys currently held or waited for. */
  get size(): number {
    return this.#tails.size;
  }
}
