// Chart details operators asked for (issue 14 item 7) and the conversion webhook's target in every
// certificate mode (item 2): name overrides, aggregated ClusterRoles, a settable heap, NOTES without
// repository paths, CRDs packaged as real files that match packages/api/crds, and no helm warnings.
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';
import { repoRoot } from '../cluster/paths.js';
import { helm, kubeVersionFlag } from '../support/helm.js';
import { chartCrdDir, chartCrdDrift } from '../tools/chart-crds.js';
import { chartDir } from '../tools/chart-schema.js';

interface Obj {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: {
    conversion?: {
      strategy: string;
      webhook?: null | {
        clientConfig: { service?: Record<string, unknown> | null; caBundle?: string; url?: string | null };
      };
    };
    dnsNames?: string[];
    template?: { spec: { containers: { env?: { name: string; value?: string }[] }[] } };
  };
  rules?: { apiGroups: string[]; resources: string[]; verbs: string[] }[];
  webhooks?: { clientConfig: { service?: { name: string } } }[];
}

function helmOk(args: string[]): { stdout: string; stderr: string } {
  const result = helm(args);
  assert.equal(result.status, 0, result.stderr);
  return result;
}

function render(...sets: string[]): Obj[] {
  const args = ['template', 'rel', chartDir, '--namespace', 'ipam-system', kubeVersionFlag()];
  for (const s of sets) args.push('--set', s);
  return parseAllDocuments(helmOk(args).stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const named = (objs: Obj[], kind: string, name: string) => {
  const found = objs.find((o) => o.kind === kind && o.metadata.name === name);
  assert.ok(found, `no ${kind} ${name}: ${objs.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  return found;
};

const IP_POOL_CRDS = [
  'inclusterippools.ipam.cluster.x-k8s.io',
  'globalinclusterippools.ipam.cluster.x-k8s.io',
];

describe('helm chart details', () => {
  it('packages real copies of packages/api/crds (npm run chart:crds), no symlink', () => {
    assert.deepEqual(chartCrdDrift(), []);
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const path = join(dir, f);
        const stat = lstatSync(path);
        if (stat.isSymbolicLink()) return [path];
        return stat.isDirectory() ? walk(path) : [];
      });
    assert.deepEqual(walk(chartDir), []);
    assert.ok(readdirSync(chartCrdDir).length >= 4);
  });

  it('runs lint, template and package without a warning', () => {
    const out = mkdtempSync(join(tmpdir(), 'ipam-chart-package-'));
    try {
      for (const args of [
        ['lint', chartDir, kubeVersionFlag(), '--strict'],
        ['template', 'rel', chartDir, kubeVersionFlag()],
        ['package', chartDir, '--destination', out],
      ]) {
        const { stderr } = helmOk(args);
        assert.doesNotMatch(stderr, /warn|symbolic link/i, `helm ${args[0] ?? ''}`);
      }
      assert.equal(readdirSync(out).length, 1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('names objects after nameOverride and fullnameOverride, the webhooks and conversion follow', () => {
    const full = render('fullnameOverride=ipam');
    named(full, 'Deployment', 'ipam');
    named(full, 'Service', 'ipam-webhook');
    named(full, 'ClusterRole', 'ipam');
    const [hook] = named(full, 'ValidatingWebhookConfiguration', 'ipam').webhooks ?? [];
    assert.equal(hook?.clientConfig.service?.name, 'ipam-webhook');
    for (const crd of IP_POOL_CRDS) {
      assert.equal(
        named(full, 'CustomResourceDefinition', crd).spec?.conversion?.webhook?.clientConfig.service?.name,
        'ipam-webhook',
      );
    }
    const name = render('nameOverride=addresses');
    const deploy = named(name, 'Deployment', 'rel-addresses');
    assert.equal(deploy.metadata.labels?.['app.kubernetes.io/name'], 'addresses');
  });

  it('retargets the IP pool CRDs’ conversion webhook to its Service, with a caBundle source in every certificate mode', () => {
    const service = {
      name: 'rel-ipam-in-cluster-webhook',
      namespace: 'ipam-system',
      path: '/convert',
      port: 443,
    };
    // controller: the controller injects the caBundle, so it needs to patch exactly these CRDs.
    const controller = render();
    for (const crd of IP_POOL_CRDS) {
      const obj = named(controller, 'CustomResourceDefinition', crd);
      // url: null, so that adopting upstream's CRD (helm --take-ownership) leaves one target.
      assert.deepEqual(obj.spec?.conversion?.webhook?.clientConfig, { service, url: null });
      assert.equal(obj.metadata.annotations?.['cert-manager.io/inject-ca-from'], undefined);
    }
    const ownRole = JSON.stringify(named(controller, 'ClusterRole', 'rel-ipam-in-cluster').rules);
    for (const crd of IP_POOL_CRDS) assert.ok(ownRole.includes(crd), `the controller may patch ${crd}`);
    // certManager: cert-manager injects from this release's Certificate, which covers the Service.
    const certManager = render('webhook.certificates.mode=certManager');
    for (const crd of IP_POOL_CRDS) {
      const obj = named(certManager, 'CustomResourceDefinition', crd);
      assert.deepEqual(obj.spec?.conversion?.webhook?.clientConfig, { service, url: null });
      assert.equal(
        obj.metadata.annotations?.['cert-manager.io/inject-ca-from'],
        'ipam-system/rel-ipam-in-cluster-serving-cert',
      );
    }
    assert.ok(
      named(certManager, 'Certificate', 'rel-ipam-in-cluster-serving-cert').spec?.dnsNames?.includes(
        'rel-ipam-in-cluster-webhook.ipam-system.svc',
      ),
    );
    // secret: the caBundle comes from values.
    const secret = render(
      'webhook.certificates.mode=secret',
      'webhook.certificates.secretName=my-tls',
      'webhook.certificates.caBundle=PEM',
    );
    for (const crd of IP_POOL_CRDS) {
      assert.deepEqual(
        named(secret, 'CustomResourceDefinition', crd).spec?.conversion?.webhook?.clientConfig,
        {
          service,
          url: null,
          caBundle: Buffer.from('PEM').toString('base64'),
        },
      );
    }
    // webhook.url (a controller outside the cluster): the URL, and the Service form nulled.
    for (const crd of IP_POOL_CRDS) {
      const clientConfig = named(
        render('webhook.url=https://127.0.0.1:9443'),
        'CustomResourceDefinition',
        crd,
      ).spec?.conversion?.webhook?.clientConfig;
      assert.deepEqual(clientConfig, { url: 'https://127.0.0.1:9443/convert', service: null });
    }
    // The prefix pools serve one version: no conversion, any adopted webhook block nulled.
    for (const crd of [
      'inclusterprefixpools.ipam.cluster.x-k8s.io',
      'globalinclusterprefixpools.ipam.cluster.x-k8s.io',
    ])
      assert.deepEqual(named(controller, 'CustomResourceDefinition', crd).spec?.conversion, {
        strategy: 'None',
        webhook: null,
      });
  });

  it('aggregates read access into view and write access into edit, for the pool kinds and the CAPI IPAM kinds', () => {
    const objs = render();
    const view = named(objs, 'ClusterRole', 'rel-ipam-in-cluster-view');
    const edit = named(objs, 'ClusterRole', 'rel-ipam-in-cluster-edit');
    for (const label of ['view', 'edit', 'admin'])
      assert.equal(view.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${label}`], 'true', label);
    for (const label of ['edit', 'admin'])
      assert.equal(edit.metadata.labels?.[`rbac.authorization.k8s.io/aggregate-to-${label}`], 'true', label);
    assert.equal(edit.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view'], undefined);
    assert.deepEqual(view.rules, [
      {
        apiGroups: ['ipam.cluster.x-k8s.io'],
        resources: [
          'inclusterippools',
          'globalinclusterippools',
          'inclusterprefixpools',
          'globalinclusterprefixpools',
          'ipaddressclaims',
          'ipaddresses',
        ],
        verbs: ['get', 'list', 'watch'],
      },
      {
        apiGroups: ['ipam-in-cluster.dev'],
        resources: ['ipaddressreservations'],
        verbs: ['get', 'list', 'watch'],
      },
    ]);
    assert.deepEqual(edit.rules?.[0]?.resources, [
      'inclusterippools',
      'inclusterprefixpools',
      'ipaddressclaims',
    ]);
    // kubectl ipam reserve / unreserve with namespace edit rights (docs/adr/0030-reservations.md).
    assert.deepEqual(edit.rules[1], {
      apiGroups: ['ipam-in-cluster.dev'],
      resources: ['ipaddressreservations'],
      verbs: ['create', 'update', 'patch', 'delete', 'deletecollection'],
    });
    assert.ok(!edit.rules.some((r) => r.resources.some((res) => res.startsWith('global'))));
    const off = render('aggregatedClusterRoles.enabled=false');
    assert.ok(!off.some((o) => o.metadata.name.endsWith('-view') || o.metadata.name.endsWith('-edit')));
  });

  it('sets the Node heap from values, defaulting to the image’s own cap', () => {
    const env = (objs: Obj[]) =>
      named(objs, 'Deployment', 'rel-ipam-in-cluster').spec?.template?.spec.containers[0]?.env ?? [];
    const nodeOptions = (objs: Obj[]) => env(objs).find((e) => e.name === 'NODE_OPTIONS')?.value;
    // The controller's own heap cap (controller/src/node-flags.ts, applied however it is started).
    const imageDefault = CONTROLLER_NODE_FLAGS.find((f) => f.startsWith('--max-old-space-size='));
    assert.equal(nodeOptions(render()), imageDefault);
    assert.equal(nodeOptions(render()), '--max-old-space-size=128');
    assert.equal(nodeOptions(render('controller.maxHeapSizeMiB=512')), '--max-old-space-size=512');
    assert.equal(nodeOptions(render('controller.maxHeapSizeMiB=0')), undefined);
  });

  it('NOTES name no repository path', () => {
    const notes = readFileSync(join(chartDir, 'templates', 'NOTES.txt'), 'utf8');
    assert.doesNotMatch(notes, /\b(packages|charts|controller|plugin|test|docs|scripts)\/[\w.-]/);
  });

  it('the README documents helm template with --kube-version', () => {
    const readme = readFileSync(join(repoRoot, 'README.md'), 'utf8');
    assert.match(readme, /helm template [^\n`]*--kube-version/);
  });
});
