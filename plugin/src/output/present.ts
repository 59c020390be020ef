// What a pool looks like on screen, for every front end: `kubectl ipam pools` (and explain's
// header) and the browser's pool list paint what this module computes and compute nothing
// themselves (ADR 0026). Pure: no I/O, no colour codes, no React. Severity itself is the data
// layer's (data/pool-summary.ts severityOf, thresholds WARNING_PERCENT / CRITICAL_PERCENT); this
// module turns it, and the exact counts, into text.
import type { PoolCounts } from '@ipam-in-cluster/allocator';
import type { ForecastView, Severity } from '../data/model.js';
import { compactCount, exactCount } from './counts.js';
import { fullInText } from './forecast.js';

export { age } from './age.js';

/** What a pool's line is made from (a PoolSummary, a PoolSnapshot and a BrowserPool all are). */
export interface PresentablePool {
  readonly type: 'ip' | 'prefix';
  readonly family: 4 | 6 | undefined;
  readonly allocationPrefixLength?: number | undefined;
  readonly counts: PoolCounts;
  readonly severity: Severity;
  readonly error: string | undefined;
  readonly paused: boolean;
  readonly deleting: boolean;
  /** Status fields that disagree with the counts (absent: not compared). */
  readonly statusMismatch?: readonly string[] | undefined;
  /** Counted from part of the IPAddresses only (a lower bound). */
  readonly partial?: boolean | undefined;
  /** IP pools: addresses held for the reuse grace period (ADR 0028); undefined: not known. */
  readonly quarantined?: bigint | undefined;
  /** status.forecast (ADR 0031); undefined until the controller wrote one. */
  readonly forecast?: ForecastView | undefined;
}

/** The forecast horizon of the `↗ full in …` marker: a pool full later than this is not "filling up". */
export const FILLING_UP_DAYS = 365;
/** Within this many days the marker is a warning: the chart's PrometheusRule alerts "full within 7 days". */
export const FILLING_UP_WARNING_DAYS = 7;

/**
 * The `↗ full in 3d` marker (`↗3d` where only symbols fit) of a pool filling up: a positive net allocation rate that leaves it
 * without a free address within FILLING_UP_DAYS (FULL-IN of `pools -o wide`, same text). None for
 * a pool that is full already (its `■ full` says it) or not filling up.
 */
export function fillingUpMarker(p: Pick<PresentablePool, 'forecast'>): Marker | undefined {
  const days = p.forecast?.daysToExhaustion;
  if (days === undefined || days <= 0 || days >= FILLING_UP_DAYS) return undefined;
  const when = fullInText(p.forecast);
  return {
    symbol: '↗',
    words: `full in ${when}`,
    short: `↗${when}`,
    tone: days <= FILLING_UP_WARNING_DAYS ? 'warning' : 'muted',
  };
}

/** The semantic colour of a severity: a name both palettes (output/colour.ts, ui/theme.ts) define. */
export type SeverityTone = 'ok' | 'warning' | 'critical' | 'muted';

export function severityTone(s: Severity): SeverityTone {
  switch (s) {
    case 'ok':
      return 'ok';
    case 'warning':
      return 'warning';
    case 'critical':
    case 'full':
    case 'invalid':
      return 'critical';
    case 'empty':
      return 'muted';
  }
}

/** What is taken out of what can be handed out: total − free (in-range allocations). */
function taken(c: PoolCounts): bigint {
  return c.total - c.free;
}

/**
 * The utilisation as text, from the exact counts: whole percent rounded down (235 of 241 is 97%,
 * never a rounded-up 98% that would make a pool look fuller than it is), `<1%` for a non-zero
 * sliver (3 of 2^64), `100%` only when nothing is free, and `—` when the pool has nothing to hand
 * out (invalid or empty spec).
 */
export function percentOf(c: PoolCounts): string {
  if (c.total <= 0n) return '—';
  const t = taken(c);
  if (t <= 0n) return '0%';
  if (c.free <= 0n) return '100%';
  const pct = (t * 100n) / c.total;
  if (pct === 0n) return '<1%';
  return `${pct > 99n ? 99n : pct}%`;
}

/**
 * The share for a bar, in [0, 1]: exactly 1 only when nothing is free, never 0 when something is
 * taken (a float of 3 / 2^64 would be), so the bar and the percentage never disagree.
 */
