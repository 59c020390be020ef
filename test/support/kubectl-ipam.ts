// Runs the BUILT plugin (plugin/bin/kubectl-ipam) as a user would, for the end-to-end tests.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.js';

export const KUBECTL_IPAM_BIN = join(repoRoot, 'plugin', 'bin', 'kubectl-ipam');

export interface PluginResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** `kubectl-ipam --kubeconfig FILE ARGS…` without colours; resolves with the exit code and output. */
export function runPlugin(
  kubeconfig: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<PluginResult> {
  return new Promise((resolve) => {
    execFile(
      KUBECTL_IPAM_BIN,
      ['--kubeconfig', kubeconfig, ...args],
      // The runner's NODE_OPTIONS load workspace sources (--conditions=source); the built plugin must not.
      {
        cwd: repoRoot,
        env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1', ...env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : 1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}
