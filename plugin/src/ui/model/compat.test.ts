// Compile-time check: the data layer's live source and inventory plug into the browser as they are.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LiveSource } from '../../data/live.js';
import type { Inventory } from '../../data/model.js';
import type { BrowserDataSource, BrowserSnapshot } from './source.js';

type Extends<A, B> = A extends B ? true : false;

it('the data layer satisfies the browser source interface', () => {
  const source: Extends<LiveSource, BrowserDataSource> = true;
  const snapshot: Extends<Inventory, BrowserSnapshot> = true;
  assert.ok(source && snapshot);
});
