import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_PROTECT_ADDRESS, LABEL_CLUSTER_NAME } from './constants.js';
import {
  addressFromWire,
  chooseContract,
  claimFromWire,
  clusterFromWire,
  contractFor,
  toLegacyCondition,
  type AddressClaim,
} from './contract.js';
import type {
  Condition,
  IPAddressClaimV1Beta1,
  IPAddressClaimV1Beta2,
  IPAddressV1Beta1,
  IPAddressV1Beta2,
} from './types.js';

const readyTrue: Condition = {
  type: 'Ready',
  status: 'True',
  reason: 'Allocated',
  message: 'address 10.0.0.10 allocated',
  lastTransitionTime: '2026-01-02T03:04:05Z',
  observedGeneration: 1,
};
const readyFalse: Condition = {
  type: 'Ready',
  status: 'False',
  reason: 'PoolExhausted',
  message: 'pool pool-a has no free address',
  lastTransitionTime: '2026-01-02T03:04:05Z',
};

const claimV1Beta2: IPAddressClaimV1Beta2 = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
  kind: 'IPAddressClaim',
  metadata: {
    name: 'claim-a',
    namespace: 'ns',
    uid: 'uid-claim',
    labels: { [LABEL_CLUSTER_NAME]: 'cluster-a' },
  },
  spec: {
    clusterName: 'cluster-a',
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'pool-a' },
  },
  status: {
    addressRef: { name: 'claim-a' },
    conditions: [readyTrue],
    deprecated: {
      v1beta1: {
        conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2026-01-02T03:04:05Z' }],
      },
    },
  },
};

const claimV1Beta1: IPAddressClaimV1Beta1 = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta1',
  kind: 'IPAddressClaim',
  metadata: { name: 'claim-b', namespace: 'ns', uid: 'uid-claim-b' },
  spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'GlobalInClusterIPPool', name: 'pool-b' } },
  status: {
    addressRef: { name: 'claim-b' },
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        severity: 'Warning',
        reason: 'PoolExhausted',
        message: 'pool pool-b has no free address',
        lastTransitionTime: '2026-01-02T03:04:05Z',
      },
    ],
    v1beta2: { conditions: [readyFalse] },
  },
};

const addressV1Beta2: IPAddressV1Beta2 = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
  kind: 'IPAddress',
  metadata: { name: 'claim-a', namespace: 'ns' },
  spec: {
    claimRef: { name: 'claim-a' },
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'pool-a' },
    address: '10.0.0.10',
    prefix: 24,
    gateway: '10.0.0.1',
  },
};

const addressV1Beta1: IPAddressV1Beta1 = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta1',
  kind: 'IPAddress',
  metadata: { name: 'claim-b', namespace: 'ns' },
  spec: {
    claimRef: { name: 'claim-b' },
    poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterPrefixPool', name: 'pool-b' },
    address: 'fd00::',
    prefix: 64,
  },
};

