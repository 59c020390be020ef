/**
 * Diagnostics: `/healthz` and `/readyz` on the health-probe address (plain HTTP), and `/metrics`
 * - on the diagnostics address (upstream v1.1's `--diagnostics-address`), over HTTPS with every
 *   scrape authenticated (TokenReview) and authorised (SubjectAccessReview, `get` on `/metrics`),
 *   as controller-runtime's secure metrics serving does; or over plain HTTP without checks when
 *   `--insecure-diagnostics` is set;
 * - and/or on the metrics address (upstream v1.0's `--metrics-bind-address`), plain HTTP.
 * Plain listeners that name the same address as the probes share one listener.
 *
 * Every listener is hardened against hostile clients: bounded header size and count, no request
 * bodies (413, connection closed), a TLS handshake, header and request deadline, an idle-socket
 * timeout and a connection cap. None of them can stall the process or grow its memory.
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
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerOptions,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { SecureVersion } from 'node:tls';
import { formatBindAddress, type BindAddress } from '../config/bind-address.js';
import { discardLogger, type Logger } from '../log/logger.js';
import { realClock, type Clock } from '../util/clock.js';
import type { MetricsAuth } from './metrics-auth.js';

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

/** A PEM certificate and key, and change notifications (the certs/ sources have this shape). */
export interface ServingCertificates {
  current(): { cert: string; key: string } | undefined;
  onChange(listener: (c: { cert: string; key: string }) => void): () => void;
}

/** How the diagnostics address serves /metrics when it is secure. */
export interface SecureServing {
  readonly certificates: ServingCertificates;
  readonly auth: MetricsAuth;
  readonly tlsMinVersion?: SecureVersion;
}

export interface DiagnosticsOptions {
  /** /healthz and /readyz; undefined disables them. */
  readonly probeAddress: BindAddress | undefined;
  /** /metrics over plain HTTP without checks (`--metrics-bind-address`); undefined disables it. */
  readonly metricsAddress: BindAddress | undefined;
  /** /metrics on `--diagnostics-address`; undefined disables it. */
  readonly diagnosticsAddress?: BindAddress | undefined;
  /** HTTPS with authentication and authorisation on the diagnostics address; undefined: plain HTTP. */
  readonly secure?: SecureServing | undefined;
  readonly checks: HealthChecks;
  readonly metrics: MetricsRenderer | undefined;
  readonly log?: Logger;
  /** Listener limits (tests lower them). */
  readonly limits?: Partial<ListenerLimits>;
}

/** What every diagnostics listener allows a client. */
export interface ListenerLimits {
  /** Request line and headers together (Node's maxHeaderSize). */
  readonly maxHeaderBytes: number;
  readonly maxHeadersCount: number;
  /** From connection to complete headers (TLS handshake excluded). */
  readonly headersTimeoutMs: number;
  /** From connection to the whole request received. */
  readonly requestTimeoutMs: number;
  /** A socket with no traffic in either direction for this long is closed (slow readers too). */
  readonly idleTimeoutMs: number;
  /** TLS handshake deadline. */
  readonly handshakeTimeoutMs: number;
  /**
   * Open connections per listener; more are closed as they arrive. A scraper or a kubelet needs one
   * or two; each open TLS connection holds ~60-70 KB (docs/adr/0038).
   */
  readonly maxConnections: number;
}

export const DEFAULT_LISTENER_LIMITS: ListenerLimits = {
  maxHeaderBytes: 16 * 1024,
  maxHeadersCount: 64,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  idleTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  maxConnections: 64,
};

