/** @jsxRuntime automatic */
// Screen 1: every pool with its occupancy bar. ⏎ opens the map, / filters. The numbers, bar and
// markers are output/present.ts's, as in `kubectl ipam pools`.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { bar } from '../../output/bar.js';
import { markerSymbol } from '../../output/present.js';
import { Plain, Styled } from '../components/Styled.js';
import { Table, type Column } from '../components/Table.js';
import { viewport, type PoolRow } from '../model/list.js';
import { useView } from '../state/context.js';
import { SourceProblem } from './SourceProblem.js';

/** Widest cell of a column (at least its title). */
function widest(rows: readonly PoolRow[], title: string, cell: (r: PoolRow) => string): number {
  return Math.max(title.length, ...rows.map((r) => cell(r).length));
}

function markerText(r: PoolRow, symbols: boolean): string {
  return r.markers.map((m) => (symbols ? markerSymbol(m) : `${m.symbol} ${m.words}`)).join(' ');
}

export function PoolList(): ReactNode {
  const { rows, listIndex, geometry, state, glyphs } = useView();
  if (state.snapshot === undefined) return <SourceProblem />;
  const barWidth = geometry.innerWidth >= 110 ? 20 : 10;
  const kind = widest(rows, 'KIND', (r) => r.kind);
  const family = widest(rows, 'FAM', (r) => r.family);
  const counts = widest(rows, 'USED/TOTAL', (r) => r.usedOfTotal);
  const util = barWidth + 5;
  // The cursor column, then six columns each followed by one space: what POOL and markers share.
  const rest = geometry.innerWidth - 7 - (kind + family + counts + util);
  const words = Math.max(0, ...rows.map((r) => markerText(r, false).length));
  const ids = widest(rows, 'POOL', (r) => r.id);
  // Markers in words when pool ids still fit beside them, else their symbols (the legend is in help).
  const symbols = ids + words > rest;
  const markers = Math.max(0, ...rows.map((r) => markerText(r, symbols).length));
  const poolWidth = Math.max(12, Math.min(ids, rest - markers));
  const columns: Column[] = [
    { title: 'POOL', width: poolWidth },
    { title: 'KIND', width: kind },
    { title: 'FAM', width: family },
    { title: 'USED/TOTAL', width: counts, align: 'right' },
    { title: 'UTILISATION', width: util },
    { title: '', width: Math.max(1, rest - poolWidth) },
  ];
  const { start, end } = viewport(listIndex, rows.length, geometry.listRows);
  const visible = rows.slice(start, end);
  return (
    <Box flexDirection="column">
      <Table
        columns={columns}
        selected={listIndex - start}
        empty={
          state.filter === ''
            ? `No pools in ${state.snapshot.scope?.allNamespaces === false ? `namespace ${state.snapshot.scope.namespace ?? ''} (nor global ones)` : 'view'}: :ns switches namespace.`
            : `No pool matches "${state.filter}" (Esc clears the filter).`
        }
        rows={visible.map((r) => {
          const drawn = bar(r.ratio, barWidth, r.full);
          const filled = drawn.replace(/░+$/, '');
          return {
            key: r.id,
            cells: [
              r.id,
              r.kind,
              r.family,
              r.usedOfTotal,
              <Plain key="bar" wrap="truncate">
                <Styled token={r.tone}>{glyphs(filled)}</Styled>
                <Styled token="muted">{glyphs(drawn.slice(filled.length))}</Styled>
                <Styled token={r.tone}>{` ${r.percent.padStart(4)}`}</Styled>
              </Plain>,
              <Plain key="marker" wrap="truncate">
                <Styled token={r.markers[0]?.tone ?? r.tone}>{glyphs(markerText(r, symbols))}</Styled>
              </Plain>,
            ],
          };
        })}
      />
      {rows.length > geometry.listRows ? (
        <Styled token="muted">{`  ${start + 1}–${end} of ${rows.length}`}</Styled>
      ) : null}
    </Box>
  );
}
