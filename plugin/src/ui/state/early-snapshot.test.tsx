/** @jsxRuntime automatic */
// The early `pools` snapshot (pools alone, counts from status): the list shows it at once, the map
// waits for the IPAddresses and says so, and a late early snapshot never replaces a complete one.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BrowserSnapshot } from '../model/source.js';
import { FakeSource, poolsFrom, snapshotOf } from '../testing/fixtures.js';
import { KEY, renderBrowser, SIZES, type Harness } from '../testing/render.js';
import { initialState, reducer } from './reducer.js';

const PENDING = 'reading IPAddresses and claims…';

/** The fixture pools as the live source sends them before the IPAddresses are in. */
function early(s: FakeSource): BrowserSnapshot {
  const pools = poolsFrom(s.set).map((p) => ({ ...p, index: undefined, addresses: [] }));
  return { ...snapshotOf(pools), warnings: [PENDING], pending: PENDING };
}

const open: Harness[] = [];
after(() => {
  for (const h of open) h.unmount();
});

describe('early snapshot (reducer)', () => {
  it('is shown until the complete one arrives, and never replaces it', () => {
    const s = new FakeSource();
    const full = snapshotOf(poolsFrom(s.set));
    let state = reducer(initialState, { type: 'snapshot', snapshot: early(s) });
    assert.equal(state.snapshot?.pending, PENDING);
    state = reducer(state, { type: 'snapshot', snapshot: full });
    assert.equal(state.snapshot, full);
    assert.equal(reducer(state, { type: 'snapshot', snapshot: early(s) }), state);
  });
});

for (const size of SIZES) {
  describe(`early snapshot at ${size.name}`, () => {
    it('fills the list from pools alone; the map waits for the IPAddresses and says so', async () => {
      const s = new FakeSource(undefined, false);
      const h = await renderBrowser(s, { ...size, readOnly: false });
      open.push(h);
      s.emit({ type: 'pools', snapshot: early(s) });
      await h.settle();
      let f = h.frame();
      assert.match(f, /›capi-a\/nodes-v4 +pool +IPv4 +24\/245 \S+ +9%/);
      assert.match(f, /global\/shared-dc1 .*98% ▲/);
      assert.match(f, /● live · updated 12:00:00 UTC · reading IPAddresses and claims…/);

      await h.press(KEY.enter);
      f = h.frame();
      assert.doesNotMatch(f, /1 cell =/, 'no map without the IPAddresses');
      assert.match(f, /capi-a\/nodes-v4: the map needs the IPAddresses; still reading them/);

      s.push(); // the complete snapshot
      await h.settle();
      assert.doesNotMatch(h.frame(), /reading IPAddresses/);
      await h.press(KEY.enter);
      f = h.frame();
      assert.match(f, /capi-a\/nodes-v4 · 10\.0\.0\.0\/24 · 1 cell = 1 address/);
      assert.match(f, /used 24 of 245/);
    });
  });
}
