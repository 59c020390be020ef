// kubectl ipam pools: one row per pool of every kind. Total from the spec; used, free and out of
// range from the pool's status where it was written for the current spec, else (and with --recount)
// counted from the IPAddresses page by page (readPoolSummaries, ADR 0013). No snapshot.
import type { PoolSummary } from '../data/model.js';
import { readPoolSummaries } from '../data/session.js';
import type { CommandContext } from '../cli/context.js';
import type { OutputFormat } from '../output/formats.js';
import type { PoolSort } from './pool-sorts.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import { age } from '../output/age.js';
import type { Palette } from '../output/colour.js';
import {
  BAR_WIDTH,
  MIN_BAR_WIDTH,
  count,
  familyText,
  markersWidth,
  utilisationCell,
  type MarkerFit,
} from '../output/pool-cells.js';
import { forecastJson, fullInText } from '../output/forecast.js';
import { toJson, toYaml } from '../output/serialize.js';
import { renderTable, tableWidths, type Column, type TableOptions } from '../output/table.js';
import { DEFAULT_WIDTH } from '../output/terminal.js';
import { renderPoolsCsv } from './pools-csv.js';

export { POOL_SORTS, type PoolSort } from './pool-sorts.js';

export interface PoolsOptions {
  readonly sort: PoolSort;
  /** Only pools of these short kinds (pool, global, prefix, global-prefix). */
  readonly kinds: readonly string[];
  /** `-l`: a label selector, passed to the API server's pool lists. */
  readonly selector?: string | undefined;
  /** false with `--no-headers`. */
  readonly headers?: boolean;
  /** IPAddresses per list request; 0: one request (see SummaryOptions). */
  readonly chunkSize: number;
  /** Count every pool from its IPAddresses instead of taking counts from its status. */
  readonly recount: boolean;
}

/** The stable `-o json|yaml` item (documented in README: "pools output"). */
export function poolJson(p: PoolSummary): Record<string, unknown> {
  return {
    id: p.id,
    kind: p.key.kind,
    kindShort: p.kindShort,
    namespace: p.key.namespace ?? null,
    name: p.key.name,
    type: p.type,
    family: p.family === undefined ? null : `IPv${p.family}`,
    allocationPrefixLength: p.allocationPrefixLength ?? null,
    counts: {
      total: p.counts.total,
      used: p.counts.used,
      allocated: p.counts.allocated,
      free: p.counts.free,
      outOfRange: p.counts.outOfRange,
      // Addresses held by IPAddressReservations, from the pool status (0 where none is written).
      reserved: p.status?.reserved ?? 0n,
    },
    countsFrom: p.countsFrom,
    recountReason: p.recountReason ?? null,
    utilisationPercent: Math.round(p.utilisation * 10_000) / 100,
    severity: p.severity,
    status: p.status === undefined ? null : { ...p.status },
    statusMismatch: [...p.statusMismatch],
    // Only when true: some IPAddresses that can belong to the pool could not be read.
    ...(p.partial === true ? { partial: true } : {}),
    paused: p.paused,
    deleting: p.deleting,
    error: p.error ?? null,
    claims: p.claimCount ?? null,
    // IP pools: held for the reuse grace period (ADR 0028); null when not known (prefix pools, or
    // a status without the count and no claims read).
    quarantined: p.quarantined ?? null,
    forecast: forecastJson(p.forecast),
  };
}

export function poolListJson(pools: readonly PoolSummary[]): Record<string, unknown> {
  return { apiVersion: 'kubectl-ipam/v1alpha1', kind: 'PoolList', items: pools.map(poolJson) };
}

function sortPools<P extends PoolSummary>(pools: readonly P[], sort: PoolSort): P[] {
  const out = [...pools];
  const desc = (a: bigint, b: bigint): number => (a === b ? 0 : a > b ? -1 : 1);
  switch (sort) {
    case 'name':
      return out;
    case 'utilization':
      return out.sort((a, b) => b.utilisation - a.utilisation || desc(a.counts.used, b.counts.used));
    case 'free':
      return out.sort((a, b) => -desc(a.counts.free, b.counts.free));
    case 'used':
      return out.sort((a, b) => desc(a.counts.used, b.counts.used));
  }
}

