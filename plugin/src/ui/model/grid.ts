// Occupancy map view model: the pool (or the zoomed part of it) cut into equal blocks, laid out in
// rows of `perRow` aligned blocks. All counting is done by the allocator's `occupancy`; this module
// only chooses the block size, restricts the layout to what is in view and arranges the cells.
//
// Block size: the smallest power of two at which every row that holds part of the pool fits the
// screen. When even that would make one cell larger than SPARSE_ABOVE addresses (an IPv6 /64 has
// 2^64), the map switches to "populated blocks": cells of SPARSE_BLOCK addresses, listed only where
// something is (an allocation, the gateway, a reserved or excluded address, the start of each
// range), so an IPv6 pool shows where its addresses are rather than 2^60-address cells.
import {
  IPSet,
  formatAddr,
  occupancy,
  parseAddr,
  type Family,
  type IPRange,
  type OccupancyBlock,
} from '@ipam-in-cluster/allocator';
import type { BrowserPool } from './source.js';
import { countInSet, heldSet } from './reservations.js';

export const SPARSE_ABOVE = 1n << 16n;
export const SPARSE_BLOCK = 256n;
/** Most cells computed for one view (the map scrolls through them). */
export const MAX_CELLS = 4096;

export type CellState =
  | 'free'
  | 'partial'
  | 'allocated'
  | 'excluded'
  | 'reserved'
  | 'gateway'
  | 'out-of-range'
  | 'orphan'
  | 'quarantined'
  | 'held';

export interface MapCell {
  readonly family: Family;
  readonly start: bigint;
  readonly end: bigint;
  readonly startText: string;
  readonly endText: string;
  readonly size: bigint;
  readonly state: CellState;
  /** used / (used + free), 0 when nothing in it is allocatable. */
  readonly fill: number;
  readonly block: OccupancyBlock;
  /** IPAddresses in the cell whose claim is gone (only counted where claims were read). */
  readonly orphans: number;
  /** IPAddresses in the cell held for the pool's reuse grace period (ADR 0028). */
  readonly quarantined?: number;
  /** Addresses in the cell held by an IPAddressReservation and not allocated (ADR 0030). */
  readonly held?: bigint;
  readonly row: number;
  readonly col: number;
}

export interface MapRow {
  readonly start: bigint;
  readonly label: string;
  readonly cells: readonly (MapCell | undefined)[];
}

export interface MapGrid {
  readonly family: Family;
  readonly blockSize: bigint;
  readonly perRow: number;
  readonly rows: readonly MapRow[];
  /** Every cell, ascending (the order ← → walks). */
  readonly cells: readonly MapCell[];
  readonly sparse: boolean;
  /** More blocks exist than MAX_CELLS; the rest are not shown. */
  readonly truncated: boolean;
  /** The address range in view. */
  readonly scope: IPRange;
}

export type GridPool = Pick<BrowserPool, 'layout' | 'index' | 'addresses'> &
  Partial<Pick<BrowserPool, 'reservations'>>;

export interface GridRequest {
  readonly pool: GridPool;
  /**
   * Whether IPAddressClaims of a namespace were read: an address without its claim is an orphan
   * only there (elsewhere its claim may just be unreadable). Default: everywhere.
   */
  readonly claimsRead?: ((namespace: string) => boolean) | undefined;
  /** Zoomed-in range; undefined for the whole pool. */
  readonly scope: IPRange | undefined;
  readonly perRow: number;
  /** Rows the screen has for the map. */
  readonly fitRows: number;
}

function clip(r: IPRange, scope: IPRange): IPRange | undefined {
  if (r.family !== scope.family || r.to < scope.from || r.from > scope.to) return undefined;
  return {
    family: r.family,
    from: r.from > scope.from ? r.from : scope.from,
    to: r.to < scope.to ? r.to : scope.to,
  };
}

/** Rows (aligned groups of `group` addresses) that hold part of `ranges` (sorted by start), up to `limit + 1`. */
export function rowsNeeded(ranges: readonly IPRange[], group: bigint, limit: number): number {
  let count = 0n;
  let last = -1n;
  for (const r of ranges) {
    const g0 = r.from / group;
    const g1 = r.to / group;
    const start = g0 > last ? g0 : last + 1n;
    if (g1 >= start) count += g1 - start + 1n;
    if (g1 > last) last = g1;
    if (count > BigInt(limit)) return limit + 1;
  }
  return Number(count);
}

