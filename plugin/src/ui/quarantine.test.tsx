/** @jsxRuntime automatic */
// The quarantine in the browser (ADR 0028): an address held for the pool's reuse grace period has
// its own colour and glyph on the map (◇, ASCII q), a legend entry while the map shows one, a
// `◇ N quarantined` marker in the pool list, and the quarantine line on its detail page. (The colour
// itself in a real terminal: test/tui/browse-quarantine.test.ts.)
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { simpleAddress } from './model/build.js';
import { defaultSet, FakeSource, patchPool } from './testing/fixtures.js';
import { assertCellColourOfItsOwn } from './testing/cell-colour.js';
import { KEY, renderBrowser, type Harness } from './testing/render.js';

const open: Harness[] = [];
after(() => {
  for (const h of open) h.unmount();
});

const DELETED = Date.parse('2026-01-04T11:59:30Z');
const LINE =
  'quarantined until 2026-01-04T12:00:30Z (grace period 60 s, claim capi-a/leaving deleted at 2026-01-04T11:59:30Z)';

/** The default pools plus 10.0.0.41, held by the IPAddress of a deleted claim in its grace period. */
function source(): FakeSource {
  const set = defaultSet();
  set.v4Addresses.push(
    simpleAddress('capi-a', 'leaving', '10.0.0.41', {
      claim: {
        namespace: 'capi-a',
        name: 'leaving',
        clusterName: undefined,
        deleting: true,
        raw: { metadata: {} },
      },
      quarantine: { claim: 'capi-a/leaving', deletedAt: DELETED, graceSeconds: 60, until: DELETED + 60_000 },
    }),
  );
  // The data layer's count (status.ipAddresses.quarantined) for the list marker.
  return patchPool(new FakeSource(set), 'capi-a/nodes-v4', { quarantined: 1n });
}

for (const ascii of [false, true]) {
  describe(`quarantine in the browser${ascii ? ' (ASCII)' : ''}`, () => {
    it('list marker, map glyph and legend, detail line', async () => {
      const h = await renderBrowser(source(), { columns: 120, rows: 30, ascii });
      open.push(h);
      const glyph = ascii ? 'q' : '◇';
      assert.match(h.frame(), new RegExp(`capi-a/nodes-v4 .* ${glyph} 1 quarantined`));
      await h.press(KEY.enter);
      const map = h.frame();
      const [used, free] = ascii ? ['#', '.'] : ['■', '·'];
      assert.ok(
        map.includes(
          `10.0.0.32 ${used} ${used} ${used} ${used} ${used} ${used} ${used} ${used} ${free} ${glyph} ${free}`,
        ),
        map,
      );
      assert.match(map, new RegExp(`! out of range +${glyph} quar`));
      // To 10.0.0.41: row 10.0.0.32, ninth column.
      await h.press(KEY.down, KEY.down, 'l', 'l', 'l', 'l', 'l', 'l', 'l', 'l', 'l', KEY.enter);
      const detail = h.frame();
      assert.match(detail, /10\.0\.0\.41 is allocated to claim capi-a\/leaving/);
      assert.ok(detail.includes(LINE), detail);
    });
  });
}

describe('quarantine colour', () => {
  it('the map paints quarantined cells in a colour of their own; NO_COLOR keeps only the glyph', () => {
    assertCellColourOfItsOwn('quarantined', '◇', 'q');
  });
});
