// A second, private control plane in a temporary state directory, for tests that change
// cluster-wide state the shared plane's other tests depend on (webhook configurations with
// failurePolicy Fail, clusterctl's inventory, CRD ownership by helm).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.js';

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