function stateOf(b: OccupancyBlock): { state: CellState; fill: number } {
  const allocatable = b.used + b.free;
  const fill = allocatable === 0n ? 0 : Number((b.used * 10_000n) / allocatable) / 10_000;
  if (b.outOfRange > 0n) return { state: 'out-of-range', fill };
  if (allocatable === 0n) {
    if (b.gateway > 0n && b.gateway >= b.excluded && b.gateway >= b.reserved)
      return { state: 'gateway', fill };
    if (b.reserved > b.excluded) return { state: 'reserved', fill };
    return { state: 'excluded', fill };
  }
  if (b.used === 0n) return { state: 'free', fill };
  if (b.free === 0n) return { state: 'allocated', fill };
  return { state: 'partial', fill };
}

function addrValue(text: string): bigint | undefined {
  const p = parseAddr(text);
  return p.ok ? p.value.value : undefined;
}

/** Values of the pool's addresses that `pick` picks, ascending. */
function valuesOf(
  addresses: GridPool['addresses'],
  family: Family,
  pick: (a: GridPool['addresses'][number]) => boolean,
): bigint[] {
  const out: bigint[] = [];
  for (const a of addresses) {
    if (!pick(a)) continue;
    const p = parseAddr(a.address);
    if (p.ok && p.value.family === family) out.push(p.value.value);
  }
  return out.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
}

/** Values of the pool's addresses whose claim is gone (where claims were read), ascending. */
export function orphanValues(
  addresses: GridPool['addresses'],
  family: Family,
  claimsRead: (namespace: string) => boolean = () => true,
): bigint[] {
  return valuesOf(addresses, family, (a) => a.claim === undefined && claimsRead(a.namespace));
}

/** Values of the pool's quarantined addresses (held for the reuse grace period), ascending. */
export function quarantinedValues(addresses: GridPool['addresses'], family: Family): bigint[] {
  return valuesOf(addresses, family, (a) => a.quarantine !== undefined);
}

/** How many of the sorted `values` lie in [from, to]. */
export function countIn(values: readonly bigint[], from: bigint, to: bigint): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((values[mid] ?? 0n) < from) lo = mid + 1;
    else hi = mid;
  }
  let n = 0;
  for (let i = lo; i < values.length && (values[i] ?? 0n) <= to; i++) n++;
  return n;
}

/** The whole pool's extent: spec.addresses plus out-of-range allocations. */
export function poolExtent(pool: GridPool): IPRange | undefined {
  const layout = pool.layout;
  const family = layout?.family;
  if (layout === undefined || family === undefined) return undefined;
  const values = layout.union.ranges.filter((r) => r.family === family).flatMap((r) => [r.from, r.to]);
  for (const o of pool.index?.outOfRange() ?? []) if (o.addr.family === family) values.push(o.addr.value);
  if (values.length === 0) return undefined;
  let from = values[0] ?? 0n;
  let to = from;
  for (const v of values) {
    if (v < from) from = v;
    if (v > to) to = v;
  }
  return { family, from, to };
}

