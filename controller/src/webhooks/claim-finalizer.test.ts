// The claim finalizer webhook's decision: the finalizer goes on exactly the claims the controller
// reconciles, as a JSON patch that keeps every other finalizer; nothing is ever refused.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_RELEASE_ADDRESS, IPAM_GROUP, LABEL_WATCH_FILTER } from '@ipam-in-cluster/api';
import type { AdmissionRequest, Verdict } from './admission.js';
import { ClaimFinalizerWebhook } from './claim-finalizer.js';

function claimRequest(
  object: unknown,
  operation: AdmissionRequest['operation'] = 'CREATE',
  namespace = 'team-a',
): AdmissionRequest {
  return {
    uid: 'u1',
    kind: { group: IPAM_GROUP, version: 'v1beta2', kind: 'IPAddressClaim' },
    namespace,
    operation,
    object,
  };
}

function claim(
  metadata: Record<string, unknown> = {},
  poolRef: unknown = { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: 'p' },
): Record<string, unknown> {
  return { metadata: { name: 'c', namespace: 'team-a', ...metadata }, spec: { poolRef } };
}

const patchOf = (v: Verdict): unknown => (v.allowed ? v.patch : assert.fail('refused'));

describe('ClaimFinalizerWebhook', () => {
  const webhook = new ClaimFinalizerWebhook();

  it('adds ReleaseAddress to a claim of each of our pool kinds, creating the list', () => {
    for (const kind of [
      'InClusterIPPool',
      'GlobalInClusterIPPool',
      'InClusterPrefixPool',
      'GlobalInClusterPrefixPool',
    ]) {
      const v = webhook.default(claimRequest(claim({}, { apiGroup: IPAM_GROUP, kind, name: 'p' })));
      assert.deepEqual(
        patchOf(v),
        [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER_RELEASE_ADDRESS] }],
        kind,
      );
    }
  });

  it('appends it after finalizers the claim already has, and leaves a claim that has it alone', () => {
    assert.deepEqual(patchOf(webhook.default(claimRequest(claim({ finalizers: ['other.io/keep'] })))), [
      { op: 'add', path: '/metadata/finalizers/-', value: FINALIZER_RELEASE_ADDRESS },
    ]);
    const has = webhook.default(
      claimRequest(claim({ finalizers: ['other.io/keep', FINALIZER_RELEASE_ADDRESS] })),
    );
    assert.deepEqual(has, { allowed: true });
  });

  it("leaves other providers' claims, an empty group and unknown kinds alone, as the controller does", () => {
    for (const ref of [
      { apiGroup: 'ipam.example.com', kind: 'InClusterIPPool', name: 'p' },
      { apiGroup: '', kind: 'InClusterIPPool', name: 'p' },
      { kind: 'InClusterIPPool', name: 'p' },
      { apiGroup: IPAM_GROUP, kind: 'UnknownIPPool', name: 'p' },
    ])
      assert.deepEqual(webhook.default(claimRequest(claim({}, ref))), { allowed: true }, JSON.stringify(ref));
  });

  it('leaves paused claims alone: they get the finalizer from the controller once resumed', () => {
    const paused = claim({ annotations: { 'cluster.x-k8s.io/paused': '' } });
    assert.deepEqual(webhook.default(claimRequest(paused)), { allowed: true });
  });

  it('stays inside --namespace and --watch-filter', () => {
    const scoped = new ClaimFinalizerWebhook({ namespace: 'team-a', watchFilter: 'blue' });
    const labelled = claim({ labels: { [LABEL_WATCH_FILTER]: 'blue' } });
    assert.ok(patchOf(scoped.default(claimRequest(labelled))));
    assert.deepEqual(scoped.default(claimRequest(labelled, 'CREATE', 'team-b')), { allowed: true });
    assert.deepEqual(scoped.default(claimRequest(claim())), { allowed: true }, 'no watch-filter label');
    const other = claim({ labels: { [LABEL_WATCH_FILTER]: 'green' } });
    assert.deepEqual(scoped.default(claimRequest(other)), { allowed: true });
  });

  it('acts on CREATE only', () => {
    for (const op of ['UPDATE', 'DELETE', 'CONNECT'] as const)
      assert.deepEqual(webhook.default(claimRequest(claim(), op)), { allowed: true }, op);
  });

  it('admits malformed objects unchanged (validation, after mutation, refuses them)', () => {
    for (const object of [
      undefined,
      null,
      'x',
      { metadata: {} },
      { spec: {} },
      claim({}, 'pool'),
      claim({ finalizers: 'x' }),
    ])
      assert.deepEqual(webhook.default(claimRequest(object)), { allowed: true }, JSON.stringify(object));
  });
});
