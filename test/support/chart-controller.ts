// The chart's controller Deployment, run as a local process: no kubelet on the test planes, so the
// container runs here with the Deployment's own arguments and Node options and nothing but its
// ServiceAccount's token, which proves the chart's RBAC enough. Listen addresses move to free
// loopback ports; the webhook port is the one the chart's webhook.url names.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import type { kubectlWith } from './kubectl.js';
import { waitFor } from './wait.js';

export interface ChartController {
  process: ChildProcess;
  /** The ServiceAccount token it runs with. */
  token: string;
  /** The loopback port of its diagnostics (metrics) endpoint, when the Deployment serves one. */
  diagnosticsPort: number;
  /** Everything it wrote to stdout and stderr so far. */
  output: () => string;
}

interface DeploymentJson {
  spec: {
    template: {
      spec: {
        serviceAccountName: string;
        containers: { args?: string[]; env?: { name: string; value?: string }[] }[];
      };
    };
  };
}

export async function runChartController(options: {
  kubectl: ReturnType<typeof kubectlWith>;
  namespace: string;
  deployment: string;
  webhookPort: number;
  /** A private directory for the ServiceAccount kubeconfig and the webhook certificates. */
  work: string;
}): Promise<ChartController> {
  const { kubectl, namespace: ns, work } = options;
  const deploy = JSON.parse(
    kubectl(['get', 'deployment', options.deployment, '--namespace', ns, '-o', 'json']),
  ) as DeploymentJson;
  const pod = deploy.spec.template.spec;
  const token = kubectl([
    'create',
    'token',
    pod.serviceAccountName,
    '--namespace',
    ns,
    '--duration',
    '1h',
  ]).trim();
  const admin = parse(kubectl(['config', 'view', '--raw', '-o', 'json'])) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const cluster = admin.clusters[0]?.cluster;
  if (cluster === undefined) throw new Error('the admin kubeconfig has no cluster');
  const kubeconfig = join(work, 'sa.kubeconfig');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${cluster.server}", certificate-authority-data: ${cluster['certificate-authority-data']}}}]
users: [{name: sa, user: {token: ${token}}}]
contexts: [{name: c, context: {cluster: c, user: sa, namespace: ${ns}}}]
current-context: c
`,
  );
  const container = pod.containers[0];
  const probePort = await freePort();
  const diagnosticsPort = await freePort();
  const args = (container?.args ?? []).map((a) =>
    a.startsWith('--health-probe-bind-address=')
      ? `--health-probe-bind-address=127.0.0.1:${probePort}`
      : a.startsWith('--diagnostics-address=') && a !== '--diagnostics-address=0'
        ? `--diagnostics-address=127.0.0.1:${diagnosticsPort}`
        : a.startsWith('--metrics-bind-address=')
          ? '--metrics-bind-address=0'
          : a.startsWith('--webhook-bind-address=')
            ? `--webhook-bind-address=127.0.0.1:${options.webhookPort}`
            : a.startsWith('--webhook-cert-dir=')
              ? `--webhook-cert-dir=${join(work, 'certs')}`
              : a,
  );
  // The container's NODE_OPTIONS (the heap cap) as Node flags: the runner's own NODE_OPTIONS stay.
  const nodeOptions = (container?.env?.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '')
    .split(/\s+/)
    .filter((a) => a !== '');
  const child = spawn(
    process.execPath,
    [
      ...nodeOptions,
      ...process.execArgv,
      join(repoRoot, 'controller/src/main.ts'),
      `--kubeconfig=${kubeconfig}`,
      ...args,
    ],
    {
      env: { ...process.env, POD_NAMESPACE: ns, POD_NAME: `${options.deployment}-0` },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`controller exited: ${output.slice(-3000)}`);
      return (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.ok;
    },
    { what: 'the controller to be ready', timeoutMs: 60_000 },
  );
  return { process: child, token, diagnosticsPort, output: () => output };
}
