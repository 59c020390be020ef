/**
 * Authentication and authorisation of scrapes, as controller-runtime's secure metrics serving
 * (`filters.WithAuthenticationAndAuthorization`) does it: the bearer token is checked with a
 * TokenReview, its user with a SubjectAccessReview for the request's verb (the method, lower case)
 * on the non-resource URL (the path). No token → 401; a token the API server does not accept → 401;
 * a user without the permission → 403; a review that fails → 500 (nothing is cached then).
 *
 * Cost: results are cached by SHA-256 of the token (never the token itself) and by the user and
 * attributes, so a Prometheus scraping every 10 s costs the API server one TokenReview and one
 * SubjectAccessReview a minute (controller-runtime: 1 min for tokens, 5 min / 30 s for allow/deny).
 * Concurrent requests with the same token share one review. Both caches are bounded (least recently
 * used entries go first), and at most `maxConcurrentReviews` reviews are in flight: beyond that a
 * request that needs a new review is answered 429 at once, so a flood of made-up tokens costs the
 * API server a bounded rate and never piles up work in this process.
 *
 * This module never talks to Kubernetes itself: it gets a {@link MetricsReviewer} (the manager
 * passes one backed by the API server).
 */
import { createHash } from 'node:crypto';
import { realClock, type Clock } from '../util/clock.js';

/** The user a token belongs to, as a TokenReview reports it. */
export interface ScrapeUser {
  readonly username: string;
  readonly uid?: string;
  readonly groups?: readonly string[];
  readonly extra?: Readonly<Record<string, readonly string[]>>;
}

/** The two questions asked of the API server. */
export interface MetricsReviewer {
  reviewToken(token: string): Promise<{ authenticated: true; user: ScrapeUser } | { authenticated: false }>;
  reviewAccess(user: ScrapeUser, verb: string, path: string): Promise<{ allowed: boolean; reason: string }>;
}

export type ReviewKind = 'token' | 'access';
export type ReviewOutcome = 'authenticated' | 'unauthenticated' | 'allowed' | 'denied' | 'error';

export interface MetricsAuthOptions {
  readonly reviewer: MetricsReviewer;
  readonly clock?: Clock;
  /** How long an accepted token is trusted without a new TokenReview (default 60 s). */
  readonly tokenTtlMs?: number;
  /** How long a rejected token stays rejected (default 10 s). */
  readonly rejectedTokenTtlMs?: number;
  /** How long an allowed SubjectAccessReview answer is reused (default 60 s). */
  readonly allowTtlMs?: number;
  /** How long a denied one is reused (default 10 s). */
  readonly denyTtlMs?: number;
  /** Entries per cache (default 1024). */
  readonly maxEntries?: number;
  /** Reviews in flight at once (default 16). */
  readonly maxConcurrentReviews?: number;
  /** Tokens longer than this are rejected without a review (default 8 KiB). */
  readonly maxTokenBytes?: number;
  /** Called once per review sent to the API server (cache hits are not reviews). */
  readonly onReview?: (kind: ReviewKind, outcome: ReviewOutcome) => void;
}

/** The answer for one request: let it through, or the status and message to send. */
export type AuthDecision =
  | { readonly allowed: true; readonly user: ScrapeUser }
  | {
      readonly allowed: false;
      readonly status: 401 | 403 | 429 | 500;
      readonly message: string;
      /** With 500: what the review failed with (for the log). */
      readonly error?: unknown;
    };

class TtlCache<V> {
  readonly #entries = new Map<string, { value: V; expiresAt: number }>();

  constructor(
    private readonly max: number,
    private readonly clock: Clock,
  ) {}

  get(key: string): V | undefined {
    const e = this.#entries.get(key);
    if (e === undefined) return undefined;
    if (this.clock.now() >= e.expiresAt) {
      this.#entries.delete(key);
      return undefined;
    }
    // Most recently used goes last; eviction takes the first.
    this.#entries.delete(key);
    this.#entries.set(key, e);
    return e.value;
  }

  set(key: string, value: V, ttlMs: number): void {
    this.#entries.delete(key);
    this.#entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    while (this.#entries.size > this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done === true) break;
      this.#entries.delete(oldest.value);
    }
  }

  get size(): number {
    return this.#entries.size;
  }
}

class TooManyReviews extends Error {}

type TokenAnswer = { authenticated: true; user: ScrapeUser } | { authenticated: false };
type AccessAnswer = { allowed: boolean; reason: string };

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** The bearer token of an Authorization header (scheme case-insensitive), or undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const m = /^\s*bearer\s+(\S+)\s*$/i.exec(header);
  return m?.[1];
}

