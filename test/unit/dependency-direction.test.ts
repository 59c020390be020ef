// Dependencies point one way: allocator <- api <- kube <- controller | plugin. This test reads every
// workspace package.json and fails on any other edge between our own packages. Its sibling
// import-graph.test.ts checks the files: no import circles, no import up the layers (ADR 0024).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../cluster/paths.js';

const allowed: Record<string, string[]> = {
  '@ipam-in-cluster/allocator': [],
  '@ipam-in-cluster/api': ['@ipam-in-cluster/allocator'],
  '@ipam-in-cluster/kube': ['@ipam-in-cluster/allocator', '@ipam-in-cluster/api'],
  '@ipam-in-cluster/controller': [
    '@ipam-in-cluster/allocator',
    '@ipam-in-cluster/api',
    '@ipam-in-cluster/kube',
  ],
  '@ipam-in-cluster/plugin': ['@ipam-in-cluster/allocator', '@ipam-in-cluster/api', '@ipam-in-cluster/kube'],
  '@ipam-in-cluster/test': [
    '@ipam-in-cluster/allocator',
    '@ipam-in-cluster/api',
    '@ipam-in-cluster/kube',
    '@ipam-in-cluster/controller',
    '@ipam-in-cluster/plugin',
  ],
};

interface PackageJson {
  name: string;
  workspaces?: string[];
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

const readPackage = (dir: string) =>
  JSON.parse(readFileSync(join(repoRoot, dir, 'package.json'), 'utf8')) as PackageJson;

describe('workspace dependency direction', () => {
  const root = readPackage('.');
  const workspaces = root.workspaces ?? [];

  it('knows every workspace', () => {
    assert.deepEqual(workspaces.map((w) => readPackage(w).name).sort(), Object.keys(allowed).sort());
  });

  for (const dir of workspaces) {
    const pkg = readPackage(dir);
    it(`${pkg.name} depends only on packages below it`, () => {
      const ours = Object.keys({
        ...pkg.dependencies,
        ...pkg.devDependencies,
        ...pkg.peerDependencies,
      }).filter((d) => d.startsWith('@ipam-in-cluster/'));
      const forbidden = ours.filter((d) => !(allowed[pkg.name] ?? []).includes(d));
      assert.deepEqual(forbidden, [], `${pkg.name} must not depend on ${forbidden.join(', ')}`);
    });
  }

  it('keeps the allocator free of runtime dependencies other than ip-address', () => {
    const deps = Object.keys(readPackage('packages/allocator').dependencies ?? {});
    assert.ok(
      deps.every((d) => d === 'ip-address' || d === 'sorted-btree'),
      `unexpected: ${deps.join(', ')}`,
    );
  });
});
