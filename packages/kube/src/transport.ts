// Raw HTTP to the API server over Node's own http/https modules, with client-node's KubeConfig
// for authentication and TLS (applyToHTTPSOptions: tokens, client certificates, exec credentials,
// basic auth, impersonation, the CA, proxy agents). We build requests ourselves instead of calling
// the generated APIs because those
//   - re-serialise bodies through typed models (unknown keys such as x-kubernetes-* are dropped),
//   - default PATCH to application/json-patch+json,
//   - parse responses into model classes (Date fields) and lose integers above 2^53,
// while here every body is sent as written, with an explicit Content-Type, and read back as plain JSON.
// Not client-node's fetch (undici): loading undici alone costs a process ~28 MB of RSS (its
// WebAssembly HTTP parser and its modules), a fifth of the controller's memory budget, for nothing
// node:https does not do (docs/adr/0006-kubernetes-transport.md).
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import {
  Agent as HttpsAgent,
  request as httpsRequest,
  type RequestOptions as HttpsOptions,
} from 'node:https';
import { Readable } from 'node:stream';
import { createSecureContext, type SecureContext } from 'node:tls';
import { createGunzip } from 'node:zlib';
import { ApiException, type KubeConfig } from '@kubernetes/client-node';
import { parseJson, stringifyJson } from './json.js';

