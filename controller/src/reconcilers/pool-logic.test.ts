import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_STATUS_COUNT } from '@ipam-in-cluster/api';
import { poolConditions, sameCounts, statusCounts, utilisationAtLeast } from './pool-logic.js';

const counts = (total: bigint, free: bigint, used = total - free, outOfRange = 0n) => ({
  total,
  used,
  allocated: total - free,
  free,
  outOfRange,
});

describe('statusCounts', () => {
  it('caps every count at 2^63-1 exactly', () => {
    const huge = 1n << 72n;
    assert.deepEqual(statusCounts(counts(huge, huge - 1n, 1n)), {
      total: MAX_STATUS_COUNT,
      used: 1n,
      free: MAX_STATUS_COUNT,
      outOfRange: 0n,
    });
  });

  it('compares with numbers or bigints from the wire', () => {
    assert.equal(
      sameCounts(
        { total: 4, used: 1, free: 3, outOfRange: 0 },
        { total: 4n, used: 1n, free: 3n, outOfRange: 0n },
      ),
      true,
    );
    assert.equal(
      sameCounts(
        { total: MAX_STATUS_COUNT, used: 0, free: MAX_STATUS_COUNT, outOfRange: 0 },
        statusCounts(counts(1n << 70n, 1n << 70n, 0n)),
      ),
      true,
    );
    assert.equal(sameCounts(undefined, statusCounts(counts(1n, 1n, 0n))), false);
  });
});

describe('utilisationAtLeast', () => {
  it('uses in-range allocations against total, exactly', () => {
    assert.equal(utilisationAtLeast(counts(10n, 2n), 80), true);
    assert.equal(utilisationAtLeast(counts(10n, 3n), 80), false);
    assert.equal(utilisationAtLeast(counts(0n, 0n), 80), false);
    assert.equal(utilisationAtLeast(counts(1n << 100n, 1n), 100), false);
  });
});

describe('poolConditions', () => {
  const base = {
    deleting: false,
    references: 0,
    invalidAddresses: [],
    thresholdPercent: 90,
    unit: 'address' as const,
    generation: 3,
  };
  it('Ready/Exhausted/HighUtilization for a valid pool', () => {
    const c = poolConditions({ ...base, specError: undefined, counts: counts(5n, 0n) });
    assert.deepEqual(
      c.map((x) => [x.type, x.status, x.reason, x.observedGeneration]),
      [
        ['Ready', 'True', 'Valid', 3],
        ['Exhausted', 'True', 'NoFreeAddresses', 3],
        ['HighUtilization', 'True', 'AboveThreshold', 3],
      ],
    );
  });

  it('InvalidSpec, Deleting, and unparsable IPAddresses in the Ready message', () => {
    assert.equal(poolConditions({ ...base, specError: 'bad', counts: undefined })[0]?.reason, 'InvalidSpec');
    assert.equal(
      poolConditions({ ...base, specError: undefined, deleting: true, references: 2, counts: undefined })[0]
        ?.reason,
      'Deleting',
    );
    const ready = poolConditions({
      ...base,
      specError: undefined,
      counts: counts(5n, 5n),
      invalidAddresses: ['ns/x'],
    })[0];
    assert.match(ready?.message ?? '', /ns\/x/);
  });
});
