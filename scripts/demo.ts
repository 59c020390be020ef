// `npm run demo`: the local demo, end to end.
//   1. start the local control plane (building it from Go modules on first use)
//   2. install the Cluster API IPAM CRDs and ours
//   3. build the workspaces and start the controller as the image runs it (its bundle, which
//      re-executes itself with the controller's Node flags; background process, log in .cluster/logs)
//   4. create sample pools (IPv4 and IPv6, namespaced and global, with exclusions) and claims
//   5. wait for every claim to be Ready, show the IPAddresses and `kubectl ipam pools -A`
// The plane and the controller keep running afterwards; `npm run cluster:down` stops both.
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../test/cluster/control-plane.js';
import { capiRelease } from '../test/cluster/capi-crds.js';
import { clusterDir, repoRoot } from '../test/cluster/paths.js';
import { freePort } from '../test/cluster/ports.js';
import { installCrds } from '../test/support/cluster.js';
import { waitFor } from '../test/support/wait.js';

const step = (text: string) => process.stdout.write(`\n==> ${text}\n`);

// The demo controller only touches objects with this label (--watch-filter), so it never competes
// with the controllers that tests start on the same control plane.
const WATCH_FILTER = 'demo';
const FILTER = `cluster.x-k8s.io/watch-filter: ${WATCH_FILTER}`;

const samples = `
apiVersion: v1
kind: Namespace
metadata: {name: demo}
---
apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: InClusterIPPool
metadata: {name: nodes-v4, namespace: demo, labels: {${FILTER}}}
spec:
  addresses: ["10.10.0.0/24"]
  prefix: 24
  gateway: 10.10.0.1
  excludedAddresses: ["10.10.0.2-10.10.0.9", "10.10.0.100"]
---
apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: InClusterIPPool
metadata: {name: nodes-v6, namespace: demo, labels: {${FILTER}}}
spec:
  addresses: ["fd00:10::/64"]
  prefix: 64
  gateway: "fd00:10::1"
---
apiVersion: ipam.cluster.x-k8s.io/v1alpha2
kind: GlobalInClusterIPPool
metadata: {name: shared-dc1, labels: {${FILTER}}}
spec:
  addresses: ["192.168.50.10-192.168.50.19"]
  prefix: 24
  gateway: 192.168.50.1
  excludedAddresses: ["192.168.50.13"]
`;

function claim(name: string, kind: string, pool: string): string {
  return `---
apiVersion: ipam.cluster.x-k8s.io/v1beta2
kind: IPAddressClaim
metadata: {name: ${name}, namespace: demo, labels: {${FILTER}}}
spec: {poolRef: {apiGroup: ipam.cluster.x-k8s.io, kind: ${kind}, name: ${pool}}}
`;
}

