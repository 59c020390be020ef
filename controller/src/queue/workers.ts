/**
 * Worker loop on top of {@link WorkQueue}, with controller-runtime's result semantics:
 * - handler resolves with nothing → success: forget the key's retry history;
 * - resolves `{ requeueAfter }` → forget, then queue again after that delay ("waiting on time");
 * - throws {@link TerminalError} → forget, report, no retry (a permanent problem; a later event
 *   of a watched object brings the key back);
 * - throws anything else → report, retry with rate-limited backoff.
 * Errors are reported once, here, through `onError` (house style: logged once, by the queue).
 */
import { ioTurnDue } from './io-turns.js';
import type { WorkQueue } from './work-queue.js';

/** What a handler may ask for after a successful run. */
export interface HandlerResult {
  /** Process the key again after this many milliseconds (> 0). */
  readonly requeueAfter?: number;
}

/** A key handler (a reconciler bound to its controller). */
export type KeyHandler = (key: string) => Promise<HandlerResult | undefined>;

/** TerminalError marks a failure retrying cannot fix (controller-runtime reconcile.TerminalError). */
export class TerminalError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'TerminalError';
  }
}

/** How one run ended, for metrics (reconcile totals by result). */
export type RunOutcome = 'success' | 'requeue_after' | 'error' | 'terminal_error';

/** Hooks of {@link runWorkers}. */
export interface WorkerHooks {
  /** Called once per failed run with the key, the error and whether it will be retried. */
  readonly onError?: (key: string, error: unknown, retry: boolean) => void;
  /** Called after every run with its outcome and duration in seconds. */
  readonly onResult?: (key: string, outcome: RunOutcome, seconds: number) => void;
  /** Time source for durations in ms; defaults to performance.now. */
  readonly now?: () => number;
}

/** Processes one key with the result semantics above; always calls queue.done. */
export async function processKey(
  queue: WorkQueue,
  key: string,
  handler: KeyHandler,
  hooks: WorkerHooks = {},
): Promise<RunOutcome> {
  const now = hooks.now ?? (() => performance.now());
  const started = now();
  let outcome: RunOutcome;
  try {
    const result = await handler(key);
    queue.forget(key);
    const after = result?.requeueAfter;
    if (after !== undefined && after > 0) {
      queue.addAfter(key, after);
      outcome = 'requeue_after';
    } else {
      outcome = 'success';
    }
  } catch (error: unknown) {
    if (error instanceof TerminalError) {
      queue.forget(key);
      outcome = 'terminal_error';
      hooks.onError?.(key, error, false);
    } else {
      queue.addRateLimited(key);
      outcome = 'error';
      hooks.onError?.(key, error, true);
    }
  } finally {
    queue.done(key);
  }
  hooks.onResult?.(key, outcome, (now() - started) / 1000);
  return outcome;
}

/**
 * Starts `workers` loops taking keys from `queue` until it shuts down. Resolves when every loop
 * has returned, i.e. after shutDown and after each loop's in-flight key is done.
 */
export async function runWorkers(
  queue: WorkQueue,
  workers: number,
  handler: KeyHandler,
  hooks: WorkerHooks = {},
): Promise<void> {
  const loop = async (): Promise<void> => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      await processKey(queue, key, handler, hooks);
      const turn = ioTurnDue();
      if (turn !== undefined) await turn;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, workers) }, loop));
}
