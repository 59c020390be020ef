// test/cluster/build-binaries.sh when several test files need the same binary at once on a fresh
// machine (the test runner runs files in parallel): one build, every caller gets the binary. A fake
// `go` on PATH stands in for the real build (seconds, not minutes); it counts its runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { buildScript } from '../cluster/paths.js';
import { readPinnedVersions } from '../cluster/versions.js';

const work = mkdtempSync(join(tmpdir(), 'build-binaries-'));
after(() => {
  rmSync(work, { recursive: true, force: true });
});

/** A `go` that takes a while to "install" a binary into $GOBIN and notes each run in runs.log. */
function fakeGo(): string {
  const bin = join(work, 'bin');
  const go = join(bin, 'go');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(work, 'runs.log'), '');
  writeFileSync(
    go,
    [
      '#!/usr/bin/env bash',
      `echo "$*" >> ${JSON.stringify(join(work, 'runs.log'))}`,
      'sleep 1',
      'printf "#!/bin/sh\\necho fake\\n" > "$GOBIN/helm" && chmod +x "$GOBIN/helm"',
      '',
    ].join('\n'),
  );
  chmodSync(go, 0o755);
  return bin;
}

function run(cache: string, bin: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [buildScript, 'helm'], {
      env: { ...process.env, IPAM_CACHE_DIR: cache, PATH: `${bin}:${process.env.PATH ?? ''}` },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stderr });
    });
  });
}

describe('build-binaries.sh', () => {
  it('builds a binary once when three callers ask for it at the same time', async () => {
    const bin = fakeGo();
    const cache = join(work, 'cache');
    const results = await Promise.all([run(cache, bin), run(cache, bin), run(cache, bin)]);
    for (const r of results) assert.equal(r.status, 0, r.stderr);
    const runs = readFileSync(join(work, 'runs.log'), 'utf8').trim().split('\n');
    assert.equal(runs.length, 1, `go ran ${String(runs.length)} times: ${runs.join(' | ')}`);
    const out = join(cache, `helm-${readPinnedVersions().helm}`);
    assert.ok(existsSync(join(out, 'helm')), `${out}/helm missing`);
    assert.ok(!existsSync(`${out}.tmp`), 'the .tmp directory was left');
  });
});
