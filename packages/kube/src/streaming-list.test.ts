import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { classifyApiError } from './errors.js';
import type { KubeObject } from './core-types.js';
import { ObjectClient } from './object-client.js';
import { ipAddressResource } from './resources.js';
import {
  INITIAL_EVENTS_END_ANNOTATION,
  serverKnowsStreamingLists,
  serverStreamsLists,
  streamList,
} from './streaming-list.js';
import type { KubeTransport, RequestOptions } from './transport.js';

const resource = ipAddressResource('v1beta2');

function added(name: string, resourceVersion: string): string {
  return JSON.stringify({ type: 'ADDED', object: { metadata: { namespace: 'ns', name, resourceVersion } } });
}

function bookmark(resourceVersion: string, initialEventsEnd: boolean): string {
  const annotations = initialEventsEnd ? { [INITIAL_EVENTS_END_ANNOTATION]: 'true' } : {};
  return JSON.stringify({ type: 'BOOKMARK', object: { metadata: { resourceVersion, annotations } } });
}

/**
 * A transport whose watch answers with `lines` (then ends), or fails with `failure` when opened;
 * list requests get `pages` in turn (continue tokens "1", "2", ...).
 */
function fakeTransport(lines: string[], failure?: Error, pages: KubeObject[][] = []) {
  const seen: {
    options?: Omit<RequestOptions, 'body' | 'contentType' | 'timeoutMs'>;
    linesRead: number;
    listQueries: Record<string, unknown>[];
  } = { linesRead: 0, listQueries: [] };
  const transport = {
    stream(options: Omit<RequestOptions, 'body' | 'contentType' | 'timeoutMs'>) {
      seen.options = options;
      if (failure !== undefined) return Promise.reject(failure);
      async function* body(): AsyncGenerator<string> {
        for (const line of lines) {
          // A real stream stops once its request is aborted.
          if (options.signal?.aborted === true) return;
          seen.linesRead++;
          yield line;
          await Promise.resolve();
        }
      }
      return Promise.resolve({ lines: body() });
    },
    request(options: RequestOptions) {
      seen.listQueries.push({ ...options.query });
      const index = Number(options.query?.continue ?? 0);
      const next = index + 1 < pages.length ? String(index + 1) : '';
      return Promise.resolve({
        metadata: { resourceVersion: '42', continue: next },
        items: pages[index] ?? [],
      });
    },
  } as unknown as KubeTransport;
  return { transport, seen };
}

const names = (objects: KubeObject[]): (string | undefined)[] => objects.map((o) => o.metadata?.name);

/** `promise` rejects with an error classified as `kind`. */
async function rejectsAs(promise: Promise<unknown>, kind: string): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.equal(classifyApiError(error).kind, kind);
    return true;
  });
}

describe('streamList', () => {
  it('hands over every object of the snapshot and returns the resourceVersion of its end bookmark', async () => {
    const { transport, seen } = fakeTransport([
      added('a', '5'),
      bookmark('6', false), // an ordinary bookmark is no end
      added('b', '7'),
      bookmark('9', true),
      JSON.stringify({ type: 'MODIFIED', object: { metadata: { name: 'a', resourceVersion: '10' } } }),
    ]);
    const items: KubeObject[] = [];
    const outcome = await streamList(transport, resource, { namespace: 'ns', labelSelector: 'x=y' }, (o) =>
      items.push(o),
    );
    assert.deepEqual(outcome, { resourceVersion: '9' });
    assert.deepEqual(names(items), ['a', 'b']);
    assert.equal(seen.linesRead, 4, 'the watch is closed at the bookmark, not read on');
    const request = seen.options;
    assert.ok(request !== undefined);
    assert.equal(request.signal?.aborted, true);
    assert.equal(request.path, '/apis/ipam.cluster.x-k8s.io/v1beta2/namespaces/ns/ipaddresses');
    assert.deepEqual(
      { ...request.query },
      {
        watch: true,
        sendInitialEvents: true,
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: true,
        timeoutSeconds: 300,
        labelSelector: 'x=y',
        fieldSelector: undefined,
      },
      'no resourceVersion: a consistent snapshot',
    );
  });

  it('is refused when the server rejects sendInitialEvents (422 with the gate off, or 400)', async () => {
    for (const code of [422, 400]) {
      const { transport } = fakeTransport([], new ApiException(code, 'GET ipaddresses', '{}', {}));
      const outcome = await streamList(transport, resource, {}, () => assert.fail('no item expected'));
      assert.deepEqual(outcome, { refused: 'rejected', items: 0 }, String(code));
    }
  });

  it('throws other failures to open it', async () => {
    const { transport } = fakeTransport([], new ApiException(503, 'GET ipaddresses', '{}', {}));
    await rejectsAs(
      streamList(transport, resource, {}, () => undefined),
      'ServerError',
    );
  });

  it('is refused when the stream runs to its timeout without the end bookmark (sendInitialEvents ignored)', async () => {
    const { transport } = fakeTransport([added('a', '5'), added('b', '6')]);
    const items: KubeObject[] = [];
    // timeoutSeconds 0: whenever it ends, it ran to its timeout.
    const outcome = await streamList(transport, resource, { timeoutSeconds: 0 }, (o) => items.push(o));
    assert.deepEqual(outcome, { refused: 'no-bookmark', items: 2 });
    assert.deepEqual(names(items), ['a', 'b'], 'what was handed over is said (the caller starts over)');
  });

  it('throws when the stream is cut off before the bookmark and before its timeout (to be retried)', async () => {
    const { transport } = fakeTransport([added('a', '5')]);
    await assert.rejects(
      streamList(transport, resource, {}, () => undefined),
      /streaming list of ipaddresses ended after 1 objects, before its k8s.io\/initial-events-end bookmark/,
    );
  });

  it('throws an ERROR event as its status (410 Gone)', async () => {
    const gone = { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'Expired', code: 410 };
    const { transport } = fakeTransport([added('a', '5'), JSON.stringify({ type: 'ERROR', object: gone })]);
    await rejectsAs(
      streamList(transport, resource, {}, () => undefined),
      'Gone',
    );
  });

  it('rethrows the caller’s abort rather than calling it a refusal', async () => {
    const caller = new AbortController();
    const { transport } = fakeTransport([added('a', '5'), added('b', '6')]);
    const reason = new Error('stopped');
    await assert.rejects(
      streamList(transport, resource, { signal: caller.signal }, () => {
        caller.abort(reason);
      }),
      (error: unknown) => error === reason,
    );
  });
});

