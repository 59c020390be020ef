// The Helm chart installs the way users install it, and the permissions it grants are proven
// enough (and no more) by running the controller with nothing but its ServiceAccount's token.
// No kubelet here, so the controller runs as a local process with the Deployment's own args.
// A private control plane: the chart's webhooks (failurePolicy Fail) and CRD ownership are
// cluster-wide. Metrics are scraped as a ServiceMonitor would, over HTTPS with a bearer token: the
// chart's own ServiceAccount, bound to the chart's metrics-reader ClusterRole through
// `metrics.readers`, gets them; no token and a token without the binding do not.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { capiCrdsDir } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import { runChartController } from '../support/chart-controller.js';
import { helm, kubeVersionFlag } from '../support/helm.js';
import { kubectlWith } from '../support/kubectl.js';
import { scrapeHttps } from '../support/metrics-scrape.js';
import { startPrivatePlane, type PrivatePlane } from '../support/private-plane.js';
import { waitFor } from '../support/wait.js';

const ns = 'ipam-system';
const release = 'ipam';
const fullname = 'ipam-ipam-in-cluster';
const chart = join(repoRoot, 'charts', 'ipam-in-cluster');

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string };
}

describe('helm chart on a real control plane', () => {
  let plane: PrivatePlane;
  let kubectl: ReturnType<typeof kubectlWith>;
  let work: string;
  let webhookPort: number;
  let diagnosticsPort: number;
  let token = '';
  let controller: ChildProcess | undefined;
  let manifest: Obj[] = [];
  const helmIn = (args: string[]) => {
    const result = helm([...args, '--kubeconfig', plane.kubeconfig]);
    assert.equal(result.status, 0, result.stderr);
    return result.stdout;
  };

  before(async () => {
    plane = startPrivatePlane('chart');
    kubectl = kubectlWith(plane.kubeconfig);
    work = mkdtempSync(join(tmpdir(), 'ipam-chart-'));
    webhookPort = await freePort();
    kubectl(['apply', '--server-side', '-f', capiCrdsDir()]);
  });

  after(() => {
    controller?.kill('SIGKILL');
    plane.stop();
    rmSync(work, { recursive: true, force: true });
  });

  it('installs every object and establishes the CRDs', () => {
    helmIn([
      'install',
      release,
      chart,
      '--namespace',
      ns,
      '--create-namespace',
      '--set',
      'replicaCount=1',
      '--set',
      `webhook.url=https://127.0.0.1:${webhookPort}`,
      '--set',
      `metrics.readers={${ns}/${fullname}}`,
    ]);
    manifest = parseAllDocuments(helmIn(['get', 'manifest', release, '--namespace', ns]))
      .map((d) => d.toJS() as Obj | null)
      .filter((o): o is Obj => o !== null);
    assert.ok(manifest.length >= 12, `only ${manifest.length} objects`);
    for (const obj of manifest) {
      const args = [
        'get',
        `${obj.kind}.${obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : ''}`.replace(/\.$/, ''),
        obj.metadata.name,
      ];
      if (obj.metadata.namespace) args.push('--namespace', obj.metadata.namespace);
      kubectl([...args, '-o', 'name']);
    }
    kubectl([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd',
      'inclusterippools.ipam.cluster.x-k8s.io',
      'globalinclusterippools.ipam.cluster.x-k8s.io',
      'inclusterprefixpools.ipam.cluster.x-k8s.io',
      'globalinclusterprefixpools.ipam.cluster.x-k8s.io',
    ]);
  });

  it('runs the controller with only its ServiceAccount token: ready, leading, allocating, validating, recording events', async () => {
    const run = await runChartController({ kubectl, namespace: ns, deployment: fullname, webhookPort, work });
    controller = run.process;
    token = run.token;
    diagnosticsPort = run.diagnosticsPort;
    const output = run.output;

    const lease = JSON.parse(
      kubectl(['get', 'lease', '7bb7acb4.ipam.cluster.x-k8s.io', '--namespace', ns, '-o', 'json']),
    ) as {
      spec: { holderIdentity?: string };
    };
    assert.ok(lease.spec.holderIdentity, 'the controller holds the Lease');

    // Pools and claims in two namespaces, from a namespaced and a global pool. The webhooks must
    // answer for the pools to be created at all (failurePolicy Fail).
    const objects = ['team-a', 'team-b'].map(
      (team, i) => `
apiVersion: v1
kind: Namespace
metadata: {name: ${team}}
---
apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: InClusterIPPool
metadata: {name: nodes, namespace: ${team}}
spec: {addresses: ["10.${i}.0.10-10.${i}.0.20"], prefix: 24, gateway: 10.${i}.0.1}
---
apiVersion: ipam.cluster.x-k8s.io/v1beta2
kind: IPAddressClaim
metadata: {name: local, namespace: ${team}}
spec: {poolRef: {apiGroup: ipam.cluster.x-k8s.io, kind: InClusterIPPool, name: nodes}}
---
apiVersion: ipam.cluster.x-k8s.io/v1beta2
kind: IPAddressClaim
metadata: {name: shared, namespace: ${team}}
spec: {poolRef: {apiGroup: ipam.cluster.x-k8s.io, kind: GlobalInClusterIPPool, name: shared}}
`,
    );
    await waitFor(
      () => {
        try {
          kubectl(
            ['apply', '-f', '-'],
            `apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: GlobalInClusterIPPool
metadata: {name: shared}
spec: {addresses: ["192.168.10.0/24"], prefix: 24, gateway: 192.168.10.1}
---
${objects.join('---')}`,
          );
          return Promise.resolve(true);
        } catch {
          return Promise.resolve(false); // the webhook may still be loading its certificate
        }
      },
      { what: 'pools and claims to be accepted', timeoutMs: 30_000 },
    );
    const addressOf = (team: string, claim: string) =>
      waitFor(
        () => {
          try {
            return Promise.resolve(
              kubectl([
                '-n',
                team,
                'get',
                'ipaddresses.ipam.cluster.x-k8s.io',
                claim,
                '-o',
                'jsonpath={.spec.address}',
              ]) || undefined,
            );
          } catch {
            return Promise.resolve(undefined);
          }
        },
        { what: `an address for ${team}/${claim}`, timeoutMs: 30_000 },
      );
    assert.equal(await addressOf('team-a', 'local'), '10.0.0.10');
    assert.equal(await addressOf('team-b', 'local'), '10.1.0.10');
    const shared = [await addressOf('team-a', 'shared'), await addressOf('team-b', 'shared')].sort();
    assert.deepEqual(shared, ['192.168.10.2', '192.168.10.3']);

    // The validating webhook rejects a bad entry that CEL (which checks only the first) lets through.
    assert.throws(
      () =>
        kubectl(
          ['apply', '-f', '-'],
          `apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: InClusterIPPool
metadata: {name: broken, namespace: team-a}
spec: {addresses: ["10.9.0.1", "not-an-address"], prefix: 24}
`,
        ),
      /spec\.addresses\[1\].*provided address is not a valid IP, range, nor CIDR/s,
    );

    await waitFor(
      () =>
        Promise.resolve(
          kubectl([
            'get',
            'events',
            '--all-namespaces',
            '--field-selector',
            'involvedObject.kind=IPAddressClaim',
            '-o',
            'name',
          ]).trim() !== '',
        ),
      { what: 'an Event on a claim', timeoutMs: 20_000 },
    );
    assert.doesNotMatch(
      output(),
      /forbidden|"status":403|\b403\b/i,
      'the controller made a call its RBAC does not allow',
    );
  });

  it('grants no PUT on our kinds and Lease updates only on its own Lease', () => {
    const as = `system:serviceaccount:${ns}:${fullname}`;
    const can = (...args: string[]): boolean => {
      try {
        return kubectl(['auth', 'can-i', ...args, '--as', as]).trim() === 'yes';
      } catch {
        return false; // `can-i` exits 1 when the answer is no
      }
    };
    for (const resource of [
      'inclusterippools.ipam.cluster.x-k8s.io',
      'globalinclusterprefixpools.ipam.cluster.x-k8s.io',
      'inclusterippools.ipam.cluster.x-k8s.io/status',
      'ipaddressclaims.ipam.cluster.x-k8s.io',
      'ipaddressclaims.ipam.cluster.x-k8s.io/status',
      'ipaddresses.ipam.cluster.x-k8s.io',
    ]) {
      const [kind, sub] = resource.split('/');
      const target = [kind ?? '', ...(sub === undefined ? [] : ['--subresource', sub])];
      assert.equal(can('update', ...target, '-A'), false, `update ${resource}`);
      assert.equal(can('patch', ...target, '-A'), true, `patch ${resource}`);
    }
    const lease = 'leases.coordination.k8s.io';
    assert.equal(can('update', `${lease}/7bb7acb4.ipam.cluster.x-k8s.io`, '-n', ns), true);
    assert.equal(can('get', `${lease}/7bb7acb4.ipam.cluster.x-k8s.io`, '-n', ns), true);
    assert.equal(can('create', lease, '-n', ns), true);
    assert.equal(can('update', `${lease}/someone-else`, '-n', ns), false);
    assert.equal(can('get', `${lease}/someone-else`, '-n', ns), false);
    assert.equal(can('patch', `${lease}/7bb7acb4.ipam.cluster.x-k8s.io`, '-n', ns), false);
    // The standby's release watch: list and watch of the one Lease (field selector metadata.name).
    assert.equal(can('list', `${lease}/7bb7acb4.ipam.cluster.x-k8s.io`, '-n', ns), true);
    assert.equal(can('watch', `${lease}/7bb7acb4.ipam.cluster.x-k8s.io`, '-n', ns), true);
    assert.equal(can('watch', `${lease}/someone-else`, '-n', ns), false);
    assert.equal(can('list', lease, '-n', ns), false);
    assert.equal(can('watch', lease, '-n', ns), false);
    // A real request as the controller makes it: RBAC matches the field selector against resourceNames.
    const listed = kubectl([
      'get',
      lease,
      '-n',
      ns,
      '--field-selector',
      'metadata.name=7bb7acb4.ipam.cluster.x-k8s.io',
      '-o',
      'name',
      '--as',
      as,
    ]);
    assert.match(listed, /7bb7acb4\.ipam\.cluster\.x-k8s\.io/);
  });

  it('renders a NetworkPolicy the API server accepts: webhook port from the API server, metrics from the scraper', () => {
    const rendered = helm([
      'template',
      release,
      chart,
      '--namespace',
      ns,
      '--show-only',
      'templates/networkpolicy.yaml',
      kubeVersionFlag(),
      '--set',
      'networkPolicy.enabled=true',
      '--set',
      'networkPolicy.webhookFrom[0].ipBlock.cidr=10.0.0.0/24',
      '--set',
      'networkPolicy.metricsFrom[0].namespaceSelector.matchLabels.kubernetes\\.io/metadata\\.name=monitoring',
    ]);
    assert.equal(rendered.status, 0, rendered.stderr);
    const applied = JSON.parse(
      kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', '-'], rendered.stdout),
    ) as { spec: { ingress: { ports: { port: string }[]; from: unknown[] }[]; policyTypes: string[] } };
    assert.deepEqual(applied.spec.policyTypes, ['Ingress']);
    assert.deepEqual(
      applied.spec.ingress.map((r) => [r.ports.map((p) => p.port), r.from]),
      [
        [['webhook-server'], [{ ipBlock: { cidr: '10.0.0.0/24' } }]],
        [
          ['https'],
          [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
        ],
      ],
    );
  });

  it("serves metrics over HTTPS to the chart's ServiceAccount token only: 401 without a token, 403 without the binding", async () => {
    const deploy = kubectl(['get', 'deployment', fullname, '--namespace', ns, '-o', 'json']);
    assert.match(deploy, /"--diagnostics-address=:8443"/, 'upstream v1.1 secure default');
    assert.doesNotMatch(deploy, /--insecure-diagnostics|--metrics-bind-address/);
    assert.deepEqual(await scrapeHttps(diagnosticsPort), { status: 401, body: 'Unauthorized\n' });
    kubectl(['create', 'serviceaccount', 'stranger', '--namespace', ns]);
    const stranger = kubectl(['create', 'token', 'stranger', '--namespace', ns, '--duration', '1h']).trim();
    assert.deepEqual(await scrapeHttps(diagnosticsPort, stranger), {
      status: 403,
      body: `Authorization denied for user system:serviceaccount:${ns}:stranger\n`,
    });
    const scraped = await scrapeHttps(diagnosticsPort, token);
    assert.equal(scraped.status, 200, scraped.body);
    assert.match(
      scraped.body,
      /capi_ipam_pool_used_addresses\{pool_kind="InClusterIPPool",pool_namespace="team-a"/,
    );
    assert.match(scraped.body, /capi_ipam_metrics_auth_reviews_total\{review="access",result="allowed"\} 1/);
    // The controller made its TokenReviews and SubjectAccessReviews with the chart's RBAC alone.
    assert.doesNotMatch(scraped.body, /result="error"/);
  });

  it('upgrades with changed values', () => {
    helmIn([
      'upgrade',
      release,
      chart,
      '--namespace',
      ns,
      '--reuse-values',
      '--set',
      'controller.logLevel=debug',
      '--set',
      'controller.concurrency=7',
    ]);
    const args = kubectl([
      'get',
      'deployment',
      fullname,
      '--namespace',
      ns,
      '-o',
      'jsonpath={.spec.template.spec.containers[0].args}',
    ]);
    assert.match(args, /--log-level=debug/);
    assert.match(args, /--concurrency=7/);
  });

  it('uninstalls everything but the CRDs', () => {
    controller?.kill('SIGTERM');
    helmIn(['uninstall', release, '--namespace', ns, '--wait']);
    for (const obj of manifest) {
      const kind = `${obj.kind}.${obj.apiVersion.includes('/') ? obj.apiVersion.split('/')[0] : ''}`.replace(
        /\.$/,
        '',
      );
      const args = ['get', kind, obj.metadata.name, '--ignore-not-found', '-o', 'name'];
      if (obj.metadata.namespace) args.push('--namespace', obj.metadata.namespace);
      const left = kubectl(args).trim();
      if (obj.kind === 'CustomResourceDefinition')
        assert.notEqual(left, '', `${obj.metadata.name} must be kept`);
      else assert.equal(left, '', `${obj.kind} ${obj.metadata.name} was left behind`);
    }
  });
});