/** Where the row's counts come from: `status`, `recount:<reason>`, or `-` (invalid spec). */
function countsCell(p: PoolSummary): string {
  if (p.countsFrom === 'status') return 'status';
  if (p.countsFrom === 'none') return '-';
  return `recount:${p.recountReason ?? 'requested'}`;
}

/** How the status compares with counted figures (`-` when the counts are the status). */
function statusCell(p: PoolSummary): string {
  if (p.countsFrom === 'status') return '-';
  if (p.status === undefined) return 'none';
  if (p.statusMismatch.length === 0) return 'agrees';
  const s = p.status;
  return p.statusMismatch.map((f) => `${f}=${s[f]}`).join(',');
}

function specCell(p: PoolSummary): string {
  const list = p.ipSpec?.addresses ?? p.prefixSpec?.prefixes ?? [];
  return list.length === 0 ? '-' : list.join(',');
}

/** How a table is laid out: the columns to fit (80 by default), headers, ASCII cells. */
export interface TableLayout extends TableOptions {
  /** Columns the default table fits (`-o wide` does not shrink). */
  readonly width?: number;
  /**
   * The NAMESPACE column (default true). Like kubectl get, `pools` shows it with -A only: in one
   * namespace it says nothing that KIND (global or not) does not.
   */
  readonly namespaceColumn?: boolean;
}

/** Percentage (4 columns) and the two spaces after the bar. */
const PERCENT_WIDTH = 4;

/**
 * The pools table (or wide table, or json/yaml document). Pure: golden-tested. The default table
 * fits `layout.width`: the bar shrinks from 20 cells, goes when fewer than 5 would fit, and then the
 * markers are cut (`…`). Names are never cut (they are what people copy); a row of very long names
 * can still run over.
 */
export function renderPools(
  pools: readonly PoolSummary[],
  format: OutputFormat,
  pal: Palette,
  now: Date,
  layout: TableLayout = {},
): string {
  if (format === 'json') return toJson(poolListJson(pools));
  if (format === 'yaml') return toYaml(poolListJson(pools));
  if (format === 'csv') return renderPoolsCsv(pools, layout.headers !== false);
  const wide = format === 'wide';
  const ns = layout.namespaceColumn !== false;
  const columns: Column[] = [
    ...(ns ? [{ header: 'NAMESPACE' }] : []),
    { header: 'NAME' },
    { header: 'KIND' },
    { header: 'FAMILY' },
    { header: 'TOTAL', align: 'right' },
    { header: 'USED', align: 'right' },
    { header: 'FREE', align: 'right' },
    { header: 'OOR', align: 'right' },
    { header: 'UTILISATION' },
  ];
  const last = columns.length - 1;
  if (wide)
    columns.push(
      { header: 'COUNTS' },
      { header: 'STATUS' },
      { header: 'CLAIMS', align: 'right' },
      { header: 'AGE' },
      { header: 'SPEC' },
      { header: 'QUARANTINED', align: 'right' },
      { header: 'RESERVED', align: 'right' },
      { header: 'FULL-IN', align: 'right' },
    );
  const fixed = pools.map((p) => [
    ...(ns ? [p.key.namespace ?? '—'] : []),
    p.key.name,
    p.kindShort,
    familyText(p),
    count(p.counts.total, wide),
    count(p.counts.used, wide),
    count(p.counts.free, wide),
    count(p.counts.outOfRange, wide),
  ]);
  let barWidth = BAR_WIDTH;
  let fit: MarkerFit = {};
  if (!wide) {
    // What is left for UTILISATION after the other columns and their two-space gaps. In order:
    // the bar shrinks; then goes (the percentage says it); then markers become symbols; then are cut.
    const before = tableWidths(columns.slice(0, -1), fixed, layout);
    const room = (layout.width ?? DEFAULT_WIDTH) - before.reduce((sum, w) => sum + w + 2, 0);
    if (room < (columns[last]?.header.length ?? 0)) columns[last] = { header: 'UTIL' };
    const ascii = layout.ascii === true;
    const words = Math.max(0, ...pools.map((p) => markersWidth(p, false, ascii)));
    const symbols = Math.max(0, ...pools.map((p) => markersWidth(p, true, ascii)));
    const barFor = (markers: number): number => Math.min(BAR_WIDTH, room - 2 - PERCENT_WIDTH - markers);
    fit = { ascii };
    if (barFor(words) >= MIN_BAR_WIDTH) barWidth = barFor(words);
    else if (room - PERCENT_WIDTH >= words) barWidth = 0;
    else if (barFor(symbols) >= MIN_BAR_WIDTH) {
      barWidth = barFor(symbols);
      fit = { ascii, symbols: true };
    } else {
      barWidth = 0;
      fit = { ascii, symbols: true, room: room - PERCENT_WIDTH };
    }
  }
  const rows = pools.map((p, i) => {
    const row = [...(fixed[i] ?? []), utilisationCell(p, pal, barWidth, fit)];
    if (wide)
      row.push(
        countsCell(p),
        statusCell(p),
        p.claimCount === undefined ? '-' : String(p.claimCount),
        age(p.createdAt, now),
        specCell(p),
        p.quarantined === undefined ? '-' : count(p.quarantined, wide),
        // Reservations hold addresses of IP pools only (ADR 0030).
        p.type === 'prefix' ? '-' : count(p.status?.reserved ?? 0n, wide),
        fullInText(p.forecast),
      );
    return row;
  });
  return renderTable(columns, rows, layout);
}

