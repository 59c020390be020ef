import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ClaimEventReason,
  ClaimReadyReason,
  conditionTime,
  ConditionType,
  DuplicateAddressesReason,
  ExhaustedReason,
  findCondition,
  HighUtilizationReason,
  PausedReason,
  PoolEventReason,
  PoolReadyReason,
  setCondition,
} from './conditions.js';
import { loadCrd } from './crds.js';

const t0 = '2026-01-01T00:00:00Z';
const t1 = '2026-01-01T00:01:00Z';

describe('conditions', () => {
  it('uses the contract reason strings for the claim Ready condition', () => {
    assert.equal(ConditionType.Ready, 'Ready');
    assert.equal(ClaimReadyReason.AllocationFailed, 'AllocationFailed');
    assert.equal(ClaimReadyReason.PoolExhausted, 'PoolExhausted');
    assert.equal(ClaimReadyReason.PoolNotReady, 'PoolNotReady');
  });

  it('keeps the wire values the controller has always written', () => {
    assert.equal(ClaimReadyReason.ClusterNotFound, 'ClusterNotFound');
    assert.equal(ClaimReadyReason.PoolNotFound, 'PoolNotFound');
    assert.equal(PoolEventReason.PoolExhausted, 'PoolExhausted');
    assert.equal(PoolEventReason.HighUtilization, 'HighUtilization');
    assert.equal(PoolEventReason.InvalidIPAddress, 'InvalidIPAddress');
    assert.equal(ClaimEventReason.AddressAllocated, 'AddressAllocated');
    assert.equal(ClaimEventReason.AddressReleased, 'AddressReleased');
  });

  it('has only reasons the metav1 Condition schema accepts', () => {
    const version = loadCrd('InClusterIPPool').spec.versions[0];
    const pattern =
      version?.schema.openAPIV3Schema.properties?.status?.properties?.conditions?.items?.properties?.reason
        ?.pattern;
    assert.ok(pattern);
    const re = new RegExp(pattern);
    for (const set of [
      ClaimReadyReason,
      PausedReason,
      PoolReadyReason,
      ExhaustedReason,
      HighUtilizationReason,
      DuplicateAddressesReason,
    ]) {
      for (const reason of Object.values(set)) assert.match(reason, re);
    }
  });

  it('appends a new condition with the current time', () => {
    const list = setCondition(
      undefined,
      { type: 'Ready', status: 'True', reason: 'Allocated', message: '' },
      t0,
    );
    assert.deepEqual(list, [
      { type: 'Ready', status: 'True', reason: 'Allocated', message: '', lastTransitionTime: t0 },
    ]);
  });

  it('keeps the transition time when the status does not change', () => {
    const first = setCondition(
      [],
      { type: 'Ready', status: 'False', reason: 'PoolNotFound', message: 'a' },
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'False', reason: 'PoolExhausted', message: 'b' },
      t1,
    );
    assert.equal(findCondition(second, 'Ready')?.lastTransitionTime, t0);
    assert.equal(findCondition(second, 'Ready')?.reason, 'PoolExhausted');
  });

  it('moves the transition time when the status changes, leaving other conditions alone', () => {
    const paused = {
      type: 'Paused',
      status: 'False' as const,
      reason: 'NotPaused',
      message: '',
      lastTransitionTime: t0,
    };
    const first = setCondition(
      [paused],
      { type: 'Ready', status: 'False', reason: 'PoolNotFound', message: '' },
      t0,
    );
    const second = setCondition(
      first,
      { type: 'Ready', status: 'True', reason: 'Allocated', message: '', observedGeneration: 2 },
      t1,
    );
    assert.deepEqual(second, [
      paused,
      {
        type: 'Ready',
        status: 'True',
        reason: 'Allocated',
        message: '',
        lastTransitionTime: t1,
        observedGeneration: 2,
      },
    ]);
    assert.equal(first.length, 2, 'input list is not mutated');
    assert.equal(first[1]?.status, 'False');
  });

  it('formats times like metav1.Time', () => {
    assert.equal(conditionTime(new Date('2026-03-04T05:06:07.891Z')), '2026-03-04T05:06:07Z');
  });
});
