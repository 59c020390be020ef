// One full garbage collection once every cache has listed (ADR 0036).
//
// The initial lists make most of a start's garbage, and it ends up in the old generation. V8 lets
// the old generation grow to ~1.3× what its last mark-compact found live, and keeps those pages.
// Where that last mark-compact fell during the lists and the first pass decided the start's peak:
// 111–135 MB with 20 000 addresses on one plane. Collected here, the heap starts the first pass
// at its live size: 109–118 MB over the same starts. The collection runs once, takes ~20–40 ms at
// that size, and only where `gc` is exposed (--expose-gc, node-flags.ts). In-process managers (the
// tests) have no `gc` and skip it. The heap figure comes from V8, not process.memoryUsage(): that one
// reads /proc, and a logged figure must not fail a start where /proc is missing (a pod has it; the
// image test's chroot does not).
import { getHeapStatistics } from 'node:v8';

export interface StartGarbageCollected {
  /** How long the collection took. */
  ms: number;
  /** V8 heap in use after it, MiB. */
  heapUsedMiB: number;
}

export function collectStartGarbage(): StartGarbageCollected | undefined {
  const gc: unknown = (globalThis as { gc?: unknown }).gc;
  if (typeof gc !== 'function') return undefined;
  const started = performance.now();
  (gc as () => void)();
  return {
    ms: Number((performance.now() - started).toFixed(1)),
    heapUsedMiB: Number((getHeapStatistics().used_heap_size / 1048576).toFixed(1)),
  };
}
