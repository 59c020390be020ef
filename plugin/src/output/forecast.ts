// The pool's exhaustion forecast (status.forecast, docs/adr/0031) in words and cells: the FULL-IN
// column, the rate, and the sentence `explain POOL` prints. Pure.
import type { ForecastView } from '../data/model.js';

const DAY_MS = 86_400_000;

/**
 * FULL-IN: when the pool will have no free address at its current net allocation rate. `-` when
 * there is no forecast or the pool is not filling up (rate ≤ 0), `now` when nothing is free any
 * more, `<1h`, `5h` (under two days), `12d` (under a year), `>1y`. At most 4 characters.
 */
export function fullInText(f: ForecastView | undefined): string {
  const days = f?.daysToExhaustion;
  if (days === undefined) return '-';
  if (days <= 0) return 'now';
  const hours = days * 24;
  if (hours < 1) return '<1h';
  if (hours < 48) return `${Math.floor(hours)}h`;
  if (days < 365) return `${Math.floor(days)}d`;
  return '>1y';
}

/** The rate with its sign and three significant digits: `+2.31/h`, `-0.5/h`, `0/h`. */
export function rateText(ratePerHour: number): string {
  if (ratePerHour === 0) return '0/h';
  const sign = ratePerHour > 0 ? '+' : '-';
  return `${sign}${String(Number(Math.abs(ratePerHour).toPrecision(3)))}/h`;
}

/** The forecast as `explain POOL` says it (one line, two-space indent). */
export function forecastLine(f: ForecastView | undefined): string {
  if (f === undefined)
    return '  forecast: none yet (the controller writes status.forecast after its first look at the pool)';
  const at = f.observedAt.toISOString();
  const rate = `${rateText(f.netAllocationsPerHour)} net allocations (EWMA, as of ${at})`;
  const days = f.daysToExhaustion;
  if (days === undefined)
    return `  forecast: ${rate} · not filling up${f.netAllocationsPerHour < 0 ? ' (more released than allocated)' : ''}`;
  if (days <= 0) return `  forecast: ${rate} · full now`;
  if (days > 36_500) return `  forecast: ${rate} · full in more than 100 years at this rate`;
  const when = new Date(f.observedAt.getTime() + days * DAY_MS).toISOString().slice(0, 10);
  const span =
    days < 2
      ? `${String(Math.round(days * 24 * 10) / 10)} hours`
      : `${String(Math.round(days * 10) / 10)} days`;
  return `  forecast: ${rate} · full in ${span} at this rate (around ${when})`;
}

/** The forecast in `-o json|yaml` documents (null when the controller wrote none). */
export function forecastJson(f: ForecastView | undefined): Record<string, unknown> | null {
  if (f === undefined) return null;
  return {
    netAllocationsPerHour: f.netAllocationsPerHour,
    daysToExhaustion: f.daysToExhaustion ?? null,
    observedAt: f.observedAt.toISOString(),
  };
}
