import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Backoff } from '@ipam-in-cluster/kube';
import { createLogger } from '../log/logger.js';
import { untilAnswered } from './discovery.js';

/** What client-node throws for an HTTP error: the status code and the Status body. */
function apiException(code: number, message: string): Error {
  const body = JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code });
  return Object.assign(new Error(`HTTP-Code: ${String(code)}`), { code, body });
}

const refused = (): Error =>
  Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' });

function recording(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'debug', write: (l) => lines.push(l) }) };
}

const fast = (): Backoff => new Backoff({ initialMs: 1, maxMs: 2, jitter: 0 });

describe('untilAnswered (discovery at start-up)', () => {
  it('waits out an API server that is (re)starting: refused connections and 503s, then answers', async () => {
    const { lines, log } = recording();
    const failures = [refused(), apiException(503, 'not all known HTTP paths have been installed')];
    let calls = 0;
    const value = await untilAnswered(
      'discovery',
      () => {
        calls++;
        const failure = failures.shift();
        return failure === undefined ? Promise.resolve('served') : Promise.reject(failure);
      },
      log,
      undefined,
      fast(),
    );
    assert.equal(value, 'served');
    assert.equal(calls, 3);
    const warnings = lines.filter((l) => l.includes('did not answer; retrying'));
    assert.equal(warnings.length, 2);
    assert.match(warnings[1] ?? '', /not all known HTTP paths/);
  });

  it('fails at once on an error that waiting does not cure (Forbidden)', async () => {
    let calls = 0;
    await assert.rejects(
      untilAnswered(
        'discovery',
        () => {
          calls++;
          return Promise.reject(apiException(403, 'forbidden: User "x" cannot get path "/apis"'));
        },
        recording().log,
        undefined,
        fast(),
      ),
      /HTTP-Code: 403/,
    );
    assert.equal(calls, 1);
  });

  it('stops waiting when the start is aborted (SIGTERM), with the last error', async () => {
    const stop = new AbortController();
    let calls = 0;
    // During the 60 s wait after the first refusal.
    setTimeout(() => {
      stop.abort();
    }, 20);
    await assert.rejects(
      untilAnswered(
        'discovery',
        () => {
          calls++;
          return Promise.reject(refused());
        },
        recording().log,
        stop.signal,
        new Backoff({ initialMs: 60_000, maxMs: 60_000, jitter: 0 }),
      ),
      /ECONNREFUSED/,
    );
    assert.equal(calls, 1);
  });
});
