// The browser's live source reads IPAddressReservations (plugin/src/data/live.ts, ADR 0030) on the
// real plane: the pool carries its live reservations (an expired one left out); a user who may not
// list them (403) and a cluster without the kind (404: a resource the server does not serve) still
// get the snapshot, with the reservations absent and a one-line note.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ReservationResource } from '@ipam-in-cluster/kube';
import { NO_RESERVATIONS_CRD, type LiveOptions } from '@ipam-in-cluster/plugin';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Objects } from '../support/ipam-objects.js';
import { firstLiveSnapshot, type LiveSnapshot as Snapshot } from '../support/live-source.js';

describe('plugin live source: reservations', () => {
  let ns: TestNamespace;
  let kubeconfig = '';
  let rbac: k8s.RbacAuthorizationV1Api;
  const reader = `res-less-${Math.random().toString(16).slice(2, 8)}`;

  /**
   * The first full snapshot of the namespace, as `as` (default: the plane's admin), that `until`
   * accepts. The reservation list is never waited for (a late one redraws), so on a loaded machine
   * the first snapshot may come before its outcome: wait for the one that carries it.
   */
  const load = (until: (s: Snapshot) => boolean, as?: string, options: LiveOptions = {}): Promise<Snapshot> =>
    firstLiveSnapshot(kubeconfig, as, { namespace: ns.name, allNamespaces: false }, { ...options, until });

  before(async () => {
    const cluster = await planeWithNamespaces('live-res');
    kubeconfig = cluster.kubeconfigPath;
    [ns] = cluster.namespaces;
    await new Objects(cluster.kc, ns.name).pool('held', { addresses: ['10.42.0.0/24'], prefix: 24 });
    const custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
    const reservation = (name: string, addresses: string[], expiresAt: string) =>
      custom.createNamespacedCustomObject({
        group: ReservationResource.group,
        version: ReservationResource.version,
        namespace: ns.name,
        plural: ReservationResource.plural,
        body: {
          apiVersion: `${ReservationResource.group}/${ReservationResource.version}`,
          kind: 'IPAddressReservation',
          metadata: { name },
          spec: {
            poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'held' },
            addresses,
            note: 'new load balancer',
            expiresAt,
          },
        },
      });
    await reservation('lb', ['10.42.0.5-10.42.0.6'], '2099-01-31T00:00:00Z');
    await reservation('old', ['10.42.0.9'], '2000-01-01T00:00:00Z');
    // A reader of pools, IPAddresses and claims in the namespace, not of reservations.
    rbac = cluster.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.createNamespacedRole({
      namespace: ns.name,
      body: {
        metadata: { name: reader },
        rules: [
          {
            apiGroups: ['ipam.cluster.x-k8s.io'],
            resources: ['inclusterippools', 'ipaddresses', 'ipaddressclaims'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: ns.name,
      body: {
        metadata: { name: reader },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: reader },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: reader }],
      },
    });
  });

  after(async () => {
    await ns.cleanup();
  });

  const held = (s: Snapshot) => s.pools.find((p) => p.id === `${ns.name}/held`);

  it('the pool carries its live reservations; an expired one is left out', async () => {
    const s = await load((snap) => held(snap)?.reservations !== undefined);
    assert.deepEqual(held(s)?.reservations, [
      {
        namespace: ns.name,
        name: 'lb',
        addresses: ['10.42.0.5-10.42.0.6'],
        note: 'new load balancer',
        expiresAt: '2099-01-31T00:00:00Z',
      },
    ]);
  });

  it('a user who may not list them: the snapshot, no reservations, one warning naming them', async () => {
    const s = await load((snap) => snap.warnings.some((w) => w.includes('ipaddressreservations')), reader);
    assert.ok(held(s) !== undefined, 'the pool');
    assert.equal(held(s)?.reservations, undefined);
    const lines = s.warnings.filter((w) => w.includes('ipaddressreservations'));
    assert.equal(lines.length, 1, s.warnings.join('\n'));
    assert.match(lines[0] ?? '', /^not allowed to list .*ipaddressreservations/);
  });

  it('a cluster without the kind (404): the snapshot, no reservations, the note', async () => {
    const s = await load((snap) => snap.warnings.includes(NO_RESERVATIONS_CRD), undefined, {
      reservationResource: { ...ReservationResource, plural: 'ipaddressreservationsnotserved' },
    });
    assert.ok(held(s) !== undefined, 'the pool');
    assert.equal(held(s)?.reservations, undefined);
    assert.ok(s.warnings.includes(NO_RESERVATIONS_CRD), s.warnings.join('\n'));
  });
});
