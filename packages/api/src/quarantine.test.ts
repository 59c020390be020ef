import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_RELEASE_ADDRESS } from './constants.js';
import { quarantineOf, quarantineText } from './quarantine.js';
import type { Pool } from './types.js';

function pool(kind: Pool['kind'], grace: number | undefined, deleting = false): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind,
    metadata: {
      name: 'p',
      namespace: 'ns',
      ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
    },
    spec:
      kind === 'InClusterPrefixPool' || kind === 'GlobalInClusterPrefixPool'
        ? { prefixes: ['fd00::/48'] }
        : {
            addresses: ['10.0.0.1'],
            prefix: 24,
            ...(grace === undefined ? {} : { addressReuseGracePeriodSeconds: grace }),
          },
  } as Pool;
}

const deleted = {
  metadata: {
    namespace: 'ns',
    name: 'c',
    deletionTimestamp: '2026-12-07T09:00:00Z',
    finalizers: [FINALIZER_RELEASE_ADDRESS],
  },
};

describe('quarantineOf', () => {
  it('holds a deleted claim of an IP pool with a grace period, until deletion + grace', () => {
    const q = quarantineOf(pool('InClusterIPPool', 30), deleted);
    assert.deepEqual(q, {
      claim: 'ns/c',
      deletedAt: Date.parse('2026-12-07T09:00:00Z'),
      graceSeconds: 30,
      until: Date.parse('2026-12-07T09:00:30Z'),
    });
    assert.equal(
      quarantineText(q),
      'quarantined until 2026-12-07T09:00:30Z (grace period 30 s, claim ns/c deleted at 2026-12-07T09:00:00Z)',
    );
    assert.notEqual(quarantineOf(pool('GlobalInClusterIPPool', 5), deleted), undefined);
  });

  it('is none without grace, for prefix pools, a deleting pool, a live claim or one already released', () => {
    assert.equal(quarantineOf(pool('InClusterIPPool', undefined), deleted), undefined);
    assert.equal(quarantineOf(pool('InClusterIPPool', 0), deleted), undefined);
    assert.equal(quarantineOf(pool('InClusterPrefixPool', undefined), deleted), undefined);
    assert.equal(quarantineOf(pool('InClusterIPPool', 30, true), deleted), undefined);
    assert.equal(quarantineOf(undefined, deleted), undefined);
    const live = { metadata: { ...deleted.metadata, deletionTimestamp: undefined } };
    assert.equal(quarantineOf(pool('InClusterIPPool', 30), live), undefined);
    const released = { metadata: { ...deleted.metadata, finalizers: [] } };
    assert.equal(quarantineOf(pool('InClusterIPPool', 30), released), undefined);
    const garbage = { metadata: { ...deleted.metadata, deletionTimestamp: 'soon' } };
    assert.equal(quarantineOf(pool('InClusterIPPool', 30), garbage), undefined);
  });
});