/** Running diagnostics servers. */
export interface Diagnostics {
  /** Where probes are served (the actual port when 0 was asked for). */
  readonly probes: AddressInfo | undefined;
  /** Plain /metrics (`--metrics-bind-address`). */
  readonly metrics: AddressInfo | undefined;
  /** /metrics on the diagnostics address, HTTPS unless insecure. */
  readonly diagnostics: AddressInfo | undefined;
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

/** /metrics behind the TokenReview + SubjectAccessReview check. */
function authorizedRoute(auth: MetricsAuth, route: Route, log: Logger): Route {
  return async (req, res, url) => {
    const decision = await auth.authorize(req.headers.authorization, req.method ?? 'GET', url.pathname);
    if (decision.allowed) {
      await route(req, res, url);
      return;
    }
    if (decision.status === 500)
      log.error('metrics authentication failed', { path: url.pathname, error: decision.error });
    else log.debug('metrics request refused', { path: url.pathname, status: decision.status });
    if (decision.status === 401) res.setHeader('www-authenticate', 'Bearer');
    if (decision.status === 429) res.setHeader('retry-after', '1');
    send(res, decision.status, `${decision.message}\n`);
  };
}

/** A request that carries a body (these endpoints take none): refused, and the connection closed. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

type ListenOptions = { limits: ListenerLimits; secure?: SecureServing };

async function listen(
  address: BindAddress,
  routes: Map<string, Route>,
  log: Logger,
  { limits, secure }: ListenOptions,
): Promise<Server> {
  const serverOptions: ServerOptions = {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    // How often Node checks the two deadlines above (default 30 s would let them slip).
    connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
    keepAliveTimeout: 5_000,
  };
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (hasBody(req)) {
      res.setHeader('connection', 'close');
      send(res, 413, 'request bodies are not accepted\n');
      res.on('finish', () => req.socket.destroy());
      return;
    }
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
  };
  let server: Server;
  if (secure === undefined) server = createServer(serverOptions, handler);
  else {
    const initial = secure.certificates.current();
    if (initial === undefined) throw new Error('diagnostics server: no serving certificate available');
    const minVersion = secure.tlsMinVersion ?? 'TLSv1.2';
    const https = createHttpsServer(
      {
        ...serverOptions,
        cert: initial.cert,
        key: initial.key,
        minVersion,
        handshakeTimeout: limits.handshakeTimeoutMs,
      },
      handler,
    );
    const unsubscribe = secure.certificates.onChange((c) => {
      try {
        https.setSecureContext({ cert: c.cert, key: c.key, minVersion });
        log.info('diagnostics serving certificate reloaded');
      } catch (error) {
        log.error('diagnostics serving certificate rejected; keeping the previous one', { error });
      }
    });
    https.on('close', unsubscribe);
    // A failed handshake (scanner, plain HTTP to the TLS port) only ends that socket.
    https.on('tlsClientError', (error, socket) => {
      log.debug('diagnostics TLS handshake failed', { error });
      socket.destroy();
    });
    server = https;
  }
  server.maxHeadersCount = limits.maxHeadersCount;
  server.maxConnections = limits.maxConnections;
  // Slow readers and silent sockets: closed after this long without traffic.
  server.setTimeout(limits.idleTimeoutMs, (socket) => socket.destroy());
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
  const limits = { ...DEFAULT_LISTENER_LIMITS, ...options.limits };
  const render = options.metrics;
  const metricsRoutes = new Map<string, Route>(
    render === undefined ? [] : [['/metrics', metricsRoute(render)]],
  );
  const p = options.probeAddress;
  const m = render === undefined ? undefined : options.metricsAddress;
  const d = render === undefined ? undefined : options.diagnosticsAddress;
  const same = (a: BindAddress | undefined, b: BindAddress | undefined): boolean =>
    a !== undefined && b !== undefined && a.port !== 0 && a.port === b.port && a.host === b.host;
  const shared = same(p, m);
  const plainDiagnosticsShared = options.secure === undefined && (same(p, d) || same(m, d));
  if (options.secure !== undefined && (same(p, d) || same(m, d)))
    throw new Error('the HTTPS diagnostics address cannot share a port with a plain HTTP listener');

  const servers: Server[] = [];
  try {
    let probes: Server | undefined;
    let metrics: Server | undefined;
    let diagnostics: Server | undefined;
    if (p !== undefined) {
      const withMetrics = shared || (plainDiagnosticsShared && same(p, d));
      probes = await listen(p, withMetrics ? new Map([...probeRoutes, ...metricsRoutes]) : probeRoutes, log, {
        limits,
      });
      servers.push(probes);
      log.info('serving health probes', { address: formatBindAddress(p) });
    }
    if (m !== undefined) {
      if (shared) metrics = probes;
      else {
        metrics = await listen(m, metricsRoutes, log, { limits });
        servers.push(metrics);
      }
      log.info('serving metrics', { address: formatBindAddress(m), secure: false });
    }
    if (d !== undefined && render !== undefined) {
      if (plainDiagnosticsShared) diagnostics = same(p, d) ? probes : metrics;
      else if (options.secure === undefined) {
        diagnostics = await listen(d, metricsRoutes, log, { limits });
        servers.push(diagnostics);
      } else {
        const routes = new Map<string, Route>([
          ['/metrics', authorizedRoute(options.secure.auth, metricsRoute(render), log)],
        ]);
        diagnostics = await listen(d, routes, log, { limits, secure: options.secure });
        servers.push(diagnostics);
      }
      log.info('serving metrics', {
        address: formatBindAddress(d),
        secure: options.secure !== undefined,
      });
    }
    return {
      probes: probes?.address() as AddressInfo | undefined,
      metrics: metrics?.address() as AddressInfo | undefined,
      diagnostics: diagnostics?.address() as AddressInfo | undefined,
      close: async (deadlineMs = 5_000) => {
        await Promise.all(servers.map((s) => closeServer(s, deadlineMs)));
      },
    };
  } catch (error) {
    await Promise.all(servers.map((s) => closeServer(s, 0)));
    throw error;
  }
}
