/** @jsxRuntime automatic */
// Every browser screen at 80 columns (list, map of an IP pool and of a prefix pool, detail, the
// release dialog for a live claim and for an orphan, help, the error body), in Unicode and in
// ASCII: no line is wider than the terminal, and the ASCII frames hold nothing but ASCII.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { simpleAddress } from './model/build.js';
import { defaultSet, delegatedPool, FakeSource } from './testing/fixtures.js';
import { KEY, renderBrowser, type Harness } from './testing/render.js';

const COLUMNS = 80;
const ROWS = 24;

const open: Harness[] = [];
after(() => {
  for (const h of open) h.unmount();
});

/** The default pools, an orphan at 10.0.0.40 and the prefix pool capi-a/delegated. */
function source(emit = true): FakeSource {
  const set = defaultSet();
  set.v4Addresses.push(simpleAddress('capi-a', 'orphan-1', '10.0.0.40', { claimName: 'gone-claim' }));
  set.extra = [delegatedPool()];
  return new FakeSource(set, emit);
}

async function start(ascii: boolean, s = source()): Promise<Harness> {
  const h = await renderBrowser(s, { columns: COLUMNS, rows: ROWS, ascii });
  open.push(h);
  return h;
}

/** Fails unless every line fits 80 columns (and, in ASCII, holds ASCII only). */
function fits(frame: string, what: string, ascii: boolean): void {
  const lines = frame.split('\n');
  assert.equal(lines.length, ROWS, `${what}: ${ROWS} lines`);
  for (const l of lines) {
    assert.ok(Array.from(l).length <= COLUMNS, `${what}: "${l}" is ${Array.from(l).length} wide`);
    if (ascii) assert.match(l, /^[\x20-\x7e]*$/, `${what}: "${l}" is not ASCII`);
  }
}

/** The list row of a pool id (the cursor starts on the first). */
async function openPool(h: Harness, id: string): Promise<void> {
  await h.press('/');
  await h.typeText(id);
  await h.press(KEY.enter, KEY.enter);
}

