import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadKubeConfig } from './kubeconfig.js';

const config = `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: { server: 'https://127.0.0.1:6443', insecure-skip-tls-verify: true }
users:
- name: u
  user: { token: abc }
contexts:
- name: one
  context: { cluster: c, user: u, namespace: team-a }
- name: two
  context: { cluster: c, user: u }
current-context: one
`;

// Every test's files under one directory, removed when the file's tests are done.
const root = mkdtempSync(join(tmpdir(), 'kube-config-test-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

function dir(): string {
  const d = mkdtempSync(join(root, 'config-'));
  writeFileSync(join(d, 'config'), config);
  return d;
}

describe('loadKubeConfig', () => {
  it('prefers --kubeconfig, and reports the context namespace', () => {
    const d = dir();
    const loaded = loadKubeConfig({ kubeconfig: join(d, 'config'), env: {}, home: '/nonexistent' });
    assert.equal(loaded.source, 'flag');
    assert.equal(loaded.namespace, 'team-a');
  });

  it('falls back to KUBECONFIG, then ~/.kube/config', () => {
    const d = dir();
    assert.equal(
      loadKubeConfig({ env: { KUBECONFIG: join(d, 'config') }, home: '/nonexistent' }).source,
      'env',
    );
    const home = mkdtempSync(join(root, 'home-'));
    mkdirSync(join(home, '.kube'));
    writeFileSync(join(home, '.kube', 'config'), config);
    assert.equal(loadKubeConfig({ env: {}, home }).source, 'home');
  });

  it('selects a context and fails clearly on an unknown one', () => {
    const d = dir();
    const loaded = loadKubeConfig({ kubeconfig: join(d, 'config'), context: 'two', env: {} });
    assert.equal(loaded.kubeConfig.getCurrentContext(), 'two');
    assert.equal(loaded.namespace, undefined);
    assert.throws(
      () => loadKubeConfig({ kubeconfig: join(d, 'config'), context: 'three', env: {} }),
      /^KubeConfigError: context "three" not found in kubeconfig \(known: one, two\)$/,
    );
  });

  it('fails in one line when files are missing', () => {
    assert.throws(
      () => loadKubeConfig({ kubeconfig: '/no/such/file', env: {} }),
      /--kubeconfig: no such file: \/no\/such\/file/,
    );
    assert.throws(() => loadKubeConfig({ env: { KUBECONFIG: '/no/a:/no/b' } }), /KUBECONFIG: no such file/);
    assert.throws(() => loadKubeConfig({ env: {}, home: '/nonexistent' }), /no kubeconfig found/);
  });

  it('adds impersonation headers and validates --as-group', async () => {
    const d = dir();
    const { kubeConfig } = loadKubeConfig({
      kubeconfig: join(d, 'config'),
      as: 'alice',
      asGroups: ['devs', 'ops'],
      env: {},
    });
    const opts: { headers?: Record<string, unknown> } = {};
    await kubeConfig.applyToHTTPSOptions(opts);
    const headers = opts.headers ?? {};
    assert.equal(headers['Impersonate-User'], 'alice');
    assert.deepEqual(headers['Impersonate-Group'], ['devs', 'ops'], 'one header line per group');
    assert.equal(headers.Authorization, 'Bearer abc');
    assert.throws(
      () => loadKubeConfig({ kubeconfig: join(d, 'config'), asGroups: ['g'], env: {} }),
      /--as-group requires --as/,
    );
  });
});
