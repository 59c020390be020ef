/**
 * Diagnostics over plain HTTP (node:http): `/metrics` on the metrics address, `/healthz` and
 * `/readyz` on the health-probe address, like controller-runtime (two listeners; one when both
 * flags name the same address).
 *
 * Probes (controller-runtime's format): 200 `ok` when every check passes, else 500 with one
 * `[-]name failed: reason` line per failing check; `?verbose` lists passing checks as `[+]name ok`;
 * `/readyz/<name>` (or `/healthz/<name>`) runs one check.
 *
 * Readiness design: a replica is ready when
 * 1. its caches are synced (informers listed once and are watching; see {@link cachesSyncedCheck}), and
 * 2. with leader election on, it is either leading, or standing by healthily: it has observed the
 *    Lease (read it, or failed to take it because another replica holds it) within one lease
 *    duration. A standby is ready on purpose: it serves webhooks and takes over fast. A replica
 *    that cannot reach the Lease, or has lost leadership (it is about to exit), is not ready.
 * Liveness (`/healthz`) stays minimal (the event loop answers) so that an API-server outage never
 * restarts pods; readiness carries the conditions above.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatBindAddress, type BindAddress } from '../config/bind-address.js';
import { discardLogger, type Logger } from '../log/logger.js';
import { realClock, type Clock } from '../util/clock.js';

export type CheckResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };
export type HealthCheck = () => CheckResult | Promise<CheckResult>;

const OK: CheckResult = { ok: true };

/** HealthChecks: named liveness and readiness checks (controller-runtime AddHealthzCheck/AddReadyzCheck). */
export class HealthChecks {
  readonly #checks = { healthz: new Map<string, HealthCheck>(), readyz: new Map<string, HealthCheck>() };

  constructor() {
    this.#checks.healthz.set('ping', () => OK);
    this.#checks.readyz.set('ping', () => OK);
  }

  addHealthz(name: string, check: HealthCheck): this {
    this.#checks.healthz.set(name, check);
    return this;
  }

  addReadyz(name: string, check: HealthCheck): this {
    this.#checks.readyz.set(name, check);
    return this;
  }

