// Switching a cluster that runs the upstream provider over to this one, by the guide
// (docs/migrate-from-upstream.md), command for command: every ```sh block of the guide runs here
// with bash, in order, verbatim. The marker comment above a block says how:
//   <!-- e2e: run -->          run as written (a non-zero exit fails the test)
//   <!-- e2e: controller ... -->  the Deployment's rollout: no kubelet here, so the test runs the
//                              Deployment's container as a local process (its arguments, Node options
//                              and ServiceAccount token; test/support/chart-controller.ts) instead
// The only other differences from a real cluster: the guide's `helm install/upgrade` gets
// `--set webhook.url=https://127.0.0.1:<port>` (a PATH wrapper), because the API server here cannot
// reach a Service; the conversion webhook is then called on that URL with the caBundle the
// controller injected. Before going back, the test upgrades the release to the Service form again
// (the state a real cluster has when it goes back). A private control plane: CRD ownership and
// webhooks are cluster-wide.
//
// Before the guide: upstream's own components manifest (test/fixtures/upstream, minus the
// cert-manager kinds, which need cert-manager) and objects shaped exactly as upstream makes them:
// pools with ProtectPool, claims with ReleaseAddress and status.addressRef, IPAddresses with
// ProtectAddress and owner references to claim (controller) and pool, addresses with holes; and
// upstream's leader-election Lease, still held.
import assert from 'node:assert/strict';
import { spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments, stringify } from 'yaml';
import { ensureBinaries, helmBinaryPath } from '../cluster/binaries.js';
import { capiCrdsDir } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { runChartController } from '../support/chart-controller.js';
import { helm } from '../support/helm.js';
import { kubectlWith } from '../support/kubectl.js';
import { startPrivatePlane, type PrivatePlane } from '../support/private-plane.js';
import { waitFor } from '../support/wait.js';

const ns = 'capi-ipam-in-cluster-system';
const deployment = 'ipam-ipam-in-cluster';
const GROUP = 'ipam.cluster.x-k8s.io';
const LEASE = '7bb7acb4.ipam.cluster.x-k8s.io';
const UPSTREAM_HOLDER = 'capi-ipam-in-cluster-controller-manager-6b9c7d5f4-x2x9q_0f8e';
const FINALIZER = {
  pool: `${GROUP}/ProtectPool`,
  claim: `${GROUP}/ReleaseAddress`,
  address: `${GROUP}/ProtectAddress`,
};
const IP_POOL_CRDS = [`inclusterippools.${GROUP}`, `globalinclusterippools.${GROUP}`];
const POOL_CRDS = [...IP_POOL_CRDS, `inclusterprefixpools.${GROUP}`, `globalinclusterprefixpools.${GROUP}`];
const KINDS = [...POOL_CRDS, `ipaddressclaims.${GROUP}`, `ipaddresses.${GROUP}`].join(',');

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    finalizers?: string[];
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec?: Record<string, unknown> & { address?: string };
  status?: { addressRef?: { name?: string } };
}

interface GuideBlock {
  marker: string;
  script: string;
  line: number;
}

