import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BodyBudget } from './body-budget.js';

describe('BodyBudget', () => {
  it('takes what fits, refuses what would pass the bound without taking it, and gets bytes back', () => {
    const budget = new BodyBudget(100);
    assert.equal(budget.take(60), true);
    assert.equal(budget.fits(41), false);
    assert.equal(budget.take(41), false);
    assert.equal(budget.used, 60);
    assert.equal(budget.fits(40), true);
    assert.equal(budget.take(40), true);
    assert.equal(budget.used, 100);
    budget.give(60);
    assert.equal(budget.take(50), true);
    assert.equal(budget.used, 90);
    budget.give(1000);
    assert.equal(budget.used, 0);
  });
});
