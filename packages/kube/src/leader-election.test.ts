import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sameLeaseRecord, validateLeaderElectionTimings } from './leader-election.js';

describe('leader election rules', () => {
  it('accepts the controller-runtime defaults and rejects unsafe timings', () => {
    validateLeaderElectionTimings(15_000, 10_000, 2_000);
    assert.throws(() => {
      validateLeaderElectionTimings(10_000, 10_000, 2_000);
    }, /leaseDuration must be greater/);
    assert.throws(() => {
      validateLeaderElectionTimings(15_000, 2_400, 2_000);
    }, /retryPeriod\*1.2/);
  });

  it('compares lease records field by field', () => {
    const a = {
      holderIdentity: 'a',
      renewTime: '2026-01-01T00:00:00.000000Z',
      leaseTransitions: 1,
      leaseDurationSeconds: 15,
    };
    assert.ok(sameLeaseRecord(a, { ...a }));
    assert.ok(!sameLeaseRecord(a, { ...a, renewTime: '2026-01-01T00:00:02.000000Z' }));
    assert.ok(!sameLeaseRecord(a, { ...a, holderIdentity: '' }));
    assert.ok(!sameLeaseRecord(a, undefined));
  });
});