export const ContentType = {
  Json: 'application/json',
  MergePatch: 'application/merge-patch+json',
  JsonPatch: 'application/json-patch+json',
  ApplyPatch: 'application/apply-patch+yaml',
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type QueryValue = string | number | boolean | undefined;

export interface RequestOptions {
  method: Method;
  /** Absolute API path, e.g. /apis/ipam.cluster.x-k8s.io/v1beta2/namespaces/a/ipaddresses/b. */
  path: string;
  query?: Record<string, QueryValue>;
  /** Serialised with bigint-aware JSON; sent exactly as given. */
  body?: unknown;
  /** Required whenever there is a body: no guessing of patch types. */
  contentType?: ContentType;
  signal?: AbortSignal;
  /** Overrides the transport's default request timeout; 0 disables it. */
  timeoutMs?: number;
}

export interface TransportOptions {
  /** Default whole-request timeout for non-streaming calls (default 30 s). */
  requestTimeoutMs?: number;
  userAgent?: string;
  /**
   * How long one connection pool (a keep-alive agent) serves every request before a fresh one
   * replaces it, so rotated client certificates or CA files are picked up (default 5 min). In-flight
   * requests and open watches finish on the old pool; its idle connections close at once.
   */
  agentTtlMs?: number;
  /**
   * Ask for gzip-compressed responses (default true; the API server compresses responses over
   * 128 KB). False sends `Accept-Encoding: identity`: compressing and inflating cost both sides CPU
   * that a co-located controller saves, which is why kube-controller-manager and kube-scheduler turn
   * it off (kubernetes#80919, #112296).
   */
  compression?: boolean;
  /**
   * How long one reading of the kubeconfig's credentials (TLS material, Authorization and
   * impersonation headers) serves every request (default 1 s). client-node's applyToHTTPSOptions
   * decodes or re-reads the CA, certificate and key and builds an https.Agent on every call: done per
   * request it was a visible share of the controller's CPU in a burst (docs/adr/0032). Tokens and
   * exec credentials keep their own expiry inside client-node; rotated files are seen within this.
   */
  credentialsTtlMs?: number;
}

export interface ResponseStream {
  /** The response body, line by line (watch streams are newline-delimited JSON). */
  lines: AsyncIterable<string>;
}

type Agent = HttpAgent | HttpsAgent;

/** One reading of the kubeconfig's credentials: TLS options (no agent) and auth headers. */
interface Credentials {
  /** secureContext: passed through to tls.connect (node:https does), missing from its types. */
  tls: HttpsOptions & { secureContext?: SecureContext };
  headers: Record<string, string | string[]>;
  /** The cluster's proxy agent, when it has a proxy-url. */
  proxyAgent: HttpsOptions['agent'];
  at: number;
}

/** The API server's address, parsed once per server string. */
interface Server {
  text: string;
  protocol: 'http:' | 'https:';
  hostname: string;
  port: string;
  /** Path prefix of the server URL (usually empty). */
  base: string;
  proxied: boolean;
}

const timeoutReason = (): DOMException =>
  new DOMException('The operation was aborted due to timeout', 'TimeoutError');

export class KubeTransport {
  readonly kubeConfig: KubeConfig;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly agentTtlMs: number;
  private readonly compression: boolean;
  private readonly credentialsTtlMs: number;
  private agent: { value: Agent; protocol: string; since: number } | undefined;
  private credentials: Promise<Credentials> | undefined;
  private server: Server | undefined;
  private tlsContext: { id: string; value: SecureContext } | undefined;

  constructor(kubeConfig: KubeConfig, options: TransportOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'ipam-in-cluster';
    this.agentTtlMs = options.agentTtlMs ?? 5 * 60_000;
    this.compression = options.compression ?? true;
    this.credentialsTtlMs = options.credentialsTtlMs ?? 1_000;
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws ApiException (body: string). */
  async request<T = unknown>(options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    // One AbortController and one cleared timer per request: AbortSignal.timeout() and
    // AbortSignal.any() keep a weakly referenced signal and an unref'd timer alive for the whole
    // timeout (30 s) after the request ended: thousands at a time in a burst.
    const caller = options.signal;
    let controller: AbortController | undefined;
    let timer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      controller?.abort(caller?.reason);
    };
    if (timeoutMs > 0) {
      controller = new AbortController();
      const c = controller;
      timer = setTimeout(() => {
        c.abort(timeoutReason());
      }, timeoutMs);
      if (caller !== undefined) {
        if (caller.aborted) controller.abort(caller.reason);
        else caller.addEventListener('abort', onAbort, { once: true });
      }
    }
    const signal = controller?.signal ?? caller;
    try {
      const response = await this.send(options, signal);
      const text = await readBody(response, signal);
      const status = response.statusCode ?? 0;
      if (status < 200 || status > 299) throw apiException(status, options, text, response);
      return (text === '' ? undefined : parseJson(text)) as T;
    } finally {
      clearTimeout(timer);
      caller?.removeEventListener('abort', onAbort);
    }
  }

  /** Opens a streaming GET (watch). Non-200 throws ApiException with the Status body, like request(). */
  async stream(options: Omit<RequestOptions, 'body' | 'contentType' | 'timeoutMs'>): Promise<ResponseStream> {
    const response = await this.send(options, options.signal);
    if (response.statusCode !== 200) {
      const text = await readBody(response, options.signal);
      throw apiException(response.statusCode ?? 0, options, text, response);
    }
    return { lines: splitLines(decoded(response)) };
  }

  private async send(options: RequestOptions, signal: AbortSignal | undefined): Promise<IncomingMessage> {
    const server = this.currentServer();
    let path = server.base + options.path;
    if (options.query !== undefined) {
      const query = new URLSearchParams();
      for (const [key, value] of Object.entries(options.query)) {
        if (value !== undefined) query.set(key, String(value));
      }
      const text = query.toString();
      if (text !== '') path += `?${text}`;
    }
    // Authentication headers and TLS material, read again every credentialsTtlMs (tokens and exec
    // credentials expire; certificate files rotate). client-node also makes an agent: a proxy agent
    // when the cluster has a proxy-url (kept), else a non-keep-alive one we replace with ours.
    const credentials = await this.currentCredentials();
    const headers: Record<string, string | number | string[]> = {
      ...credentials.headers,
      Accept: 'application/json',
      'User-Agent': this.userAgent,
      // The API server gzips responses over 128 KB when asked.
      'Accept-Encoding': this.compression ? 'gzip' : 'identity',
    };
    let body: Buffer | undefined;
    if (options.body !== undefined) {
      if (options.contentType === undefined) throw new Error('a request body needs an explicit content type');
      body = Buffer.from(stringifyJson(options.body), 'utf8');
      headers['Content-Type'] = options.contentType;
      headers['Content-Length'] = body.length;
    }
    const agent = server.proxied ? credentials.proxyAgent : this.sharedAgent(server.protocol);
    const send = server.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const fail = (error: unknown): void => {
        reject(failureOf(error, signal));
      };
      if (signal?.aborted === true) {
        fail(signal.reason);
        return;
      }
      const req = send({
        ...credentials.tls,
        protocol: server.protocol,
        hostname: server.hostname,
        port: server.port,
        path,
        method: options.method,
        headers,
        agent,
      });
      req.on('response', resolve);
      req.on('error', fail);
      if (signal !== undefined) {
        // By hand rather than http.request's `signal` option, whose addAbortSignal (an abort listener
        // plus end-of-stream tracking per request) was ~4 % of the controller's CPU in a burst.
        const onAbort = (): void => {
          req.destroy(signal.reason instanceof Error ? signal.reason : new Error(String(signal.reason)));
        };
        signal.addEventListener('abort', onAbort, { once: true });
        req.once('close', () => {
          signal.removeEventListener('abort', onAbort);
        });
      }
      req.end(body);
    });
  }

  /** The current cluster's server URL, parsed again only when it changes. */
  private currentServer(): Server {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const text = cluster.server;
    if (this.server?.text === text) return this.server;
    const url = new URL(text.replace(/\/+$/, ''));
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`kubeconfig server ${text}: http or https only`);
    this.server = {
      text,
      protocol: url.protocol,
      // A bracketed IPv6 literal is what URL gives; http.request wants it bare.
      hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port,
      base: url.pathname === '/' ? '' : url.pathname,
      proxied: cluster.proxyUrl !== undefined && cluster.proxyUrl !== '',
    };
    return this.server;
  }

  /** applyToHTTPSOptions, once per credentialsTtlMs (concurrent requests share one reading). */
  private async currentCredentials(): Promise<Credentials> {
    const now = performance.now();
    const cached = this.credentials;
    if (cached !== undefined) {
      const current = await cached;
      if (now - current.at < this.credentialsTtlMs) return current;
      // Another request may have started a fresh reading meanwhile.
      if (this.credentials !== cached) return this.currentCredentials();
    }
    const reading = (async (): Promise<Credentials> => {
      const tls: HttpsOptions = { headers: {} };
      await this.kubeConfig.applyToHTTPSOptions(tls);
      const { agent: proxyAgent, headers, ...rest } = tls;
      // PEM as strings: the agent's pool key concatenates ca, cert and key for every request, and a
      // Buffer would be decoded again each time.
      for (const field of ['ca', 'cert', 'key'] as const) {
        const value = rest[field];
        if (Buffer.isBuffer(value)) rest[field] = value.toString('utf8');
      }
      const secureContext = this.sharedSecureContext(rest);
      return {
        tls: secureContext === undefined ? rest : { ...rest, secureContext },
        headers: (headers ?? {}) as Record<string, string | string[]>,
        proxyAgent,
        at: performance.now(),
      };
    })();
    this.credentials = reading;
    // A failed reading is not cached: the next request tries again.
    reading.catch(() => {
      if (this.credentials === reading) this.credentials = undefined;
    });
    return reading;
  }

  /**
   * One TLS context for every connection while the CA, certificate and key stay the same: without
   * it each new connection builds its own (its own copy of the CA store and key), about 30 KB of
   * native memory a connection, ~2 MB at 64 connections (test/bench/tls-connection-memory.ts).
   * ca/cert/key stay in the options too: they are the agent's pool key, so rotated material still
   * gets new connections. A pfx (or anything but PEM strings) keeps Node's per-connection context.
   */
  private sharedSecureContext(o: HttpsOptions): SecureContext | undefined {
    if (o.pfx !== undefined) return undefined;
    const pem = [o.ca, o.cert, o.key];
    if (pem.some((v) => v !== undefined && typeof v !== 'string')) return undefined;
    const id = JSON.stringify(pem);
    if (this.tlsContext?.id !== id) {
      this.tlsContext = { id, value: createSecureContext({ ca: o.ca, cert: o.cert, key: o.key }) };
    }
    return this.tlsContext.value;
  }

  /**
   * One keep-alive agent for every request, as client-go's transport cache does: connections are
   * reused, not a TLS handshake per call. Requests carry their own TLS options, which are part of
   * the agent's pool key, so rotated material gets new connections; the agent itself is replaced
   * every agentTtlMs so the old pool's connections do not linger.
   */
  private sharedAgent(protocol: string): Agent {
    const now = performance.now();
    const current = this.agent;
    if (current?.protocol === protocol && now - current.since < this.agentTtlMs) return current.value;
    // keepAliveMsecs: TCP keep-alive probes after 30 s idle, like client-go; idle pooled connections
    // close after 60 s (the timeout only ends free sockets: a quiet watch has a request attached).
    const options = { keepAlive: true, keepAliveMsecs: 30_000, timeout: 60_000, scheduling: 'lifo' as const };
    const value = protocol === 'http:' ? new HttpAgent(options) : new HttpsAgent(options);
    this.agent = { value, protocol, since: now };
    if (current !== undefined) retire(current.value);
    return value;
  }
}

