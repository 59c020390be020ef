// The binary as a user runs it: flags -> diagnostics -> manager, /readyz and /metrics answering,
// and a graceful exit on SIGTERM (stop intake, drain, stop informers, close servers).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createLogger, parseFlags, runFromConfig, type Running } from '@ipam-in-cluster/controller';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';
import { repoRoot } from '../cluster/paths.js';
import { testCluster } from '../support/cluster.js';
import { Fixture, Ipam, uniqueWatchFilter, openFixture } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('main');
let ipam: Ipam;
let fx: Fixture;
let running: Running | undefined;

describe('controller: main', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
  });

  after(async () => {
    await running?.stop();
    await fx.teardown();
  });

  it('serves /readyz and /metrics and allocates, from parsed flags', async () => {
    const { kubeconfigPath } = await testCluster();
    const parsed = parseFlags(controllerFlags(kubeconfigPath, '127.0.0.1:0'));
    assert.ok(parsed.ok);
    running = await runFromConfig(
      parsed.config,
      createLogger({ level: (process.env.IPAM_TEST_LOG ?? 'error') as 'error' }),
    );
    const probes = running.diagnostics.probes?.port;
    const metrics = running.diagnostics.metrics?.port;
    assert.ok(probes !== undefined && metrics !== undefined);
    const ready = await fetch(`http://127.0.0.1:${String(probes)}/readyz?verbose`);
    assert.equal(ready.status, 200);
    assert.match(await ready.text(), /\[\+\]informer-sync ok/);

    const ns = await fx.namespace('main');
    await ipam.createPool('InClusterIPPool', 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await ipam.createClaim('c', ns, { kind: 'InClusterIPPool', name: 'p' });
    await ipam.waitForAddress(ns, 'c');
    const body = await waitFor(
      async () => {
        const text = await (await fetch(`http://127.0.0.1:${String(metrics)}/metrics`)).text();
        return text.includes('capi_ipam_pool_used_addresses{pool_kind="InClusterIPPool"') &&
          text.includes('capi_ipam_reconcile_total{controller="ipaddressclaim"')
          ? text
          : undefined;
      },
      { what: 'pool gauges on /metrics' },
    );
    // Not the allocation count: another (unfiltered) controller on the shared plane may win the race.
    assert.match(body, /capi_ipam_workqueue_adds_total\{name="ipaddressclaim"\} \d+/);
    await running.stop();
    running = undefined;
    await assert.rejects(fetch(`http://127.0.0.1:${String(probes)}/healthz`));
  });

  it('the binary runs with the controller Node flags and exits 0 on SIGTERM, also when signalled mid-start', async () => {
    const { kubeconfigPath } = await testCluster();
    // An operator's heap cap (the chart's NODE_OPTIONS) stays; the other controller flags are added.
    const bin = spawnBinary(kubeconfigPath, {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --max-old-space-size=200`,
    });
    try {
      // Mid-start (the first line is logged before the caches sync): the signal must still stop it
      // gracefully once it is up. CI once caught a SIGTERM that arrived before the handler existed.
      await waitFor(() => Promise.resolve(bin.log().includes('"serving health probes"')), {
        what: 'the manager to begin starting',
        timeoutMs: 60_000,
      });
      // It re-executed itself (same pid) with the controller's Node flags it was not given.
      const nodeArgs = readFileSync(`/proc/${String(bin.child.pid)}/cmdline`, 'utf8').split('\0');
      const missing = CONTROLLER_NODE_FLAGS.filter((f) => !f.startsWith('--max-old-space-size='));
      assert.deepEqual(nodeArgs.slice(1, 1 + missing.length), missing, nodeArgs.join(' '));
      assert.ok(!nodeArgs.some((a) => a.startsWith('--max-old-space-size')), nodeArgs.join(' '));
      // And says so in its first lines: the flags as run, the operator's cap in effect.
      const runtime = bin
        .log()
        .split('\n')
        .filter((l) => l.includes('"msg":"node runtime"'))
        .map((l) => JSON.parse(l) as { nodeFlags?: string; heapLimitMiB?: number });
      assert.equal(runtime.length, 1, bin.log());
      const reported = runtime[0]?.nodeFlags?.split(' ') ?? [];
      for (const flag of [...missing, '--max-old-space-size=200'])
        assert.ok(reported.includes(flag), bin.log());
      const heapLimit = runtime[0]?.heapLimitMiB ?? 0;
      assert.ok(heapLimit >= 200 && heapLimit < 256, `heapLimitMiB ${String(heapLimit)}`);
      assert.equal(await bin.stop(), 0, bin.log());
      assert.match(bin.log(), /"msg":"stopped"/);
    } finally {
      if (bin.child.exitCode === null) bin.child.kill('SIGKILL');
    }
  });

  it('waits for an API server that does not answer yet instead of exiting, and still stops on SIGTERM', async () => {
    // A kubeconfig whose server is a loopback port nobody listens on: an API server still starting.
    const { kubeconfigPath } = await testCluster();
    const port = await closedPort();
    const dir = mkdtempSync(join(tmpdir(), 'ipam-main-'));
    const unreachable = join(dir, 'kubeconfig');
    writeFileSync(
      unreachable,
      readFileSync(kubeconfigPath, 'utf8').replace(
        /server: https:\/\/127\.0\.0\.1:\d+/,
        `server: https://127.0.0.1:${String(port)}`,
      ),
    );
    const bin = spawnBinary(unreachable);
    try {
      await waitFor(() => Promise.resolve((bin.log().match(/did not answer; retrying/g) ?? []).length >= 3), {
        what: 'discovery to retry three times',
        timeoutMs: 60_000,
      });
      assert.equal(bin.child.exitCode, null, bin.log());
      assert.match(bin.log(), /ECONNREFUSED/);
      assert.equal(await bin.stop(), 0, bin.log());
      assert.doesNotMatch(bin.log(), /start-up failed/);
    } finally {
      if (bin.child.exitCode === null) bin.child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** The flags every test here starts the controller with: ephemeral ports, this file's watch filter. */
function controllerFlags(kubeconfigPath: string, metricsBindAddress: string): string[] {
  return [
    '--kubeconfig',
    kubeconfigPath,
    '--watch-filter',
    watchFilter,
    '--health-probe-bind-address',
    '127.0.0.1:0',
    '--metrics-bind-address',
    metricsBindAddress,
    '--webhook-port',
    '0',
  ];
}

/** A loopback port that was free a moment ago (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        resolve(typeof address === 'object' && address !== null ? address.port : 0);
      });
    });
  });
}

/** controller/src/main.ts as a process, its stderr collected; stop() sends SIGTERM and resolves to the exit code. */
function spawnBinary(kubeconfigPath: string, env: Record<string, string> = {}) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--conditions=source',
      join(repoRoot, 'controller/src/main.ts'),
      ...controllerFlags(kubeconfigPath, '0'),
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], cwd: repoRoot, env: { ...process.env, ...env } },
  );
  let log = '';
  child.stderr.on('data', (chunk: Buffer) => {
    log += chunk.toString();
  });
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      resolve(code);
    }),
  );
  return {
    child,
    log: () => log,
    stop: async (): Promise<number | null | 'timeout'> => {
      child.kill('SIGTERM');
      return Promise.race([
        exited,
        new Promise<'timeout'>((resolve) =>
          setTimeout(() => {
            resolve('timeout');
          }, 15_000),
        ),
      ]);
    },
  };
}
