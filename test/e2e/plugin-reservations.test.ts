// kubectl ipam reserve / unreserve on the real plane (docs/adr/0030-reservations.md), run by a user
// who has only what the chart's aggregated roles give namespace editors (bound with a RoleBinding,
// as aggregation into `edit` would), with the controller in-process: a dry run changes nothing,
// --yes holds the addresses (claims get the next ones), `pools -o wide|json` shows RESERVED from
// the pool status, `explain POOL ADDRESS` names the reservation with its note and expiry, and
// unreserve by address lets them go. Errors name the field and the value; no rights, exit 5.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { IPAM_GROUP, LABEL_WATCH_FILTER } from '@ipam-in-cluster/api';
import { parseAllDocuments } from 'yaml';
import { chartDir } from '../tools/chart-schema.js';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Ipam, startTestController, uniqueWatchFilter, type TestController } from '../support/controller.js';
import { helm, kubeVersionFlag } from '../support/helm.js';
import { runPlugin, type PluginResult } from '../support/kubectl-ipam.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { waitFor } from '../support/wait.js';

describe('kubectl ipam reserve / unreserve as a namespace editor (--as)', () => {
  const sfx = Math.random().toString(16).slice(2, 8);
  const editor = `res-editor-${sfx}`;
  const nobody = `res-nobody-${sfx}`;
  const watchFilter = uniqueWatchFilter('plugin-res');
  const roles: string[] = [];
  let kubeconfig = '';
  let ns: TestNamespace;
  let rbac: k8s.RbacAuthorizationV1Api;
  let ipam: Ipam;
  let ctl: TestController;

  const plugin = (as: string, args: string[]): Promise<PluginResult> =>
    runPlugin(kubeconfig, ['--as', as, '-n', ns.name, ...args]);

  before(async () => {
    ensurePluginBuilt();
    const plane = await planeWithNamespaces('plugin-res');
    kubeconfig = plane.kubeconfigPath;
    [ns] = plane.namespaces;
    rbac = plane.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    // The chart's aggregated view and edit roles, bound in the namespace.
    const rendered = helm(['template', 'rel', chartDir, '--namespace', 'ipam-system', kubeVersionFlag()]);
    assert.equal(rendered.status, 0, rendered.stderr);
    const objs = parseAllDocuments(rendered.stdout).map((d) => d.toJS() as k8s.V1ClusterRole | null);
    for (const suffix of ['view', 'edit']) {
      const role = objs.find(
        (o) => o?.kind === 'ClusterRole' && o.metadata?.name === `rel-ipam-in-cluster-${suffix}`,
      );
      assert.ok(role, suffix);
      const name = `ipam-res-${suffix}-${sfx}`;
      await rbac.createClusterRole({ body: { metadata: { name }, rules: role.rules ?? [] } });
      roles.push(name);
      await rbac.createNamespacedRoleBinding({
        namespace: ns.name,
        body: {
          metadata: { name },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
          subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: editor }],
        },
      });
    }
    ipam = await Ipam.connect(watchFilter);
    await ipam.createPool('InClusterIPPool', 'pool', ns.name, {
      addresses: ['10.40.0.10-10.40.0.15'],
      prefix: 24,
    });
    ctl = await startTestController({ watchFilter });
    await waitFor(async () => (await plugin(editor, ['pools'])).code === 0, {
      what: 'the editor to be allowed',
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
  });

  after(async () => {
    await ctl.stop();
    for (const name of roles) await rbac.deleteClusterRole({ name }).catch(() => undefined);
    await ns.cleanup();
  });

  /** The pool's `counts` in `pools -o json`, as the editor sees them. */
  async function poolCounts(): Promise<Record<string, string> | undefined> {
    const pools = await plugin(editor, ['pools', '-o', 'json']);
    const doc = JSON.parse(pools.stdout) as { items: { name: string; counts: Record<string, string> }[] };
    return doc.items.find((i) => i.name === 'pool')?.counts;
  }

  const reservation = () => ipam.client.reservations().find({ namespace: ns.name, name: 'lb' });

  it('refuses what cannot be held, naming the field and the value (exit 2), and users without rights (exit 5)', async () => {
    const outside = await plugin(editor, ['reserve', 'pool', '10.40.0.30', '--yes']);
    assert.equal(outside.code, 2, outside.stderr);
    assert.match(
      outside.stderr,
      new RegExp(
        `spec\\.addresses\\[0\\] "10\\.40\\.0\\.30": is not inside the allocatable addresses of InClusterIPPool ${ns.name}/pool`,
      ),
    );
    const both = await plugin(editor, [
      'reserve',
      'pool',
      '10.40.0.10',
      '--for',
      '1d',
      '--until',
      '2030-01-01',
    ]);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /give either --until or --for, not both/);
    const denied = await plugin(nobody, ['reserve', 'pool', '10.40.0.10', '--yes']);
    assert.equal(denied.code, 5, denied.stdout + denied.stderr);
  });

  it('a dry run changes nothing; --yes holds the addresses and claims get the next ones', async () => {
    const dry = await plugin(editor, [
      'reserve',
      'pool',
      '10.40.0.10-10.40.0.11',
      '--note',
      'new load balancer',
      '--for',
      '30d',
      '--name',
      'lb',
    ]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      new RegExp(
        `^Would reserve 10\\.40\\.0\\.10-10\\.40\\.0\\.11 in InClusterIPPool ${ns.name}/pool as IPAddressReservation ${ns.name}/lb: new load balancer, until 20`,
      ),
    );
    assert.equal(await reservation(), undefined);

    const done = await plugin(editor, [
      'reserve',
      'pool',
      '10.40.0.10-10.40.0.11',
      '--note',
      'new load balancer',
      '--until',
      '2030-01-31',
      '--name',
      'lb',
      '--yes',
    ]);
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /^Reserved .*: new load balancer, until 2030-01-31T00:00:00Z$/m);
    const created = await reservation();
    assert.equal(
      created?.metadata.labels?.[LABEL_WATCH_FILTER],
      watchFilter,
      'the pool watch filter is copied',
    );

    await ipam.client.ipAddressClaims('v1beta2').create({
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddressClaim',
      metadata: { name: 'c1', namespace: ns.name, labels: ipam.labels() },
      spec: { poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: 'pool' } },
    });
    assert.equal((await ipam.waitForAddress(ns.name, 'c1', 20_000)).spec.address, '10.40.0.12');
  });

  it('pools shows RESERVED (-o wide, -o json) and explain names the reservation with its note and expiry', async () => {
    await waitFor(
      async () => {
        const c = await poolCounts();
        return c?.reserved === '2' && c.used === '1' && c.free === '3';
      },
      { what: 'pools -o json counts reserved 2, used 1, free 3', timeoutMs: 30_000, intervalMs: 500 },
    );
    const wide = await plugin(editor, ['pools', '-o', 'wide']);
    assert.match(wide.stdout, /\s+QUARANTINED\s+RESERVED\s+FULL-IN\n/);
    // SPEC, then QUARANTINED 0, RESERVED 2, FULL-IN.
    assert.match(
      wide.stdout,
      /pool\s+pool\s+IPv4\s+6\s+1\s+3\s+0\s.*10\.40\.0\.10-10\.40\.0\.15\s+0\s+2\s+\S+\n/,
    );

    const explain = await plugin(editor, ['explain', 'pool', '10.40.0.11']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(
      explain.stdout,
      new RegExp(`^10\\.40\\.0\\.11 is not allocatable: held by a reservation in ${ns.name}/pool`),
    );
    assert.match(
      explain.stdout,
      new RegExp(`✗ reserved by ${ns.name}/lb: new load balancer, until 2030-01-31T00:00:00Z`),
    );
    // explain POOL: the reserved count from the status and the reservation holding it.
    const pool = await plugin(editor, ['explain', 'pool']);
    assert.equal(pool.code, 0, pool.stderr);
    assert.match(
      pool.stdout,
      /\n {2}reserved 2 \(status\.ipAddresses\.reserved\) by 1 IPAddressReservation:\n/,
    );
    assert.match(
      pool.stdout,
      new RegExp(
        `\\n {4}10\\.40\\.0\\.10-10\\.40\\.0\\.11 {2}reserved by ${ns.name}/lb: new load balancer, until 2030-01-31T00:00:00Z\\n`,
      ),
    );
  });

  it('unreserve by address: a dry run keeps it, --yes lets the addresses go', async () => {
    const dry = await plugin(editor, ['unreserve', '10.40.0.11']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      new RegExp(`^Would release 10\\.40\\.0\\.10-10\\.40\\.0\\.11 .* IPAddressReservation ${ns.name}/lb`),
    );
    assert.notEqual(await reservation(), undefined);
    const done = await plugin(editor, ['unreserve', '10.40.0.11', '--yes']);
    assert.equal(done.code, 0, done.stderr);
    await waitFor(async () => (await reservation()) === undefined, { what: 'reservation deleted' });
    const missing = await plugin(editor, ['unreserve', 'lb']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, new RegExp(`no IPAddressReservation is named lb in namespace ${ns.name}`));
    await waitFor(
      async () => {
        const c = await poolCounts();
        return c?.reserved === '0' && c.free === '5';
      },
      { what: 'reserved back to 0', timeoutMs: 30_000, intervalMs: 500 },
    );
  });
});
