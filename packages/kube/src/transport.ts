// Raw HTTP to the API server on top of client-node's own auth and TLS (KubeConfig.applySecurityAuthentication
// sets tokens, client certs, exec credentials, impersonation and the undici dispatcher) and its fetch
// library. We build requests ourselves instead of calling the generated APIs because those
//   - re-serialise bodies through typed models (unknown keys such as x-kubernetes-* are dropped),
//   - default PATCH to application/json-patch+json,
//   - parse responses into model classes (Date fields) and lose integers above 2^53,
// while here every body is sent as written, with an explicit Content-Type, and read back as plain JSON.
import {
  ApiException,
  HttpMethod,
  IsomorphicFetchHttpLibrary,
  RequestContext,
  type KubeConfig,
} from '@kubernetes/client-node';
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
   * How long one connection pool (undici dispatcher) serves every request before the next request's
   * fresh one replaces it, so rotated client certificates or CA files are picked up (default 5 min).
   */
  dispatcherTtlMs?: number;
  /**
   * Ask for gzip-compressed responses (default true; the API server compresses responses over
   * 128 KB). False sends `Accept-Encoding: identity`: compressing and inflating cost both sides CPU
   * that a co-located controller saves, which is why kube-controller-manager and kube-scheduler turn
   * it off (kubernetes#80919, #112296).
   */
  compression?: boolean;
}

type Dispatcher = NonNullable<ReturnType<RequestContext['getDispatcher']>>;

export interface ResponseStream {
  /** The response body, line by line (watch streams are newline-delimited JSON). */
  lines: AsyncIterable<string>;
}

const methods: Record<Method, HttpMethod> = {
  GET: HttpMethod.GET,
  POST: HttpMethod.POST,
  PUT: HttpMethod.PUT,
  PATCH: HttpMethod.PATCH,
  DELETE: HttpMethod.DELETE,
};

export class KubeTransport {
  readonly kubeConfig: KubeConfig;
  private readonly http = new IsomorphicFetchHttpLibrary();
  private readonly requestTimeoutMs: number;
  private readonly userAgent: string;
  private readonly dispatcherTtlMs: number;
  private readonly compression: boolean;
  private dispatcher: { value: Dispatcher; since: number } | undefined;

  constructor(kubeConfig: KubeConfig, options: TransportOptions = {}) {
    this.kubeConfig = kubeConfig;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.userAgent = options.userAgent ?? 'ipam-in-cluster';
    this.dispatcherTtlMs = options.dispatcherTtlMs ?? 5 * 60_000;
    this.compression = options.compression ?? true;
  }

  /** Sends one request and returns the parsed JSON body; non-2xx throws ApiException (body: string). */
  async request<T = unknown>(options: RequestOptions): Promise<T> {
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    const signals = [options.signal, timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const response = await this.send(options, signals.length > 0 ? AbortSignal.any(signals) : undefined);
    const text = await response.body.text();
    if (response.httpStatusCode < 200 || response.httpStatusCode > 299) {
      throw new ApiException(
        response.httpStatusCode,
        `${options.method} ${options.path}`,
        text,
        response.headers,
      );
    }
    return (text === '' ? undefined : parseJson(text)) as T;
  }

  /** Opens a streaming GET (watch). Non-200 throws ApiException with the Status body, like request(). */
  async stream(options: Omit<RequestOptions, 'body' | 'contentType' | 'timeoutMs'>): Promise<ResponseStream> {
    const response = await this.send({ ...options, timeoutMs: 0 }, options.signal);
    if (response.httpStatusCode !== 200) {
      const text = await response.body.text();
      throw new ApiException(
        response.httpStatusCode,
        `${options.method} ${options.path}`,
        text,
        response.headers,
      );
    }
    const body = response.body.stream();
    if (body === null) throw new Error(`${options.method} ${options.path}: response has no body stream`);
    return { lines: splitLines(body) };
  }

  private async send(options: RequestOptions, signal: AbortSignal | undefined) {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (cluster === null) throw new Error('kubeconfig has no current cluster');
    const url = new URL(cluster.server.replace(/\/+$/, '') + options.path);
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(key, String(value));
    }
    const ctx = new RequestContext(url.toString(), methods[options.method]);
    ctx.setHeaderParam('Accept', 'application/json');
    ctx.setHeaderParam('User-Agent', this.userAgent);
    // fetch adds "gzip, deflate, br" when the header is absent.
    if (!this.compression) ctx.setHeaderParam('Accept-Encoding', 'identity');
    if (options.body !== undefined) {
      if (options.contentType === undefined) throw new Error('a request body needs an explicit content type');
      ctx.setHeaderParam('Content-Type', options.contentType);
      ctx.setBody(stringifyJson(options.body));
    }
    if (signal !== undefined) ctx.setSignal(signal);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const fresh = ctx.getDispatcher();
    if (fresh !== undefined) ctx.setDispatcher(this.sharedDispatcher(fresh));
    return this.http.send(ctx).toPromise();
  }

  /**
   * client-node's applySecurityAuthentication builds a new undici Agent for every request, i.e. a
   * new TLS connection (and HTTP/2 session) per request that lingers until it idles out: hundreds of
   * connections during a burst, a TLS handshake per call, tens of MB of native memory. One shared
   * dispatcher keeps connections alive and reused, as client-go's transport cache does. Headers
   * (tokens, exec credentials) still come fresh from every applySecurityAuthentication call.
   */
  private sharedDispatcher(fresh: Dispatcher): Dispatcher {
    const now = performance.now();
    const current = this.dispatcher;
    if (current !== undefined && now - current.since < this.dispatcherTtlMs) return current.value;
    this.dispatcher = { value: fresh, since: now };
    // In-flight requests (open watches too) finish on the old pool; it closes after them.
    current?.value.close().catch(() => undefined);
    return fresh;
  }
}

async function* splitLines(stream: ReadableStream<Uint8Array>): AsyncIterable<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      buffered += decoder.decode(value, { stream: true });
      let newline = buffered.indexOf('\n');
      while (newline !== -1) {
        const line = buffered.slice(0, newline).trim();
        buffered = buffered.slice(newline + 1);
        if (line !== '') yield line;
        newline = buffered.indexOf('\n');
      }
    }
    const rest = (buffered + decoder.decode()).trim();
    if (rest !== '') yield rest;
  } finally {
    // Cancelling releases the connection when the consumer stops early.
    await reader.cancel().catch(() => undefined);
  }
}
