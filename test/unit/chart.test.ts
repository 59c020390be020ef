// The Helm chart: schema in sync with values.yaml and strict, `helm lint` clean, and the rendered
// objects are what the issue promises (CRDs from the single source, kept on uninstall, secure pod,
// least-privilege RBAC, both certificate modes, optional monitoring).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from '@ipam-in-cluster/controller/webhooks';
import { ControllerMetrics } from '@ipam-in-cluster/controller';
import { chartDir, generateValuesSchema } from '../tools/chart-schema.js';
import { repoRoot } from '../cluster/paths.js';
import { helm, kubeVersionFlag } from '../support/helm.js';

interface Obj {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec?: Record<string, unknown>;
  rules?: {
    apiGroups?: string[];
    resources?: string[];
    nonResourceURLs?: string[];
    verbs: string[];
    resourceNames?: string[];
  }[];
  roleRef?: { name: string };
  subjects?: { kind: string; name: string; namespace?: string }[];
  webhooks?: { name: string; clientConfig: { caBundle?: string; service?: { path: string } } }[];
}

function render(...sets: string[]): Obj[] {
  const args = ['template', 'rel', chartDir, '--namespace', 'ipam-system', kubeVersionFlag()];
  for (const s of sets) args.push('--set', s);
  const result = helm(args);
  assert.equal(result.status, 0, result.stderr);
  return parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as Obj | null)
    .filter((o): o is Obj => o !== null);
}

const kinds = (objs: Obj[]) => objs.map((o) => o.kind).sort();
const find = (objs: Obj[], kind: string) => objs.filter((o) => o.kind === kind);

