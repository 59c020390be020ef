/** @jsxRuntime automatic */
// Frame tests: every screen and every key of the binding table, at 80×24 and 100×40, with NO_COLOR.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { BINDINGS, type Action, type Screen } from './keys.js';
import { simpleAddress } from './model/build.js';
import { FakeSource } from './testing/fixtures.js';
import { KEY, renderBrowser, SIZES, tick, type Harness } from './testing/render.js';

const open: Harness[] = [];
after(() => {
  for (const h of open) h.unmount();
});

async function start(
  size: { columns: number; rows: number },
  opts: { readOnly?: boolean; source?: FakeSource } = {},
): Promise<{ h: Harness; s: FakeSource }> {
  const s = opts.source ?? new FakeSource();
  const h = await renderBrowser(s, { ...size, readOnly: opts.readOnly ?? false });
  open.push(h);
  return { h, s };
}

/** Pool map of capi-a/nodes-v4 with the cursor on 10.0.0.17. */
async function onAllocatedCell(h: Harness): Promise<void> {
  await h.press(KEY.enter, KEY.down, KEY.right);
}

function lines(frame: string): string[] {
  return frame.split('\n');
}

/** Which (screen, action) pairs the tests below exercise; checked against the table. */
const covered = new Set<string>();
function covers(screen: Screen | 'prompt', ...actions: Action[]): void {
  for (const a of actions) covered.add(`${screen}:${a}`);
}