/** Builds the map for one view; undefined when the pool has no usable layout. */
export function buildGrid(req: GridRequest): MapGrid | undefined {
  const { pool, perRow } = req;
  const layout = pool.layout;
  const family = layout?.family;
  const extent = poolExtent(pool);
  if (layout === undefined || family === undefined || extent === undefined) return undefined;
  const scope = req.scope ?? extent;
  const fitRows = Math.max(1, req.fitRows);

  const oor = (pool.index?.outOfRange() ?? [])
    .filter((o) => o.addr.family === family)
    .map((o) => o.addr.value);
  const points: IPRange[] = [];
  for (const r of layout.union.ranges) {
    const c = clip(r, scope);
    if (c !== undefined) points.push(c);
  }
  for (const v of oor) if (v >= scope.from && v <= scope.to) points.push({ family, from: v, to: v });
  points.sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));

  const scopeSize = scope.to - scope.from + 1n;
  let blockSize = 1n;
  while (blockSize < scopeSize && rowsNeeded(points, blockSize * BigInt(perRow), fitRows) > fitRows)
    blockSize <<= 1n;

  let view = layout.union.intersection(IPSet.fromRanges([scope]));
  let candidates: Set<bigint> | undefined;
  const sparse = blockSize > SPARSE_ABOVE;
  if (sparse) {
    blockSize = SPARSE_BLOCK;
    candidates = new Set<bigint>();
    const add = (v: bigint | undefined): void => {
      if (
        v !== undefined &&
        v >= scope.from &&
        v <= scope.to &&
        candidates !== undefined &&
        candidates.size < MAX_CELLS
      )
        candidates.add(v / blockSize);
    };
    for (const p of points) add(p.from);
    if (layout.gateway?.family === family) add(layout.gateway.value);
    for (const r of layout.reserved) if (r.addr.family === family) add(r.addr.value);
    for (const r of layout.excluded.intersection(view).ranges) add(r.from);
    for (const a of pool.addresses) add(addrValue(a.address));
    for (const r of heldSet(pool, family, layout.allocatable).ranges) add(r.from);
    const blocks = [...candidates].map((i): IPRange => ({
      family,
      from: i * blockSize,
      to: i * blockSize + blockSize - 1n,
    }));
    view = view.intersection(IPSet.fromRanges(blocks));
  }
  const restricted = { ...layout, union: view, allocatable: layout.allocatable.intersection(view) };
  const occ = occupancy(restricted, pool.index, { blockSize, maxBlocks: MAX_CELLS });
  if (!occ.ok) return undefined;

  const orphans = orphanValues(pool.addresses, family, req.claimsRead);
  const quarantined = quarantinedValues(pool.addresses, family);
  const reserved = heldSet(pool, family, restricted.allocatable);
  const group = blockSize * BigInt(perRow);
  const rows: { start: bigint; label: string; cells: (MapCell | undefined)[] }[] = [];
  const cells: MapCell[] = [];
  for (const block of occ.value.blocks) {
    const start = addrValue(block.start);
    const end = addrValue(block.end);
    if (start === undefined || end === undefined || start > scope.to || end < scope.from) continue;
    if (candidates !== undefined && !candidates.has(start / blockSize)) continue;
    const rowStart = (start / group) * group;
    let row = rows[rows.length - 1];
    if (row?.start !== rowStart) {
      row = {
        start: rowStart,
        label: formatAddr({ family, value: rowStart }),
        cells: new Array<MapCell | undefined>(perRow).fill(undefined),
      };
      rows.push(row);
    }
    const col = Number((start - rowStart) / blockSize);
    const held = countIn(orphans, start, end);
    const leaving = countIn(quarantined, start, end);
    const kept = countInSet(reserved, start, end);
    const shown = stateOf(block);
    // Out of range is the loudest state, then an orphan, then a quarantine (held, freed at its
    // time), then a reservation (free addresses allocation skips; ADR 0030).
    const state =
      shown.state === 'out-of-range'
        ? shown.state
        : held > 0
          ? 'orphan'
          : leaving > 0
            ? 'quarantined'
            : kept > 0n
              ? 'held'
              : shown.state;
    const cell: MapCell = {
      family,
      start,
      end,
      startText: block.start,
      endText: block.end,
      size: block.size,
      state,
      fill: shown.fill,
      block,
      orphans: held,
      ...(leaving > 0 ? { quarantined: leaving } : {}),
      ...(kept > 0n ? { held: kept } : {}),
      row: rows.length - 1,
      col,
    };
    row.cells[col] = cell;
    cells.push(cell);
  }
  return { family, blockSize, perRow, rows, cells, sparse, truncated: occ.value.truncated, scope };
}

/** Index of the cell holding `at` (or the next one after it, or the last); -1 for no cells. */
export function cellIndexAt(grid: MapGrid, at: bigint | undefined): number {
  const cells = grid.cells;
  if (cells.length === 0) return -1;
  if (at === undefined) return 0;
  let lo = 0;
  let hi = cells.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((cells[mid]?.end ?? 0n) < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export type Direction = 'up' | 'down' | 'left' | 'right' | 'pageUp' | 'pageDown' | 'first' | 'last';

/** Moves the map cursor; returns the new cell index. Up/down keep the column (or the nearest one). */
export function moveInGrid(grid: MapGrid, index: number, dir: Direction, page: number): number {
  const n = grid.cells.length;
  if (n === 0) return -1;
  const cur = grid.cells[Math.min(Math.max(index, 0), n - 1)];
  if (cur === undefined) return 0;
  const i = grid.cells.indexOf(cur);
  switch (dir) {
    case 'left':
      return Math.max(0, i - 1);
    case 'right':
      return Math.min(n - 1, i + 1);
    case 'first':
      return 0;
    case 'last':
      return n - 1;
    case 'up':
    case 'down':
    case 'pageUp':
    case 'pageDown': {
      const step =
        dir === 'up' ? -1 : dir === 'down' ? 1 : dir === 'pageUp' ? -Math.max(1, page) : Math.max(1, page);
      const target = Math.min(Math.max(cur.row + step, 0), grid.rows.length - 1);
      if (target === cur.row) return i;
      const row = grid.rows[target];
      if (row === undefined) return i;
      let best: MapCell | undefined;
      for (const c of row.cells) {
        if (c === undefined) continue;
        if (best === undefined || Math.abs(c.col - cur.col) < Math.abs(best.col - cur.col)) best = c;
      }
      return best === undefined ? i : grid.cells.indexOf(best);
    }
  }
}

/** Cells per row for a map area `width` columns wide: a power of two, 2 columns per cell, at most 32. */
export function cellsPerRow(width: number): number {
  let per = 32;
  while (per > 4 && per * 2 + 1 > width) per >>= 1;
  return per;
}
