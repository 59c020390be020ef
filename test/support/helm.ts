// Runs the helm binary built from Go modules (test/cluster/build-binaries.sh helm), cached by version.
import { spawnSync } from 'node:child_process';
import { ensureBinaries, helmBinaryPath } from '../cluster/binaries.js';
import { readPinnedVersions } from '../cluster/versions.js';

export interface HelmResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function helm(args: string[], opts: { kubeconfig?: string; input?: string } = {}): HelmResult {
  ensureBinaries('helm');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HELM_CACHE_HOME: '/tmp/ipam-helm/cache',
    HELM_CONFIG_HOME: '/tmp/ipam-helm/config',
    HELM_DATA_HOME: '/tmp/ipam-helm/data',
  };
  if (opts.kubeconfig) env.KUBECONFIG = opts.kubeconfig;
  const result = spawnSync(helmBinaryPath(), args, {
    env,
    encoding: 'utf8',
    input: opts.input,
    maxBuffer: 64 * 1024 * 1024,
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

/** `--kube-version` for template/lint: helm's built-in default (v1.20) fails the chart's kubeVersion. */
export const kubeVersionFlag = () => `--kube-version=${readPinnedVersions().kubernetes}`;
