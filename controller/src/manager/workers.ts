// The controllers' workers (controller-runtime's Controller.Start): each queue served by its
// reconciler, every run counted, every failure logged once. After a takeover the first pass over
// the claims is timed and logged ('first pass done'): where a new leader's time goes (the chaos
// test reads it, docs/adr/0022).
import type { WorkQueue } from '../queue/work-queue.js';
import { runWorkers, type HandlerResult, type RunOutcome } from '../queue/workers.js';
import type { ControllerMetrics } from '../metrics/registry.js';
import type { Logger } from '../reconcilers/types.js';

interface Controller {
  name: string;
  queue: WorkQueue;
  workers: number;
  reconcile: (key: string) => Promise<HandlerResult | undefined>;
}

/** How often the first pass checks whether the claim queue is idle. */
const IDLE_POLL_MS = 100;

export function startWorkers(
  controllers: readonly Controller[],
  log: Logger,
  metrics: ControllerMetrics,
): Promise<void> {
  const started = performance.now();
  const counts = { runs: 0, errors: 0, requeues: 0 };
  const running = controllers.map((c) =>
    runWorkers(c.queue, c.workers, c.reconcile, {
      onError: (key: string, error: unknown, retry: boolean) => {
        log.error('reconcile failed', { controller: c.name, key, retry, error });
      },
      onResult: (_key: string, outcome: RunOutcome, seconds: number) => {
        metrics.reconcile(c.name, outcome, seconds);
        if (c !== controllers[0]) return;
        counts.runs++;
        if (outcome === 'error') counts.errors++;
        else if (outcome === 'requeue_after') counts.requeues++;
      },
    }),
  );
  // The first controller's queue (the claims): idle = nothing ready, parked or in flight. Keys
  // waiting on time (a retry's backoff, a requeue-after) are counted, not waited for: some wait
  // for ever (a claim of an exhausted pool).
  const first = controllers[0]?.queue;
  if (first !== undefined) {
    const timer = setInterval(() => {
      if (first.shuttingDown) {
        clearInterval(timer);
        return;
      }
      if (first.len + first.processing > 0) return;
      clearInterval(timer);
      log.info('first pass done', {
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
        reconciles: counts.runs,
        failed: counts.errors,
        requeued: counts.requeues,
        delayed: first.delayed,
      });
    }, IDLE_POLL_MS);
    timer.unref();
  }
  return Promise.all(running).then(() => undefined);
}
