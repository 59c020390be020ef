import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KeyedMutex } from './async-mutex.js';

describe('KeyedMutex', () => {
  it('serialises one key in FIFO order and lets other keys through', async () => {
    const m = new KeyedMutex();
    const log: string[] = [];
    const task = (key: string, name: string, ticks: number) =>
      m.runExclusive(key, async () => {
        log.push(`${name}+`);
        for (let i = 0; i < ticks; i++) await Promise.resolve();
        log.push(`${name}-`);
      });
    await Promise.all([task('p', 'a', 5), task('p', 'b', 1), task('q', 'c', 1)]);
    assert.ok(log.indexOf('a-') < log.indexOf('b+'), 'b waits for a');
    assert.ok(log.indexOf('c-') < log.indexOf('a-'), 'c does not wait for a');
    assert.equal(m.size, 0, 'entries are dropped when idle');
  });

  it('releases on throw and release is idempotent', async () => {
    const m = new KeyedMutex();
    await assert.rejects(m.runExclusive('k', () => Promise.reject(new Error('x'))));
    assert.equal(m.isLocked('k'), false);
    const release = await m.lock('k');
    release();
    release();
    const again = await m.lock('k');
    again();
    assert.equal(m.size, 0);
  });
});
