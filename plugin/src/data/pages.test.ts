import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { KubeList } from '@ipam-in-cluster/kube';
import { prefetchPages } from './pages.js';

/** Three pages "a" → "b" → "c" chained by continue tokens, recording what was asked for. */
function pagesOf(items: string[][]) {
  const asked: (string | undefined)[] = [];
  const signals: AbortSignal[] = [];
  const fetch = (token: string | undefined, signal: AbortSignal): Promise<KubeList<string>> => {
    asked.push(token);
    signals.push(signal);
    const i = token === undefined ? 0 : Number(token);
    const next = i + 1 < items.length ? String(i + 1) : '';
    return Promise.resolve({ metadata: { continue: next }, items: items[i] ?? [] });
  };
  return { asked, signals, fetch };
}

describe('prefetchPages', () => {
  it('yields every page in order and asks for the next before handing out the current one', async () => {
    const { asked, fetch } = pagesOf([['a1', 'a2'], ['b1'], ['c1']]);
    const seen: string[] = [];
    for await (const page of prefetchPages(fetch)) {
      // The request for the following page is already out while this one is being consumed.
      const index = seen.length === 0 ? 0 : seen.length === 2 ? 1 : 2;
      assert.equal(asked.length, Math.min(index + 2, 3));
      seen.push(...page.items);
    }
    assert.deepEqual(seen, ['a1', 'a2', 'b1', 'c1']);
    assert.deepEqual(asked, [undefined, '1', '2']);
  });

  it('a single page without a continue token is the whole list', async () => {
    const seen: string[] = [];
    for await (const page of prefetchPages(() => Promise.resolve({ metadata: {}, items: ['x'] })))
      seen.push(...page.items);
    assert.deepEqual(seen, ['x']);
  });

  it('stopping early aborts the request that ran ahead', async () => {
    const { signals, fetch } = pagesOf([['a'], ['b'], ['c']]);
    for await (const page of prefetchPages(fetch)) {
      assert.deepEqual(page.items, ['a']);
      break;
    }
    assert.equal(signals.at(-1)?.aborted, true);
  });

  it('a failed page fails the iteration at that page', async () => {
    const seen: string[] = [];
    const failing = (token: string | undefined): Promise<KubeList<string>> =>
      token === undefined
        ? Promise.resolve({ metadata: { continue: 'next' }, items: ['first'] })
        : Promise.reject(new Error('410 Gone'));
    await assert.rejects(async () => {
      for await (const page of prefetchPages(failing)) seen.push(...page.items);
    }, /410 Gone/);
    assert.deepEqual(seen, ['first']);
  });
});
