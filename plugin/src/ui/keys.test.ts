import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Key } from 'ink';
import { BINDINGS, bindingsFor, footerHints, resolveKey, type KeySpec } from './keys.js';
import { geometry } from './layout.js';
import { cellGlyph, legend, makeTheme, noColorFromEnv } from './theme.js';

const NO_KEY: Key = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
  super: false,
  hyper: false,
  capsLock: false,
  numLock: false,
};

function press(spec: KeySpec): [string, Key] {
  if (spec.key !== undefined) return ['', { ...NO_KEY, [spec.key]: true }];
  return [spec.input ?? '', { ...NO_KEY, ctrl: spec.ctrl === true }];
}

describe('keybinding table', () => {
  it('every key of every binding resolves to its action on every screen it lists', () => {
    for (const b of BINDINGS) {
      for (const screen of b.screens) {
        for (const k of b.keys) {
          const [input, key] = press(k);
          assert.equal(resolveKey(screen, false, input, key), b.action, `${b.label} on ${screen}`);
        }
      }
    }
  });
  it('no key means two things on one screen', () => {
    for (const screen of ['list', 'pool', 'address', 'release', 'help', 'prompt'] as const) {
      const seen = new Map<string, string>();
      for (const b of bindingsFor(screen, false)) {
        for (const k of b.keys) {
          const id = JSON.stringify(k);
          assert.equal(seen.get(id), undefined, `${id} on ${screen} bound twice`);
          seen.set(id, b.action);
        }
      }
    }
  });
  it('read-only drops release from keys, hints and help', () => {
    const [input, key] = press({ input: 'r' });
    assert.equal(resolveKey('pool', true, input, key), undefined);
    assert.equal(resolveKey('pool', false, input, key), 'release');
    assert.ok(footerHints('pool', false).some((h) => h.hint === 'release'));
    assert.ok(!footerHints('pool', true).some((h) => h.hint === 'release'));
    assert.ok(!bindingsFor('address', true).some((b) => b.action === 'release'));
  });
  it('typed letters are not commands in a prompt', () => {
    const [input, key] = press({ input: 'q' });
    assert.equal(resolveKey('prompt', false, input, key), undefined);
    assert.equal(resolveKey('list', false, input, key), 'quit');
  });
});

describe('theme', () => {
  it('NO_COLOR (non-empty) removes every colour but keeps weight', () => {
    assert.equal(noColorFromEnv({ NO_COLOR: '1' }), true);
    assert.equal(noColorFromEnv({ NO_COLOR: '' }), false);
    assert.equal(noColorFromEnv({}), false);
    const plain = makeTheme(true);
    for (const s of Object.values(plain.styles)) assert.equal(s.color, undefined);
    assert.equal(plain.styles.danger.bold, true);
    assert.equal(makeTheme(false).styles.free.color, 'green');
  });
  it('every cell state has its own glyph, in Unicode and in ASCII, and the legend names each', () => {
    for (const ascii of [false, true]) {
      const entries = legend(ascii).filter((l) => l.glyph.length === 1);
      const glyphs = entries.map((l) => cellGlyph(l.state, 0.5, l.glyph !== '█', ascii));
      assert.deepEqual(
        glyphs,
        entries.map((l) => l.glyph),
      );
      assert.equal(new Set(glyphs).size, glyphs.length);
      for (const g of legend(ascii).map((l) => l.glyph))
        assert.ok(!ascii || /^[\x20-\x7e]+$/.test(g), `${g} is ASCII`);
    }
    assert.deepEqual(
      [0.1, 0.5, 0.9].map((f) => cellGlyph('partial', f, false)),
      ['░', '▒', '▓'],
    );
    assert.equal(cellGlyph('allocated', 1, false), '█');
  });
});

describe('geometry', () => {
  it('80×24 leaves 16 map rows of 16 cells beside a side panel', () => {
    const g = geometry(80, 24, 4);
    assert.equal(g.bodyRows, 19);
    assert.equal(g.mapRows, 16);
    assert.equal(g.perRow, 16);
    assert.ok(g.labelWidth + 1 + g.perRow * 2 + 2 + g.panelWidth <= g.innerWidth + 1);
  });
  it('a wide terminal gets 32 cells a row; IPv6 labels get more room', () => {
    assert.equal(geometry(160, 50, 4).perRow, 32);
    assert.ok(geometry(160, 50, 6).labelWidth > geometry(80, 24, 6).labelWidth);
    assert.equal(geometry(10, 5, 4).columns, 40);
  });
});
