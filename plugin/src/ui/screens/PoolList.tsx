/** @jsxRuntime automatic */
// Screen 1: every pool with its occupancy bar. ⏎ opens the map, / filters.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { Bar } from '../components/Bar.js';
import { Styled } from '../components/Styled.js';
import { Table, type Column } from '../components/Table.js';
import { viewport } from '../model/list.js';
import { useView } from '../state/context.js';
import { severityToken } from '../theme.js';

export function PoolList(): ReactNode {
  const { rows, listIndex, geometry, state } = useView();
  const barWidth = geometry.innerWidth >= 110 ? 20 : 10;
  const fixed = { kind: 6, family: 4, counts: 13, util: barWidth + 5 };
  const rest = geometry.innerWidth - 1 - (fixed.kind + fixed.family + fixed.counts + fixed.util + 5);
  const poolWidth = Math.max(12, Math.min(40, Math.floor(rest * 0.6)));
  const markerWidth = Math.max(1, rest - poolWidth - 1);
  const columns: Column[] = [
    { title: 'POOL', width: poolWidth },
    { title: 'KIND', width: fixed.kind },
    { title: 'FAM', width: fixed.family },
    { title: 'USED/TOTAL', width: fixed.counts, align: 'right' },
    { title: 'UTILISATION', width: fixed.util },
    { title: '', width: markerWidth },
  ];
  const { start, end } = viewport(listIndex, rows.length, geometry.listRows);
  const visible = rows.slice(start, end);
  if (state.snapshot === undefined) return <Styled token="muted">Reading pools…</Styled>;
  return (
    <Box flexDirection="column">
      <Table
        columns={columns}
        selected={listIndex - start}
        empty={
          state.filter === ''
            ? 'No IP pools in view.'
            : `No pool matches "${state.filter}" (Esc clears the filter).`
        }
        rows={visible.map((r) => ({
          key: r.id,
          cells: [
            r.id,
            r.kind,
            r.family,
            `${r.used}/${r.total}`,
            <Text key="bar" wrap="truncate">
              <Bar fraction={r.utilisation} width={barWidth} token={severityToken(r.severity)} />
              <Styled token={severityToken(r.severity)}>{` ${r.percent.padStart(4)}`}</Styled>
            </Text>,
            <Text key="marker" wrap="truncate">
              <Styled token={severityToken(r.severity)}>{r.marker}</Styled>
            </Text>,
          ],
        }))}
      />
      {rows.length > geometry.listRows ? (
        <Styled token="muted">{`  ${start + 1}–${end} of ${rows.length}`}</Styled>
      ) : null}
    </Box>
  );
}