export class MetricsAuth {
  readonly #o: Required<Omit<MetricsAuthOptions, 'onReview'>> & Pick<MetricsAuthOptions, 'onReview'>;
  readonly #tokens: TtlCache<TokenAnswer>;
  readonly #access: TtlCache<AccessAnswer>;
  readonly #inflight = new Map<string, Promise<unknown>>();
  #pending = 0;

  constructor(options: MetricsAuthOptions) {
    this.#o = {
      clock: realClock,
      tokenTtlMs: 60_000,
      rejectedTokenTtlMs: 10_000,
      allowTtlMs: 60_000,
      denyTtlMs: 10_000,
      maxEntries: 1024,
      maxConcurrentReviews: 16,
      maxTokenBytes: 8192,
      ...options,
    };
    this.#tokens = new TtlCache(this.#o.maxEntries, this.#o.clock);
    this.#access = new TtlCache(this.#o.maxEntries, this.#o.clock);
  }

  /** Cached entries (tests, and a bound the caller can check). */
  get cacheSizes(): { tokens: number; access: number } {
    return { tokens: this.#tokens.size, access: this.#access.size };
  }

  /** Decides one request from its Authorization header, method and path. */
  async authorize(authorization: string | undefined, method: string, path: string): Promise<AuthDecision> {
    const token = bearerToken(authorization);
    if (token === undefined || Buffer.byteLength(token) > this.#o.maxTokenBytes)
      return { allowed: false, status: 401, message: 'Unauthorized' };
    let who: TokenAnswer;
    try {
      who = await this.#token(token);
    } catch (error) {
      return error instanceof TooManyReviews
        ? { allowed: false, status: 429, message: 'too many authentication requests in flight' }
        : { allowed: false, status: 500, message: 'Authentication failed', error };
    }
    if (!who.authenticated) return { allowed: false, status: 401, message: 'Unauthorized' };
    const verb = method.toLowerCase();
    let access: AccessAnswer;
    try {
      access = await this.#accessFor(who.user, verb, path);
    } catch (error) {
      return error instanceof TooManyReviews
        ? { allowed: false, status: 429, message: 'too many authorization requests in flight' }
        : {
            allowed: false,
            status: 500,
            message: `Authorization for user ${who.user.username} failed`,
            error,
          };
    }
    return access.allowed
      ? { allowed: true, user: who.user }
      : { allowed: false, status: 403, message: `Authorization denied for user ${who.user.username}` };
  }

  #token(token: string): Promise<TokenAnswer> {
    const key = `t:${sha256(token)}`;
    const cached = this.#tokens.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.#once<TokenAnswer>(key, 'token', async () => {
      const answer = await this.#o.reviewer.reviewToken(token);
      this.#o.onReview?.('token', answer.authenticated ? 'authenticated' : 'unauthenticated');
      const ttl = answer.authenticated ? this.#o.tokenTtlMs : this.#o.rejectedTokenTtlMs;
      this.#tokens.set(key, answer, ttl);
      return answer;
    });
  }

  #accessFor(user: ScrapeUser, verb: string, path: string): Promise<AccessAnswer> {
    const key = `a:${sha256(JSON.stringify([user.username, user.uid, user.groups, user.extra, verb, path]))}`;
    const cached = this.#access.get(key);
    if (cached !== undefined) return Promise.resolve(cached);
    return this.#once<AccessAnswer>(key, 'access', async () => {
      const answer = await this.#o.reviewer.reviewAccess(user, verb, path);
      this.#o.onReview?.('access', answer.allowed ? 'allowed' : 'denied');
      this.#access.set(key, answer, answer.allowed ? this.#o.allowTtlMs : this.#o.denyTtlMs);
      return answer;
    });
  }

  /** One review per key at a time; at most maxConcurrentReviews in flight; errors are not cached. */
  #once<T>(key: string, kind: ReviewKind, review: () => Promise<T>): Promise<T> {
    const running = this.#inflight.get(key) as Promise<T> | undefined;
    if (running !== undefined) return running;
    if (this.#pending >= this.#o.maxConcurrentReviews) return Promise.reject(new TooManyReviews());
    this.#pending++;
    const p = review()
      .catch((error: unknown) => {
        this.#o.onReview?.(kind, 'error');
        throw error;
      })
      .finally(() => {
        this.#pending--;
        this.#inflight.delete(key);
      });
    this.#inflight.set(key, p);
    return p;
  }
}