describe('ObjectClient.snapshot', () => {
  const object = (name: string): KubeObject => ({
    metadata: { namespace: 'ns', name, resourceVersion: '1' },
  });

  it('streams when asked and the server serves it: no list request', async () => {
    const { transport, seen } = fakeTransport([added('a', '5'), bookmark('9', true)]);
    const items: KubeObject[] = [];
    const refusals: string[] = [];
    const result = await new ObjectClient(transport, resource).snapshot(
      { streaming: true },
      (o) => items.push(o),
      (why) => refusals.push(why),
    );
    assert.deepEqual(result, { resourceVersion: '9', streamed: true });
    assert.deepEqual(names(items), ['a']);
    assert.deepEqual(refusals, []);
    assert.deepEqual(seen.listQueries, []);
  });

  it('says why when refused, then reads every page of `limit`', async () => {
    const { transport, seen } = fakeTransport([], new ApiException(422, 'GET ipaddresses', '{}', {}), [
      [object('p'), object('q')],
      [object('r')],
    ]);
    const items: KubeObject[] = [];
    const refusals: string[] = [];
    const result = await new ObjectClient(transport, resource).snapshot(
      { streaming: true, limit: 2, labelSelector: 'x=y' },
      (o) => items.push(o),
      (why) => refusals.push(why),
    );
    assert.deepEqual(result, { resourceVersion: '42', streamed: false });
    assert.deepEqual(refusals, ['rejected']);
    assert.deepEqual(names(items), ['p', 'q', 'r']);
    assert.deepEqual(
      seen.listQueries.map((q) => [q.limit, q.continue, q.labelSelector]),
      [
        [2, undefined, 'x=y'],
        [2, '1', 'x=y'],
      ],
    );
  });

  it('reads pages without asking for a stream when not streaming', async () => {
    const { transport, seen } = fakeTransport([], undefined, [[object('p')]]);
    const result = await new ObjectClient(transport, resource).snapshot(
      { streaming: false },
      () => undefined,
    );
    assert.deepEqual(result, { resourceVersion: '42', streamed: false });
    assert.equal(seen.options, undefined, 'no watch opened');
    assert.deepEqual(
      seen.listQueries.map((q) => q.limit),
      [500],
    );
  });
});

describe('serverKnowsStreamingLists', () => {
  it('is true from 1.27 on, including provider suffixes, and false when unknown', () => {
    assert.equal(serverKnowsStreamingLists({ major: '1', minor: '27' }), true);
    assert.equal(serverKnowsStreamingLists({ major: '1', minor: '32+' }), true);
    assert.equal(serverKnowsStreamingLists({ major: '2', minor: '0' }), true);
    assert.equal(serverKnowsStreamingLists({ major: '1', minor: '26' }), false);
    assert.equal(serverKnowsStreamingLists({ major: '1' }), false);
    assert.equal(serverKnowsStreamingLists({}), false);
  });
});

describe('serverStreamsLists', () => {
  it('asks /version, and takes a failure to read it as no', async () => {
    const paths: string[] = [];
    const answering = (answer: Promise<unknown>) =>
      ({
        request(options: RequestOptions) {
          paths.push(options.path);
          return answer;
        },
      }) as unknown as KubeTransport;
    assert.equal(await serverStreamsLists(answering(Promise.resolve({ major: '1', minor: '37' }))), true);
    assert.equal(await serverStreamsLists(answering(Promise.resolve({ major: '1', minor: '26' }))), false);
    const forbidden = new ApiException(403, 'GET /version', '{}', {});
    assert.equal(await serverStreamsLists(answering(Promise.reject(forbidden))), false);
    assert.deepEqual(paths, ['/version', '/version', '/version']);
  });
});
