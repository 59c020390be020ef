// Compile-time check: the data layer's live source and inventory plug into the browser as they are.
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { LiveSource } from '../../data/live.js';
import type { Inventory } from '../../data/model.js';
import type { BrowserDataSource, BrowserSnapshot } from './source.js';

type Extends<A, B> = A extends B ? true : false;

it('the data layer satisfies the browser source interface', () => {
  // Each line fails to compile if the data layer drifts from what the browser reads.
  const checks: [Extends<LiveSource, BrowserDataSource>, Extends<Inventory, BrowserSnapshot>] = [true, true];
  assert.deepEqual(checks, [true, true]);
});
