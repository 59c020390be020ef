// The pool's exhaustion forecast (issue 19.3, docs/adr/0031): an exponentially weighted rate of net
// allocations per hour, kept in `status.forecast` and nowhere else, and the days until the pool is
// full at that rate. Pure: the clock is an argument.
//
// The rate is an exponentially decaying event rate. Each observation at time t adds the change of
// the pool's used count since the previous observation, and the earlier rate decays by half every
// half-life H:
//
//   rate(t) = rate(t0) · 2^(−(t − t0)/H) + Δused · ln2 / H
//
// With allocations arriving steadily at λ per hour the rate converges to λ; one allocation adds
// ln2/H and fades by half every H. Each step is computed from the stored observation (rate, time,
// used count), so recomputing from it after a stale cache read never counts an allocation twice,
// and quiet decay composes (two steps equal one), so a quiet observation can go unwritten.
//
// Δused counts IPAddresses referencing the pool (upstream's `used`), which spec edits do not change
// (an address outside the new ranges stays used, as outOfRange). The first observation of a pool
// (no `status.forecast` yet: a new pool, or a pool adopted from the upstream provider) only sets the
// baseline, so addresses that already exist are never counted as allocations.
import type { PoolForecast, StatusCount } from '@ipam-in-cluster/api';

/** Default half-life of the rate (`--forecast-half-life`). */
export const DEFAULT_FORECAST_HALF_LIFE_MS = 6 * 3_600_000;

/** Rates closer to zero than this (net allocations per hour; one per ~6 weeks) are zero. */
export const MIN_RATE_PER_HOUR = 0.001;

/** Largest rate magnitude kept (any real pool is far below; keeps every figure finite). */
export const MAX_RATE_PER_HOUR = 1e12;

/** Longest interval between two forecast writes while the rate is not zero. */
export const MAX_REFRESH_MS = 3_600_000;

const HOUR_MS = 3_600_000;

/** What one observation needs: the pool's used and free counts now. */
export interface ForecastInput {
  used: bigint;
  free: bigint;
  now: Date;
  halfLifeMs: number;
}

/** A number that is finite, else 0. Status values come from the API server and may be anything. */
function finite(n: unknown): number {
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

function toBig(n: StatusCount | undefined): bigint | undefined {
  if (n === undefined) return undefined;
  if (typeof n === 'bigint') return n;
  return Number.isSafeInteger(n) ? BigInt(n) : undefined;
}

/** Six significant digits: a tidy status, far below what the estimate is good for. */
function round(n: number): number {
  return n === 0 ? 0 : Number(n.toPrecision(6));
}

function clampRate(rate: number): number {
  if (!Number.isFinite(rate) || Math.abs(rate) < MIN_RATE_PER_HOUR) return 0;
  return Math.max(-MAX_RATE_PER_HOUR, Math.min(MAX_RATE_PER_HOUR, rate));
}

/** 2^(−elapsed/halfLife), for elapsed ≥ 0: 1 at 0, halves every half-life, never negative. */
export function decayFactor(elapsedMs: number, halfLifeMs: number): number {
  if (!(elapsedMs > 0)) return 1;
  return 2 ** (-elapsedMs / halfLifeMs);
}

/** Days until `free` is used up at `ratePerHour`; undefined unless the rate is positive. */
export function daysToExhaustion(free: bigint, ratePerHour: number): number | undefined {
  if (!(ratePerHour > 0) || !Number.isFinite(ratePerHour)) return undefined;
  const days = Number(free) / (ratePerHour * 24);
  return Number.isFinite(days) ? round(days) : undefined;
}

/**
 * The forecast after observing `used` at `now`, from the previous one (the pool's
 * `status.forecast`). A clock that went backwards counts as no time passed.
 */
export function nextForecast(previous: PoolForecast | undefined, input: ForecastInput): PoolForecast {
  const at = input.now.toISOString();
  const before = previous === undefined ? undefined : toBig(previous.observedUsed);
  const since = previous === undefined ? Number.NaN : Date.parse(previous.observedAt);
  if (previous === undefined || before === undefined || Number.isNaN(since)) {
    return { netAllocationsPerHour: 0, observedAt: at, observedUsed: input.used };
  }
  const elapsed = Math.max(0, input.now.getTime() - since);
  const delta = Number(input.used - before);
  const halfLifeHours = input.halfLifeMs / HOUR_MS;
  const rate = clampRate(
    round(
      finite(previous.netAllocationsPerHour) * decayFactor(elapsed, input.halfLifeMs) +
        (delta * Math.LN2) / halfLifeHours,
    ),
  );
  const days = daysToExhaustion(input.free, rate);
  return {
    netAllocationsPerHour: rate,
    ...(days === undefined ? {} : { daysToExhaustion: days }),
    observedAt: at,
    observedUsed: input.used,
  };
}

/** How often a pool with a non-zero rate is refreshed: a sixth of the half-life, at most hourly. */
export function refreshIntervalMs(halfLifeMs: number): number {
  return Math.max(1_000, Math.min(MAX_REFRESH_MS, Math.round(halfLifeMs / 6)));
}

/**
 * Whether `next` is worth a status write: always when there was none or the used count moved;
 * otherwise only when the stored one is a refresh interval old and its rate is not already zero
 * (a quiet pool stops being written once its rate has faded to zero).
 */
export function forecastDue(
  previous: PoolForecast | undefined,
  next: PoolForecast,
  halfLifeMs: number,
): boolean {
  if (previous === undefined) return true;
  if (toBig(previous.observedUsed) !== toBig(next.observedUsed)) return true;
  if (finite(previous.netAllocationsPerHour) === 0 && next.netAllocationsPerHour === 0) return false;
  const age = Date.parse(next.observedAt) - Date.parse(previous.observedAt);
  return !(age < refreshIntervalMs(halfLifeMs));
}

/**
 * When to look at the pool again for its forecast: when the stored one (`status.forecast` after this
 * reconcile) is a refresh interval old; undefined for a quiet pool (rate zero, nothing to refresh).
 */
export function forecastRequeueMs(stored: PoolForecast, now: Date, halfLifeMs: number): number | undefined {
  if (finite(stored.netAllocationsPerHour) === 0) return undefined;
  const since = Date.parse(stored.observedAt);
  const due = (Number.isNaN(since) ? now.getTime() : since) + refreshIntervalMs(halfLifeMs);
  return Math.max(1_000, due - now.getTime());
}