/** In-flight requests (open watches too) finish on an old agent; its connections close as they free up. */
function retire(agent: Agent): void {
  for (const sockets of Object.values(agent.freeSockets))
    for (const socket of sockets ?? []) socket.destroy();
  agent.on('free', (socket: { destroy(): void }) => {
    socket.destroy();
  });
}

function apiException(
  status: number,
  options: Pick<RequestOptions, 'method' | 'path'>,
  text: string,
  response: IncomingMessage,
): ApiException<string> {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers[key] = Array.isArray(value) ? value.join(', ') : value;
  }
  return new ApiException(status, `${options.method} ${options.path}`, text, headers);
}

/** The body as a stream of bytes, gunzipped when the server compressed it. */
function decoded(response: IncomingMessage): Readable {
  if (response.headers['content-encoding'] !== 'gzip') return response;
  const gunzipping = createGunzip();
  response.on('error', (error) => gunzipping.destroy(error));
  gunzipping.on('close', () => response.destroy());
  return response.pipe(gunzipping);
}

/**
 * What a request or its body rejects with: after an abort (caller or timeout) the signal's reason
 * (AbortError, TimeoutError), as fetch did; else the error itself, as an Error.
 */
function failureOf(error: unknown, signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.aborted === true ? signal.reason : error;
  return reason instanceof Error ? reason : new Error(String(reason));
}

