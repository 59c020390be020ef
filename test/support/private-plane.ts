// A second, private control plane in a temporary state directory, for tests that change
// cluster-wide state the shared plane's other tests depend on (webhook configurations with
// failurePolicy Fail, clusterctl's inventory, CRD ownership by helm).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ControlPlaneState } from '../cluster/control-plane.js';
import { repoRoot } from '../cluster/paths.js';
import { procStats } from './controller-process.js';

export interface PrivatePlane {
  dir: string;
  kubeconfig: string;
  stop(): void;
}

export function startPrivatePlane(prefix: string): PrivatePlane {
  const dir = mkdtempSync(join(tmpdir(), `ipam-${prefix}-`));
  const cli = (command: string) =>
    execFileSync(process.execPath, [...process.execArgv, join(repoRoot, 'test/cluster/cli.ts'), command], {
      env: { ...process.env, IPAM_CLUSTER_DIR: dir },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const kubeconfig = cli('up').trim();
  return {
    dir,
    kubeconfig,
    stop: () => {
      try {
        cli('down');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * CPU seconds so far (utime + stime, from /proc) of the plane's process `name` — kube-apiserver,
 * etcd or kube-controller-manager — as its state.json records it; NaN when it is not there or gone.
 */
export function planeProcessCpuSeconds(planeDir: string, name: string): number {
  const state = JSON.parse(readFileSync(join(planeDir, 'state.json'), 'utf8')) as ControlPlaneState;
  const pid = state.processes.find((p) => p.name === name)?.pid;
  try {
    return pid === undefined ? NaN : procStats(pid).cpuSeconds;
  } catch {
    return NaN;
  }
}
