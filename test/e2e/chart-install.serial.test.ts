// The Helm chart installs the way users install it, and the permissions it grants are proven
// enough (and no more) by running the controller with nothing but its ServiceAccount's token.
// No kubelet here, so the controller runs as a local process with the Deployment's own args.
// A private control plane: the chart's webhooks (failurePolicy Fail) and CRD ownership are
// cluster-wide.
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { capiCrdsDir, repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import { runChartController } from '../support/chart-controller.js';
import { helm } from '../support/helm.js';
import { kubectlWith } from '../support/kubectl.js';
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
    kubectl(['apply', '--server-side', '-f', join(capiCrdsDir, 'v1.14.0')]);
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