  /** Runs the checks of `kind` (or only `name`); a throwing check counts as failed. */
  async run(
    kind: 'healthz' | 'readyz',
    name?: string,
  ): Promise<{ found: boolean; ok: boolean; results: { name: string; result: CheckResult }[] }> {
    const all = [...this.#checks[kind].entries()].filter(([n]) => name === undefined || n === name);
    const results = await Promise.all(
      all.map(async ([n, check]) => {
        try {
          return { name: n, result: await check() };
        } catch (error: unknown) {
          return {
            name: n,
            result: {
              ok: false,
              reason: error instanceof Error ? error.message : String(error),
            } as CheckResult,
          };
        }
      }),
    );
    return { found: all.length > 0, ok: results.every((r) => r.result.ok), results };
  }
}

/** Ready once `synced()` is true (all informers listed and watching, no list error since). */
export function cachesSyncedCheck(synced: () => boolean): HealthCheck {
  return () => (synced() ? OK : { ok: false, reason: 'caches not synced' });
}

/** What the leader elector reports about itself. */
export interface LeaderElectionState {
  readonly role: 'starting' | 'leading' | 'standby' | 'lost';
  /** Clock time (ms) the Lease was last read or written successfully. */
  readonly lastObservedAt: number | undefined;
}

/** The readiness rule for leader election described in the module comment. */
export function leaderElectionCheck(
  state: () => LeaderElectionState,
  leaseDurationMs: number,
  clock: Clock = realClock,
): HealthCheck {
  return () => {
    const s = state();
    if (s.role === 'leading') return OK;
    if (s.role === 'lost') return { ok: false, reason: 'leadership lost' };
    if (s.lastObservedAt === undefined) return { ok: false, reason: 'lease not observed yet' };
    const age = clock.now() - s.lastObservedAt;
    if (age > leaseDurationMs)
      return { ok: false, reason: `lease not observed for ${String(Math.round(age))}ms` };
    return s.role === 'standby' ? OK : { ok: false, reason: 'leader election starting' };
  };
}

/** The exposition of a metrics registry. */
export type MetricsRenderer = () => Promise<{ contentType: string; body: string }>;

export interface DiagnosticsOptions {
  /** /healthz and /readyz; undefined disables them. */
  readonly probeAddress: BindAddress | undefined;
  /** /metrics; undefined disables it. */
  readonly metricsAddress: BindAddress | undefined;
  readonly checks: HealthChecks;
  readonly metrics: MetricsRenderer | undefined;
  readonly log?: Logger;
}

/** Running diagnostics servers. */
export interface Diagnostics {
  /** Where probes are served (the actual port when 0 was asked for). */
  readonly probes: AddressInfo | undefined;
  readonly metrics: AddressInfo | undefined;
  /** Stops accepting, lets in-flight requests finish for up to `deadlineMs`, then cuts them. */
  close(deadlineMs?: number): Promise<void>;
}

type Route = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

function send(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  res.writeHead(status, {
    'content-type': contentType,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

function probeRoute(checks: HealthChecks, kind: 'healthz' | 'readyz'): Route {
  return async (_req, res, url) => {
    const name = url.pathname.slice(kind.length + 2) || undefined;
    const run = await checks.run(kind, name);
    if (!run.found) {
      send(res, 404, `no check named ${name ?? ''}\n`);
      return;
    }
    const verbose = url.searchParams.has('verbose');
    const lines = run.results
      .filter((r) => verbose || !r.result.ok)
      .map((r) => (r.result.ok ? `[+]${r.name} ok` : `[-]${r.name} failed: ${r.result.reason}`));
    if (run.ok) send(res, 200, verbose ? `${lines.join('\n')}\n${kind} check passed\n` : 'ok');
    else send(res, 500, `${lines.join('\n')}\n${kind} check failed\n`);
  };
}

function metricsRoute(render: MetricsRenderer): Route {
  return async (_req, res) => {
    const { contentType, body } = await render();
    send(res, 200, body, contentType);
  };
}

async function listen(address: BindAddress, routes: Map<string, Route>, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = routes.get(url.pathname) ?? routes.get(`/${url.pathname.split('/')[1] ?? ''}/*`);
    if (route === undefined) {
      send(res, 404, 'not found\n');
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      send(res, 405, 'method not allowed\n');
      return;
    }
    route(req, res, url).catch((error: unknown) => {
      log.error('diagnostics request failed', { path: url.pathname, error });
      if (!res.headersSent) send(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  // Probes and scrapes are short; do not let idle keep-alive sockets delay shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(address.port, address.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

async function closeServer(server: Server, deadlineMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(() => {
      server.closeAllConnections();
      resolve();
    }, deadlineMs);
    timer.unref();
  });
  await Promise.race([closed, deadline]);
  clearTimeout(timer);
  await closed;
}

/** Starts the probe and metrics listeners (one listener if both addresses are the same). */
export async function startDiagnostics(options: DiagnosticsOptions): Promise<Diagnostics> {
  const log = options.log ?? discardLogger;
  const probeRoutes = new Map<string, Route>([
    ['/healthz', probeRoute(options.checks, 'healthz')],
    ['/healthz/*', probeRoute(options.checks, 'healthz')],
    ['/readyz', probeRoute(options.checks, 'readyz')],
    ['/readyz/*', probeRoute(options.checks, 'readyz')],
  ]);
  const metricsRoutes = new Map<string, Route>(
    options.metrics === undefined ? [] : [['/metrics', metricsRoute(options.metrics)]],
  );
  const p = options.probeAddress;
  const m = options.metrics === undefined ? undefined : options.metricsAddress;
  const shared = p !== undefined && m !== undefined && p.port !== 0 && p.port === m.port && p.host === m.host;

  const servers: Server[] = [];
  try {
    let probes: Server | undefined;
    let metrics: Server | undefined;
    if (p !== undefined) {
      probes = await listen(p, shared ? new Map([...probeRoutes, ...metricsRoutes]) : probeRoutes, log);
      servers.push(probes);
      log.info('serving health probes', { address: formatBindAddress(p) });
    }
    if (m !== undefined) {
      if (shared) metrics = probes;
      else {
        metrics = await listen(m, metricsRoutes, log);
        servers.push(metrics);
      }
      log.info('serving metrics', { address: formatBindAddress(m) });
    }
    return {
      probes: probes?.address() as AddressInfo | undefined,
      metrics: metrics?.address() as AddressInfo | undefined,
      close: async (deadlineMs = 5_000) => {
        await Promise.all(servers.map((s) => closeServer(s, deadlineMs)));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => closeServer(s, 0)));
    throw error;
  }
}