describe('helm chart', () => {
  it('has a values.schema.json generated from values.yaml (npm run chart:schema)', () => {
    assert.equal(readFileSync(join(chartDir, 'values.schema.json'), 'utf8'), generateValuesSchema());
  });

  it('passes helm lint', () => {
    const result = helm(['lint', chartDir, kubeVersionFlag(), '--strict']);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  it('rejects an unknown value key and an unsafe combination', () => {
    const typo = helm(['template', 'rel', chartDir, kubeVersionFlag(), '--set', 'replicas=3']);
    assert.notEqual(typo.status, 0);
    assert.match(typo.stderr, /additional properties 'replicas' not allowed|replicas/);
    const unsafe = helm([
      'template',
      'rel',
      chartDir,
      kubeVersionFlag(),
      '--set',
      'leaderElection.enabled=false',
    ]);
    assert.notEqual(unsafe.status, 0);
    assert.match(unsafe.stderr, /leaderElection\.enabled=true/);
  });

  it('renders the default install', () => {
    const objs = render();
    assert.deepEqual(
      [...new Set(kinds(objs))],
      [
        'ClusterRole',
        'ClusterRoleBinding',
        'CustomResourceDefinition',
        'Deployment',
        'MutatingWebhookConfiguration',
        'PodDisruptionBudget',
        'Role',
        'RoleBinding',
        'Service',
        'ServiceAccount',
        'ValidatingWebhookConfiguration',
      ],
    );
  });

  it('renders every CRD of packages/api/crds, kept on uninstall by default', () => {
    const source = parseAllDocuments(
      [
        ...[
          'inclusterippools',
          'globalinclusterippools',
          'inclusterprefixpools',
          'globalinclusterprefixpools',
        ].map((p) => `ipam.cluster.x-k8s.io_${p}.yaml`),
        'ipam-in-cluster.dev_ipaddressreservations.yaml',
      ]
        .map((f) => readFileSync(join(repoRoot, 'packages/api/crds', f), 'utf8'))
        .join('\n---\n'),
    ).map((d) => (d.toJS() as Obj).metadata.name);
    const crds = find(render(), 'CustomResourceDefinition');
    assert.deepEqual(crds.map((c) => c.metadata.name).sort(), source.sort());
    for (const crd of crds) {
      assert.equal(crd.metadata.annotations?.['helm.sh/resource-policy'], 'keep');
      assert.equal(crd.metadata.labels?.['clusterctl.cluster.x-k8s.io/move-hierarchy'], '');
    }
    const notKept = find(render('crds.keep=false'), 'CustomResourceDefinition');
    assert.ok(notKept.every((c) => c.metadata.annotations?.['helm.sh/resource-policy'] === undefined));
    assert.equal(find(render('crds.enabled=false'), 'CustomResourceDefinition').length, 0);
  });

  it('runs the controller as a locked-down, non-root pod with probes', () => {
    const [deploy] = find(render(), 'Deployment');
    assert.ok(deploy);
    const text = JSON.stringify(deploy);
    for (const needle of [
      '"runAsNonRoot":true',
      '"readOnlyRootFilesystem":true',
      '"drop":["ALL"]',
      '"type":"RuntimeDefault"',
      '"allowPrivilegeEscalation":false',
      '"path":"/healthz"',
      '"path":"/readyz"',
      '--leader-elect',
    ]) {
      assert.ok(text.includes(needle), `Deployment lacks ${needle}`);
    }
  });

  it('binds the webhook server and the probes to the pod IP by default, every interface on request', () => {
    const argsOf = (objs: Obj[]): string[] => {
      const deploy = find(objs, 'Deployment')[0] as unknown as {
        spec: { template: { spec: { containers: { args: string[]; env: { name: string }[] }[] } } };
      };
      const container = deploy.spec.template.spec.containers[0];
      assert.ok(container !== undefined && container.env.some((e) => e.name === 'POD_IP'));
      return container.args;
    };
    const byDefault = argsOf(render());
    assert.ok(byDefault.includes('--webhook-bind-address=[$(POD_IP)]:9443'), byDefault.join(' '));
    assert.ok(byDefault.includes('--health-probe-bind-address=[$(POD_IP)]:8081'), byDefault.join(' '));
    const all = argsOf(render('webhook.listenOn=all', 'health.listenOn=all', 'webhook.port=9555'));
    assert.ok(all.includes('--webhook-bind-address=:9555'), all.join(' '));
    assert.ok(all.includes('--health-probe-bind-address=:8081'), all.join(' '));
  });

  it('renders the NetworkPolicy only when enabled, and refuses it without its peers', () => {
    assert.equal(find(render(), 'NetworkPolicy').length, 0);
    const peers = [
      'networkPolicy.enabled=true',
      'networkPolicy.webhookFrom[0].ipBlock.cidr=192.0.2.0/24',
      'networkPolicy.metricsFrom[0].podSelector.matchLabels.app=prometheus',
    ];
    const [policy] = find(render(...peers), 'NetworkPolicy');
    assert.deepEqual(policy?.spec?.ingress, [
      { ports: [{ port: 'webhook-server', protocol: 'TCP' }], from: [{ ipBlock: { cidr: '192.0.2.0/24' } }] },
      {
        ports: [{ port: 'https', protocol: 'TCP' }],
        from: [{ podSelector: { matchLabels: { app: 'prometheus' } } }],
      },
    ]);
    const noMetrics = find(
      render(peers[0] ?? '', peers[1] ?? '', 'metrics.enabled=false'),
      'NetworkPolicy',
    )[0];
    assert.equal((noMetrics?.spec?.ingress as unknown[]).length, 1);
    const missing = helm([
      'template',
      'rel',
      chartDir,
      kubeVersionFlag(),
      '--set',
      'networkPolicy.enabled=true',
    ]);
    assert.notEqual(missing.status, 0);
    assert.match(missing.stderr, /networkPolicy\.enabled needs networkPolicy\.webhookFrom/);
  });

  it('grants no wildcard permissions', () => {
    for (const role of [...find(render(), 'ClusterRole'), ...find(render(), 'Role')]) {
      for (const rule of role.rules ?? []) {
        for (const list of [
          rule.apiGroups ?? [],
          rule.resources ?? [],
          rule.nonResourceURLs ?? [],
          rule.verbs,
        ]) {
          assert.ok(!list.includes('*'), `${role.kind} ${role.metadata.name} has a wildcard`);
        }
      }
    }
  });

  it('serves webhooks on the upstream paths, in every certificate mode', () => {
    const objs = render();
    const validating = find(objs, 'ValidatingWebhookConfiguration')[0]?.webhooks ?? [];
    assert.deepEqual(validating.map((w) => w.clientConfig.service?.path).sort(), [
      '/validate-ipam-cluster-x-k8s-io-v1alpha2-globalinclusterippool',
      '/validate-ipam-cluster-x-k8s-io-v1alpha2-globalinclusterprefixpool',
      '/validate-ipam-cluster-x-k8s-io-v1alpha2-inclusterippool',
      '/validate-ipam-cluster-x-k8s-io-v1alpha2-inclusterprefixpool',
      '/validate-ipam-in-cluster-dev-v1alpha1-ipaddressreservation',
    ]);
    const certManager = render('webhook.certificates.mode=certManager');
    assert.equal(find(certManager, 'Certificate').length, 1);
    assert.equal(find(certManager, 'Issuer').length, 1);
    for (const o of [
      ...find(certManager, 'ValidatingWebhookConfiguration'),
      ...find(certManager, 'MutatingWebhookConfiguration'),
    ]) {
      assert.equal(
        o.metadata.annotations?.['cert-manager.io/inject-ca-from'],
        'ipam-system/rel-ipam-in-cluster-serving-cert',
      );
    }
    const secret = render(
      'webhook.certificates.mode=secret',
      'webhook.certificates.secretName=my-tls',
      'webhook.certificates.caBundle=PEM',
    );
    const hooks = find(secret, 'ValidatingWebhookConfiguration')[0]?.webhooks ?? [];
    assert.ok(hooks.every((w) => w.clientConfig.caBundle === Buffer.from('PEM').toString('base64')));
    assert.equal(find(render('webhook.enabled=false'), 'ValidatingWebhookConfiguration').length, 0);
  });

  it('renders the same webhooks as the controller generates (one source of truth for paths and rules)', () => {
    const objs = render('webhook.url=https://127.0.0.1:9443');
    const options = { name: 'rel-ipam-in-cluster', target: { url: 'https://127.0.0.1:9443' } };
    for (const [kind, generated] of [
      ['MutatingWebhookConfiguration', mutatingWebhookConfiguration(options)],
      ['ValidatingWebhookConfiguration', validatingWebhookConfiguration(options)],
    ] as const) {
      const [rendered] = find(objs, kind);
      assert.ok(rendered);
      assert.equal(rendered.metadata.name, generated.metadata.name);
      assert.deepEqual(rendered.webhooks, generated.webhooks, kind);
    }
    // webhook.claimFinalizer=false leaves out the claim finalizer webhook (docs/adr/0037), nothing else.
    const [without] = find(
      render('webhook.url=https://127.0.0.1:9443', 'webhook.claimFinalizer=false'),
      'MutatingWebhookConfiguration',
    );
    assert.deepEqual(
      without?.webhooks,
      mutatingWebhookConfiguration({ ...options, claimFinalizer: false }).webhooks,
    );
  });

  it('adds ServiceMonitor and PrometheusRule only when asked', () => {
    const objs = render('metrics.serviceMonitor.enabled=true', 'metrics.prometheusRule.enabled=true');
    assert.equal(find(objs, 'ServiceMonitor').length, 1);
    const [rule] = find(objs, 'PrometheusRule');
    assert.ok(rule);
    assert.match(
      JSON.stringify(rule),
      /IPAMPoolNearlyFull.*IPAMPoolExhausted.*IPAMClaimsPending.*IPAMReconcileErrors/,
    );
    assert.equal(find(render(), 'ServiceMonitor').length, 0);
    // Every metric an alert uses is one the controller exports.
    const exported = new Set(new ControllerMetrics().registry.getMetricsAsArray().map((m) => m.name));
    const used = [...JSON.stringify(rule).matchAll(/capi_ipam_[a-z_]+/g)].map((m) => m[0]);
    assert.ok(used.length >= 4);
    for (const name of used) assert.ok(exported.has(name), `alert uses unknown metric ${name}`);
  });

  it('alerts on "full within N days" next to the utilisation alert; the expr fires on the right pools', async () => {
    const alertOf = (objs: Obj[]) =>
      (
        find(objs, 'PrometheusRule')[0]?.spec as { groups: { rules: { alert: string; expr: string }[] }[] }
      ).groups[0]?.rules.find((r) => r.alert === 'IPAMPoolFullSoon');
    const rule = alertOf(render('metrics.prometheusRule.enabled=true'));
    assert.equal(rule?.expr, 'capi_ipam_pool_days_to_exhaustion < 7 and capi_ipam_pool_free_addresses > 0');
    assert.match(
      alertOf(render('metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.fullWithinDays=30'))
        ?.expr ?? '',
      /< 30 and/,
    );
    assert.equal(
      alertOf(render('metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.fullWithinDays=0')),
      undefined,
    );
    // No promtool here: evaluate the expr's one shape (`A < N and B > 0`, matched on the pool
    // labels) against what the controller's registry exports.
    const shape = /^(capi_ipam_\w+) < (\d+) and (capi_ipam_\w+) > 0$/.exec(rule.expr);
    assert.ok(shape, 'expr has the shape evaluated below');
    const [, left, limit, right] = shape;
    const m = new ControllerMetrics();
    const pool = (name: string) => ({ kind: 'InClusterIPPool', namespace: 'ns', name });
    const usage = (free: bigint) => ({ total: 100n, used: 100n - free, free, outOfRange: 0n });
    m.poolUsage(pool('soon'), usage(20n));
    m.poolForecast(pool('soon'), { netAllocationsPerHour: 1, daysToExhaustion: 0.83 });
    m.poolUsage(pool('later'), usage(50n));
    m.poolForecast(pool('later'), { netAllocationsPerHour: 0.1, daysToExhaustion: 20.8 });
    m.poolUsage(pool('shrinking'), usage(50n));
    m.poolForecast(pool('shrinking'), { netAllocationsPerHour: -2 });
    m.poolUsage(pool('full'), usage(0n));
    m.poolForecast(pool('full'), { netAllocationsPerHour: 3, daysToExhaustion: 0 });
    const text = (await m.render()).body;
    const series = (name: string) =>
      new Map(
        [...text.matchAll(new RegExp(`^${name}\\{[^}]*pool_name="([^"]+)"\\} (\\S+)$`, 'gm'))].map((x) => [
          x[1],
          Number(x[2]),
        ]),
      );
    const days = series(left ?? '');
    const free = series(right ?? '');
    const firing = [...days]
      .filter(([name, d]) => d < Number(limit) && (free.get(name) ?? 0) > 0)
      .map(([name]) => name);
    assert.deepEqual(firing, ['soon']);
    assert.equal(days.has('shrinking'), false, 'no days series (not +Inf) while the pool is not filling up');
  });

  it('serves metrics over HTTPS with TokenReview + SubjectAccessReview by default, as upstream v1.1', () => {
    const objs = render('metrics.readers={monitoring/prometheus-k8s}');
    const [deploy] = find(objs, 'Deployment');
    const container = (
      deploy?.spec as {
        template: {
          spec: { containers: { args: string[]; ports: { name: string; containerPort: number }[] }[] };
        };
      }
    ).template.spec.containers[0];
    assert.ok(container);
    assert.ok(container.args.includes('--diagnostics-address=:8443'));
    assert.ok(
      !container.args.some((a) => a.startsWith('--insecure-diagnostics') || a.startsWith('--metrics-bind')),
    );
    const roles = find(objs, 'ClusterRole');
    const reader = roles.find((r) => r.metadata.name === 'rel-ipam-in-cluster-metrics-reader');
    assert.deepEqual(reader?.rules, [{ nonResourceURLs: ['/metrics'], verbs: ['get'] }]);
    const review = roles.find((r) => r.metadata.name === 'rel-ipam-in-cluster-metrics-auth');
    assert.deepEqual(
      review?.rules?.map((r) => [r.apiGroups, r.resources, r.verbs]),
      [
        [['authentication.k8s.io'], ['tokenreviews'], ['create']],
        [['authorization.k8s.io'], ['subjectaccessreviews'], ['create']],
      ],
    );
    const bindings = find(objs, 'ClusterRoleBinding');
    assert.deepEqual(bindings.find((b) => b.roleRef?.name === 'rel-ipam-in-cluster-metrics-auth')?.subjects, [
      { kind: 'ServiceAccount', name: 'rel-ipam-in-cluster', namespace: 'ipam-system' },
    ]);
    assert.deepEqual(
      bindings.find((b) => b.roleRef?.name === 'rel-ipam-in-cluster-metrics-reader')?.subjects,
      [{ kind: 'ServiceAccount', name: 'prometheus-k8s', namespace: 'monitoring' }],
    );
    const bad = helm([
      'template',
      'rel',
      chartDir,
      kubeVersionFlag(),
      '--set',
      'metrics.readers={prometheus}',
    ]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /metrics.readers: "prometheus" must be namespace\/name of a ServiceAccount/);
  });

  it('points the metrics Service at a port the container declares, in both modes', () => {
    for (const [sets, name, scheme] of [
      [[], 'https', 'https'],
      [['metrics.secure=false'], 'http', 'http'],
    ] as const) {
      const objs = render(...sets, 'metrics.serviceMonitor.enabled=true');
      const [deploy] = find(objs, 'Deployment');
      const ports = (
        deploy?.spec as { template: { spec: { containers: { ports: { name: string }[] }[] } } }
      ).template.spec.containers[0]?.ports.map((p) => p.name);
      const service = find(objs, 'Service').find((s) => s.metadata.name === 'rel-ipam-in-cluster-metrics');
      const target = (service?.spec as { ports: { targetPort: string }[] }).ports[0]?.targetPort;
      assert.equal(target, name);
      assert.ok(ports?.includes(target), `the container declares ${target}`);
      const [monitor] = find(objs, 'ServiceMonitor');
      const endpoint = (monitor?.spec as { endpoints: Record<string, unknown>[] }).endpoints[0];
      assert.equal(endpoint?.port, name);
      assert.equal(endpoint.scheme, scheme);
    }
    const insecure = render('metrics.secure=false');
    assert.ok(JSON.stringify(insecure).includes('--insecure-diagnostics'));
    assert.equal(
      find(insecure, 'ClusterRole').filter((r) => r.metadata.name.includes('metrics')).length,
      0,
      'no metrics RBAC without authentication',
    );
  });

  it('scrapes with a bearer token over HTTPS, verifying the certificate when it comes from a Secret', () => {
    const [selfSigned] = find(render('metrics.serviceMonitor.enabled=true'), 'ServiceMonitor');
    assert.deepEqual((selfSigned?.spec as { endpoints: Record<string, unknown>[] }).endpoints[0], {
      port: 'https',
      path: '/metrics',
      interval: '30s',
      scheme: 'https',
      bearerTokenFile: '/var/run/secrets/kubernetes.io/serviceaccount/token',
      tlsConfig: { insecureSkipVerify: true },
    });
    const objs = render(
      'metrics.serviceMonitor.enabled=true',
      'metrics.serviceMonitor.insecureSkipVerify=false',
      'metrics.certSecret=metrics-tls',
    );
    const [monitor] = find(objs, 'ServiceMonitor');
    assert.deepEqual((monitor?.spec as { endpoints: { tlsConfig: unknown }[] }).endpoints[0]?.tlsConfig, {
      ca: { secret: { name: 'metrics-tls', key: 'ca.crt' } },
      serverName: 'rel-ipam-in-cluster-metrics.ipam-system.svc',
    });
    const text = JSON.stringify(find(objs, 'Deployment'));
    assert.ok(text.includes('--diagnostics-cert-dir=/tmp/k8s-metrics-server/serving-certs'));
    assert.ok(text.includes('"secretName":"metrics-tls"'));
    const unverifiable = helm([
      'template',
      'rel',
      chartDir,
      kubeVersionFlag(),
      '--set',
      'metrics.serviceMonitor.enabled=true',
      '--set',
      'metrics.serviceMonitor.insecureSkipVerify=false',
    ]);
    assert.notEqual(unverifiable.status, 0);
    assert.match(unverifiable.stderr, /needs metrics.certSecret/);
  });
});
