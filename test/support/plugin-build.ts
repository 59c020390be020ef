// Which file plugin/bin/kubectl-ipam runs, and building it for the tests that run the launcher.
// Mirrors the launcher: the bundle (dist/bundle/kubectl-ipam.mjs) unless it is missing or older than
// a tsc -b of the plugin or of a package it bundles; then the compiled dist/main.js.
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.js';

export const PLUGIN_BUNDLE = join(repoRoot, 'plugin', 'dist', 'bundle', 'kubectl-ipam.mjs');
const PLUGIN_MAIN_JS = join(repoRoot, 'plugin', 'dist', 'main.js');

const buildInfos = [
  join(repoRoot, 'plugin', 'tsconfig.tsbuildinfo'),
  ...['allocator', 'api', 'kube'].map((p) => join(repoRoot, 'packages', p, 'tsconfig.tsbuildinfo')),
];

function mtime(file: string): number {
  return existsSync(file) ? statSync(file).mtimeMs : 0;
}

/** True when the launcher would run the bundle (it exists and no tsc output is newer). */
export function bundleIsFresh(): boolean {
  const built = mtime(PLUGIN_BUNDLE);
  return built > 0 && buildInfos.every((f) => mtime(f) <= built);
}

/** The entry the launcher runs: 'bundle' or 'dist' (compiled modules, slower start). */
export function launcherEntry(): 'bundle' | 'dist' {
  return bundleIsFresh() || !existsSync(PLUGIN_MAIN_JS) ? 'bundle' : 'dist';
}

/** `npm run build` for the plugin when its output is missing or the bundle is stale. */
export function ensurePluginBuilt(): void {
  if (existsSync(PLUGIN_MAIN_JS) && bundleIsFresh()) return;
  const bin = join(repoRoot, 'node_modules', '.bin');
  execFileSync(join(bin, 'tsc'), ['-b', 'plugin'], { cwd: repoRoot, stdio: 'inherit' });
  execFileSync(join(bin, 'node'), [join(repoRoot, 'plugin', 'dist', 'build', 'bundle.js')], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
}
