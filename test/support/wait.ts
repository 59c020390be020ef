// Polling instead of sleeping: tests wait for an observable outcome, with a deadline.
export interface WaitOptions {
  timeoutMs?: number;
  intervalMs?: number;
  /** What we are waiting for, for the failure message. */
  what: string;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, opts: WaitOptions): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 20_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) {
      const cause = lastError instanceof Error ? `; last error: ${lastError.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${opts.what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/** Asserts that `probe` stays false for `durationMs` (for "nothing happens" checks). */
export async function staysFalse(
  probe: () => Promise<boolean>,
  durationMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + durationMs;
  while (Date.now() < deadline) {
    if (await probe()) throw new Error(`expected ${what} not to happen, but it did`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
