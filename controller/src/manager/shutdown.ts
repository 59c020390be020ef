// Shutdown, in one place and in this order: stop intake and drain in-flight reconciles (bounded),
// flush the allocation fence, step down, release the Lease (a graceful stop only: the standby
// takes over at once instead of waiting for the lease to expire), flush Events, stop the caches.
import type { WorkQueue } from '../queue/work-queue.js';
import type { Logger } from '../reconcilers/types.js';

export interface ShutdownParts {
  reason: 'stopped' | 'leadership-lost';
  log: Logger;
  queues: readonly WorkQueue[];
  timeoutMs: number;
  /** The workers' loops, if they run. */
  workers: Promise<void> | undefined;
  flushFence: () => Promise<void>;
  /** No longer leading (metrics, isLeader). */
  stepDown: () => void;
  releaseLease: () => Promise<void>;
  flushEvents: () => Promise<void>;
  stopCaches: () => Promise<void>;
}

export async function shutDown(p: ShutdownParts): Promise<void> {
  p.log.info('stopping', { reason: p.reason });
  const drained = await Promise.all(p.queues.map((q) => q.drain(p.timeoutMs)));
  if (!drained.every(Boolean)) p.log.warn('shutdown deadline reached with reconciles in flight');
  await p.workers;
  await p.flushFence();
  p.stepDown();
  if (p.reason === 'stopped') await p.releaseLease();
  await p.flushEvents();
  await p.stopCaches();
  p.log.info('stopped');
}
