// The errors people actually hit (issue 16 item 9): one human line each, the right exit code.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { KubeConfig } from '@kubernetes/client-node';
import { MAX_RETRIES, RetryingTransport, retryDelayMs } from '../data/retry.js';
import '../errors/kube-errors.js';
import { ExitCode } from '../errors/cli-error.js';
import { closestCommand, run } from './program.js';
import { parseRequestTimeout } from './request-timeout.js';

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await run(argv, { out: (s) => (out += s), err: (s) => (err += s), isTTY: false, env: {} });
  return { code, out, err };
}

function status(code: number, retryAfter?: number): ApiException<string> {
  const body = JSON.stringify({
    kind: 'Status',
    code,
    message: code === 429 ? 'storage is (re)initializing' : 'boom',
    ...(retryAfter === undefined ? {} : { details: { retryAfterSeconds: retryAfter } }),
  });
  return new ApiException(code, 'GET /api', body, {});
}

describe('errors people hit', () => {
  it('a mistyped command says "unknown command, did you mean …" (exit 2), not "too many arguments"', async () => {
    const r = await cli(['explian', 'x']);
    assert.equal(r.code, ExitCode.Usage);
    assert.equal(
      r.err,
      'error: unknown command "explian", did you mean explain?\nhint: see kubectl ipam --help\n',
    );
    assert.equal(closestCommand('pool', ['pools', 'explain']), 'pools');
    assert.equal(closestCommand('frobnicate', ['pools', 'explain']), undefined);
  });

  it('browse without a terminal: one error line, exit 2', async () => {
    const r = await cli(['browse']);
    assert.equal(r.code, ExitCode.Usage);
    assert.equal(r.err, 'error: browse needs an interactive terminal; try kubectl ipam pools\n');
  });

  it('--request-timeout takes kubectl’s forms; 0 (the default) is no timeout; nonsense is exit 2', async () => {
    assert.equal(parseRequestTimeout('0'), 0);
    assert.equal(parseRequestTimeout('5'), 5000);
    assert.equal(parseRequestTimeout('30s'), 30_000);
    assert.equal(parseRequestTimeout('1m30s'), 90_000);
    assert.equal(parseRequestTimeout('500ms'), 500);
    assert.equal(parseRequestTimeout('2h'), 7_200_000);
    const r = await cli(['--request-timeout', 'soon', 'pools']);
    assert.equal(r.code, ExitCode.Usage);
    assert.match(r.err, /^error: invalid --request-timeout "soon": use a duration such as 30s/);
  });

  it('429 and 5xx with Retry-After are retried as client-go does, bounded', () => {
    assert.equal(retryDelayMs(status(429, 1), 'GET', 0), 1000);
    assert.equal(retryDelayMs(status(429), 'POST', 0), 1000, 'a 429 was not processed: any verb');
    assert.equal(retryDelayMs(status(503, 2), 'GET', 0), 2000);
    assert.equal(retryDelayMs(status(503, 2), 'DELETE', 0), undefined, 'a write may have happened');
    assert.equal(retryDelayMs(status(503), 'GET', 0), undefined, 'no Retry-After: not retried');
    assert.equal(retryDelayMs(status(403), 'GET', 0), undefined);
    assert.equal(retryDelayMs(status(429, 1), 'GET', MAX_RETRIES), undefined, 'bounded');
    assert.equal(retryDelayMs(status(429, 3600), 'GET', 0), undefined, 'an hour is not waited for');
  });

  describe('RetryingTransport against a loopback server', () => {
    let server: Server;
    let answers: number[] = [];
    let seen = 0;
    let kc: KubeConfig;
    before(async () => {
      server = createServer((_req, res) => {
        seen++;
        const code = answers.shift() ?? 200;
        res.writeHead(code, {
          'Content-Type': 'application/json',
          ...(code === 429 ? { 'Retry-After': '0' } : {}),
        });
        res.end(
          code === 200
            ? '{"kind":"APIVersions","versions":["v1"]}'
            : JSON.stringify({ kind: 'Status', code, message: 'storage is (re)initializing' }),
        );
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as AddressInfo).port;
      kc = new KubeConfig();
      kc.loadFromOptions({
        clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
        users: [{ name: 'u' }],
        contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
        currentContext: 'x',
      });
    });
    after(() => {
      server.close();
    });

    it('"storage is (re)initializing" (429) twice, then the answer', async () => {
      answers = [429, 429, 200];
      seen = 0;
      const got = await new RetryingTransport(kc).request<{ kind: string }>({ method: 'GET', path: '/api' });
      assert.equal(got.kind, 'APIVersions');
      assert.equal(seen, 3);
    });

    it('gives up after MAX_RETRIES retries with the server’s error', async () => {
      answers = Array.from({ length: MAX_RETRIES + 1 }, () => 429);
      seen = 0;
      await assert.rejects(
        new RetryingTransport(kc).request({ method: 'GET', path: '/api' }),
        (e: unknown) => {
          assert.ok(e instanceof ApiException);
          assert.equal(e.code, 429);
          return true;
        },
      );
      assert.equal(seen, MAX_RETRIES + 1);
    });
  });
});
