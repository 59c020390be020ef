// /metrics on --diagnostics-address as upstream v1.1 serves it: HTTPS, every scrape checked by the
// real API server with a TokenReview and a SubjectAccessReview (get on the non-resource URL
// /metrics). ServiceAccounts and tokens come from the plane itself (TokenRequest API, via
// `kubectl create token`); the permission from a ClusterRole shaped like upstream's metrics-reader.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createLogger, parseFlags, runFromConfig, type Running } from '@ipam-in-cluster/controller';
import { testCluster } from '../support/cluster.js';
import { Fixture, Ipam, openFixture, uniqueWatchFilter } from '../support/controller.js';
import { kubectlWith } from '../support/kubectl.js';
import { sample, scrapeHttps } from '../support/metrics-scrape.js';
import { waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('metrics-auth');
const role = `ipam-test-metrics-reader-${randomBytes(3).toString('hex')}`;

describe('controller: secure metrics on the real API server', () => {
  let ipam: Ipam;
  let fx: Fixture;
  let kubectl: ReturnType<typeof kubectlWith>;
  let running: Running | undefined;
  let ns = '';
  let port = 0;
  const tokens = { reader: '', stranger: '' };

  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
    const { kubeconfigPath } = await testCluster();
    kubectl = kubectlWith(kubeconfigPath);
    ns = await fx.namespace('metrics-auth');
    kubectl(['create', 'serviceaccount', 'reader', '--namespace', ns]);
    kubectl(['create', 'serviceaccount', 'stranger', '--namespace', ns]);
    kubectl(
      ['apply', '-f', '-'],
      `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ${role}}
rules: [{nonResourceURLs: [/metrics], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ${role}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${role}}
subjects: [{kind: ServiceAccount, name: reader, namespace: ${ns}}]
`,
    );
    tokens.reader = kubectl(['create', 'token', 'reader', '--namespace', ns, '--duration', '1h']).trim();
    tokens.stranger = kubectl(['create', 'token', 'stranger', '--namespace', ns, '--duration', '1h']).trim();

    const parsed = parseFlags([
      '--kubeconfig',
      kubeconfigPath,
      '--watch-filter',
      watchFilter,
      '--health-probe-bind-address',
      '127.0.0.1:0',
      '--diagnostics-address',
      '127.0.0.1:0',
      '--webhook-port',
      '0',
    ]);
    assert.ok(parsed.ok, parsed.ok ? '' : parsed.errors.join('\n'));
    assert.equal(parsed.config.diagnostics.secure, true);
    running = await runFromConfig(
      parsed.config,
      createLogger({ level: (process.env.IPAM_TEST_LOG ?? 'error') as 'error' }),
    );
    port = running.diagnostics.diagnostics?.port ?? 0;
    assert.notEqual(port, 0);
  });

  after(async () => {
    await running?.stop();
    kubectl(['delete', 'clusterrolebinding,clusterrole', role, '--ignore-not-found']);
    await fx.teardown();
  });

  it('answers 401 without a token and with a token the API server does not accept', async () => {
    assert.deepEqual(await scrapeHttps(port), { status: 401, body: 'Unauthorized\n' });
    assert.equal((await scrapeHttps(port, 'not-a-token')).status, 401);
    // A real token with one character changed: the signature no longer verifies.
    const forged = tokens.reader.slice(0, -2) + (tokens.reader.endsWith('AA') ? 'BB' : 'AA');
    assert.equal((await scrapeHttps(port, forged)).status, 401);
  });

  it('answers 403 to a ServiceAccount token without the metrics-reader binding', async () => {
    assert.deepEqual(await scrapeHttps(port, tokens.stranger), {
      status: 403,
      body: `Authorization denied for user system:serviceaccount:${ns}:stranger\n`,
    });
  });

  it("answers 200 with the project's metrics to a token with the binding, and caches the reviews", async () => {
    await ipam.createPool('InClusterIPPool', 'p', ns, { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 });
    await ipam.createClaim('c', ns, { kind: 'InClusterIPPool', name: 'p' });
    await ipam.waitForAddress(ns, 'c');
    const body = await waitFor(
      async () => {
        const r = await scrapeHttps(port, tokens.reader);
        assert.equal(r.status, 200, r.body);
        return r.body.includes(
          `capi_ipam_pool_used_addresses{pool_kind="InClusterIPPool",pool_namespace="${ns}"`,
        )
          ? r.body
          : undefined;
      },
      { what: 'pool gauges on the HTTPS /metrics', timeoutMs: 30_000 },
    );
    assert.match(body, /capi_ipam_reconcile_total\{controller="ipaddressclaim"/);
    // Ten more scrapes: no further review reaches the API server (one TokenReview per token and
    // one SubjectAccessReview per user so far, all inside the cache lifetime of 60 s).
    for (let i = 0; i < 10; i++) assert.equal((await scrapeHttps(port, tokens.reader)).status, 200);
    const last = (await scrapeHttps(port, tokens.reader)).body;
    const reviews = (review: string, result: string) =>
      sample(last, `capi_ipam_metrics_auth_reviews_total{review="${review}",result="${result}"}`) ?? 0;
    assert.equal(reviews('token', 'authenticated'), 2, 'one TokenReview for reader, one for stranger');
    assert.equal(reviews('access', 'allowed'), 1);
    assert.equal(reviews('access', 'denied'), 1);
    assert.equal(reviews('token', 'error') + reviews('access', 'error'), 0);
  });

  it('a flood of made-up tokens gets 401 or 429, costs one TokenReview each at most, and never stalls a scrape', async () => {
    const before = (await scrapeHttps(port, tokens.reader)).body;
    const unauthenticated = (body: string) =>
      sample(body, 'capi_ipam_metrics_auth_reviews_total{review="token",result="unauthenticated"}') ?? 0;
    const statuses = new Map<number, number>();
    const flood = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) {
        const r = await scrapeHttps(port, randomBytes(24).toString('base64url'));
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    // 40 clients × 10 requests, each with a token never seen before, while a scraper keeps going.
    const attack = Promise.all(Array.from({ length: 40 }, flood));
    const legit = await scrapeHttps(port, tokens.reader);
    await attack;
    assert.equal(legit.status, 200);
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s !== 401 && s !== 429),
      [],
      'only 401 and 429',
    );
    assert.equal(
      [...statuses.values()].reduce((a, b) => a + b, 0),
      400,
    );
    const reviewed = unauthenticated((await scrapeHttps(port, tokens.reader)).body) - unauthenticated(before);
    // One TokenReview per 401 (no retries, nothing cached for a fresh token); a 429 costs none.
    assert.equal(reviewed, statuses.get(401) ?? 0);
    process.stdout.write(
      `# flood: 400 requests with made-up tokens -> ${String(statuses.get(401) ?? 0)} x 401, ${String(statuses.get(429) ?? 0)} x 429; ${String(reviewed)} TokenReviews sent\n`,
    );
  });
});
