import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import { ControllerMetrics } from '../metrics/registry.js';
import { FakeClock } from '../util/clock.js';
import {
  DEFAULT_LISTENER_LIMITS,
  HealthChecks,
  cachesSyncedCheck,
  leaderElectionCheck,
  startDiagnostics,
  type LeaderElectionState,
} from './server.js';

const local = { host: '127.0.0.1', port: 0 };

async function get(
  port: number | undefined,
  path: string,
  method = 'GET',
): Promise<{ status: number; body: string; type: string | null }> {
  const res = await fetch(`http://127.0.0.1:${String(port)}${path}`, { method });
  return { status: res.status, body: await res.text(), type: res.headers.get('content-type') };
}

describe('startDiagnostics', () => {
  it('serves probes and metrics on two listeners and closes gracefully', async () => {
    let synced = false;
    const checks = new HealthChecks().addReadyz(
      'informers',
      cachesSyncedCheck(() => synced),
    );
    const metrics = new ControllerMetrics();
    metrics.reconcile('pool', 'success', 0.01);
    const d = await startDiagnostics({
      probeAddress: local,
      metricsAddress: local,
      checks,
      metrics: () => metrics.render(),
    });
    try {
      assert.notEqual(d.probes?.port, d.metrics?.port);
      assert.deepEqual(await get(d.probes?.port, '/healthz'), {
        status: 200,
        body: 'ok',
        type: 'text/plain; charset=utf-8',
      });
      const notReady = await get(d.probes?.port, '/readyz');
      assert.equal(notReady.status, 500);
      assert.equal(notReady.body, '[-]informers failed: caches not synced\nreadyz check failed\n');
      synced = true;
      assert.equal((await get(d.probes?.port, '/readyz')).status, 200);
      assert.equal(
        (await get(d.probes?.port, '/readyz?verbose')).body,
        '[+]ping ok\n[+]informers ok\nreadyz check passed\n',
      );
      assert.equal((await get(d.probes?.port, '/readyz/informers')).status, 200);
      assert.equal((await get(d.probes?.port, '/readyz/nope')).status, 404);
      assert.equal(
        (await get(d.probes?.port, '/metrics')).status,
        404,
        'metrics are not on the probe listener',
      );
      assert.equal((await get(d.probes?.port, '/healthz', 'POST')).status, 405);
      assert.equal((await get(d.probes?.port, '/healthz', 'HEAD')).status, 200);
      const m = await get(d.metrics?.port, '/metrics');
      assert.equal(m.status, 200);
      assert.match(m.type ?? '', /^text\/plain; version=0.0.4/);
      assert.match(m.body, /capi_ipam_reconcile_total\{controller="pool",result="success"\} 1/);
    } finally {
      await d.close(1000);
    }
    await assert.rejects(fetch(`http://127.0.0.1:${String(d.probes?.port)}/healthz`));
  });

  it('serves everything on one listener when both addresses are equal, and nothing when disabled', async () => {
    const free = await startDiagnostics({
      probeAddress: local,
      metricsAddress: undefined,
      checks: new HealthChecks(),
      metrics: undefined,
    });
    const port = free.probes?.port ?? 0;
    await free.close();
    const addr = { host: '127.0.0.1', port };
    const d = await startDiagnostics({
      probeAddress: addr,
      metricsAddress: addr,
      checks: new HealthChecks(),
      metrics: () => Promise.resolve({ contentType: 'text/plain', body: 'm 1\n' }),
    });
    try {
      assert.equal(d.probes?.port, d.metrics?.port);
      assert.equal((await get(port, '/metrics')).body, 'm 1\n');
      assert.equal((await get(port, '/healthz')).status, 200);
    } finally {
      await d.close();
    }
    const none = await startDiagnostics({
      probeAddress: undefined,
      metricsAddress: undefined,
      checks: new HealthChecks(),
      metrics: undefined,
    });
    assert.deepEqual([none.probes, none.metrics], [undefined, undefined]);
    await none.close();
  });

  it('serves --diagnostics-address over plain HTTP without checks when insecure, alone or on the probe listener', async () => {
    const render = () => Promise.resolve({ contentType: 'text/plain', body: 'm 1\n' });
    const alone = await startDiagnostics({
      probeAddress: local,
      metricsAddress: undefined,
      diagnosticsAddress: local,
      checks: new HealthChecks(),
      metrics: render,
    });
    try {
      assert.notEqual(alone.diagnostics?.port, alone.probes?.port);
      assert.deepEqual(await get(alone.diagnostics?.port, '/metrics'), {
        status: 200,
        body: 'm 1\n',
        type: 'text/plain',
      });
    } finally {
      await alone.close();
    }
    const port = alone.probes?.port ?? 0;
    const addr = { host: '127.0.0.1', port };
    const shared = await startDiagnostics({
      probeAddress: addr,
      metricsAddress: undefined,
      diagnosticsAddress: addr,
      checks: new HealthChecks(),
      metrics: render,
    });
    try {
      assert.equal(shared.diagnostics?.port, port);
      assert.equal((await get(port, '/metrics')).body, 'm 1\n');
      assert.equal((await get(port, '/readyz')).status, 200);
    } finally {
      await shared.close();
    }
  });

  it('holds at most maxConnections per listener (64 by default) and answers again once one closes', async () => {
    assert.equal(DEFAULT_LISTENER_LIMITS.maxConnections, 64);
    const d = await startDiagnostics({
      probeAddress: local,
      metricsAddress: undefined,
      checks: new HealthChecks(),
      metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
      limits: { maxConnections: 4 },
    });
    const sockets: Socket[] = [];
    try {
      const kept = await Promise.all(
        Array.from({ length: 6 }, async () => {
          const socket = connect({ host: '127.0.0.1', port: d.probes?.port ?? 0 });
          sockets.push(socket);
          socket.on('error', () => undefined);
          await once(socket, 'connect');
          const closed = once(socket, 'close').then(() => false);
          return Promise.race([
            closed,
            new Promise<boolean>((resolve) =>
              setTimeout(() => {
                resolve(true);
              }, 200),
            ),
          ]);
        }),
      );
      assert.equal(kept.filter(Boolean).length, 4);
      for (const socket of sockets) socket.destroy();
      // Once the server has seen them close, a probe gets in.
      for (let i = 0; i < 50; i++) {
        const answered = await get(d.probes?.port, '/healthz').then(
          (r) => r.status === 200,
          () => false,
        );
        if (answered) return;
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.fail('no probe answered after the connections closed');
    } finally {
      for (const socket of sockets) socket.destroy();
      await d.close(500);
    }
  });

  it('a throwing check fails the probe instead of the server', async () => {
    const checks = new HealthChecks().addHealthz('boom', () => {
      throw new Error('broken');
    });
    const d = await startDiagnostics({
      probeAddress: local,
      metricsAddress: undefined,
      checks,
      metrics: undefined,
    });
    try {
      const r = await get(d.probes?.port, '/healthz');
      assert.equal(r.status, 500);
      assert.match(r.body, /\[-\]boom failed: broken/);
    } finally {
      await d.close();
    }
  });
});

describe('leaderElectionCheck', () => {
  it('is ready when leading, or standing by with a recently observed lease', async () => {
    const clock = new FakeClock(1_000_000);
    let state: LeaderElectionState = { role: 'starting', lastObservedAt: undefined };
    const check = leaderElectionCheck(() => state, 15_000, clock);
    assert.deepEqual(await check(), { ok: false, reason: 'lease not observed yet' });
    state = { role: 'standby', lastObservedAt: clock.now() };
    assert.deepEqual(await check(), { ok: true });
    clock.advance(15_001);
    assert.deepEqual(await check(), { ok: false, reason: 'lease not observed for 15001ms' });
    state = { role: 'leading', lastObservedAt: clock.now() - 60_000 };
    assert.deepEqual(await check(), { ok: true });
    state = { role: 'lost', lastObservedAt: clock.now() };
    assert.deepEqual(await check(), { ok: false, reason: 'leadership lost' });
  });
});
