// kubectl ipam as operators with limited rights (issue 16 item 1), on the real control plane with
// --as impersonation: a user who may read everything in one namespace, one who may read the global
// pools only, a cluster viewer (the built-in `view` ClusterRole; with plugin/rbac's aggregated role
// once applied) and an admin. Each runs every command and gets what it may see, one warning line
// naming what it may not, and exit 0 where something was shown; nothing is reported as a fact from
// data it could not read.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/paths.js';
import { deleteGlobalIPPool, planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { runPlugin, type PluginResult } from '../support/kubectl-ipam.js';
import { firstLiveSnapshot, type LiveSnapshot as Snapshot } from '../support/live-source.js';
import { waitFor } from '../support/wait.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';

const GROUP = 'ipam.cluster.x-k8s.io';
const CAPI = 'v1beta2';
const FIRST_SNAPSHOT_MS = 30_000;

/** The lines of stderr that say what could not be listed (other warnings, e.g. invalid pools of other tests, aside). */
function coverageWarnings(r: PluginResult): string[] {
  return r.stderr.split('\n').filter((l) => l.startsWith('warning: not allowed to list'));
}

describe('kubectl-ipam with limited rights (--as)', () => {
  let kubeconfig = '';
  let rbac: k8s.RbacAuthorizationV1Api;
  let custom: k8s.CustomObjectsApi;
  let a: TestNamespace;
  let b: TestNamespace;
  const sfx = Math.random().toString(16).slice(2, 8);
  const users = {
    ns: `ns-reader-${sfx}`,
    global: `global-reader-${sfx}`,
    viewer: `viewer-${sfx}`,
    admin: `admin-${sfx}`,
  };
  const globalPool = `rbac-g-${sfx}`;
  const clusterObjects: { kind: 'ClusterRole' | 'ClusterRoleBinding'; name: string }[] = [];

  function plugin(as: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<PluginResult> {
    return runPlugin(kubeconfig, ['--as', as, ...args], env);
  }

  async function create(plural: string, namespace: string | undefined, body: object, version = CAPI) {
    return (
      namespace === undefined
        ? await custom.createClusterCustomObject({ group: GROUP, version, plural, body })
        : await custom.createNamespacedCustomObject({ group: GROUP, version, namespace, plural, body })
    ) as { metadata: { uid: string } };
  }

  async function claim(namespace: string, name: string, kind: string, pool: string): Promise<void> {
    await create('ipaddressclaims', namespace, {
      apiVersion: `${GROUP}/${CAPI}`,
      kind: 'IPAddressClaim',
      metadata: { name },
      spec: { poolRef: { apiGroup: GROUP, kind, name: pool } },
    });
  }

  async function address(
    namespace: string,
    name: string,
    ip: string,
    kind: string,
    pool: string,
    claimName = name,
  ): Promise<void> {
    await create('ipaddresses', namespace, {
      apiVersion: `${GROUP}/${CAPI}`,
      kind: 'IPAddress',
      metadata: { name, finalizers: [`${GROUP}/ProtectAddress`] },
      spec: {
        claimRef: { name: claimName },
        poolRef: { apiGroup: GROUP, kind, name: pool },
        address: ip,
        prefix: 24,
      },
    });
  }

  async function clusterRole(name: string, rules: k8s.V1PolicyRule[], labels?: Record<string, string>) {
    await rbac.createClusterRole({ body: { metadata: { name, ...(labels ? { labels } : {}) }, rules } });
    clusterObjects.push({ kind: 'ClusterRole', name });
  }

  async function bindCluster(name: string, role: string, user: string) {
    await rbac.createClusterRoleBinding({
      body: {
        metadata: { name },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: user }],
      },
    });
    clusterObjects.push({ kind: 'ClusterRoleBinding', name });
  }

  /** The browser's data load as `as`: the live source's first snapshot. */
  const browseLoad = (as: string, namespace: string, allNamespaces: boolean): Promise<Snapshot> =>
    firstLiveSnapshot(kubeconfig, as, { namespace, allNamespaces }, { timeoutMs: FIRST_SNAPSHOT_MS });

  before(async () => {
    ensurePluginBuilt();
    const cluster = await planeWithNamespaces('rbac-a', 'rbac-b');
    kubeconfig = cluster.kubeconfigPath;
    rbac = cluster.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
    [a, b] = cluster.namespaces;

    // Namespace a: a pool with a live claim and an orphan (its claim never existed, and is named
    // differently from it); the global pool holds one address in a and one in b.
    await create(
      'inclusterippools',
      a.name,
      {
        apiVersion: `${GROUP}/v1alpha2`,
        kind: 'InClusterIPPool',
        metadata: { name: 'nodes' },
        spec: { addresses: ['10.61.0.0/24'], prefix: 24 },
      },
      'v1alpha2',
    );
    await create(
      'globalinclusterippools',
      undefined,
      {
        apiVersion: `${GROUP}/v1alpha2`,
        kind: 'GlobalInClusterIPPool',
        metadata: { name: globalPool },
        spec: { addresses: ['10.62.0.0/24'], prefix: 24 },
      },
      'v1alpha2',
    );
    await claim(a.name, 'c1', 'InClusterIPPool', 'nodes');
    await address(a.name, 'c1', '10.61.0.10', 'InClusterIPPool', 'nodes');
    await address(a.name, 'orphan-1', '10.61.0.11', 'InClusterIPPool', 'nodes', 'gone-claim');
    await claim(a.name, 'ga', 'GlobalInClusterIPPool', globalPool);
    await address(a.name, 'ga', '10.62.0.10', 'GlobalInClusterIPPool', globalPool);
    await claim(b.name, 'gb', 'GlobalInClusterIPPool', globalPool);
    await address(b.name, 'gb', '10.62.0.11', 'GlobalInClusterIPPool', globalPool);

    // The namespace user: everything of the IPAM kinds in a, nothing cluster-wide.
    await rbac.createNamespacedRole({
      namespace: a.name,
      body: {
        metadata: { name: 'ipam-reader' },
        rules: [
          {
            apiGroups: [GROUP],
            resources: ['inclusterippools', 'inclusterprefixpools', 'ipaddresses', 'ipaddressclaims'],
            verbs: ['get', 'list', 'watch'],
          },
        ],
      },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: a.name,
      body: {
        metadata: { name: 'ipam-reader' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ipam-reader' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: users.ns }],
      },
    });
    // The global-pools user: the two global kinds, nothing else.
    await clusterRole(`ipam-global-reader-${sfx}`, [
      {
        apiGroups: [GROUP],
        resources: ['globalinclusterippools', 'globalinclusterprefixpools'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    await bindCluster(`ipam-global-reader-${sfx}`, `ipam-global-reader-${sfx}`, users.global);
    // The viewer: the built-in view ClusterRole (the chart ships no aggregated role today).
    await bindCluster(`ipam-viewer-${sfx}`, 'view', users.viewer);
    await bindCluster(`ipam-admin-${sfx}`, 'cluster-admin', users.admin);
  });

  after(async () => {
    for (const o of clusterObjects.reverse()) {
      if (o.kind === 'ClusterRole') await rbac.deleteClusterRole({ name: o.name }).catch(() => undefined);
      else await rbac.deleteClusterRoleBinding({ name: o.name }).catch(() => undefined);
    }
    await deleteGlobalIPPool(custom, globalPool);
    await a.cleanup();
    await b.cleanup();
  });

  it('a namespace-only user: namespaced pools of a, global pools skipped with one warning', async () => {
    const as = users.ns;
    const n = ['-n', a.name];
    const pools = await plugin(as, ['pools', ...n]);
    assert.equal(pools.code, 0, pools.stderr);
    // pools -n has no NAMESPACE column (plugin-cli): the row starts with the pool's name.
    assert.match(pools.stdout, /^nodes\s+pool\s+IPv4\s+254\s+2\s+252/m);
    assert.doesNotMatch(pools.stdout, new RegExp(globalPool));
    assert.deepEqual(coverageWarnings(pools), [
      'warning: not allowed to list globalinclusterippools; globalinclusterprefixpools: showing what you may see (counts and checks that need the rest are marked or left out)',
    ]);

    const free = await plugin(as, ['explain', ...n, 'nodes', '10.61.0.12']);
    assert.equal(free.code, 0, free.stderr);
    assert.match(free.stdout, new RegExp(`^10\\.61\\.0\\.12 is free in ${a.name}/nodes`));
    assert.equal(coverageWarnings(free).length, 1, free.stderr);
    const held = await plugin(as, ['explain', ...n, `${a.name}/nodes`, '10.61.0.10']);
    assert.equal(held.code, 0, held.stderr);
    assert.match(held.stdout, /is allocated/);
    assert.match(held.stdout, /held by IPAddress .*\/c1 for claim .*\/c1/);
    // NAMESPACE/NAME reads no global pools: only the IPAddresses of other namespaces are skipped.
    assert.deepEqual(
      coverageWarnings(held).map((w) => /list (.*): showing/.exec(w)?.[1]),
      [
        `ipaddressclaims in all namespaces (read in ${a.name} only); ipaddresses in all namespaces (read in ${a.name} only)`,
      ],
    );

    const claim = await plugin(as, ['explain', ...n, 'claim', 'c1']);
    assert.equal(claim.code, 0, claim.stderr);
    assert.match(claim.stdout, /Claim .*\/c1 holds 10\.61\.0\.10\/24 from pool .*\/nodes/);
    assert.match(claim.stdout, /cannot tell whether a controller is running: not allowed to read Lease/);
    assert.doesNotMatch(claim.stdout, /no controller is running/);

    // doctor: the orphan is a fact (claims of a were read); nothing about the unread global pools.
    const doctor = await plugin(as, ['doctor', ...n, '--min-age', '0']);
    assert.equal(doctor.code, 7, doctor.stderr);
    // doctor's default layout (plugin-cli): SEVERITY CHECK ADDRESS, the message under it.
    assert.match(
      doctor.stdout,
      /^error\s+orphaned-address\s+10\.61\.0\.11\n {2}IPAddress .*\/orphan-1 holds/m,
    );
    assert.doesNotMatch(doctor.stdout, /status-mismatch|address-pool-missing/);
    assert.equal(coverageWarnings(doctor).length, 1, doctor.stderr);

    const inspect = await plugin(as, ['inspect', ...n, '10.61.0.10']);
    assert.equal(inspect.code, 0, inspect.stderr);
    assert.match(inspect.stdout, /claim\s+.*\/c1 · status.addressRef not set/);
    const dry = await plugin(as, ['release', ...n, '10.61.0.11']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would release 10\.61\.0\.11 .*claim gone-claim — gone/);
    const refused = await plugin(as, ['release', ...n, '10.61.0.10']);
    assert.equal(refused.code, 6);
    assert.match(refused.stdout, /Re-run with --force --yes to release anyway/);

    const snapshot = await browseLoad(as, a.name, false);
    assert.deepEqual(
      snapshot.pools.map((p) => p.id),
      [`${a.name}/nodes`],
    );
    assert.equal(snapshot.warnings.filter((w) => w.startsWith('not allowed to list')).length, 1);
  });

  it('a global-pools-only user: global pools, never namespaced ones; counts marked partial', async () => {
    const as = users.global;
    const pools = await plugin(as, ['pools', '-A']);
    assert.equal(pools.code, 0, pools.stderr);
    // At 80 columns (stdout is no terminal) the marker is its symbol `?`; wider, `? partial`.
    assert.match(
      pools.stdout,
      new RegExp(`^—\\s+${globalPool}\\s+global\\s+IPv4\\s+254\\s+0\\s+254 .*%  \\?$`, 'm'),
    );
    for (const line of pools.stdout.split('\n')) assert.ok(Array.from(line).length <= 80, line);
    const wide = await plugin(as, ['pools', '-A'], { COLUMNS: '120' });
    assert.match(
      wide.stdout,
      new RegExp(`—\\s+${globalPool}\\s+global\\s+IPv4\\s+254\\s+0\\s+254 .*\\? partial`),
    );
    assert.doesNotMatch(pools.stdout, new RegExp(a.name));
    assert.equal(coverageWarnings(pools).length, 1, pools.stderr);
    assert.match(coverageWarnings(pools)[0] ?? '', /inclusterippools.*ipaddresses/);

    const explain = await plugin(as, ['explain', `global/${globalPool}`, '10.62.0.10']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, /^10\.62\.0\.10 looks free \(as far as you may see\) in global\//);
    assert.match(explain.stdout, /⚠ partial: some IPAddresses .* could not be read/);
    // global/NAME lists no namespaced pools: the warning names the IPAddresses and claims only.
    assert.equal(coverageWarnings(explain).length, 1, explain.stderr);
    assert.doesNotMatch(explain.stderr, /inclusterippools|inclusterprefixpools/);

    const doctor = await plugin(as, ['doctor', '-A', '--min-age', '0']);
    assert.equal(doctor.code, 0, doctor.stdout + doctor.stderr);
    assert.match(doctor.stdout, /no problems found in what you may see/);
    assert.equal(coverageWarnings(doctor).length, 1, doctor.stderr);

    const claim = await plugin(as, ['explain', '-n', a.name, 'claim', 'ga']);
    assert.equal(claim.code, 5);
    assert.match(claim.stderr, /^error: not allowed to list ipaddressclaims in namespace /m);
    const inspect = await plugin(as, ['inspect', '-A', '10.62.0.10']);
    assert.equal(inspect.code, 3, 'nothing to show');
    assert.equal(coverageWarnings(inspect).length, 1, inspect.stderr);
    const dry = await plugin(as, ['release', '-A', '10.62.0.10']);
    assert.equal(dry.code, 3);

    const snapshot = await browseLoad(as, 'default', true);
    const g = snapshot.pools.find((p) => p.id === `global/${globalPool}`);
    assert.equal(g?.partial, true);
    assert.ok(!snapshot.pools.some((p) => p.key.namespace !== undefined));
  });

  it('a cluster viewer: nothing of IPAM with view alone (exit 5, one line); everything with the aggregated role', async () => {
    const as = users.viewer;
    const denied = await plugin(as, ['pools', '-A']);
    assert.equal(denied.code, 5, denied.stdout + denied.stderr);
    assert.match(denied.stderr, /^error: not allowed to list any pools \(forbidden\): /);
    assert.match(denied.stderr, /\nhint: .*RBAC/);

    const manifest = parse(
      readFileSync(join(repoRoot, 'plugin', 'rbac', 'kubectl-ipam-view.yaml'), 'utf8'),
    ) as k8s.V1ClusterRole;
    const name = `${manifest.metadata?.name ?? ''}-${sfx}`;
    const labels = manifest.metadata?.labels ?? {};
    assert.equal(labels['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
    await clusterRole(name, manifest.rules ?? [], manifest.metadata?.labels);
    // A real cluster's clusterrole-aggregation controller folds it into view; the test plane runs
    // only garbagecollector, namespace and serviceaccount, so bind it beside view, as aggregation would.
    await bindCluster(name, name, as);
    await waitFor(async () => (await plugin(as, ['pools', '-A'])).code === 0, {
      what: 'the viewer to be allowed',
      timeoutMs: 30_000,
      intervalMs: 1000,
    });

    const pools = await plugin(as, ['pools', '-A']);
    assert.match(pools.stdout, new RegExp(`${a.name}\\s+nodes\\s+pool`));
    assert.match(pools.stdout, new RegExp(`—\\s+${globalPool}\\s+global\\s+IPv4\\s+254\\s+2\\s+252`));
    assert.deepEqual(coverageWarnings(pools), []);
    const explain = await plugin(as, ['explain', `global/${globalPool}`, '10.62.0.11']);
    assert.equal(explain.code, 0, explain.stderr);
    assert.match(explain.stdout, new RegExp(`held by IPAddress ${b.name}/gb`));
    const doctor = await plugin(as, ['doctor', '-A', '--min-age', '0']);
    assert.equal(doctor.code, 7, doctor.stderr);
    assert.match(
      doctor.stdout,
      /^error\s+orphaned-address\s+10\.61\.0\.11\n {2}IPAddress .*\/orphan-1 holds/m,
    );
    assert.match(doctor.stdout, /kubectl ipam doctor -A -o json > report\.json/);
    const inspect = await plugin(as, ['inspect', '-n', a.name, '10.61.0.10']);
    assert.equal(inspect.code, 0, inspect.stderr);
    const dry = await plugin(as, ['release', '-n', a.name, '10.61.0.11']);
    assert.equal(dry.code, 0, dry.stderr);
    const snapshot = await browseLoad(as, a.name, true);
    assert.ok(snapshot.pools.some((p) => p.id === `global/${globalPool}` && p.partial !== true));
  });

  it('an admin: everything, no warning', async () => {
    const as = users.admin;
    const pools = await plugin(as, ['pools', '-A']);
    assert.equal(pools.code, 0, pools.stderr);
    assert.deepEqual(coverageWarnings(pools), []);
    assert.match(pools.stdout, new RegExp(`—\\s+${globalPool}\\s+global\\s+IPv4\\s+254\\s+2\\s+252`));
    for (const args of [
      ['explain', `global/${globalPool}`, '10.62.0.10'],
      ['explain', '-n', a.name, 'claim', 'c1'],
      ['inspect', '-n', a.name, '10.61.0.10'],
      ['release', '-n', a.name, '10.61.0.11'],
    ]) {
      const r = await plugin(as, args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.deepEqual(coverageWarnings(r), []);
    }
    const doctor = await plugin(as, ['doctor', '-n', a.name, '--min-age', '0', '-o', 'json']);
    assert.equal(doctor.code, 7);
    const report = JSON.parse(doctor.stdout) as {
      findings: { check: string; claim?: string; object: { name: string } }[];
    };
    const orphan = report.findings.find((f) => f.check === 'orphaned-address');
    // The report names the claim (gone-claim), not the IPAddress (orphan-1): --from-report checks that one.
    assert.equal(orphan?.object.name, 'orphan-1');
    assert.equal(orphan.claim, 'gone-claim');
    const snapshot = await browseLoad(as, a.name, true);
    assert.deepEqual(
      snapshot.warnings.filter((w) => w.startsWith('not allowed')),
      [],
    );
  });
});