describe('contract mapping', () => {
  describe('round trips', () => {
    it('v1beta2 claim', () => {
      assert.deepEqual(contractFor('v1beta2').claimToWire(claimFromWire(claimV1Beta2)), claimV1Beta2);
    });

    it('v1beta1 claim', () => {
      assert.deepEqual(contractFor('v1beta1').claimToWire(claimFromWire(claimV1Beta1)), claimV1Beta1);
    });

    it('v1beta2 address', () => {
      assert.deepEqual(contractFor('v1beta2').addressToWire(addressFromWire(addressV1Beta2)), addressV1Beta2);
    });

    it('v1beta1 address', () => {
      assert.deepEqual(contractFor('v1beta1').addressToWire(addressFromWire(addressV1Beta1)), addressV1Beta1);
    });

    it('v1beta1 claim without status or apiGroup', () => {
      const bare: IPAddressClaimV1Beta1 = {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta1',
        kind: 'IPAddressClaim',
        metadata: { name: 'c', namespace: 'ns' },
        spec: { poolRef: { kind: 'InClusterIPPool', name: 'p' } },
      };
      assert.deepEqual(contractFor('v1beta1').claimToWire(claimFromWire(bare)), bare);
    });
  });

  describe('normalisation', () => {
    it('gives a v1beta1 poolRef without apiGroup the empty group', () => {
      const claim = claimFromWire({
        ...claimV1Beta1,
        spec: { poolRef: { kind: 'InClusterIPPool', name: 'p' } },
      });
      assert.deepEqual(claim.poolRef, { apiGroup: '', kind: 'InClusterIPPool', name: 'p' });
    });

    it('reads our conditions from status.conditions (v1beta2) and status.v1beta2.conditions (v1beta1)', () => {
      assert.deepEqual(claimFromWire(claimV1Beta2).conditions, [readyTrue]);
      assert.deepEqual(claimFromWire(claimV1Beta1).conditions, [readyFalse]);
      assert.equal(claimFromWire(claimV1Beta1).legacyConditions[0]?.severity, 'Warning');
    });

    it('converts between versions like Cluster API does', () => {
      const asV1Beta2 = contractFor('v1beta2').claimToWire(claimFromWire(claimV1Beta1));
      assert.equal(asV1Beta2.apiVersion, 'ipam.cluster.x-k8s.io/v1beta2');
      assert.deepEqual(asV1Beta2.status, {
        addressRef: { name: 'claim-b' },
        conditions: [readyFalse],
        deprecated: { v1beta1: { conditions: claimV1Beta1.status?.conditions } },
      });
    });

    it('maps a missing v1beta2 prefix to 0 in v1beta1 and keeps it absent in v1beta2', () => {
      const { prefix: _omit, ...spec } = addressV1Beta2.spec;
      const address = addressFromWire({ ...addressV1Beta2, spec });
      assert.equal(address.prefix, undefined);
      assert.equal(contractFor('v1beta1').addressToWire(address).spec.prefix, 0);
      assert.equal('prefix' in contractFor('v1beta2').addressToWire(address).spec, false);
    });

    it('reads Cluster pause from spec.paused or the annotation, in both versions', () => {
      const meta = { name: 'c', namespace: 'ns' };
      assert.equal(
        clusterFromWire({ apiVersion: 'cluster.x-k8s.io/v1beta2', kind: 'Cluster', metadata: meta }).paused,
        false,
      );
      assert.equal(
        clusterFromWire({
          apiVersion: 'cluster.x-k8s.io/v1beta1',
          kind: 'Cluster',
          metadata: meta,
          spec: { paused: true },
        }).paused,
        true,
      );
      assert.equal(
        clusterFromWire({
          apiVersion: 'cluster.x-k8s.io/v1beta2',
          kind: 'Cluster',
          metadata: { ...meta, annotations: { 'cluster.x-k8s.io/paused': '' } },
          spec: { paused: false },
        }).paused,
        true,
      );
    });
  });

  describe('buildIPAddress', () => {
    const claim: AddressClaim = claimFromWire(claimV1Beta2);
    const pool = { kind: 'InClusterIPPool', name: 'pool-a', uid: 'uid-pool' } as const;

    for (const version of ['v1beta2', 'v1beta1'] as const) {
      it(`${version}: names it after the claim, owns it by claim and pool, protects it`, () => {
        const contract = contractFor(version);
        const body = contract.buildIPAddress({
          claim,
          pool,
          address: '10.0.0.10',
          prefix: 24,
          gateway: '10.0.0.1',
        });
        assert.equal(body.apiVersion, `ipam.cluster.x-k8s.io/${version}`);
        assert.deepEqual(body.metadata, {
          name: 'claim-a',
          namespace: 'ns',
          labels: { [LABEL_CLUSTER_NAME]: 'cluster-a' },
          finalizers: [FINALIZER_PROTECT_ADDRESS],
          ownerReferences: [
            {
              apiVersion: contract.ipamApiVersion,
              kind: 'IPAddressClaim',
              name: 'claim-a',
              uid: 'uid-claim',
              controller: true,
              blockOwnerDeletion: true,
            },
            {
              apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
              kind: 'InClusterIPPool',
              name: 'pool-a',
              uid: 'uid-pool',
              controller: false,
              blockOwnerDeletion: true,
            },
          ],
        });
        assert.deepEqual(body.spec, {
          claimRef: { name: 'claim-a' },
          poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'pool-a' },
          address: '10.0.0.10',
          prefix: 24,
          gateway: '10.0.0.1',
        });
      });
    }

    it('omits an empty gateway and labels when the claim has no cluster-name label', () => {
      const plain = claimFromWire({ ...claimV1Beta2, metadata: { name: 'c', namespace: 'ns', uid: 'u' } });
      const body = contractFor('v1beta2').buildIPAddress({
        claim: plain,
        pool,
        address: 'fd00::',
        prefix: 64,
        gateway: '',
      });
      assert.equal('gateway' in body.spec, false);
      assert.equal(body.metadata.labels, undefined);
    });

    it('throws on a claim without a uid (a programming error)', () => {
      const noUid = claimFromWire({ ...claimV1Beta2, metadata: { name: 'c', namespace: 'ns' } });
      assert.throws(
        () => contractFor('v1beta2').buildIPAddress({ claim: noUid, pool, address: '10.0.0.1', prefix: 24 }),
        /uid/,
      );
    });
  });

  describe('claimStatusPatch', () => {
    it('v1beta2: addressRef and metav1 conditions in status', () => {
      const claim = claimFromWire(claimV1Beta2);
      assert.deepEqual(
        contractFor('v1beta2').claimStatusPatch(claim, { addressName: 'claim-a', conditions: [readyTrue] }),
        {
          status: { addressRef: { name: 'claim-a' }, conditions: [readyTrue] },
        },
      );
    });

    it('v1beta1: legacy conditions in status.conditions, ours in status.v1beta2, foreign legacy kept', () => {
      const foreign = { type: 'Other', status: 'True' as const, lastTransitionTime: '2026-01-01T00:00:00Z' };
      const claim = claimFromWire({
        ...claimV1Beta1,
        status: { conditions: [foreign, ...(claimV1Beta1.status?.conditions ?? [])] },
      });
      assert.deepEqual(contractFor('v1beta1').claimStatusPatch(claim, { conditions: [readyTrue] }), {
        status: {
          conditions: [
            foreign,
            { type: 'Ready', status: 'True', lastTransitionTime: readyTrue.lastTransitionTime },
          ],
          v1beta2: { conditions: [readyTrue] },
        },
      });
    });

    it('legacy form of a False condition is a Warning and drops empty strings', () => {
      assert.deepEqual(toLegacyCondition({ ...readyFalse, message: '' }), {
        type: 'Ready',
        status: 'False',
        severity: 'Warning',
        reason: 'PoolExhausted',
        lastTransitionTime: readyFalse.lastTransitionTime,
      });
    });
  });
});

