/** @jsxRuntime automatic */
// IPAddressReservations in the browser (ADR 0030), at 80×24 in Unicode and ASCII: a reserved, not
// allocated address has its own glyph and colour on the map (▣, ASCII v), a legend entry while the
// map shows one, the pool list says `▣ N reserved` (status.ipAddresses.reserved), the address page
// says "reserved by ns/name: note, until T", and release refuses it, naming unreserve. (The colour
// in a real terminal: test/tui/browse-reservations.test.ts.)
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

const LINE = 'reserved by capi-a/lb: new load balancer, until 2027-01-31T00:00:00Z';

/**
 * The default pools, capi-a/nodes-v4 with two reservations: lb holds 10.0.0.41-10.0.0.42 (free) and
 * 10.0.0.33 (allocated: drawn as allocated, its page says it is held for lb once released); old
 * expired (the data layer leaves those out, so it never arrives here).
 */
function source(): FakeSource {
  const set = defaultSet();
  set.v4Addresses.push(
    simpleAddress('capi-a', 'busy', '10.0.0.50', {
      claim: { namespace: 'capi-a', name: 'busy', clusterName: undefined, raw: { metadata: {} } },
    }),
  );
  // The data layer's count (status.ipAddresses.reserved) and the reservations it read.
  return patchPool(new FakeSource(set), 'capi-a/nodes-v4', {
    status: { reserved: 2n },
    reservations: [
      {
        namespace: 'capi-a',
        name: 'lb',
        addresses: ['10.0.0.41-10.0.0.42', '10.0.0.50'],
        note: 'new load balancer',
        expiresAt: '2027-01-31T00:00:00Z',
      },
    ],
  });
}

for (const ascii of [false, true]) {
  describe(`reservations in the browser${ascii ? ' (ASCII)' : ''}`, () => {
    it('list marker, map glyph and legend, address page, release refused', async () => {
      const h = await renderBrowser(source(), { columns: 80, rows: 24, ascii });
      open.push(h);
      const glyph = ascii ? 'v' : '▣';
      const list = h.frame();
      // 80 columns keep the markers' symbols; a wider terminal has their words too.
      assert.match(list, new RegExp(`capi-a/nodes-v4 .* 9% ! ${glyph} `));
      await h.press(KEY.enter);
      const map = h.frame();
      const [used, free] = ascii ? ['#', '.'] : ['■', '·'];
      const row = [used, used, used, used, used, used, used, used, free, glyph, glyph, free].join(' ');
      assert.ok(map.includes(`10.0.0.32 ${row}`), map);
      // 10.0.0.50 is allocated: drawn as allocated although the reservation names it.
      assert.ok(map.includes(`10.0.0.48 ${free} ${free} ${used} `), map);
      assert.match(map, new RegExp(`R rsvd G gw ! (out of range|oor) ${glyph} held`));
      // To 10.0.0.41: row 10.0.0.32, tenth column; the side panel names the reservation.
      await h.press(KEY.down, KEY.down, ...Array<string>(9).fill('l'));
      const side = h.frame();
      assert.match(side, /reserved \(held\)/);
      assert.match(side, /by capi-a\/lb/);
      await h.press(KEY.enter);
      const page = h.frame();
      assert.match(page, /10\.0\.0\.41 is not allocatable: held by a reservation in capi-a\/nodes-v4/);
      assert.ok(page.includes(LINE), page);
      // Release: a reservation is not an IPAddress; unreserve is named instead.
      await h.press('r');
      const refused = h.frame();
      assert.match(refused, /not released here: reserved by capi-a\/lb \(kubectl ipam unreserve\)/);
    });

    it('a wider list has the marker in words', async () => {
      const h = await renderBrowser(source(), { columns: 120, rows: 30, ascii });
      open.push(h);
      assert.match(h.frame(), new RegExp(`capi-a/nodes-v4 .* ${ascii ? 'v' : '▣'} 2 reserved`));
    });

    it('an allocated address a reservation names: held for it once released, said in the dialog', async () => {
      const h = await renderBrowser(source(), { columns: 80, rows: 24, ascii });
      open.push(h);
      await h.press(KEY.enter, KEY.down, KEY.down, KEY.down, 'l', 'l', KEY.enter);
      const page = h.frame();
      assert.match(page, /10\.0\.0\.50 is allocated to claim capi-a\/busy/);
      assert.ok(page.includes(LINE), page);
      assert.match(page, /held for the reservation once its IPAddress is released/);
      await h.press('r');
      const dialog = h.frame();
      assert.match(dialog, /it stays reserved by capi-a\/lb, so no claim gets it/);
    });
  });
}

describe('reservation colour', () => {
  it('the map paints reserved cells in a colour of their own; NO_COLOR keeps only the glyph', () => {
    assertCellColourOfItsOwn('held', '▣', 'v');
  });
});
