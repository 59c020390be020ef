// Pool list view model: one row per pool, filtered by the `/` text. Every number and marker comes
// from output/present.ts, the module `kubectl ipam pools` paints too (ADR 0026).
import { compactCount } from '../../output/counts.js';
import { presentPool, type Marker, type SeverityTone } from '../../output/present.js';
import type { BrowserPool, BrowserSeverity } from './source.js';

export interface PoolRow {
  readonly id: string;
  readonly kind: string;
  readonly family: string;
  readonly used: string;
  readonly total: string;
  /** `used/total`, compact. */
  readonly usedOfTotal: string;
  /** The bar's share in [0, 1] (never 0 when something is taken). */
  readonly ratio: number;
  readonly full: boolean;
  readonly percent: string;
  readonly severity: BrowserSeverity;
  readonly tone: SeverityTone;
  /** Markers that survive NO_COLOR (none when all is well). */
  readonly markers: readonly Marker[];
}

export function poolRow(pool: BrowserPool): PoolRow {
  const shown = presentPool(pool);
  return {
    id: pool.id,
    kind: pool.kindShort,
    family: shown.family,
    used: shown.used,
    total: shown.total,
    usedOfTotal: shown.usedOfTotal,
    ratio: shown.ratio,
    full: shown.full,
    percent: shown.percent,
    severity: shown.severity,
    tone: shown.tone,
    markers: [...shown.markers, ...reservedMarker(pool)],
  };
}

/**
 * `▣ N reserved`: addresses IPAddressReservations hold (status.ipAddresses.reserved; ADR 0030). The
 * browser's own marker: `kubectl ipam pools` has the RESERVED column instead.
 */
function reservedMarker(pool: BrowserPool): Marker[] {
  const n = pool.status?.reserved;
  return n === undefined || n <= 0n
    ? []
    : [{ symbol: '▣', words: `${compactCount(n)} reserved`, tone: 'muted' }];
}

/** Case-insensitive match of every space-separated word against id, kind and family. */
export function matchesFilter(pool: BrowserPool, filter: string): boolean {
  const words = filter
    .toLowerCase()
    .split(/\s+/)
    .filter((w) => w !== '');
  const hay = `${pool.id} ${pool.kindShort} ipv${pool.family ?? ''} ${pool.key.kind}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

export function poolRows(pools: readonly BrowserPool[], filter: string): PoolRow[] {
  return pools.filter((p) => matchesFilter(p, filter)).map(poolRow);
}

/** Keeps a list cursor on the same pool id when rows change; clamps otherwise. */
export function clampIndex(index: number, length: number): number {
  if (length === 0) return 0;
  return Math.min(Math.max(index, 0), length - 1);
}

/** Which slice of `length` rows is visible with `height` lines and the cursor at `cursor` (paging). */
export function viewport(cursor: number, length: number, height: number): { start: number; end: number } {
  const h = Math.max(1, height);
  const start = Math.floor(clampIndex(cursor, length) / h) * h;
  return { start, end: Math.min(length, start + h) };
}