/** The guide's ```sh blocks with the `<!-- e2e: ... -->` marker each must carry. */
function guideBlocks(markdown: string): GuideBlock[] {
  const lines = markdown.split('\n');
  const blocks: GuideBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```(sh|bash|shell)\s*$/.test(lines[i] ?? '')) continue;
    let j = i - 1;
    while (j >= 0 && (lines[j] ?? '').trim() === '') j--;
    const marker = /^<!-- e2e: ([a-z-]+)\b.*-->$/.exec((lines[j] ?? '').trim())?.[1];
    if (marker === undefined)
      throw new Error(`guide line ${i + 1}: a sh block without an <!-- e2e: ... --> marker`);
    const end = lines.indexOf('```', i + 1);
    if (end < 0) throw new Error(`guide line ${i + 1}: unterminated block`);
    blocks.push({ marker, script: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    i = end;
  }
  return blocks;
}

const key = (o: Obj) => `${o.kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`;

describe('switch-over from the upstream provider, by docs/migrate-from-upstream.md', () => {
  let plane: PrivatePlane;
  let kubectl: ReturnType<typeof kubectlWith>;
  let work: string;
  let webhookPort: number;
  let controller: ChildProcess | undefined;
  let blockEnv: NodeJS.ProcessEnv;
  const blocks = guideBlocks(readFileSync(join(repoRoot, 'docs/migrate-from-upstream.md'), 'utf8'));
  let next = 0;
  let upstreamObjects = new Map<string, Obj>();
  const adopted = { nodes: [] as string[], shared: [] as string[] };

  const objects = (kinds = KINDS): Obj[] =>
    (JSON.parse(kubectl(['get', kinds, '-A', '-o', 'json'])) as { items: Obj[] }).items;
  const snapshot = () => new Map(objects().map((o) => [key(o), o]));
  const apply = (docs: unknown[], verb: 'create' | 'apply' = 'create') =>
    kubectl(
      verb === 'create' ? ['create', '-f', '-'] : ['apply', '--server-side', '-f', '-'],
      docs.map((d) => stringify(d)).join('---\n'),
    );

  /** Runs the guide's blocks up to and including the first one matching `until`. */
  async function followGuide(until: RegExp): Promise<void> {
    for (;;) {
      const block = blocks[next++];
      assert.ok(block, `the guide has no block matching ${String(until)} after the previous step`);
      process.stdout.write(`# guide block at line ${block.line} (${block.marker})\n`);
      if (block.marker === 'controller') {
        const run = await runChartController({ kubectl, namespace: ns, deployment, webhookPort, work });
        controller = run.process;
        // Upstream's Lease was held when upstream stopped: the controller takes it after it expires.
        const holder = await waitFor(
          () => {
            const lease = JSON.parse(kubectl(['get', 'lease', LEASE, '-n', ns, '-o', 'json'])) as {
              spec: { holderIdentity?: string };
            };
            const h = lease.spec.holderIdentity ?? '';
            return Promise.resolve(h !== '' && h !== UPSTREAM_HOLDER ? h : undefined);
          },
          { what: 'the controller to take over upstream’s Lease', timeoutMs: 90_000, intervalMs: 500 },
        );
        process.stdout.write(`leader: ${holder}\n`);
      } else {
        assert.equal(block.marker, 'run', `guide line ${block.line}: unknown marker ${block.marker}`);
        const result = spawnSync('bash', ['-euo', 'pipefail', '-c', block.script], {
          cwd: repoRoot,
          env: blockEnv,
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        });
        process.stdout.write(result.stdout);
        assert.equal(
          result.status,
          0,
          `guide block at line ${block.line} failed:\n${block.script}\n${result.stdout}\n${result.stderr}`,
        );
      }
      if (until.test(block.script)) return;
    }
  }

  before(async () => {
    ensureBinaries('helm');
    ensurePluginBuilt();
    plane = startPrivatePlane('switchover');
    kubectl = kubectlWith(plane.kubeconfig);
    work = mkdtempSync(join(tmpdir(), 'ipam-switchover-'));
    webhookPort = await freePort();

    // The guide's environment: helm (with the test's one extra value), kubectl ipam on PATH.
    const bin = join(work, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'helm'),
      `#!/bin/sh
case "$1" in
  install|upgrade) exec "${helmBinaryPath()}" "$@" --set webhook.url=https://127.0.0.1:${webhookPort} ;;
  *) exec "${helmBinaryPath()}" "$@" ;;
esac
`,
    );
    chmodSync(join(bin, 'helm'), 0o755);

    // Upstream as clusterctl installs it: its components manifest, unchanged.
    const components = parseAllDocuments(
      readFileSync(join(repoRoot, 'test/fixtures/upstream/ipam-components.yaml'), 'utf8'),
    )
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null && !o.apiVersion.startsWith('cert-manager.io/'));
    writeFileSync(join(work, 'upstream-components.yaml'), components.map((d) => stringify(d)).join('---\n'));
    blockEnv = {
      ...process.env,
      PATH: `${bin}:${join(repoRoot, 'plugin', 'bin')}:${process.env.PATH ?? ''}`,
      KUBECONFIG: plane.kubeconfig,
      TMPDIR: work,
      NODE_OPTIONS: '',
      NO_COLOR: '1',
      HELM_CACHE_HOME: '/tmp/ipam-helm/cache',
      HELM_CONFIG_HOME: '/tmp/ipam-helm/config',
      HELM_DATA_HOME: '/tmp/ipam-helm/data',
      UPSTREAM_COMPONENTS: join(work, 'upstream-components.yaml'),
    };

    kubectl(['apply', '--server-side', '-f', capiCrdsDir()]);
    const first = components.filter((o) => o.kind === 'Namespace' || o.kind === 'CustomResourceDefinition');
    apply(first);
    kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', ...POOL_CRDS]);
    createUpstreamObjects();
    upstreamObjects = snapshot();
    // The rest of upstream's install (its webhooks would refuse the objects above without a running
    // webhook server, so they come after, as they would on a cluster where upstream ran).
    apply(components.filter((o) => !first.includes(o)));
  });

  after(() => {
    controller?.kill('SIGKILL');
    plane.stop();
    rmSync(work, { recursive: true, force: true });
  });

  function createUpstreamObjects(): void {
    kubectl(['create', 'namespace', 'team-a']);
    kubectl(['create', 'namespace', 'team-b']);
    interface Pool {
      apiVersion: string;
      kind: string;
      metadata: { name: string; namespace?: string; finalizers: string[] };
      spec: { addresses: string[]; prefix: number; gateway: string };
    }
    const nodes: Pool = {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: 'nodes', namespace: 'team-a', finalizers: [FINALIZER.pool] },
      spec: { addresses: ['10.10.0.10-10.10.0.60'], prefix: 24, gateway: '10.10.0.1' },
    };
    const shared: Pool = {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'GlobalInClusterIPPool',
      metadata: { name: 'shared', finalizers: [FINALIZER.pool] },
      spec: { addresses: ['192.168.50.10-192.168.50.40'], prefix: 24, gateway: '192.168.50.1' },
    };
    const pools = [nodes, shared];
    apply(pools);
    // Upstream hands out the lowest free address; claims deleted since left holes (.13, .20).
    const nodeAddresses = [10, 11, 12, 14, 15, 16, 17, 18, 19, 21].map((n) => `10.10.0.${n}`);
    const sharedAddresses = [10, 11, 12, 13, 14].map((n) => `192.168.50.${n}`);
    const plan = [
      ...nodeAddresses.map((address, i) => ({ ns: 'team-a', name: `node-${i}`, pool: nodes, address })),
      ...sharedAddresses.map((address, i) => ({
        ns: 'team-b',
        name: `shared-${i}`,
        pool: shared,
        address,
      })),
    ];
    adopted.nodes = nodeAddresses;
    adopted.shared = sharedAddresses;
    const poolRef = (p: Pool) => ({ apiGroup: GROUP, kind: p.kind, name: p.metadata.name });
    apply(
      plan.map((c) => ({
        apiVersion: `${GROUP}/v1beta2`,
        kind: 'IPAddressClaim',
        metadata: { name: c.name, namespace: c.ns, finalizers: [FINALIZER.claim] },
        spec: { poolRef: poolRef(c.pool) },
      })),
    );
    const uids = new Map(objects().map((o) => [key(o), o.metadata.uid ?? '']));
    apply(
      plan.map((c) => ({
        apiVersion: `${GROUP}/v1beta2`,
        kind: 'IPAddress',
        metadata: {
          name: c.name,
          namespace: c.ns,
          finalizers: [FINALIZER.address],
          ownerReferences: [
            {
              apiVersion: `${GROUP}/v1beta2`,
              kind: 'IPAddressClaim',
              name: c.name,
              uid: uids.get(`IPAddressClaim/${c.ns}/${c.name}`),
              controller: true,
              blockOwnerDeletion: true,
            },
            {
              apiVersion: `${GROUP}/v1alpha2`,
              kind: c.pool.kind,
              name: c.pool.metadata.name,
              uid: uids.get(`${c.pool.kind}/${c.pool.metadata.namespace ?? ''}/${c.pool.metadata.name}`),
              controller: false,
              blockOwnerDeletion: true,
            },
          ],
        },
        spec: {
          address: c.address,
          prefix: c.pool.spec.prefix,
          gateway: c.pool.spec.gateway,
          claimRef: { name: c.name },
          poolRef: poolRef(c.pool),
        },
      })),
    );
    for (const c of plan) {
      kubectl([
        'patch',
        `ipaddressclaims.${GROUP}`,
        c.name,
        '-n',
        c.ns,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({ status: { addressRef: { name: c.name } } }),
      ]);
    }
    // Upstream's replica held the Lease until it stopped.
    const now = new Date().toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
    apply([
      {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name: LEASE, namespace: ns },
        spec: {
          holderIdentity: UPSTREAM_HOLDER,
          leaseDurationSeconds: 15,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      },
    ]);
  }

  it('every guide block carries a marker the test knows', () => {
    assert.ok(blocks.length >= 8, `only ${blocks.length} blocks`);
    for (const b of blocks)
      assert.ok(['run', 'controller'].includes(b.marker), `line ${b.line}: ${b.marker}`);
  });

  it('switches: helm takes the CRDs over, the conversion webhook is ours, nothing is reallocated', async () => {
    await followGuide(/helm upgrade --install/);
    for (const name of POOL_CRDS) {
      const crd = JSON.parse(kubectl(['get', 'crd', name, '-o', 'json'])) as {
        metadata: Obj['metadata'];
        spec: {
          conversion?: { strategy: string; webhook?: { clientConfig: { url?: string; service?: unknown } } };
        };
      };
      const annotations = crd.metadata.annotations ?? {};
      assert.equal(annotations['meta.helm.sh/release-name'], 'ipam', `${name} adopted by the release`);
      assert.equal(annotations['helm.sh/resource-policy'], 'keep', name);
      assert.equal(
        annotations['cert-manager.io/inject-ca-from'],
        undefined,
        `${name}: upstream's CA injection removed`,
      );
      if (IP_POOL_CRDS.includes(name)) {
        const clientConfig = crd.spec.conversion?.webhook?.clientConfig;
        assert.equal(clientConfig?.url, `https://127.0.0.1:${webhookPort}/convert`, name);
        assert.equal(clientConfig.service, undefined, `${name}: upstream's Service`);
      } else {
        // Ours serve one version: no conversion, so no webhook left pointing at upstream's Service.
        assert.equal(crd.spec.conversion?.strategy, 'None', name);
      }
    }

    await followGuide(/rollout status/);
    // The caBundle the controller injected is the CA of its Secret (a valid one: the v1alpha1 reads
    // in the next guide block go through the webhook with it).
    const secret = JSON.parse(
      kubectl(['get', 'secret', `${deployment}-webhook-cert`, '-n', ns, '-o', 'json']),
    ) as {
      data: Record<string, string>;
    };
    for (const name of IP_POOL_CRDS) {
      const caBundle = kubectl([
        'get',
        'crd',
        name,
        '-o',
        'jsonpath={.spec.conversion.webhook.clientConfig.caBundle}',
      ]);
      assert.equal(caBundle, secret.data['ca.crt'], `${name}: caBundle`);
    }
    // The API server picks the new caBundle up asynchronously; the guide's reads follow it.
    const started = Date.now();
    await waitFor(
      () => {
        try {
          kubectl(['get', `inclusterippools.v1alpha1.${GROUP}`, 'nodes', '-n', 'team-a', '-o', 'name']);
          return Promise.resolve(true);
        } catch {
          return Promise.resolve(false);
        }
      },
      { what: 'a v1alpha1 read through the conversion webhook', timeoutMs: 30_000, intervalMs: 250 },
    );
    process.stdout.write(
      `first v1alpha1 read served ${Date.now() - started} ms after the controller was ready\n`,
    );

    await followGuide(/kubectl ipam doctor -A/);

    const v1alpha1 = JSON.parse(
      kubectl(['get', `inclusterippools.v1alpha1.${GROUP}`, 'nodes', '-n', 'team-a', '-o', 'json']),
    ) as Obj;
    assert.equal(v1alpha1.apiVersion, `${GROUP}/v1alpha1`);
    assert.equal(v1alpha1.metadata.uid, upstreamObjects.get('InClusterIPPool/team-a/nodes')?.metadata.uid);
    const global = JSON.parse(
      kubectl(['get', `globalinclusterippools.v1alpha1.${GROUP}`, 'shared', '-o', 'json']),
    ) as Obj;
    assert.equal(global.apiVersion, `${GROUP}/v1alpha1`);

    // Nothing reallocated: every upstream IPAddress and claim is the same object with the same address.
    const now = snapshot();
    let reallocated = 0;
    for (const [k, was] of upstreamObjects) {
      const is = now.get(k);
      assert.ok(is, `${k} is gone`);
      if (was.kind === 'IPAddress') {
        if (is.metadata.uid !== was.metadata.uid || is.spec?.address !== was.spec?.address) reallocated++;
        assert.deepEqual(is.metadata.finalizers, [FINALIZER.address], k);
        assert.deepEqual(
          is.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
          was.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]),
          k,
        );
      }
      if (was.kind === 'IPAddressClaim') {
        if (
          is.metadata.uid !== was.metadata.uid ||
          is.status?.addressRef?.name !== was.status?.addressRef?.name
        )
          reallocated++;
        assert.deepEqual(is.metadata.finalizers, [FINALIZER.claim], k);
      }
    }
    process.stdout.write(`reallocated after the switch: ${reallocated} of ${upstreamObjects.size} objects\n`);
    assert.equal(reallocated, 0);
  });

  it('allocates 20 new claims next to the adopted addresses, and deletes release', async () => {
    const claims = Array.from({ length: 20 }, (_, i) => `new-${i}`);
    const started = Date.now();
    apply(
      claims.map((name) => ({
        apiVersion: `${GROUP}/v1beta2`,
        kind: 'IPAddressClaim',
        metadata: { name, namespace: 'team-a' },
        spec: { poolRef: { apiGroup: GROUP, kind: 'InClusterIPPool', name: 'nodes' } },
      })),
    );
    const addressesOf = (names: string[]) =>
      waitFor(
        () => {
          const items = objects(`ipaddresses.${GROUP}`).filter(
            (o) => o.metadata.namespace === 'team-a' && names.includes(o.metadata.name),
          );
          return Promise.resolve(items.length === names.length ? items : undefined);
        },
        { what: `IPAddresses for ${names.length} claims`, timeoutMs: 60_000, intervalMs: 250 },
      );
    const fresh = await addressesOf(claims);
    process.stdout.write(`20 new claims allocated in ${Date.now() - started} ms\n`);
    // The lowest 20 free addresses of the pool: the holes upstream left first, then after the last.
    const taken = new Set(adopted.nodes);
    const expected: string[] = [];
    for (let n = 10; n <= 60 && expected.length < 20; n++) {
      if (!taken.has(`10.10.0.${n}`)) expected.push(`10.10.0.${n}`);
    }
    const ipNumber = (a: string) => a.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    assert.deepEqual(
      fresh.map((o) => o.spec?.address ?? '').sort((a, b) => ipNumber(a) - ipNumber(b)),
      expected,
    );
    for (const o of fresh) {
      assert.deepEqual(o.metadata.finalizers, [FINALIZER.address]);
      assert.ok(o.metadata.ownerReferences?.some((r) => r.kind === 'IPAddressClaim' && r.controller));
    }

    // Deleting new claims and upstream's own claims releases their addresses.
    kubectl(['delete', `ipaddressclaims.${GROUP}`, '-n', 'team-a', ...claims, 'node-0', '--wait=false']);
    kubectl(['delete', `ipaddressclaims.${GROUP}`, '-n', 'team-b', 'shared-0', '--wait=false']);
    await waitFor(
      () => {
        const left = objects(`ipaddressclaims.${GROUP},ipaddresses.${GROUP}`).filter((o) =>
          [...claims, 'node-0', 'shared-0'].includes(o.metadata.name),
        );
        return Promise.resolve(left.length === 0);
      },
      { what: 'the deleted claims and their IPAddresses to be gone', timeoutMs: 60_000, intervalMs: 250 },
    );
    // node-0's address (the pool's lowest) is free again: the next claim gets it.
    apply([
      {
        apiVersion: `${GROUP}/v1beta2`,
        kind: 'IPAddressClaim',
        metadata: { name: 'after-release', namespace: 'team-a' },
        spec: { poolRef: { apiGroup: GROUP, kind: 'InClusterIPPool', name: 'nodes' } },
      },
    ]);
    const [again] = await addressesOf(['after-release']);
    assert.equal(again?.spec?.address, adopted.nodes[0]);
  });

  it('grants namespace users read (view) and write (edit) on pools, claims and addresses through the aggregated roles', () => {
    // The test plane's kube-controller-manager runs no clusterrole-aggregation controller, so the
    // chart's roles are bound directly here; their aggregate-to-* labels are checked live.
    for (const [role, user] of [
      [`${deployment}-view`, 'jane'],
      [`${deployment}-edit`, 'joe'],
    ] as const) {
      const labels = JSON.parse(
        kubectl(['get', 'clusterrole', role, '-o', 'jsonpath={.metadata.labels}']),
      ) as Record<string, string>;
      assert.equal(labels['rbac.authorization.k8s.io/aggregate-to-edit'], 'true', role);
      kubectl([
        'create',
        'rolebinding',
        `${user}-${role}`,
        '-n',
        'team-a',
        `--clusterrole=${role}`,
        `--user=${user}`,
      ]);
    }
    const canI = (user: string, verb: string, resource: string) => {
      try {
        return (
          kubectl(['auth', 'can-i', verb, `${resource}.${GROUP}`, '-n', 'team-a', '--as', user]).trim() ===
          'yes'
        );
      } catch {
        return false; // `no` exits 1
      }
    };
    for (const resource of ['inclusterippools', 'inclusterprefixpools', 'ipaddressclaims', 'ipaddresses']) {
      assert.ok(canI('jane', 'get', resource), `view: get ${resource}`);
      assert.ok(canI('jane', 'watch', resource), `view: watch ${resource}`);
      assert.ok(!canI('jane', 'create', resource), `view must not create ${resource}`);
    }
    for (const resource of ['inclusterippools', 'inclusterprefixpools', 'ipaddressclaims'])
      assert.ok(canI('joe', 'delete', resource), `edit: delete ${resource}`);
    assert.ok(
      !canI('joe', 'create', 'ipaddresses'),
      'edit must not create IPAddresses (the controller does)',
    );
  });

  it('goes back: uninstall keeps every object unchanged, with upstream’s finalizers; upstream’s manifest retargets the CRDs', async () => {
    controller?.kill('SIGTERM');
    await waitFor(() => Promise.resolve(controller?.exitCode !== null), {
      what: 'the controller to stop',
      timeoutMs: 40_000,
    });
    // Test-only: the release goes back to the conversion target a real cluster has (the
    // Service, not webhook.url), which is what upstream's manifest then replaces.
    const chart = join(repoRoot, 'charts/ipam-in-cluster');
    const toService = helm(['upgrade', 'ipam', chart, '-n', ns, '--reuse-values', '--set', 'webhook.url='], {
      kubeconfig: plane.kubeconfig,
    });
    assert.equal(toService.status, 0, toService.stderr);
    const before = snapshot();
    await followGuide(/helm uninstall/);
    const afterUninstall = snapshot();
    assert.deepEqual([...afterUninstall.keys()].sort(), [...before.keys()].sort());
    for (const [k, was] of before) {
      const is = afterUninstall.get(k);
      assert.deepEqual(is, was, `${k} changed on uninstall`);
      const expected = {
        InClusterIPPool: FINALIZER.pool,
        GlobalInClusterIPPool: FINALIZER.pool,
        IPAddressClaim: FINALIZER.claim,
        IPAddress: FINALIZER.address,
      }[was.kind];
      assert.deepEqual(is.metadata.finalizers, expected === undefined ? undefined : [expected], k);
    }
    for (const name of POOL_CRDS) kubectl(['get', 'crd', name, '-o', 'name']);

    await followGuide(/UPSTREAM_COMPONENTS/);
    for (const name of IP_POOL_CRDS) {
      const service = kubectl([
        'get',
        'crd',
        name,
        '-o',
        'jsonpath={.spec.conversion.webhook.clientConfig.service.name}',
      ]);
      assert.equal(service, 'capi-ipam-in-cluster-webhook-service', name);
    }
    // Upstream's pool schema has no status.conditions, status.forecast (ADR 0031) or
    // status.ipAddresses.quarantined/reserved (ADRs 0028, 0030): the API server prunes what this
    // provider wrote there from what it serves (the stored objects are not rewritten). All else is
    // as it was.
    const withoutPoolConditions = (o: Obj | undefined) => {
      if (o?.kind.endsWith('Pool') !== true) return o;
      const { forecast: _forecast, ...status } = (o.status ?? {}) as Record<string, unknown>;
      const counts = status.ipAddresses as Record<string, unknown> | undefined;
      const { quarantined: _q, reserved: _r, ...upstreamCounts } = counts ?? {};
      return {
        ...o,
        status: {
          ...status,
          conditions: undefined,
          ...(counts === undefined ? {} : { ipAddresses: upstreamCounts }),
        },
      };
    };
    const afterReinstall = snapshot();
    for (const [k, was] of before) {
      assert.deepEqual(
        withoutPoolConditions(afterReinstall.get(k)),
        withoutPoolConditions(was),
        `${k} changed by upstream's manifest`,
      );
    }
    assert.equal(next, blocks.length, 'every block of the guide ran');
  });
});
