// The HTTPS server for the admission and conversion webhooks. The serving certificate comes from a
// CertificateSource and is swapped with setSecureContext when it changes: new handshakes get the new
// certificate, open connections (and requests in flight) carry on undisturbed.
//
// HTTP/2, with HTTP/1.1 for clients that do not offer it (ALPN). kube-apiserver offers HTTP/2, and
// over HTTP/1.1 it opens one connection per admission call in flight: ~50 TLS connections at ~130 KB
// each in a burst of claim creates (the claim finalizer webhook, ADR 0037), and as many handshakes
// again as it drops and redials them. Over HTTP/2 the calls share a connection or a few.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  constants as http2,
  createSecureServer,
  type Http2SecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type Http2Session,
} from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import type { SecureVersion, TLSSocket } from 'node:tls';
import { POOL_KINDS, RESERVATION_KIND, type PoolKind } from '@ipam-in-cluster/api';
import { readAdmissionReview, toResponse, type Verdict } from './admission.js';
import { BodyBudget, LARGE_BODY_BYTES } from './body-budget.js';
import type { ClaimFinalizerWebhook } from './claim-finalizer.js';
import {
  connectionGate,
  WEBHOOK_CONNECTION_LIMITS,
  type ConnectionLimits,
  type ConnectionRefusal,
} from './connection-gate.js';
import { handleConversionReview } from './conversion.js';
import {
  CLAIM_FINALIZER_PATH,
  CONVERSION_PATH,
  mutatePath,
  RESERVATION_VALIDATE_PATH,
  validatePath,
} from './manifests.js';
import type { PoolWebhooks } from './pools.js';
import type { ReservationWebhook } from './reservations.js';
import type { CertificateSource } from '../certs/types.js';
import { discardLogger, type Logger } from '../log/logger.js';
import { KeyedMutex } from '../util/async-mutex.js';

export interface WebhookServerOptions {
  /** 0 picks a free port (tests); the controller's default is 9443. */
  port: number;
  /** Listen address; default all interfaces. */
  host?: string;
  certificates: CertificateSource;
  pools: PoolWebhooks;
  /** IPAddressReservation validation (served when given). */
  reservations?: ReservationWebhook;
  /** The claim finalizer at create (served when given; docs/adr/0037). */
  claims?: ClaimFinalizerWebhook;
  tlsMinVersion?: SecureVersion;
  /**
   * Largest admission request body accepted (default {@link ADMISSION_MAX_BODY_BYTES}, what the API
   * server can send). Larger ones get 413 before their body is read.
   */
  maxBodyBytes?: number;
  /** What all request bodies together may hold at once (default {@link BUFFERED_BODIES_MAX_BYTES}). */
  maxBufferedBytes?: number;
  /** Largest conversion request body (default {@link CONVERSION_MAX_BODY_BYTES}: a ConversionReview carries a whole list). */
  maxConversionBodyBytes?: number;
  /** Open connections in all and from one address (default {@link WEBHOOK_CONNECTION_LIMITS}). */
  connectionLimits?: ConnectionLimits;
  /** TLS handshake, and the HTTP/2 preface after it, within this (default {@link HANDSHAKE_TIMEOUT_MS}). */
  handshakeTimeoutMs?: number;
  /** Called for each connection closed on arrival because a limit was reached (metrics). */
  onConnectionRefused?: (reason: ConnectionRefusal) => void;
  log?: Logger;
  /** Called after each admission decision (metrics). */
  onAdmission?: (event: {
    path: string;
    kind: PoolKind | typeof RESERVATION_KIND | typeof CLAIM_KIND;
    operation: string;
    allowed: boolean;
    code: number;
    durationMs: number;
  }) => void;
}

export interface RunningWebhookServer {
  readonly port: number;
  readonly server: Http2SecureServer;
  /** Stops accepting connections and waits (up to `graceMs`) for open ones to finish. */
  close(graceMs?: number): Promise<void>;
}