describe('chooseContract', () => {
  it('prefers v1beta2', () => {
    const r = chooseContract(['v1alpha1', 'v1beta1', 'v1beta2']);
    assert.ok(r.ok);
    assert.equal(r.value.version, 'v1beta2');
    assert.equal(r.value.clusterApiVersion, 'cluster.x-k8s.io/v1beta2');
  });

  it('falls back to v1beta1 (Cluster API 1.6-1.10)', () => {
    const r = chooseContract(['v1alpha1', 'v1beta1']);
    assert.ok(r.ok);
    assert.equal(r.value.version, 'v1beta1');
    assert.equal(r.value.ipamApiVersion, 'ipam.cluster.x-k8s.io/v1beta1');
  });

  it('accepts group versions and ignores other groups', () => {
    const r = chooseContract(['cluster.x-k8s.io/v1beta2', 'ipam.cluster.x-k8s.io/v1beta1']);
    assert.ok(r.ok);
    assert.equal(r.value.version, 'v1beta1');
  });

  it('fails with a message naming what is served and what is needed', () => {
    const r = chooseContract(['v1alpha1']);
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'NoSupportedContract');
    assert.match(r.error.message, /served: v1alpha1/);
    assert.match(r.error.message, /v1beta2/);
    assert.match(r.error.message, /Cluster API/);
  });

  it('fails when nothing is served', () => {
    const r = chooseContract([]);
    assert.ok(!r.ok);
    assert.match(r.error.message, /served: none/);
  });
});
