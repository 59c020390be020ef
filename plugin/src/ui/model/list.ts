// Pool list view model: one row per pool, filtered by the `/` text.
import { compactCount, percent } from './format.js';
import type { BrowserPool, BrowserSeverity } from './source.js';

export interface PoolRow {
  readonly id: string;
  readonly kind: string;
  readonly family: string;
  readonly used: string;
  readonly total: string;
  readonly utilisation: number;
  readonly percent: string;
  readonly severity: BrowserSeverity;
  /** A marker that survives NO_COLOR (empty when all is well). */
  readonly marker: string;
}

export function severityMarker(severity: BrowserSeverity): string {
  switch (severity) {
    case 'warning':
      return '△';
    case 'critical':
      return '▲ nearly full';
    case 'full':
      return '■ full';
    case 'invalid':
      return '✗ invalid spec';
    case 'ok':
    case 'empty':
      return '';
  }
}

export function poolRow(pool: BrowserPool): PoolRow {
  const notes = [severityMarker(pool.severity)];
  if (pool.type === 'prefix') notes.push('prefix pool: no map');
  if (pool.paused) notes.push('paused');
  if (pool.deleting) notes.push('deleting');
  return {
    id: pool.id,
    kind: pool.kindShort,
    family: pool.family === undefined ? '—' : `IPv${pool.family}`,
    used: compactCount(pool.counts.used),
    total: compactCount(pool.counts.total),
    // A float share of a huge pool can be 0 with addresses in use; keep it visible on the bar.
    utilisation: pool.counts.allocated > 0n && pool.utilisation === 0 ? Number.MIN_VALUE : pool.utilisation,
    percent: percent(pool.utilisation, pool.counts.total, pool.counts.allocated),
    severity: pool.severity,
    marker: notes.filter((n) => n !== '').join(' · '),
  };
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
