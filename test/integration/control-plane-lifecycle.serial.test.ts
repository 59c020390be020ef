// `cluster:up` is idempotent and `cluster:down` leaves no process behind. Runs a second, private
// control plane in a temporary state directory so the shared one is untouched.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { repoRoot } from '../cluster/paths.js';
import { isAlive, processesMentioning } from '../cluster/processes.js';

const dir = mkdtempSync(join(tmpdir(), 'ipam-plane-'));
const env = { ...process.env, IPAM_CLUSTER_DIR: dir };
const cli = (command: string) =>
  execFileSync(process.execPath, [...process.execArgv, join(repoRoot, 'test/cluster/cli.ts'), command], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

interface State {
  processes: { name: string; pid: number }[];
}
const readPids = () =>
  (JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as State).processes.map((p) => p.pid);

describe('control plane lifecycle', () => {
  after(() => {
    try {
      cli('down');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('starts, answers /readyz with the pinned version, and is idempotent', () => {
    const kubeconfig = cli('up').trim();
    assert.equal(kubeconfig, join(dir, 'kubeconfig'));
    assert.equal(
      execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'get', '--raw', '/readyz'], { encoding: 'utf8' }),
      'ok',
    );
    const version = execFileSync('kubectl', ['--kubeconfig', kubeconfig, 'version', '-o', 'json'], {
      encoding: 'utf8',
    });
    const pinned = /KUBERNETES_VERSION=(\S+)/.exec(
      readFileSync(join(repoRoot, 'test/cluster/versions.env'), 'utf8'),
    )?.[1];
    assert.equal(
      (JSON.parse(version) as { serverVersion: { gitVersion: string } }).serverVersion.gitVersion,
      pinned,
    );

    const first = readPids();
    assert.equal(first.length, 3);
    cli('up');
    assert.deepEqual(readPids(), first, 'a second up must reuse the running processes');
  });

  it('stops every process and removes its state', () => {
    const pids = readPids();
    cli('down');
    assert.deepEqual(pids.filter(isAlive), []);
    assert.deepEqual(processesMentioning(dir), []);
    assert.equal(existsSync(join(dir, 'state.json')), false);
  });
});