export function filterPools<P extends PoolSummary>(
  pools: readonly P[],
  options: Pick<PoolsOptions, 'sort' | 'kinds'>,
): P[] {
  const kinds = new Set(options.kinds);
  return sortPools(
    pools.filter((p) => kinds.size === 0 || kinds.has(p.kindShort)),
    options.sort,
  );
}

export async function runPools(ctx: CommandContext, options: PoolsOptions): Promise<void> {
  for (const k of options.kinds) {
    if (!['pool', 'global', 'prefix', 'global-prefix'].includes(k)) {
      throw new CliError(ExitCode.Usage, `unknown kind "${k}" (use pool, global, prefix or global-prefix)`);
    }
  }
  if (!Number.isSafeInteger(options.chunkSize) || options.chunkSize < 0) {
    throw new CliError(ExitCode.Usage, `--chunk-size must be a whole number >= 0`);
  }
  const session = await ctx.session();
  const read = await readPoolSummaries(
    session,
    { namespace: session.namespace, allNamespaces: ctx.globals.allNamespaces },
    {
      chunkSize: options.chunkSize,
      recount: options.recount,
      labelSelector: options.selector,
      // Only the wide table and json/yaml/jsonpath show claim counts: table and -o name read no claims.
      claims:
        ctx.globals.output !== 'table' &&
        ctx.globals.output !== 'csv' &&
        ctx.globals.outputSpec.choice !== 'name',
    },
  );
  for (const w of read.warnings) ctx.err(`warning: ${w}\n`);
  const pools = filterPools(read.pools, options);
  if (pools.length === 0 && (ctx.globals.output === 'table' || ctx.globals.output === 'wide')) {
    ctx.err(
      (ctx.globals.allNamespaces
        ? 'No pools found'
        : `No pools found in namespace ${session.namespace} (and no global pools)`) +
        (options.selector === undefined ? '.\n' : ` matching -l ${options.selector}.\n`),
    );
    return;
  }
  ctx.out(
    renderPools(pools, ctx.globals.output, ctx.palette, ctx.now(), {
      width: ctx.globals.width,
      namespaceColumn: ctx.globals.allNamespaces,
      headers: options.headers,
      ascii: !ctx.globals.unicode,
    }),
  );
  for (const p of pools) {
    if (p.error !== undefined && ctx.globals.output !== 'json' && ctx.globals.output !== 'yaml') {
      const held =
        p.counts.used > 0n
          ? `; ${p.counts.used} IPAddress(es) still hold addresses in it (counted as used, out of range)`
          : '';
      ctx.err(`warning: pool ${p.id}: ${p.error}${held}\n`);
    }
  }
}
