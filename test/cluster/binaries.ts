// Finds the control-plane binaries in the version-keyed cache, building them on first use.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildScript, cacheDir } from './paths.js';
import { readPinnedVersions } from './versions.js';

export interface ControlPlaneBinaries {
  etcd: string;
  kubeApiserver: string;
  kubeControllerManager: string;
}

export function controlPlaneBinaryPaths(): ControlPlaneBinaries {
  const v = readPinnedVersions();
  const k8s = join(cacheDir, `kubernetes-${v.kubernetes}`);
  return {
    etcd: join(cacheDir, `etcd-${v.etcd}`, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
  };
}

export function helmBinaryPath(): string {
  return join(cacheDir, `helm-${readPinnedVersions().helm}`, 'helm');
}

export function clusterctlBinaryPath(): string {
  return join(cacheDir, `clusterctl-${readPinnedVersions().clusterctl}`, 'clusterctl');
}

export function actionlintBinaryPath(): string {
  return join(cacheDir, `actionlint-${readPinnedVersions().actionlint}`, 'actionlint');
}

/** Builds what is missing (progress goes to stderr); a warm cache returns at once. */
export function ensureBinaries(
  target: 'control-plane' | 'helm' | 'clusterctl' | 'actionlint' = 'control-plane',
): void {
  const wanted =
    target === 'helm'
      ? [helmBinaryPath()]
      : target === 'clusterctl'
        ? [clusterctlBinaryPath()]
        : target === 'actionlint'
          ? [actionlintBinaryPath()]
          : Object.values<string>({ ...controlPlaneBinaryPaths() });
  if (wanted.every((path) => existsSync(path))) return;
  const result = spawnSync('bash', [buildScript, target], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, IPAM_CACHE_DIR: cacheDir },
  });
  if (result.error) throw new Error(`cannot run ${buildScript}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`building ${target} binaries failed (see the message above)`);
}
