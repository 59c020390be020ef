// The one place that turns a failure at the Kubernetes boundary into a kind the rest of the code can
// branch on. client-node throws ApiException with `.body` as the raw Status JSON *string*; 409 means
// either AlreadyExists (create) or Conflict (stale resourceVersion), told apart only by `reason`.
// Network failures are Node socket errors (`code`: ECONNRESET, …), possibly wrapped (`cause`: undici
// used to throw `TypeError: fetch failed`); aborts reject with the signal's reason (TimeoutError).
import { isRecord } from '@ipam-in-cluster/allocator';
import { parseJson } from './json.js';

export type ApiErrorKind =
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Invalid'
  | 'Forbidden'
  | 'Unauthorized'
  | 'BadRequest'
  | 'Gone'
  | 'TooManyRequests'
  | 'Timeout'
  | 'ServerError'
  | 'Network'
  | 'Unknown';

export interface StatusCause {
  field?: string;
  reason?: string;
  message: string;
}

export interface ClassifiedError {
  kind: ApiErrorKind;
  /** HTTP status code, when the server answered. */
  status?: number;
  /** metav1.Status reason (e.g. AlreadyExists, Conflict, Expired). */
  reason?: string;
  message: string;
  retryAfterSeconds?: number;
  causes?: StatusCause[];
  /** Whether the same request may succeed later without anything else changing. */
  retriable: boolean;
}

/** The part of metav1.Status we read. */
interface StatusBody {
  kind?: unknown;
  code?: unknown;
  reason?: unknown;
  message?: unknown;
  details?: { causes?: unknown; retryAfterSeconds?: unknown };
}

const networkCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ECONNABORTED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_DESTROYED',
]);
const timeoutCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ETIMEDOUT',
]);

const retriableKinds = new Set<ApiErrorKind>([
  'Conflict',
  'Gone',
  'TooManyRequests',
  'Timeout',
  'ServerError',
  'Network',
]);

function asString(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

/** The Status object in an ApiException body: a JSON string (client-node), or already an object. */
function statusFrom(body: unknown): StatusBody | undefined {
  if (typeof body === 'string') {
    try {
      const parsed = parseJson(body);
      return isRecord(parsed) ? parsed : undefined;
    } catch {
      return undefined;
    }
  }
  return isRecord(body) ? body : undefined;
}

function causesFrom(value: unknown): StatusCause[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const causes = value.filter(isRecord).map((c) => {
    const cause: StatusCause = { message: asString(c.message) ?? '' };
    const field = asString(c.field);
    const reason = asString(c.reason);
    if (field !== undefined) cause.field = field;
    if (reason !== undefined) cause.reason = reason;
    return cause;
  });
  return causes.length > 0 ? causes : undefined;
}

function kindFor(status: number | undefined, reason: string | undefined): ApiErrorKind {
  switch (reason) {
    case 'NotFound':
      return 'NotFound';
    case 'AlreadyExists':
      return 'AlreadyExists';
    case 'Conflict':
      return 'Conflict';
    case 'Invalid':
      return 'Invalid';
    case 'Forbidden':
      return 'Forbidden';
    case 'Unauthorized':
      return 'Unauthorized';
    case 'Gone':
    case 'Expired':
      return 'Gone';
    case 'TooManyRequests':
      return 'TooManyRequests';
    case 'Timeout':
    case 'ServerTimeout':
      return 'Timeout';
    default:
      break;
  }
  if (status === undefined) return 'Unknown';
  if (status === 404) return 'NotFound';
  if (status === 409) return 'Conflict';
  if (status === 422) return 'Invalid';
  if (status === 403) return 'Forbidden';
  if (status === 401) return 'Unauthorized';
  if (status === 410) return 'Gone';
  if (status === 429) return 'TooManyRequests';
  if (status === 408 || status === 504) return 'Timeout';
  if (status >= 500) return 'ServerError';
  if (status >= 400) return 'BadRequest';
  return 'Unknown';
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (!isRecord(headers)) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return typeof value === 'string' ? value : undefined;
  }
  return undefined;
}

