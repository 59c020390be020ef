// The map of a prefix pool: one cell per child prefix (allocationPrefixLength long) of the pool's
// prefixes, in the same MapGrid shape as the address map so the map screen, cursor and keys work
// unchanged. A cell is allocated (an IPAddress holds that prefix), an orphan (held, its claim gone),
// free (allocatable), excluded (in the pool but not allocatable) or out of range (held but not
// allocatable). Pools with more child prefixes than MAX_CELLS show populated ones only: held
// prefixes and the first of each spec.prefixes entry.
import { formatAddr, parsePrefixInUse, type PrefixPoolLayout } from '@ipam-in-cluster/allocator';
import { countIn, MAX_CELLS, orphanValues, type CellState, type MapCell, type MapGrid } from './grid.js';
import type { BrowserPool } from './source.js';

export type PrefixGridPool = Pick<BrowserPool, 'addresses'> & {
  readonly prefixLayout?: PrefixPoolLayout | undefined;
};

export interface PrefixGridRequest {
  readonly pool: PrefixGridPool;
  readonly perRow: number;
  readonly claimsRead?: ((namespace: string) => boolean) | undefined;
}

function ascending(a: bigint, b: bigint): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The map of a prefix pool; undefined when its spec does not lay out. */
export function buildPrefixGrid(req: PrefixGridRequest): MapGrid | undefined {
  const layout = req.pool.prefixLayout;
  if (layout === undefined) return undefined;
  const len = layout.allocationPrefixLength;
  const shift = BigInt(128 - len);
  const perRow = Math.max(1, req.perRow);
  // Slots (prefix number = network >> shift) covered by spec.prefixes.
  const spans = layout.prefixEntries
    .filter((p) => p.family === 6 && p.bits <= len)
    .map((p) => {
      const size = 1n << BigInt(128 - p.bits);
      const from = (p.value & ~(size - 1n)) >> shift;
      return { from, to: from + (size >> shift) - 1n };
    });
  const held = new Set<bigint>();
  for (const a of req.pool.addresses) {
    const p = parsePrefixInUse({ address: a.address, prefix: a.prefix });
    if (p.ok && p.value.family === 6 && p.value.bits === len) held.add(p.value.value >> shift);
  }
  const total = spans.reduce((n, s) => n + (s.to - s.from + 1n), 0n);
  const sparse = total > BigInt(MAX_CELLS);
  const slots = new Set<bigint>(held);
  if (sparse) for (const s of spans) slots.add(s.from);
  else for (const s of spans) for (let v = s.from; v <= s.to; v++) slots.add(v);
  const ordered = [...slots].sort(ascending);
  const truncated = ordered.length > MAX_CELLS;
  const shown = ordered.slice(0, MAX_CELLS);

  const orphans = orphanValues(req.pool.addresses, 6, req.claimsRead);
  const rows: { start: bigint; label: string; cells: (MapCell | undefined)[] }[] = [];
  const cells: MapCell[] = [];
  const group = BigInt(perRow);
  for (const slot of shown) {
    const start = slot << shift;
    const end = start + (1n << shift) - 1n;
    const allocatable = layout.slots.contains({ family: 6, value: slot });
    const isHeld = held.has(slot);
    const orphaned = countIn(orphans, start, end);
    const state: CellState = isHeld
      ? !allocatable
        ? 'out-of-range'
        : orphaned > 0
          ? 'orphan'
          : 'allocated'
      : allocatable
        ? 'free'
        : 'excluded';
    const rowStart = (slot / group) * group;
    let row = rows[rows.length - 1];
    if (row?.start !== rowStart) {
      row = {
        start: rowStart,
        label: `${formatAddr({ family: 6, value: rowStart << shift })}/${len}`,
        cells: new Array<MapCell | undefined>(perRow).fill(undefined),
      };
      rows.push(row);
    }
    const col = Number(slot - rowStart);
    const startText = `${formatAddr({ family: 6, value: start })}/${len}`;
    const endText = formatAddr({ family: 6, value: end });
    const one = (b: boolean): bigint => (b ? 1n : 0n);
    const cell: MapCell = {
      family: 6,
      start,
      end,
      startText,
      endText,
      // One child prefix: ⏎ opens it rather than zooming in.
      size: 1n,
      state,
      fill: isHeld ? 1 : 0,
      block: {
        start: startText,
        end: endText,
        size: 1n,
        inPool: 1n,
        used: one(isHeld && allocatable),
        free: one(!isHeld && allocatable),
        excluded: one(!allocatable && !isHeld),
        gateway: 0n,
        reserved: 0n,
        outOfRange: one(isHeld && !allocatable),
      },
      orphans: orphaned,
      row: rows.length - 1,
      col,
    };
    row.cells[col] = cell;
    cells.push(cell);
  }
  const first = cells[0];
  const last = cells[cells.length - 1];
  return {
    family: 6,
    blockSize: 1n,
    perRow,
    rows,
    cells,
    sparse,
    truncated,
    scope: { family: 6, from: first?.start ?? 0n, to: last?.end ?? 0n },
  };
}
