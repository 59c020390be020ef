// Retries as kubectl (client-go) does: a 429 — "storage is (re)initializing" while the API server
// starts, or API priority and fairness shedding load — and a 5xx that carries Retry-After are tried
// again after the delay the server asks for (1 s when it names none), at most MAX_RETRIES times
// (client-go's rest.Request default). Anything else fails at once.
import { KubeTransport, classifyApiError, type RequestOptions } from '@ipam-in-cluster/kube';

/** client-go's default number of retries of one request (rest.Request.maxRetries). */
export const MAX_RETRIES = 10;
/** A Retry-After longer than this is not waited for (the request fails instead). */
export const MAX_RETRY_AFTER_SECONDS = 30;

/**
 * How long to wait before trying `method` again after `error` on the `attempt`-th retry (0-based),
 * or undefined when it must not be retried. A 429 means the request was not processed, so any verb
 * is retried; a 5xx with Retry-After only a GET (the write may have happened).
 */
export function retryDelayMs(error: unknown, method: string, attempt: number): number | undefined {
  if (attempt >= MAX_RETRIES) return undefined;
  const c = classifyApiError(error);
  const seconds = c.retryAfterSeconds;
  if (seconds !== undefined && seconds > MAX_RETRY_AFTER_SECONDS) return undefined;
  if (c.kind === 'TooManyRequests') return (seconds ?? 1) * 1000;
  if ((c.kind === 'ServerError' || c.kind === 'Timeout') && seconds !== undefined && method === 'GET')
    return seconds * 1000;
  return undefined;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted === true) {
      reject(signal.reason as Error);
      return;
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', abort);
      resolve();
    }, ms);
    const abort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** The plugin's transport: KubeTransport whose requests are retried as described above. */
export class RetryingTransport extends KubeTransport {
  override async request<T = unknown>(options: RequestOptions): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await super.request<T>(options);
      } catch (error) {
        const wait = retryDelayMs(error, options.method, attempt);
        if (wait === undefined) throw error;
        await sleep(wait, options.signal);
      }
    }
  }
}
