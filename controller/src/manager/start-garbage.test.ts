import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { collectStartGarbage } from './start-garbage.js';

const global = globalThis as { gc?: unknown };
const exposed = global.gc;

describe('collectStartGarbage', () => {
  afterEach(() => {
    global.gc = exposed;
  });

  it('collects once where gc is exposed, and says how long it took and what the heap holds', () => {
    let calls = 0;
    global.gc = () => {
      calls++;
    };
    const collected = collectStartGarbage();
    assert.equal(calls, 1);
    assert.ok(collected !== undefined && collected.ms >= 0 && collected.heapUsedMiB > 0);
  });

  it('does nothing without --expose-gc (in-process managers)', () => {
    global.gc = undefined;
    assert.equal(collectStartGarbage(), undefined);
  });
});
