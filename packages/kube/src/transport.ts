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
}

export interface ResponseStream {
  /** The response body, line by line (watch streams are newline-delimited JSON). */
  lines: AsyncIterable<string>;
}

type Agent = HttpAgent | HttpsAgent;

export class KubeTransport {
  readonly kubeConfig: KubeConfig;
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly agentTtlMs: number;
  private readonly compression: boolean;
  private agent: { value: Agent; protocol: string; since: number } | undefined;

  constructor(kubeConfig: KubeConfig, options: TransportOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'ipam-in-cluster';
    this.agentTtlMs = options.agentTtlMs ?? 5 * 60_000;
    this.compression = options.compression ?? true;
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws ApiException (body: string). */
  async request<T = unknown>(options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = signals.length > 0 ? AbortSignal.any(signals) : undefined;
    const response = await this.send(options, signal);
    const text = await readBody(response, signal);
    const status = response.statusCode ?? 0;
    if (status < 200 || status > 299) throw apiException(status, options, text, response);
    return (text === '' ? undefined : parseJson(text)) as T;
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
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + options.path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    // Authentication headers and TLS material, fresh for every request (tokens and exec credentials
    // expire; certificate files rotate). client-node also puts its own agent in `agent`: a proxy
    // agent when the cluster has a proxy-url, else a non-keep-alive one we replace with ours.
    const tls: HttpsOptions = { headers: {} };
    await this.kubeConfig.applyToHTTPSOptions(tls);
    const headers: Record<string, string | number | string[]> = {
      ...(tls.headers as Record<string, string | string[]>),
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
    const agent =
      cluster.proxyUrl === undefined || cluster.proxyUrl === '' ? this.sharedAgent(url.protocol) : tls.agent;
    const send = url.protocol === 'http:' ? httpRequest : httpsRequest;
    return new Promise<IncomingMessage>((resolve, reject) => {
      const fail = (error: unknown): void => {
        // An abort (caller or timeout) rejects with the signal's reason (AbortError, TimeoutError), as fetch did.
        const reason: unknown = signal?.aborted === true ? signal.reason : error;
        reject(reason instanceof Error ? reason : new Error(String(reason)));
      };
      if (signal?.aborted === true) {
        fail(signal.reason);
        return;
      }
      const req = send(url, {
        ...tls,
        method: options.method,
        headers,
        agent,
        ...(signal === undefined ? {} : { signal }),
      });
      req.on('response', resolve);
      req.on('error', fail);
      req.end(body);
    });
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

async function readBody(response: IncomingMessage, signal: AbortSignal | undefined): Promise<string> {
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of decoded(response)) chunks.push(chunk as Buffer);
  } catch (error) {
    throw signal?.aborted === true ? (signal.reason as unknown) : error;
  }
  return Buffer.concat(chunks).toString('utf8');
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