/**
 * The API server accepts write requests up to 3 MiB; an AdmissionReview carries the object and the
 * old object, each at most that size, plus less than 1 MiB of envelope: 7 MiB, controller-runtime's
 * admission limit (its `maxRequestSize`).
 */
export const ADMISSION_MAX_BODY_BYTES = 7 * 1024 * 1024;

/**
 * A ConversionReview carries every object of a list the API server reads in another version, so it
 * is not bounded by the per-request limit; 32 MiB covers tens of thousands of pools.
 */
export const CONVERSION_MAX_BODY_BYTES = 32 * 1024 * 1024;

const CLAIM_KIND = 'IPAddressClaim';

type Route =
  | { type: 'validate' | 'mutate'; kind: PoolKind }
  | { type: 'convert' }
  | { type: 'reservation'; kind: typeof RESERVATION_KIND; webhook: ReservationWebhook }
  | { type: 'claim'; kind: typeof CLAIM_KIND; webhook: ClaimFinalizerWebhook };

function routes(
  reservations: ReservationWebhook | undefined,
  claims: ClaimFinalizerWebhook | undefined,
): Map<string, Route> {
  const map = new Map<string, Route>();
  if (claims !== undefined)
    map.set(CLAIM_FINALIZER_PATH, { type: 'claim', kind: CLAIM_KIND, webhook: claims });
  if (reservations !== undefined)
    map.set(RESERVATION_VALIDATE_PATH, {
      type: 'reservation',
      kind: RESERVATION_KIND,
      webhook: reservations,
    });
  for (const kind of POOL_KINDS) {
    map.set(validatePath(kind), { type: 'validate', kind });
    map.set(mutatePath(kind), { type: 'mutate', kind });
  }
  map.set(CONVERSION_PATH, { type: 'convert' });
  return map;
}

/** A request and its response, over HTTP/2 or HTTP/1.1 (Node's compatibility API for both). */
type Request = IncomingMessage | Http2ServerRequest;
type Response = ServerResponse | Http2ServerResponse;

/** Streams a session may have open at once (Go's server default: 250). */
const MAX_CONCURRENT_STREAMS = 250;

/** Server-side idle limit, above Go's 90 s client default: the API server, not us, ends idle connections. */
const IDLE_TIMEOUT_MS = 120_000;

/**
 * A connection that has not finished its TLS handshake by then is closed (Node's default: 120 s), and
 * an HTTP/2 session whose client has not sent its preface (SETTINGS): Node never counts such a session
 * idle, so it would hold its connection for good.
 */
const HANDSHAKE_TIMEOUT_MS = 10_000;

const isHttp2 = (req: Request): req is Http2ServerRequest => req.httpVersionMajor === 2;

const pathOf = (req: Request): string => (req.url ?? '/').split('?')[0] ?? '/';

/**
 * After this response, no more requests on its connection (HTTP/1.1: `Connection: close`) or, over
 * HTTP/2, no more of this request's body: once the response is complete the stream is closed with
 * NO_ERROR, which tells the client to stop sending (RFC 9113, 8.1).
 */
function lastOfItsKind(req: Request, res: Response): void {
  if (isHttp2(req)) {
    res.once('finish', () => {
      req.stream.close(http2.NGHTTP2_NO_ERROR);
    });
  } else if (!res.headersSent) {
    res.setHeader('Connection', 'close');
  }
}

/**
 * Answers a refused or failed request. Whatever is left of a refused body (413, 503) is not read:
 * the connection (HTTP/1.1) or the stream (HTTP/2) closes after the answer; 503 says when to retry.
 */
function refuse(req: Request, res: Response, error: HttpError): void {
  if (error.code === 413 || error.code === 503) lastOfItsKind(req, res);
  if (error.code === 503) res.setHeader('Retry-After', '1');
  send(res, error.code, { message: error.message });
}

class HttpError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

function tooLarge(limit: number): HttpError {
  return new HttpError(
    413,
    `request body larger than ${String(limit)} bytes (the most the API server sends to this webhook)`,
  );
}

function overBudget(): HttpError {
  return new HttpError(
    503,
    'too many request bodies in flight at once; retry in a second (the webhook bounds what they hold together)',
  );
}