for (const size of SIZES) {
  describe(`browser at ${size.name}`, () => {
    it('fills exactly the terminal and shows the pool list with bars and markers', async () => {
      const { h } = await start(size);
      const f = h.frame();
      assert.equal(lines(f).length, size.rows);
      assert.ok(
        lines(f).every((l) => l.length <= size.columns),
        'no line wider than the terminal',
      );
      assert.match(f, /kubectl ipam · context test-ctx · 3 pools/);
      assert.match(f, /›capi-a\/nodes-v4 +pool +IPv4 +24\/245 [█▉]/);
      assert.match(f, /capi-a\/nodes-v6 .* 3\/1\.8e19 .*<1%/);
      assert.match(f, /global\/shared-dc1 .*98% ▲/);
      assert.match(f, /● live · updated 12:00:00 UTC/);
      assert.match(f, /⏎ open {2}\/ filter pools {2}:ns namespace {2}\? help {2}Esc back {2}q quit/);
    });

    it('list: ↑ ↓ j k PgUp PgDn g G move the cursor', async () => {
      covers('list', 'up', 'down', 'pageUp', 'pageDown', 'first', 'last');
      const { h } = await start(size);
      await h.press(KEY.down);
      assert.match(h.frame(), /›capi-a\/nodes-v6/);
      await h.press('j');
      assert.match(h.frame(), /›global\/shared-dc1/);
      await h.press(KEY.up);
      assert.match(h.frame(), /›capi-a\/nodes-v6/);
      await h.press('k', 'k');
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      await h.press('G');
      assert.match(h.frame(), /›global\/shared-dc1/);
      await h.press('g');
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      await h.press(KEY.pageDown);
      assert.match(h.frame(), /›global\/shared-dc1/);
      await h.press(KEY.pageUp);
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      await h.press(KEY.end, KEY.home);
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
    });

    it('list: / filters as you type, ⌫ erases, ⏎ keeps it, Esc clears it, Esc again quits', async () => {
      covers('list', 'filter', 'back');
      covers('prompt', 'submit', 'erase', 'cancel');
      const { h } = await start(size);
      await h.press('/');
      assert.match(h.frame(), /filter pools:/);
      assert.match(h.frame(), /⏎ confirm {2}Esc cancel/);
      await h.typeText('v6x');
      assert.match(h.frame(), /No pool matches "v6x"/);
      await h.press(KEY.backspace);
      assert.match(h.frame(), /›capi-a\/nodes-v6/);
      assert.doesNotMatch(h.frame(), /nodes-v4/);
      await h.press(KEY.enter);
      assert.match(h.frame(), /filter "v6"/);
      await h.press(KEY.escape);
      assert.match(h.frame(), /nodes-v4/);
      assert.equal(h.quits, 0);
      await h.press('/');
      await h.typeText('dc1');
      await h.press(KEY.escape);
      assert.match(h.frame(), /nodes-v4/, 'Esc in the prompt cancels the filter');
      await h.press(KEY.escape);
      assert.equal(h.quits, 1);
    });

    it('a burst of keys in one chunk is handled key by key (fast typing, tmux send-keys)', async () => {
      const { h } = await start(size);
      await h.press('/v6\r');
      assert.match(h.frame(), /filter "v6"/);
      assert.match(h.frame(), /›capi-a\/nodes-v6/);
      await h.press('\rjl');
      assert.match(h.frame(), /fd00::ffff:0:0\[░\]/, 'j then l: down a row, then the next cell');
    });

    it('list: ? shows help from the table, ? and Esc close it, q quits', async () => {
      covers('list', 'help', 'quit');
      covers('help', 'help', 'back', 'quit');
      const { h } = await start(size);
      await h.press('?');
      const f = h.frame();
      assert.match(f, /Keys · Pool list/);
      for (const b of BINDINGS.filter((x) => x.screens.includes('list') && x.action !== 'help'))
        assert.ok(f.includes(b.description), b.description);
      assert.match(f, /Typing \(filter, find, confirm\)/);
      await h.press('?');
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      await h.press('?', KEY.escape);
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      await h.press('?', 'q');
      assert.equal(h.quits, 1);
      await h.press('q');
      assert.equal(h.quits, 2);
    });

    it('pool map: ⏎ opens it with a legend; arrows and hjkl move a bracketed cursor', async () => {
      covers('list', 'open');
      covers('pool', 'up', 'down', 'left', 'right', 'pageUp', 'pageDown', 'first', 'last');
      const { h } = await start(size);
      await h.press(KEY.enter);
      let f = h.frame();
      assert.match(f, /capi-a\/nodes-v4 · 10\.0\.0\.0\/24 · 1 cell = 1 address/);
      assert.match(f, / 0 1 2 3 4 5 6 7 8 9 a b c d e f/);
      assert.match(f, /10\.0\.0\.0\[R\]G x x x ! x x x x · · · · · ·/);
      assert.match(
        f,
        size.columns >= 100
          ? /■ allocated.*█ full.*· free.*○ orphan.*x excluded.*R reserved.*G gateway.*! out of range/
          : /■ used.*█ full.*· free.*○ orphan.*x excl.*R rsvd.*G gw.*! out of range/,
      );
      assert.match(f, /used 24 of 245/);
      await h.press(KEY.right);
      assert.match(h.frame(), /10\.0\.0\.0 R\[G\]x/);
      assert.match(h.frame(), /gateway/);
      await h.press(KEY.down);
      f = h.frame();
      assert.match(f, /10\.0\.0\.16 ·\[■\]■/);
      assert.match(f, /claim {3}md-0-x7k2-ip0/);
      assert.match(f, /machine VSphereMachine/);
      await h.press('l', 'h', KEY.left);
      assert.match(h.frame(), /10\.0\.0\.16\[·\]■/);
      await h.press('j', KEY.up, 'k');
      assert.match(h.frame(), /10\.0\.0\.0\[R\]G/);
      await h.press(KEY.pageDown);
      assert.match(h.frame(), /10\.0\.0\.240\[·\]/);
      await h.press(KEY.pageUp);
      assert.match(h.frame(), /10\.0\.0\.0\[R\]/);
      await h.press('G');
      assert.match(h.frame(), /10\.0\.0\.240( ·){15}\[R\]/);
      await h.press('g');
      assert.match(h.frame(), /10\.0\.0\.0\[R\]/);
      await h.press(KEY.end, KEY.home);
      assert.match(h.frame(), /10\.0\.0\.0\[R\]/);
    });

    it('pool map: ⏎ and + zoom into a block, - and Esc zoom out, Esc again goes back', async () => {
      covers('pool', 'open', 'zoomIn', 'zoomOut', 'back');
      const { h } = await start(size);
      await h.press('G', KEY.enter);
      let f = h.frame();
      // 1024 addresses: 16 rows of blocks of 4 at 80×24, 32 rows of blocks of 2 at 100×40.
      const [phrase, last] =
        size.rows >= 40 ? ['2 addresses \\(/31\\)', '1'] : ['4 addresses \\(/30\\)', '3'];
      assert.match(f, new RegExp(`global/shared-dc1 · 172\\.16\\.0\\.0/22 · 1 cell = ${phrase}`));
      assert.match(f, /⏎ zoom in/);
      await h.press(KEY.enter);
      f = h.frame();
      assert.match(f, new RegExp(`172\\.16\\.0\\.0–172\\.16\\.0\\.${last} · 1 cell = 1 address · zoom 1`));
      await h.press('-');
      assert.match(h.frame(), new RegExp(`1 cell = ${phrase}`));
      await h.press('+');
      assert.match(h.frame(), /zoom 1/);
      await h.press(KEY.escape);
      assert.match(h.frame(), new RegExp(`1 cell = ${phrase}`));
      await h.press('=');
      assert.match(h.frame(), /zoom 1/);
      await h.press('-', '-');
      assert.match(h.frame(), new RegExp(`1 cell = ${phrase}`));
      await h.press(KEY.escape);
      assert.match(h.frame(), /›global\/shared-dc1/);
    });

    it('pool map: an IPv6 /64 shows its populated blocks; ⏎ zooms to addresses', async () => {
      const { h } = await start(size);
      await h.press(KEY.down, KEY.enter);
      let f = h.frame();
      assert.match(f, /capi-a\/nodes-v6 · fd00::\/64 · 1 cell = 256 addresses \(\/120\) · populated/);
      assert.match(f, /fd00::\[░\]/);
      assert.match(f, /fd00::1:0/);
      assert.match(f, /fd00::ffff:0:0/);
      assert.match(f, /1 allocated/);
      await h.press(KEY.enter);
      f = h.frame();
      assert.match(f, /fd00::–fd00::ff · 1 cell = 1 address · zoom 1/);
      assert.match(f, /fd00::\[R\]G/);
      await h.press('/');
      await h.typeText('fd00::10');
      await h.press(KEY.enter);
      assert.match(h.frame(), /fd00::10\[■\]/);
    });

    it('pool map: e and ⏎ explain an address; r opens the release dialog; / finds an address', async () => {
      covers('pool', 'explain', 'release', 'filter');
      const { h } = await start(size);
      await onAllocatedCell(h);
      await h.press('e');
      assert.match(h.frame(), /10\.0\.0\.17 is allocated to claim capi-a\/md-0-x7k2-ip0/);
      await h.press(KEY.escape, 'r');
      assert.match(h.frame(), /Force-release 10\.0\.0\.17/);
      await h.press(KEY.escape, KEY.escape, KEY.left, 'r');
      assert.match(h.frame(), /no IPAddress holds 10\.0\.0\.16; nothing to release/);
      await h.press('/');
      assert.match(h.frame(), /find address:/);
      await h.typeText('10.0.0.200');
      await h.press(KEY.enter);
      assert.match(h.frame(), /10\.0\.0\.192 · · · · · · · ·\[·\]/);
      await h.press('/');
      await h.typeText('192.168.0.1');
      await h.press(KEY.enter);
      assert.match(h.frame(), /192\.168\.0\.1 is not in capi-a\/nodes-v4/);
      await h.press('/');
      await h.typeText('nope');
      await h.press(KEY.enter);
      assert.match(h.frame(), /not an IP address: nope/);
    });

    it('pool map: ? help lists the map keys and the legend; q quits', async () => {
      covers('pool', 'help', 'quit');
      const { h } = await start(size);
      await h.press(KEY.enter, '?');
      const f = h.frame();
      assert.match(f, /Keys · Pool map/);
      for (const b of BINDINGS.filter((x) => x.screens.includes('pool') && x.action !== 'help'))
        assert.ok(f.includes(b.description), b.description);
      assert.match(f, /! out of range/);
      await h.press(KEY.escape, 'q');
      assert.equal(h.quits, 1);
    });

    it('address detail: explanation and holders; Esc back; ? help; q quits', async () => {
      covers('address', 'back', 'help', 'quit', 'release');
      const { h } = await start(size);
      await onAllocatedCell(h);
      await h.press(KEY.enter);
      const f = h.frame();
      assert.match(f, /✓ inside spec\.addresses\[0\] \(10\.0\.0\.0\/24\)/);
      assert.match(f, /● in use by 1 IPAddress/);
      assert.match(f, /IPAddress {2}capi-a\/md-0-x7k2-ip0/);
      assert.match(f, /machine {4}VSphereMachine md-0-x7k2/);
      assert.match(f, /cluster {4}capi-a/);
      assert.match(f, /age {8}3d/);
      assert.match(f, /r release {2}\? help {2}Esc back {2}q quit/);
      await h.press('?');
      assert.match(h.frame(), /Keys · Address detail/);
      await h.press('?', 'r');
      assert.match(h.frame(), /Force-release/);
      await h.press(KEY.escape, KEY.escape);
      assert.match(h.frame(), /10\.0\.0\.16 ·\[■\]/);
      await h.press(KEY.enter, 'q');
      assert.equal(h.quits, 1);
    });

    it('address detail: an excluded address that is still held says so', async () => {
      const { h } = await start(size);
      await h.press(KEY.enter, KEY.right, KEY.right, KEY.right, KEY.right, KEY.right, KEY.enter);
      const f = h.frame();
      assert.match(f, /10\.0\.0\.5 is held \(out of range\) to claim capi-a\/old-ip0/);
      assert.match(f, /✗ excluded by spec\.excludedAddresses\[0\] \(10\.0\.0\.2-10\.0\.0\.9\)/);
      assert.match(f, /! in use by 1 IPAddress but not allocatable/);
    });

    it('release of a live claim’s address: says what will happen and demands force ADDRESS (as --force)', async () => {
      covers('release', 'quit');
      covers('prompt', 'submit', 'erase', 'cancel');
      const { h, s } = await start(size);
      await onAllocatedCell(h);
      await h.press('r');
      let f = h.frame();
      assert.match(f, /Force-release 10\.0\.0\.17/);
      assert.match(f, /claim {6}capi-a\/md-0-x7k2-ip0/);
      assert.match(f, /machine {4}VSphereMachine md-0-x7k2/);
      assert.match(f, /The machine may still be using 10\.0\.0\.17/);
      assert.match(f, /Claim capi-a\/md-0-x7k2-ip0 still exists: the controller will allocate/);
      assert.match(f, /again, possibly a different one\./);
      assert.match(f, /Type force 10\.0\.0\.17 and press ⏎ to release anyway, Esc to cancel\./);
      // The address alone, enough for an orphan, is not enough here.
      await h.typeText('10.0.0.17');
      assert.doesNotMatch(h.frame(), /⏎ releases/);
      await h.press(KEY.enter);
      assert.match(h.frame(), /type force 10\.0\.0\.17 exactly to confirm/);
      assert.equal(s.releases.length, 0);
      for (let i = 0; i < 9; i++) await h.press(KEY.backspace);
      await h.typeText('force 10.0.0.1q');
      assert.match(h.frame(), /> force 10\.0\.0\.1q/, 'q is text here, not quit');
      assert.equal(h.quits, 0);
      await h.press(KEY.backspace);
      await h.typeText('7');
      assert.match(h.frame(), /⏎ releases/);
      await h.press(KEY.enter);
      await h.settle();
      assert.deepEqual(s.releases, [
        { namespace: 'capi-a', name: 'md-0-x7k2-ip0', address: '10.0.0.17', force: true },
      ]);
      f = h.frame();
      assert.match(f, /✓ released 10\.0\.0\.17/);
      assert.match(f, /10\.0\.0\.16 ·\[·\]■/, 'back on the map, the cell now free');
      assert.match(f, /used 23 of 245/);
    });

    it('release: Esc cancels; a failure is shown and the dialog stays; keys wait while releasing', async () => {
      const s = new FakeSource();
      const { h } = await start(size, { source: s });
      await onAllocatedCell(h);
      await h.press('r', KEY.escape);
      assert.match(h.frame(), /is allocated to claim/);
      await h.press('r');
      await h.typeText('force 10.0.0.17');
      s.failNext = 'forbidden: cannot delete ipaddresses';
      s.hold = true;
      await h.press(KEY.enter);
      assert.match(h.frame(), /releasing…/);
      await h.typeText('x');
      await h.press(KEY.escape);
      assert.match(h.frame(), /Force-release/, 'Esc does nothing while the release runs');
      s.resolve();
      await h.settle();
      assert.match(h.frame(), /✗ forbidden: cannot delete ipaddresses/);
      assert.match(h.frame(), /Force-release/);
    });

    it('--read-only hides release everywhere', async () => {
      const { h, s } = await start(size, { readOnly: true });
      await onAllocatedCell(h);
      assert.doesNotMatch(h.frame(), /r release/);
      assert.match(h.frame(), /\[read-only\]/);
      await h.press('r');
      assert.doesNotMatch(h.frame(), /Force-release/);
      await h.press(KEY.enter);
      assert.doesNotMatch(h.frame(), /force-release|r release/);
      await h.press('r', '?');
      assert.match(h.frame(), /read-only \(no release\)/);
      assert.doesNotMatch(h.frame(), /Force-release \(type/);
      assert.equal(s.releases.length, 0);
    });

    it('live updates: a new address appears, a deleted pool is reported, errors show in the status line', async () => {
      const { h, s } = await start(size);
      await onAllocatedCell(h);
      s.set = { ...s.set, v4Addresses: [...s.set.v4Addresses, simpleAddress('capi-a', 'new', '10.0.0.16')] };
      s.push();
      await h.settle();
      assert.match(h.frame(), /10\.0\.0\.16 ○\[■\]/, 'an address without its claim is an orphan');
      assert.match(h.frame(), /used 25 of 245/);
      s.emit({ type: 'error', message: 'watch ipaddresses: connection refused' });
      await h.settle();
      assert.match(h.frame(), /✗ watch ipaddresses: connection refused/);
      s.emit({
        type: 'snapshot',
        snapshot: { pools: [], readAt: new Date('2026-03-01T12:00:05Z'), warnings: ['cannot list claims'] },
      });
      await h.settle();
      assert.match(h.frame(), /Pool capi-a\/nodes-v4 is gone/);
      assert.match(h.frame(), /updated 12:00:05 UTC · cannot list claims/);
      await h.press(KEY.escape);
      assert.match(h.frame(), /No pools in view: :ns switches namespace/);
    });

    it('shows "connecting…" until the first snapshot, and unsubscribes on unmount', async () => {
      const s = new FakeSource(undefined, false);
      const h = await renderBrowser(s, size);
      assert.match(h.frame(), /Reading pools…/);
      assert.match(h.frame(), /connecting…/);
      assert.equal(s.listeners, 1);
      s.push();
      await h.settle();
      assert.match(h.frame(), /›capi-a\/nodes-v4/);
      h.unmount();
      await tick(10);
      assert.equal(s.listeners, 0);
    });

    it(': opens the namespace prompt on the list, the map and the detail page; Esc cancels it', async () => {
      covers('list', 'command');
      covers('pool', 'command');
      covers('address', 'command');
      const s = new FakeSource();
      const { h } = await start(size, { source: s });
      await h.press(':');
      assert.match(h.frame(), /^:ns\s*$/m);
      await h.press(KEY.escape);
      assert.doesNotMatch(h.frame(), /^:ns\s*$/m);
      await onAllocatedCell(h);
      await h.press(':');
      assert.match(h.frame(), /^:ns\s*$/m);
      await h.press(KEY.escape, KEY.enter);
      assert.match(h.frame(), /is allocated to claim/);
      await h.press(':');
      await h.typeText('capi-b');
      await h.press(KEY.enter);
      assert.deepEqual(s.scopes.at(-1), { namespace: 'capi-b', allNamespaces: false });
      assert.match(h.frame(), /namespace capi-b/);
    });

    it('NO_COLOR frames still tell every state apart by glyph', async () => {
      const { h } = await start(size);
      await h.press(KEY.enter);
      const f = h.frame();
      for (const g of ['R', 'G', 'x', '!', '■', '·'])
        assert.ok(f.includes(` ${g}`) || f.includes(`[${g}`), g);
      assert.ok(!f.includes('\u001B[3'), 'no colour codes');
    });
  });
}

describe('key coverage', () => {
  it('every (screen, action) of the binding table is exercised above', () => {
    const missing: string[] = [];
    for (const b of BINDINGS)
      for (const s of b.screens) if (!covered.has(`${s}:${b.action}`)) missing.push(`${s}:${b.action}`);
    assert.deepEqual(missing, []);
  });
});