export function fillRatio(c: PoolCounts): number {
  if (c.total <= 0n) return 0;
  const t = taken(c);
  if (t <= 0n) return 0;
  if (c.free <= 0n) return 1;
  const r = Number((t * 1_000_000_000n) / c.total) / 1_000_000_000;
  return Math.min(r === 0 ? Number.MIN_VALUE : r, 1 - 1e-9);
}

/** A count as the table shows it: compact (`1.8e19`, `2^64`, at most 7 characters) or exact. */
export function countText(n: bigint, exact = false): string {
  return exact ? exactCount(n) : compactCount(n);
}

/** `USED/TOTAL`, compact: `24/245`, `3/1.8e19`. */
export function usedOfTotal(c: PoolCounts): string {
  return `${compactCount(c.used)}/${compactCount(c.total)}`;
}

/** IPv4, IPv6, or for prefix pools the size handed out (IPv6/64); `-` when the spec does not say. */
export function familyText(p: Pick<PresentablePool, 'type' | 'family' | 'allocationPrefixLength'>): string {
  if (p.type === 'prefix')
    return p.allocationPrefixLength === undefined ? 'IPv6' : `IPv6/${p.allocationPrefixLength}`;
  return p.family === undefined ? '-' : `IPv${p.family}`;
}

/** A marker that survives NO_COLOR: a symbol and the words it stands for. */
export interface Marker {
  readonly symbol: string;
  readonly words: string;
  /** Where only symbols fit: this instead of the bare symbol (`↗3d`), when the symbol alone says too little. */
  readonly short?: string;
  /** The colour it is painted in. */
  readonly tone: SeverityTone;
}

/** A marker where room is short: its short form, else its symbol. */
export function markerSymbol(m: Marker): string {
  return m.short ?? m.symbol;
}

/** Every marker of a pool, most important first. */
export function markersOf(p: PresentablePool): Marker[] {
  const m: Marker[] = [];
  if (p.error !== undefined || p.severity === 'invalid')
    m.push({ symbol: '✗', words: 'invalid spec', tone: 'critical' });
  else if (p.severity === 'full') m.push({ symbol: '■', words: 'full', tone: 'critical' });
  else if (p.severity === 'critical') m.push({ symbol: '▲', words: 'nearly full', tone: 'critical' });
  if (p.counts.outOfRange > 0n) m.push({ symbol: '!', words: 'out of range', tone: 'warning' });
  if (p.paused) m.push({ symbol: '⏸', words: 'paused', tone: 'warning' });
  if (p.deleting) m.push({ symbol: '⌫', words: 'deleting', tone: 'warning' });
  if ((p.statusMismatch?.length ?? 0) > 0) m.push({ symbol: '≠', words: 'status', tone: 'warning' });
  if (p.partial === true) m.push({ symbol: '?', words: 'partial', tone: 'warning' });
  if (p.quarantined !== undefined && p.quarantined > 0n)
    m.push({ symbol: '◇', words: `${compactCount(p.quarantined)} quarantined`, tone: 'muted' });
  const filling = fillingUpMarker(p);
  if (filling !== undefined) m.push(filling);
  return m;
}

/** The markers as text: `▲ nearly full ! out of range`, or symbols only (`▲ ! ↗3d`) where room is short. */
export function markersText(p: PresentablePool, symbols = false): string {
  return markersOf(p)
    .map((m) => (symbols ? markerSymbol(m) : `${m.symbol} ${m.words}`))
    .join(' ');
}

/** The tone the markers are painted in: the first marker's (the most important), else the severity's. */
export function markersTone(p: PresentablePool): SeverityTone {
  return markersOf(p)[0]?.tone ?? severityTone(p.severity);
}

/** Everything one pool line shows, computed once. */
export interface PoolPresentation {
  readonly family: string;
  readonly used: string;
  readonly total: string;
  readonly free: string;
  readonly outOfRange: string;
  readonly usedOfTotal: string;
  readonly percent: string;
  readonly ratio: number;
  readonly full: boolean;
  readonly severity: Severity;
  readonly tone: SeverityTone;
  readonly markers: readonly Marker[];
}

export function presentPool(p: PresentablePool, exact = false): PoolPresentation {
  const c = p.counts;
  return {
    family: familyText(p),
    used: countText(c.used, exact),
    total: countText(c.total, exact),
    free: countText(c.free, exact),
    outOfRange: countText(c.outOfRange, exact),
    usedOfTotal: usedOfTotal(c),
    percent: percentOf(c),
    ratio: fillRatio(c),
    full: c.total > 0n && c.free <= 0n,
    severity: p.severity,
    tone: severityTone(p.severity),
    markers: markersOf(p),
  };
}
