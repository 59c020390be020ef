// `npm run demo`: the local demo. Starts the local control plane (building it on first use),
// installs the CRDs and shows the cluster serving them. Later stages (controller, sample pools and
// claims, `kubectl ipam pools`) are added here as they land.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { up } from '../test/cluster/control-plane.js';
import { repoRoot } from '../test/cluster/paths.js';
import { applyCrds, capiCrds, ourCrds } from '../test/support/cluster.js';

const step = (text: string) => process.stdout.write(`\n==> ${text}\n`);

async function main(): Promise<void> {
  step('Starting the local control plane (first run builds Kubernetes from Go modules: ~10 min)');
  const state = await up();
  process.env.KUBECONFIG = state.kubeconfig;
  const kubectl = (...args: string[]) =>
    execFileSync('kubectl', ['--kubeconfig', state.kubeconfig, ...args], { encoding: 'utf8' });
  process.stdout.write(`kube-apiserver ${state.kubernetesVersion} at ${state.apiServerUrl}\n`);
  process.stdout.write(`/readyz: ${kubectl('get', '--raw', '/readyz')}\n`);

  step('Installing the Cluster API IPAM CRDs (v1.14.0) and ours');
  await applyCrds(capiCrds('v1.14.0'));
  if (existsSync(join(repoRoot, 'packages', 'api', 'crds'))) await applyCrds(ourCrds());
  process.stdout.write(kubectl('api-resources', '--api-group=ipam.cluster.x-k8s.io'));

  step('Done');
  process.stdout.write(`export KUBECONFIG=${state.kubeconfig}   # to use kubectl against it\n`);
  process.stdout.write('npm run cluster:down                 # to stop it\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`demo: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
