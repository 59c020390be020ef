// `kubectl ipam pools -o csv`: one record per pool with exact counts, for spreadsheets and capacity
// reports. The columns and their order are a contract (plugin/README.md, "pools -o csv"): new
// columns are only ever added at the end.
import type { PoolSummary } from '../data/model.js';
import { renderCsv } from '../output/csv.js';

/** The header, in order. */
export const POOLS_CSV_COLUMNS = [
  'namespace',
  'name',
  'kind',
  'family',
  'total',
  'used',
  'free',
  'outOfRange',
  'utilisationPercent',
  'quarantined',
  'reserved',
  'netAllocationsPerHour',
  'daysToExhaustion',
  'forecastObservedAt',
  'countsFrom',
] as const;

const optional = (n: bigint | number | undefined): string => (n === undefined ? '' : String(n));

/** One record: counts as exact integers, empty fields where the pool has no such figure. */
export function poolCsvRecord(p: PoolSummary): string[] {
  const f = p.forecast;
  return [
    p.key.namespace ?? '',
    p.key.name,
    p.key.kind,
    p.family === undefined ? '' : `IPv${p.family}`,
    p.counts.total.toString(),
    p.counts.used.toString(),
    p.counts.free.toString(),
    p.counts.outOfRange.toString(),
    String(Math.round(p.utilisation * 10_000) / 100),
    optional(p.status?.quarantined),
    // Reservations hold addresses of IP pools only (ADR 0030): empty for prefix pools.
    p.type === 'prefix' ? '' : optional(p.status?.reserved),
    optional(f?.netAllocationsPerHour),
    optional(f?.daysToExhaustion),
    f === undefined ? '' : f.observedAt.toISOString(),
    p.countsFrom,
  ];
}

/** The document (`headers: false` for `--no-headers`). */
export function renderPoolsCsv(pools: readonly PoolSummary[], headers = true): string {
  return renderCsv(headers ? POOLS_CSV_COLUMNS : undefined, pools.map(poolCsvRecord));
}