async function main(): Promise<void> {
  step('Starting the local control plane (the first run builds Kubernetes from Go modules, ~10 min)');
  const state = await up();
  const kubectl = (args: string[], input?: string) =>
    execFileSync('kubectl', ['--kubeconfig', state.kubeconfig, ...args], { encoding: 'utf8', input });
  process.stdout.write(
    `kube-apiserver ${state.kubernetesVersion} at ${state.apiServerUrl}, /readyz: ${kubectl(['get', '--raw', '/readyz'])}\n`,
  );

  step(`Installing the Cluster API CRDs (${capiRelease('current')}, from Go modules) and the pool CRDs`);
  await installCrds(state.kubeconfig);

  step('Building and starting the controller');
  // `npm run build` = tsc -b plus the kubectl-ipam bundle the plugin launcher runs (as users get it).
  execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync(process.execPath, [join(repoRoot, 'controller/image/bundle.mjs')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  const probePort = await freePort();
  const logFile = join(clusterDir, 'logs', 'controller.log');
  const log = openSync(logFile, 'a');
  const controller = spawn(
    process.execPath,
    [
      join(repoRoot, 'controller/dist/bundle/main.mjs'),
      `--kubeconfig=${state.kubeconfig}`,
      `--health-probe-bind-address=127.0.0.1:${probePort}`,
      '--metrics-bind-address=0',
      '--webhook-port=0',
    ],
    { detached: true, stdio: ['ignore', log, log], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  closeSync(log);
  controller.unref();
  await waitFor(
    async () => (await fetch(`http://127.0.0.1:${probePort}/readyz`).catch(() => undefined))?.ok,
    {
      what: `the controller to be ready (log: ${logFile})`,
      timeoutMs: 60_000,
    },
  );
  process.stdout.write(`controller pid ${controller.pid ?? '?'} ready; log: ${logFile}\n`);

  step('Creating sample pools and claims');
  const claims = [
    ...Array.from({ length: 5 }, (_, i) => claim(`node-v4-${i}`, 'InClusterIPPool', 'nodes-v4')),
    ...Array.from({ length: 3 }, (_, i) => claim(`node-v6-${i}`, 'InClusterIPPool', 'nodes-v6')),
    ...Array.from({ length: 4 }, (_, i) => claim(`shared-${i}`, 'GlobalInClusterIPPool', 'shared-dc1')),
  ];
  process.stdout.write(kubectl(['apply', '-f', '-'], samples + claims.join('')));

  step('Waiting for every claim to be Ready');
  await waitFor(
    () => {
      const out = kubectl([
        '-n',
        'demo',
        'get',
        'ipaddressclaims.ipam.cluster.x-k8s.io',
        '-o',
        'jsonpath={range .items[*]}{.status.addressRef.name}{"\\n"}{end}',
      ]);
      return Promise.resolve(out.split('\n').filter(Boolean).length === claims.length);
    },
    { what: 'all claims to get an address', timeoutMs: 60_000 },
  );
  process.stdout.write(kubectl(['-n', 'demo', 'get', 'ipaddresses.ipam.cluster.x-k8s.io']));

  // `kubectl ipam pools` counts from the pools' status (ADR 0013), which the controller writes a
  // moment after the IPAddresses (debounced): wait for it, or the table shows the pools still empty.
  const statusUsed = (resource: string, namespaced: boolean): number =>
    kubectl([
      ...(namespaced ? ['-n', 'demo'] : []),
      'get',
      resource,
      '-o',
      'jsonpath={range .items[*]}{.status.ipAddresses.used}{"\\n"}{end}',
    ])
      .split('\n')
      .filter(Boolean)
      .reduce((sum, n) => sum + Number(n), 0);
  await waitFor(
    () =>
      Promise.resolve(
        statusUsed('inclusterippools.ipam.cluster.x-k8s.io', true) +
          statusUsed('globalinclusterippools.ipam.cluster.x-k8s.io', false) >=
          claims.length,
      ),
    { what: "the pools' status to count every allocation", timeoutMs: 30_000 },
  );

  step('kubectl ipam pools -A');
  const plugin = join(repoRoot, 'plugin/bin/kubectl-ipam');
  const env = { ...process.env, NODE_OPTIONS: '' };
  process.stdout.write(
    execFileSync(plugin, ['pools', '-A', '--kubeconfig', state.kubeconfig], { encoding: 'utf8', env }),
  );

  step('kubectl ipam explain demo/nodes-v4');
  process.stdout.write(
    execFileSync(plugin, ['explain', 'demo/nodes-v4', '--kubeconfig', state.kubeconfig], {
      encoding: 'utf8',
      env,
    }),
  );

  step('Done: the control plane and the controller keep running');
  process.stdout.write(`export KUBECONFIG=${state.kubeconfig}
export PATH=${join(repoRoot, 'plugin/bin')}:$PATH
kubectl ipam pools -A               # occupancy of every pool
kubectl ipam explain demo/nodes-v4 10.10.0.5
kubectl ipam browse                 # the interactive browser
npm run cluster:down                # stops the control plane and the controller
`);
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
