// One check for every cell state the map paints in a colour of its own (quarantined, held, …):
// the style differs from every other token's, NO_COLOR drops it, and the glyph alone still tells it.
import assert from 'node:assert/strict';
import type { CellState } from '../model/grid.js';
import { cellGlyph, cellToken, makeTheme } from '../theme.js';

export function assertCellColourOfItsOwn(state: CellState, glyph: string, asciiGlyph: string): void {
  const theme = makeTheme(false);
  const token = cellToken(state);
  const own = theme.styles[token];
  assert.ok(own.color !== undefined);
  for (const [other, style] of Object.entries(theme.styles))
    if (other !== token) assert.notDeepEqual(style, own, other);
  assert.deepEqual(makeTheme(true).styles[token], {});
  assert.equal(cellGlyph(state, 1, true), glyph);
  assert.equal(cellGlyph(state, 1, true, true), asciiGlyph);
}
