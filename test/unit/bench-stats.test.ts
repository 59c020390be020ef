import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mebibytes, percentile } from '../bench/stats.js';

describe('bench percentile (nearest rank)', () => {
  it('picks the rank ceil(p/100 * n) of an ascending list', () => {
    const sorted = [145.4, 146.0, 150.2, 156.6, 170.2];
    assert.equal(percentile(sorted, 50), 150.2);
    assert.equal(percentile(sorted, 100), 170.2);
    assert.equal(percentile(sorted, 0), 145.4);
    assert.equal(percentile([1, 2, 3, 4], 50), 2);
    assert.equal(percentile([1, 2, 3, 4], 99), 4);
  });

  it('gives 0 for no values', () => {
    assert.equal(percentile([], 50), 0);
  });

  it('prints bytes as MiB with one decimal', () => {
    assert.equal(mebibytes(150 * 1024 * 1024), 150);
    assert.equal(mebibytes(162_000_000), 154.5);
    assert.equal(mebibytes(0), 0);
  });
});
