import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_PROTECT_ADDRESS, type Address, type OwnerReference } from '@ipam-in-cluster/api';
import { claimOwnerUid, releasableOrphan } from './orphan-repair.js';

const claimRef: OwnerReference = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
  kind: 'IPAddressClaim',
  name: 'c',
  uid: 'dead-uid',
  controller: true,
  blockOwnerDeletion: true,
};
const poolRef: OwnerReference = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
  kind: 'InClusterIPPool',
  name: 'p',
  uid: 'pool-uid',
  controller: false,
};

function address(
  meta: { finalizers?: string[]; ownerReferences?: OwnerReference[]; deletionTimestamp?: string } = {},
  overrides: Partial<Address> = {},
): Address {
  return {
    metadata: { name: 'c', namespace: 'ns', ...meta },
    claimName: 'c',
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
    address: '10.0.0.5',
    prefix: 24,
    gateway: undefined,
    ...overrides,
  };
}

describe('releasableOrphan', () => {
  it('is ours when made for a claim: a claim owner reference, or our finalizer after the GC stripped it', () => {
    assert.equal(releasableOrphan(address({ ownerReferences: [claimRef, poolRef] })), true);
    assert.equal(
      releasableOrphan(address({ ownerReferences: [poolRef] })),
      true,
      'release cut short: pool ref only',
    );
    assert.equal(
      releasableOrphan(address({ finalizers: [FINALIZER_PROTECT_ADDRESS], ownerReferences: [poolRef] })),
      true,
    );
    assert.equal(
      releasableOrphan(
        address({ finalizers: [FINALIZER_PROTECT_ADDRESS], deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ),
      true,
      'terminating, held only by our finalizer',
    );
  });

  it('leaves alone what is not ours', () => {
    const cm: OwnerReference = { apiVersion: 'v1', kind: 'ConfigMap', name: 'x', uid: 'u', controller: true };
    const cases: [string, Address][] = [
      ['made by hand (no claim or pool reference, no finalizer)', address()],
      ['owned by another pool', address({ ownerReferences: [{ ...poolRef, name: 'other' }] })],
      [
        'controlled by another kind',
        address({ finalizers: [FINALIZER_PROTECT_ADDRESS], ownerReferences: [cm] }),
      ],
      [
        'another provider’s pool',
        address(
          { ownerReferences: [claimRef] },
          { poolRef: { apiGroup: 'other.io', kind: 'InClusterIPPool', name: 'p' } },
        ),
      ],
      ['not named like its claim', address({ ownerReferences: [claimRef] }, { claimName: 'other' })],
      [
        'terminating without our finalizer',
        address({ ownerReferences: [claimRef], deletionTimestamp: '2026-01-01T00:00:00Z' }),
      ],
    ];
    for (const [what, a] of cases) assert.equal(releasableOrphan(a), false, what);
  });

  it('reads the claim owner uid', () => {
    assert.equal(claimOwnerUid(address({ ownerReferences: [poolRef, claimRef] })), 'dead-uid');
    assert.equal(claimOwnerUid(address({ ownerReferences: [poolRef] })), undefined);
  });
});