function fromStatus(
  status: number | undefined,
  body: StatusBody | undefined,
  fallbackMessage: string,
  headers?: unknown,
): ClassifiedError {
  const code = status ?? asNumber(body?.code);
  const reason = asString(body?.reason);
  const kind = kindFor(code, reason);
  const result: ClassifiedError = {
    kind,
    message: asString(body?.message) ?? fallbackMessage,
    retriable: retriableKinds.has(kind) && code !== 501,
  };
  if (code !== undefined) result.status = code;
  if (reason !== undefined) result.reason = reason;
  const retryAfter =
    asNumber(body?.details?.retryAfterSeconds) ?? asNumber(headerValue(headers, 'retry-after'));
  if (retryAfter !== undefined) result.retryAfterSeconds = retryAfter;
  const causes = causesFrom(body?.details?.causes);
  if (causes !== undefined) result.causes = causes;
  return result;
}

function errorCode(error: unknown): string | undefined {
  for (let e: unknown = error, depth = 0; isRecord(e) && depth < 5; e = e.cause, depth++) {
    const code = asString(e.code);
    if (code !== undefined) return code;
  }
  return undefined;
}

function messageOf(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? `: ${error.cause.message}` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}

/**
 * Classifies anything thrown by a Kubernetes call: ApiException (status + Status body), a watch
 * failure (`statusCode`), a metav1.Status object (watch ERROR event), or a network/timeout error.
 */
export function classifyApiError(error: unknown): ClassifiedError {
  if (error instanceof KubeStatusError) return error.classified;
  if (isRecord(error)) {
    // ApiException: { code: number, body: string, headers }.
    if (typeof error.code === 'number' && 'body' in error) {
      const body = statusFrom(error.body);
      const fallback = `HTTP ${error.code}`;
      return fromStatus(error.code, body, fallback, error.headers);
    }
    // client-node Watch: plain Error with statusCode and the status text as message.
    if (typeof error.statusCode === 'number') {
      return fromStatus(error.statusCode, undefined, messageOf(error));
    }
    // A metav1.Status itself (watch ERROR events carry one).
    if (error.kind === 'Status') {
      return fromStatus(undefined, error, 'error status');
    }
    const name = asString(error.name);
    if (name === 'TimeoutError') return { kind: 'Timeout', message: messageOf(error), retriable: true };
    if (name === 'AbortError') return { kind: 'Network', message: 'request aborted', retriable: true };
    const code = errorCode(error);
    if (code !== undefined && timeoutCodes.has(code)) {
      return { kind: 'Timeout', message: messageOf(error), retriable: true };
    }
    if (code !== undefined && (networkCodes.has(code) || code.startsWith('UND_ERR_'))) {
      return { kind: 'Network', message: messageOf(error), retriable: true };
    }
    if (error instanceof TypeError && error.message === 'fetch failed') {
      return { kind: 'Network', message: messageOf(error), retriable: true };
    }
  }
  return { kind: 'Unknown', message: messageOf(error), retriable: false };
}

/** An error already classified (thrown by this package where it has no ApiException to throw). */
export class KubeStatusError extends Error {
  readonly classified: ClassifiedError;
  constructor(classified: ClassifiedError) {
    super(classified.message);
    this.name = 'KubeStatusError';
    this.classified = classified;
  }
}

export const isNotFound = (error: unknown): boolean => classifyApiError(error).kind === 'NotFound';
export const isAlreadyExists = (error: unknown): boolean => classifyApiError(error).kind === 'AlreadyExists';
export const isConflict = (error: unknown): boolean => classifyApiError(error).kind === 'Conflict';
export const isInvalid = (error: unknown): boolean => classifyApiError(error).kind === 'Invalid';
export const isForbidden = (error: unknown): boolean => classifyApiError(error).kind === 'Forbidden';
export const isGone = (error: unknown): boolean => classifyApiError(error).kind === 'Gone';
export const isRetriable = (error: unknown): boolean => classifyApiError(error).retriable;