/**
 * Why a body of `declared` bytes (its Content-Length) cannot be taken, before any of it is read:
 * over the request's limit (413), or more than what all bodies may still hold together (503).
 */
function declaredRefusal(declared: number, limit: number, budget: BodyBudget): HttpError | undefined {
  if (declared > limit) return tooLarge(limit);
  return budget.fits(declared) ? undefined : overBudget();
}

/**
 * Reads a JSON body of at most `limit` bytes. A declared Content-Length above the limit is refused
 * before anything is read; a chunked body is counted as it arrives and refused as soon as it passes
 * the limit (never buffered beyond it). The bytes are taken from `budget` (./body-budget.ts): a
 * declared body reserves its length before any byte is read, so it is either sure to fit or refused
 * at once (503, before the client sends it); a chunked one takes its bytes as they arrive. `held` is
 * what the caller gives back once the request is answered.
 */
async function readBody(
  req: Request,
  limit: number,
  budget: BodyBudget,
): Promise<{ raw: Buffer; held: number }> {
  const type = req.headers['content-type'] ?? '';
  if (!type.startsWith('application/json'))
    throw new HttpError(415, `unsupported content type ${JSON.stringify(type)}`);
  const declared = Number(req.headers['content-length'] ?? NaN);
  let held = Number.isFinite(declared) ? declared : 0;
  const refusal = declaredRefusal(held, limit, budget);
  if (refusal !== undefined) throw refusal;
  budget.take(held);
  // Events rather than `for await`: leaving that loop early destroys the socket (or stream), and the
  // client would see a reset instead of the 413.
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        const next = size + chunk.length;
        const refusal =
          next > limit
            ? tooLarge(limit)
            : next <= held || budget.take(next - held)
              ? undefined
              : overBudget();
        if (refusal !== undefined) {
          req.off('data', onData);
          req.pause();
          chunks.length = 0;
          reject(refusal);
          return;
        }
        held = Math.max(held, next);
        size = next;
        chunks.push(chunk);
      };
      req.on('data', onData);
      req.once('end', resolve);
      req.once('error', reject);
    });
    return { raw: Buffer.concat(chunks), held };
  } catch (error) {
    budget.give(held);
    throw error;
  }
}

function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new HttpError(400, 'request body is not JSON');
  }
}

function send(res: Response, code: number, body: unknown): void {
  const text = JSON.stringify(body);
  reply(res, code, 'application/json', text);
}

/** One complete answer (the two APIs' writeHead overloads do not unify, their headers do). */
function reply(res: Response, code: number, contentType: string, text: string): void {
  res.statusCode = code;
  res.setHeader('content-type', contentType);
  res.setHeader('content-length', Buffer.byteLength(text));
  res.end(text);
}