for (const ascii of [false, true]) {
  describe(`every screen at 80x24${ascii ? ' in ASCII' : ''}`, () => {
    it('list: namespace in the header, numbers and markers from the shared module', async () => {
      const h = await start(ascii);
      const f = h.frame();
      fits(f, 'list', ascii);
      assert.match(f, /capi-a\/nodes-v4 +pool +IPv4 +25\/245 /);
      assert.match(
        f,
        /capi-a\/delegated +prefix +IPv6\/64 +3\/8 .* 37%/,
        'a prefix pool is a row like any other',
      );
      assert.match(f, ascii ? /98% \^ !/ : /98% ▲ !/);
      assert.match(f, ascii ? /Enter open {2}\/ filter pools {2}:ns namespace/ : /⏎ open {2}\/ filter pools/);
    });

    it('map of an IP pool: an orphan has its own glyph and legend entry; the full block is in the legend', async () => {
      const h = await start(ascii);
      await h.press(KEY.enter);
      const f = h.frame();
      fits(f, 'map', ascii);
      const [used, orphan, free] = ascii ? ['#', 'o', '.'] : ['■', '○', '·'];
      assert.ok(
        f.includes(
          `10.0.0.32 ${used} ${used} ${used} ${used} ${used} ${used} ${used} ${used} ${orphan} ${free}`,
        ),
        f,
      );
      assert.match(
        f,
        ascii ? /# used .*o orphan .*! out of range/ : /■ used +█ full .*○ orphan .*! out of range/,
      );
      assert.match(f, /\/ find address/, 'the footer says what / does here');
      await h.press(KEY.down, KEY.down, 'l', 'l', 'l', 'l', 'l', 'l', 'l', 'l');
      assert.match(h.frame(), /orphan: claim gone/);
    });

    it('map of a prefix pool: one cell per child prefix, held ones and the orphan marked', async () => {
      const h = await start(ascii);
      await openPool(h, 'delegated');
      const f = h.frame();
      fits(f, 'prefix map', ascii);
      assert.match(f, /capi-a\/delegated . fd10::\/60 . 1 cell = 1 \/64 prefix/);
      const [used, orphan, free] = ascii ? ['#', 'o', '.'] : ['■', '○', '·'];
      // fd10::/64, fd10:0:0:1::/64 held, :2 free, :3 held by an orphan, :4-:7 free, :8-:f excluded.
      assert.ok(
        f.includes(`[${used}]${used} ${free} ${orphan} ${free} ${free} ${free} ${free} x x x x x x x x`),
        f,
      );
      assert.match(f, /fd10::\/64/);
      assert.match(f, /claim +site-a/);
      await h.press(KEY.enter);
      const d = h.frame();
      fits(d, 'prefix detail', ascii);
      assert.match(d, /fd10::\/64 is allocated to claim capi-a\/site-a/);
    });

    it('map panel: when the pool is full at its recent rate (status.forecast)', async () => {
      const set = defaultSet();
      const observedAt = new Date('2026-01-01T00:00:00Z');
      set.extra = [
        { ...delegatedPool(), forecast: { netAllocationsPerHour: 0.07, daysToExhaustion: 3.2, observedAt } },
      ];
      const h = await start(ascii, new FakeSource(set));
      await openPool(h, 'delegated');
      const f = h.frame();
      fits(f, 'prefix map with a forecast', ascii);
      assert.match(f, /full in 3d \(\+0\.07\/h\)/);
    });

    it('address detail', async () => {
      const h = await start(ascii);
      await h.press(KEY.enter, KEY.down, KEY.right, KEY.enter);
      const f = h.frame();
      fits(f, 'detail', ascii);
      assert.match(f, /10\.0\.0\.17 is allocated to claim capi-a\/md-0-x7k2-ip0/);
    });

    it('release dialog of a live claim: the extra confirmation, and feedback while typing', async () => {
      const h = await start(ascii);
      await h.press(KEY.enter, KEY.down, KEY.right, 'r');
      let f = h.frame();
      fits(f, 'release (live claim)', ascii);
      assert.match(f, /still exists/);
      assert.match(f, /Type force 10\.0\.0\.17/);
      await h.typeText('10.0.0.17');
      f = h.frame();
      fits(f, 'release (bare address typed)', ascii);
      assert.match(f, /its claim exists: type force 10\.0\.0\.17/);
      for (let i = 0; i < 9; i++) await h.press(KEY.backspace);
      await h.typeText('force 10.0.0.18');
      assert.match(h.frame(), /does not match force 10\.0\.0\.17/);
    });

    it('release dialog of an orphan: the address alone', async () => {
      const s = source();
      const h = await start(ascii, s);
      await h.press(KEY.enter, KEY.down, KEY.down, 'l', 'l', 'l', 'l', 'l', 'l', 'l', 'l', 'r');
      const f = h.frame();
      fits(f, 'release (orphan)', ascii);
      assert.match(f, /Force-release 10\.0\.0\.40/);
      assert.match(f, /Type 10\.0\.0\.40 and press/);
      assert.doesNotMatch(f, /still exists/);
      await h.typeText('10.0.0.4');
      assert.doesNotMatch(h.frame(), /does not match/, 'nothing wrong yet: it is a beginning');
      await h.typeText('1');
      assert.match(h.frame(), /does not match 10\.0\.0\.40/);
      await h.press(KEY.backspace);
      await h.typeText('0');
      await h.press(KEY.enter);
      await h.settle();
      assert.deepEqual(s.releases, [
        { namespace: 'capi-a', name: 'orphan-1', address: '10.0.0.40', force: false },
      ]);
    });

    it('help of the list and of the map', async () => {
      const h = await start(ascii);
      await h.press('?');
      fits(h.frame(), 'help (list)', ascii);
      assert.match(h.frame(), /Namespace: :ns NAME, :ns all/);
      await h.press('?', KEY.enter, '?');
      fits(h.frame(), 'help (map)', ascii);
      assert.match(h.frame(), /orphan/);
    });

    it('error: an unreachable server says what failed and how to go on, instead of "Reading pools…"', async () => {
      const s = source(false);
      const h = await start(ascii, s);
      assert.match(h.frame(), /Reading pools/);
      s.emit({ type: 'error', message: 'connect ECONNREFUSED 127.0.0.1:1' });
      await h.settle();
      const f = h.frame();
      fits(f, 'error', ascii);
      assert.match(f, /Cannot read pools: connect ECONNREFUSED 127\.0\.0\.1:1/);
      assert.match(f, /Retrying every few seconds/);
      assert.match(f, /q quits/);
    });

    it(':ns switches namespace, :ns all reads every namespace; the header says which', async () => {
      const s = source();
      const h = await start(ascii, s);
      await h.press(':');
      await h.typeText('capi-b');
      await h.press(KEY.enter);
      let f = h.frame();
      fits(f, 'other namespace', ascii);
      assert.deepEqual(s.scopes.at(-1), { namespace: 'capi-b', allNamespaces: false });
      assert.match(f, /namespace capi-b . 1 pool/);
      assert.match(f, /global\/shared-dc1/);
      assert.doesNotMatch(f, /capi-a\//);
      await h.press(':');
      await h.typeText('all');
      await h.press(KEY.enter);
      f = h.frame();
      assert.match(f, /all namespaces . 4 pools/);
      await h.press(':');
      await h.typeText('Bad_Name');
      await h.press(KEY.enter);
      assert.match(h.frame(), /"Bad_Name" is not a namespace name/);
      await h.press(':', KEY.backspace, KEY.backspace, KEY.backspace);
      await h.typeText('pods');
      await h.press(KEY.enter);
      assert.match(h.frame(), /unknown command ":pods"/);
    });
  });
}
