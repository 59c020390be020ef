import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { forecastLine, fullInText, rateText } from './forecast.js';

const at = new Date('2026-12-07T09:00:00Z');
const f = (rate: number, days?: number) => ({
  netAllocationsPerHour: rate,
  daysToExhaustion: days,
  observedAt: at,
});

describe('FULL-IN', () => {
  it('says when the pool is full at the current rate, in at most 4 characters', () => {
    const cases: [ReturnType<typeof f> | undefined, string][] = [
      [undefined, '-'],
      [f(0), '-'],
      [f(-3), '-'],
      [f(2, 0), 'now'],
      [f(2, 0.01), '<1h'],
      [f(2, 1.5), '36h'],
      [f(2, 3.9), '3d'],
      [f(2, 364.9), '364d'],
      [f(0.001, 365), '>1y'],
      [f(0.001, 7.7e20), '>1y'],
    ];
    for (const [input, text] of cases) {
      assert.equal(fullInText(input), text, JSON.stringify(input));
      assert.ok(text.length <= 4);
    }
  });

  it('prints the rate with its sign and three significant digits', () => {
    assert.equal(rateText(2.3104), '+2.31/h');
    assert.equal(rateText(-0.5), '-0.5/h');
    assert.equal(rateText(0), '0/h');
    assert.equal(rateText(1234.5), '+1230/h');
  });
});

describe('explain forecast line', () => {
  it('gives the rate, the estimate and the date it points at', () => {
    assert.equal(
      forecastLine(f(2.5, 3.25)),
      '  forecast: +2.5/h net allocations (EWMA, as of 2026-12-07T09:00:00.000Z) · full in 3.3 days at this rate (around 2026-12-10)',
    );
    assert.match(forecastLine(f(2.5, 0.5)), /full in 12 hours/);
    assert.match(forecastLine(f(-1)), /not filling up \(more released than allocated\)$/);
    assert.match(forecastLine(f(0)), /0\/h net allocations .* · not filling up$/);
    assert.match(forecastLine(f(3, 0)), /full now$/);
    assert.match(forecastLine(f(0.001, 7.7e20)), /more than 100 years/);
    assert.match(forecastLine(undefined), /forecast: none yet/);
  });
});
