// Lets the event loop turn while the workers run reconciles that need no I/O.
//
// A reconcile with nothing to write (a claim that already has its address) resolves at once, and
// the worker loops chain such runs as microtasks: the event loop does not turn until the queue is
// empty. A new leader's first pass over 20 000 claims held it for ~0.4 s, and with it /healthz,
// /readyz, the webhooks and the watches. After a slice of SLICE_MS the loops wait for one turn
// (setImmediate: after the I/O that is ready), all of them on the same promise.

/** Longest run of reconciles before the event loop gets a turn. */
const SLICE_MS = 10;

let sliceStarted = performance.now();
let turn: Promise<void> | undefined;

/** A promise to await before the next key when the slice is used up; undefined otherwise. */
export function ioTurnDue(): Promise<void> | undefined {
  if (turn !== undefined) return turn;
  if (performance.now() - sliceStarted < SLICE_MS) return undefined;
  turn = new Promise((resolve) => {
    setImmediate(() => {
      turn = undefined;
      sliceStarted = performance.now();
      resolve();
    });
  });
  return turn;
}
