import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../util/clock.js';
import { bearerToken, MetricsAuth, type MetricsReviewer, type ScrapeUser } from './metrics-auth.js';

/**
 * A reviewer with a fixed table of tokens and permissions that counts its calls; `gate` holds
 * answers back until released (to test in-flight sharing and the concurrency bound).
 */
class TableReviewer implements MetricsReviewer {
  tokenCalls = 0;
  accessCalls = 0;
  failNext = false;
  gate: Promise<void> | undefined;

  constructor(
    private readonly users: Record<string, string>,
    private readonly allowed: Set<string>,
  ) {}

  async reviewToken(
    token: string,
  ): Promise<{ authenticated: true; user: ScrapeUser } | { authenticated: false }> {
    this.tokenCalls++;
    await this.gate;
    if (this.failNext) {
      this.failNext = false;
      throw new Error('connect ECONNREFUSED');
    }
    const username = this.users[token];
    return username === undefined ? { authenticated: false } : { authenticated: true, user: { username } };
  }

  async reviewAccess(
    user: ScrapeUser,
    verb: string,
    path: string,
  ): Promise<{ allowed: boolean; reason: string }> {
    this.accessCalls++;
    await this.gate;
    return { allowed: this.allowed.has(`${user.username} ${verb} ${path}`), reason: '' };
  }
}

function setup(options: { maxEntries?: number; maxConcurrentReviews?: number } = {}) {
  const clock = new FakeClock();
  const reviewer = new TableReviewer(
    { 'tok-reader': 'system:serviceaccount:mon:prometheus', 'tok-other': 'system:serviceaccount:x:y' },
    new Set(['system:serviceaccount:mon:prometheus get /metrics']),
  );
  const reviews: string[] = [];
  const auth = new MetricsAuth({
    reviewer,
    clock,
    onReview: (kind, outcome) => reviews.push(`${kind}:${outcome}`),
    ...options,
  });
  return { clock, reviewer, auth, reviews };
}

describe('MetricsAuth', () => {
  it('answers 401 without a token or with an unknown one, 403 without permission, allows with it', async () => {
    const { auth, reviews } = setup();
    assert.deepEqual(await auth.authorize(undefined, 'GET', '/metrics'), {
      allowed: false,
      status: 401,
      message: 'Unauthorized',
    });
    assert.equal((await auth.authorize('Basic dXNlcjpwdw==', 'GET', '/metrics')).allowed, false);
    const unknown = await auth.authorize('Bearer nope', 'GET', '/metrics');
    assert.equal(unknown.allowed ? 0 : unknown.status, 401);
    const other = await auth.authorize('Bearer tok-other', 'GET', '/metrics');
    assert.deepEqual(other, {
      allowed: false,
      status: 403,
      message: 'Authorization denied for user system:serviceaccount:x:y',
    });
    const reader = await auth.authorize('bearer  tok-reader', 'GET', '/metrics');
    assert.equal(reader.allowed, true);
    // The verb is the method in lower case: HEAD needs its own permission, as in controller-runtime.
    const head = await auth.authorize('Bearer tok-reader', 'HEAD', '/metrics');
    assert.equal(head.allowed ? 0 : head.status, 403);
    assert.deepEqual(reviews, [
      'token:unauthenticated',
      'token:authenticated',
      'access:denied',
      'token:authenticated',
      'access:allowed',
      'access:denied',
    ]);
  });

  it('caches answers: a scrape every 10 s costs one TokenReview and one SubjectAccessReview a minute', async () => {
    const { auth, reviewer, clock } = setup();
    for (let i = 0; i < 6; i++) {
      assert.equal((await auth.authorize('Bearer tok-reader', 'GET', '/metrics')).allowed, true);
      clock.advance(10_000);
    }
    assert.deepEqual([reviewer.tokenCalls, reviewer.accessCalls], [1, 1]);
    assert.equal((await auth.authorize('Bearer tok-reader', 'GET', '/metrics')).allowed, true);
    assert.deepEqual([reviewer.tokenCalls, reviewer.accessCalls], [2, 2], 'expired after 60 s');
    // Denials and unknown tokens are kept for 10 s only.
    await auth.authorize('Bearer nope', 'GET', '/metrics');
    await auth.authorize('Bearer nope', 'GET', '/metrics');
    assert.equal(reviewer.tokenCalls, 3);
    clock.advance(10_000);
    await auth.authorize('Bearer nope', 'GET', '/metrics');
    assert.equal(reviewer.tokenCalls, 4);
  });

  it('never caches a failed review and answers it 500', async () => {
    const { auth, reviewer, reviews } = setup();
    reviewer.failNext = true;
    const failed = await auth.authorize('Bearer tok-reader', 'GET', '/metrics');
    assert.equal(failed.allowed ? 0 : failed.status, 500);
    assert.equal((await auth.authorize('Bearer tok-reader', 'GET', '/metrics')).allowed, true);
    assert.deepEqual(reviews, ['token:error', 'token:authenticated', 'access:allowed']);
  });

  it('shares one review among concurrent requests with the same token', async () => {
    const { auth, reviewer } = setup();
    let release = (): void => undefined;
    reviewer.gate = new Promise((resolve) => (release = resolve));
    const all = Array.from({ length: 20 }, () => auth.authorize('Bearer tok-reader', 'GET', '/metrics'));
    release();
    assert.ok((await Promise.all(all)).every((d) => d.allowed));
    assert.deepEqual([reviewer.tokenCalls, reviewer.accessCalls], [1, 1]);
  });

  it('bounds reviews in flight (429 beyond) and the cache size (least recently used go first)', async () => {
    const { auth, reviewer } = setup({ maxEntries: 3, maxConcurrentReviews: 2 });
    let release = (): void => undefined;
    reviewer.gate = new Promise((resolve) => (release = resolve));
    const first = [
      auth.authorize('Bearer a', 'GET', '/metrics'),
      auth.authorize('Bearer b', 'GET', '/metrics'),
    ];
    const third = await auth.authorize('Bearer c', 'GET', '/metrics');
    assert.deepEqual(third, {
      allowed: false,
      status: 429,
      message: 'too many authentication requests in flight',
    });
    release();
    await Promise.all(first);
    reviewer.gate = undefined;
    for (const t of ['c', 'd', 'e', 'f', 'g']) await auth.authorize(`Bearer ${t}`, 'GET', '/metrics');
    assert.equal(auth.cacheSizes.tokens, 3);
    const calls = reviewer.tokenCalls;
    await auth.authorize('Bearer g', 'GET', '/metrics');
    assert.equal(reviewer.tokenCalls, calls, 'the most recent entry is still cached');
    await auth.authorize('Bearer a', 'GET', '/metrics');
    assert.equal(reviewer.tokenCalls, calls + 1, 'the oldest was evicted');
  });

  it('refuses oversized tokens without asking the API server', async () => {
    const { auth, reviewer } = setup();
    const d = await auth.authorize(`Bearer ${'x'.repeat(9000)}`, 'GET', '/metrics');
    assert.equal(d.allowed ? 0 : d.status, 401);
    assert.equal(reviewer.tokenCalls, 0);
  });

  it('parses bearer tokens', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('BEARER abc '), 'abc');
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken('Bearer a b'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
});