/**
 * The whole body as text. Listeners rather than `for await`: a stream's async iterator (its
 * end-of-stream tracking and promise per chunk) was ~4 % of the controller's CPU in a burst, for
 * bodies that are mostly one chunk. A stream closed before its end rejects, as the iterator did.
 */
function readBody(response: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  const body = decoded(response);
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    const fail = (error: unknown): void => {
      reject(failureOf(error, signal));
    };
    body.on('data', (chunk: Buffer) => chunks.push(chunk));
    body.once('end', () => {
      ended = true;
      const whole = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
      resolve(whole.toString('utf8'));
    });
    body.once('error', fail);
    body.once('close', () => {
      // A connection cut mid-body: a network failure, retried like a reset.
      if (!ended) fail(Object.assign(new Error('response closed before its end'), { code: 'ECONNRESET' }));
    });
  });
}

async function* splitLines(stream: Readable): AsyncIterable<string> {
  stream.setEncoding('utf8');
  let buffered = '';
  try {
    for await (const chunk of stream) {
      buffered += chunk as string;
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') yield line;
        newline = buffered.indexOf('\n');
      }
    }
    const rest = buffered.trim();
    if (rest !== '') yield rest;
  } finally {
    // Destroying releases the connection when the consumer stops early.
    stream.destroy();
  }
}