export async function startHttpsWebhookServer(options: WebhookServerOptions): Promise<RunningWebhookServer> {
  const initial = options.certificates.current();
  if (initial === undefined) throw new Error('webhook server: no serving certificate available');
  const log = options.log ?? discardLogger;
  const admissionLimit = options.maxBodyBytes ?? ADMISSION_MAX_BODY_BYTES;
  const conversionLimit = options.maxConversionBodyBytes ?? CONVERSION_MAX_BODY_BYTES;
  const table = routes(options.reservations, options.claims);
  const budget = new BodyBudget(options.maxBufferedBytes);
  const large = new KeyedMutex();
  const minVersion = options.tlsMinVersion ?? 'TLSv1.2';
  const handshakeTimeoutMs = options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS;

  /** The body limit of a route: a ConversionReview carries a whole list. */
  const limitFor = (route: Route | undefined): number =>
    route?.type === 'convert' ? conversionLimit : admissionLimit;

  const handle = async (req: Request, res: Response): Promise<void> => {
    const path = pathOf(req);
    if (req.method === 'GET' && (path === '/healthz' || path === '/readyz')) {
      reply(res, 200, 'text/plain', 'ok');
      return;
    }
    const route = table.get(path);
    if (route === undefined) {
      send(res, 404, { message: `no webhook at ${path}` });
      return;
    }
    if (req.method !== 'POST') {
      send(res, 405, { message: 'only POST' });
      return;
    }
    const { raw, held } = await readBody(req, limitFor(route), budget);
    try {
      const run = (): Promise<void> => answer(res, path, route, parseJson(raw));
      // A large body's parsed form is several times its size on the heap: one at a time.
      await (held > LARGE_BODY_BYTES ? large.runExclusive('large', run) : run());
    } finally {
      budget.give(held);
    }
  };

  /** The review in `body` (read and parsed) handled by its route, and the answer sent. */
  const answer = async (res: Response, path: string, route: Route, body: unknown): Promise<void> => {
    // Let whatever queued while the body was read and parsed (probes, other requests) go first.
    await new Promise((resolve) => setImmediate(resolve));
    if (route.type === 'convert') {
      const review = handleConversionReview(body);
      if (review === undefined)
        throw new HttpError(400, 'body is not a ConversionReview (apiextensions.k8s.io/v1)');
      if (review.response?.result.status === 'Failure') {
        log.info('conversion failed', { uid: review.response.uid, message: review.response.result.message });
      }
      send(res, 200, review);
      return;
    }
    const parsed = readAdmissionReview(body);
    if (!parsed.ok) throw new HttpError(400, parsed.message);
    const started = performance.now();
    const { request } = parsed;
    const verdict: Verdict =
      route.type === 'reservation'
        ? await route.webhook.validate(request)
        : route.type === 'claim'
          ? route.webhook.default(request)
          : route.type === 'validate'
            ? await options.pools.validate(route.kind, request)
            : options.pools.default(route.kind, request);
    const response = toResponse(request.uid, verdict);
    const code = verdict.allowed ? 200 : verdict.status.code;
    options.onAdmission?.({
      path,
      kind: route.kind,
      operation: request.operation,
      allowed: verdict.allowed,
      code,
      durationMs: performance.now() - started,
    });
    if (!verdict.allowed && code >= 500)
      log.error('admission failed', { path, uid: request.uid, message: verdict.status.message });
    send(res, 200, { apiVersion: parsed.apiVersion, kind: 'AdmissionReview', response });
  };

  // Certificate generation per connection: after a reload, each older HTTP/1.1 connection answers
  // its next request with `Connection: close`, so clients move to a new handshake (and the new
  // certificate) between requests; each HTTP/2 session gets a GOAWAY (its streams in flight finish,
  // new ones go to a new connection). Closing idle connections instead races a client reusing one.
  let generation = 0;
  let closing = false;
  const connectionGeneration = new WeakMap<object, number>();
  const sessions = new Set<Http2Session>();
  /** HTTP/1.1 connections and their requests in flight (idle ones are closed at once on close()). */
  const http1 = new Map<TLSSocket, number>();
  const onRequest = (req: Request, res: Response): void => {
    if (!isHttp2(req)) {
      const socket = req.socket as TLSSocket;
      const born = connectionGeneration.get(socket) ?? generation;
      if (born < generation || closing) res.setHeader('Connection', 'close');
      http1.set(socket, (http1.get(socket) ?? 0) + 1);
      // While closing, `Connection: close` ends the connection after its answer.
      res.once('close', () => {
        if (http1.has(socket)) http1.set(socket, (http1.get(socket) ?? 1) - 1);
      });
    }
    handle(req, res).catch((error: unknown) => {
      const failure =
        error instanceof HttpError
          ? error
          : new HttpError(500, error instanceof Error ? error.message : String(error));
      if (failure.code >= 500) log.error('webhook request failed', { path: req.url, error: failure.message });
      if (!res.headersSent) refuse(req, res, failure);
      else res.destroy();
    });
  };
  const server = createSecureServer(
    {
      cert: initial.cert,
      key: initial.key,
      minVersion,
      allowHTTP1: true,
      settings: { maxConcurrentStreams: MAX_CONCURRENT_STREAMS },
      handshakeTimeout: handshakeTimeoutMs,
    },
    onRequest,
  );
  // The TLS server does not listen itself: the gate accepts connections and hands it those within
  // the limits (./connection-gate.ts).
  const gate = connectionGate(
    server,
    options.connectionLimits ?? WEBHOOK_CONNECTION_LIMITS,
    options.onConnectionRefused,
  );
  // A client that asks before sending its body (`Expect: 100-continue`) is told 413 instead of
  // "continue" when the body it announces is too large, so it never sends it.
  server.on('checkContinue', (req: Request, res: Response) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const refusal = declaredRefusal(declared, limitFor(table.get(pathOf(req))), budget);
    if (refusal !== undefined) {
      refuse(req, res, refusal);
      return;
    }
    res.writeContinue();
    onRequest(req, res);
  });
  server.on('secureConnection', (socket: TLSSocket) => {
    connectionGeneration.set(socket, generation);
    if (socket.alpnProtocol === 'h2') return;
    http1.set(socket, 0);
    socket.once('close', () => http1.delete(socket));
  });
  // The accepted TCP sockets by remote address and port. An HTTP/2 session that never got its preface
  // holds on to its connection even when destroyed (Node 24): only resetting its TCP socket frees it.
  const tcpSockets = new Map<string, Socket>();
  const endpoint = (s: { remoteAddress?: string | undefined; remotePort?: number | undefined }): string =>
    `${s.remoteAddress ?? ''}|${String(s.remotePort ?? '')}`;
  server.on('connection', (socket: Socket) => {
    const key = endpoint(socket);
    tcpSockets.set(key, socket);
    socket.once('close', () => tcpSockets.delete(key));
  });
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    const key = endpoint(session.socket);
    const preface = setTimeout(() => {
      tcpSockets.get(key)?.resetAndDestroy();
      session.destroy();
    }, handshakeTimeoutMs);
    preface.unref();
    session.once('remoteSettings', () => {
      clearTimeout(preface);
    });
    session.once('close', () => {
      clearTimeout(preface);
      sessions.delete(session);
    });
  });
  // Idle connections and sessions end after IDLE_TIMEOUT_MS; HTTP/1.1 keep-alive likewise, with the
  // header timeout just above it (Node's HTTP/1.1 fallback reads these from the server).
  server.setTimeout(IDLE_TIMEOUT_MS);
  Object.assign(server, { keepAliveTimeout: IDLE_TIMEOUT_MS, headersTimeout: IDLE_TIMEOUT_MS + 5_000 });
  const unsubscribe = options.certificates.onChange((certificate) => {
    try {
      server.setSecureContext({ cert: certificate.cert, key: certificate.key, minVersion });
      generation++;
      for (const session of sessions) session.close();
      log.info('webhook serving certificate reloaded');
    } catch (error) {
      log.error('webhook serving certificate rejected; keeping the previous one', {
        error: error instanceof Error ? error.message : String(error),
      });
    }
  });
  await new Promise<void>((resolve, reject) => {
    gate.once('error', reject);
    gate.listen(options.port, options.host, () => {
      gate.off('error', reject);
      resolve();
    });
  });
  const port = (gate.address() as AddressInfo).port;
  log.info('webhook server listening', { host: options.host ?? 'all interfaces', port });
  return {
    port,
    server,
    close: async (graceMs = 10_000) => {
      unsubscribe();
      closing = true;
      // Resolves once every connection the gate accepted has closed.
      const closed = new Promise<void>((resolve) =>
        gate.close(() => {
          resolve();
        }),
      );
      // Requests in flight finish; HTTP/2 sessions get a GOAWAY, idle HTTP/1.1 connections close.
      for (const session of sessions) session.close();
      for (const [socket, inFlight] of http1) if (inFlight === 0) socket.destroy();
      const timer = setTimeout(() => {
        for (const session of sessions) session.destroy();
        for (const socket of http1.keys()) socket.destroy();
      }, graceMs);
      await closed;
      clearTimeout(timer);
    },
  };
}
