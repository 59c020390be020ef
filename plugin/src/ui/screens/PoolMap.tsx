/** @jsxRuntime automatic */
// Screen 2: the occupancy map of one pool (cells are blocks of addresses) with a side panel on the
// cell under the cursor. ⏎ zooms into a block or opens an address; - zooms out.
import { formatAddr, formatPrefix } from '@ipam-in-cluster/allocator';
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Legend } from '../components/Legend.js';
import { Plain, Styled } from '../components/Styled.js';
import { addressDetail, blockParts } from '../model/detail.js';
import { compactCount } from '../../output/counts.js';
import { fullInText, rateText } from '../../output/forecast.js';
import { blockPhrase, truncate, truncateStart } from '../model/format.js';
import type { MapCell, MapGrid, MapRow } from '../model/grid.js';
import { viewport } from '../model/list.js';
import { useView } from '../state/context.js';
import { cellGlyph, type Token } from '../theme.js';

function MapLine(props: {
  row: MapRow;
  cursor: MapCell | undefined;
  labelWidth: number;
  ascii: boolean;
}): ReactNode {
  const { row, cursor, labelWidth, ascii } = props;
  const cursorCol =
    cursor !== undefined && cursor.row === row.cells.find((c) => c !== undefined)?.row ? cursor.col : -1;
  const parts: ReactNode[] = [];
  row.cells.forEach((c, i) => {
    const lead = i === cursorCol ? '[' : i === cursorCol + 1 && cursorCol >= 0 ? ']' : ' ';
    parts.push(
      lead === ' ' ? (
        lead
      ) : (
        <Styled key={`l${i}`} token="accent">
          {lead}
        </Styled>
      ),
    );
    if (c === undefined) parts.push(' ');
    else
      parts.push(
        <Styled key={`c${i}`} token={c.state} inverse={i === cursorCol}>
          {cellGlyph(c.state, c.fill, c.size === 1n, ascii)}
        </Styled>,
      );
  });
  if (cursorCol === row.cells.length - 1)
    parts.push(
      <Styled key="end" token="accent">
        ]
      </Styled>,
    );
  return (
    <Plain wrap="truncate">
      <Styled token="muted">{truncateStart(row.label, labelWidth).padStart(labelWidth)}</Styled>
      {parts}
    </Plain>
  );
}

function scopeText(grid: MapGrid, zoomed: boolean, subnet: string | undefined): string {
  const from = formatAddr({ family: grid.family, value: grid.scope.from });
  const to = formatAddr({ family: grid.family, value: grid.scope.to });
  if (!zoomed && subnet !== undefined) return subnet;
  return from === to ? from : `${from}–${to}`;
}

function Panel(props: { width: number }): ReactNode {
  const { cell, pool, now, readOnly } = useView();
  const w = props.width;
  if (pool === undefined) return null;
  const c = pool.counts;
  const summary = (
    <Box flexDirection="column" marginTop={1}>
      <Styled token="title">pool</Styled>
      <Plain wrap="truncate">{`used ${compactCount(c.used)} of ${compactCount(c.total)}`}</Plain>
      <Plain wrap="truncate">{`free ${compactCount(c.free)}${c.outOfRange > 0n ? ` · out of range ${compactCount(c.outOfRange)}` : ''}`}</Plain>
      {pool.forecast?.daysToExhaustion === undefined ? null : (
        <Styled
          token="warning"
          wrap="truncate"
        >{`${pool.forecast.daysToExhaustion <= 0 ? 'full now' : `full in ${fullInText(pool.forecast)}`} (${rateText(pool.forecast.netAllocationsPerHour)})`}</Styled>
      )}
    </Box>
  );
  if (cell === undefined) return <Box flexDirection="column">{summary}</Box>;
  if (cell.size > 1n) {
    return (
      <Box flexDirection="column" width={w}>
        <Styled token="title" wrap="truncate">
          {truncate(cell.startText, w)}
        </Styled>
        <Styled token="muted" wrap="truncate">{`– ${cell.endText}`}</Styled>
        <Plain wrap="truncate">{blockPhrase(cell.size, cell.family)}</Plain>
        {cell.orphans > 0 ? (
          <Styled token="orphan" wrap="truncate">{`${String(cell.orphans).padStart(6)} orphaned`}</Styled>
        ) : null}
        {cell.held !== undefined ? (
          <Plain wrap="truncate">
            <Styled token="held">{compactCount(cell.held).padStart(6)}</Styled>
            {' in reservations'}
          </Plain>
        ) : null}
        {blockParts(cell.block).map((p) => (
          <Plain key={p.label} wrap="truncate">
            <Styled
              token={
                p.label === 'allocated'
                  ? 'allocated'
                  : p.label === 'out of range'
                    ? 'out-of-range'
                    : (p.label as Token)
              }
            >
              {compactCount(p.value).padStart(6)}
            </Styled>
            {` ${p.label}`}
          </Plain>
        ))}
        <Styled token="muted">⏎ zoom in</Styled>
        {summary}
      </Box>
    );
  }
  const d = addressDetail(pool, cell.startText, now);
  const h = d?.holders[0];
  const r = cell.state === 'held' ? d?.reservations[0] : undefined;
  return (
    <Box flexDirection="column" width={w}>
      <Styled token="title" wrap="truncate">
        {cell.startText}
      </Styled>
      <Styled token={cell.state} wrap="truncate">
        {cell.state === 'orphan'
          ? 'orphan: claim gone'
          : cell.state === 'held'
            ? 'reserved (held)'
            : (d?.verdict ?? cell.state)}
      </Styled>
      {r !== undefined ? <Plain wrap="truncate">{`by ${r.namespace}/${r.name}`}</Plain> : null}
      {h !== undefined ? (
        <>
          <Plain wrap="truncate">{`claim   ${h.namespace === pool.key.namespace ? h.claim.slice(h.namespace.length + 1) : h.claim}`}</Plain>
          <Plain wrap="truncate">{`machine ${h.machine ?? '—'}`}</Plain>
          <Plain wrap="truncate">{`since   ${h.age}`}</Plain>
          {d !== undefined && d.holders.length > 1 ? (
            <Styled token="warning">{`${d.holders.length} holders!`}</Styled>
          ) : null}
        </>
      ) : null}
      <Styled
        token="muted"
        wrap="truncate"
      >{`⏎ explain${h !== undefined && !readOnly ? '  r release' : ''}`}</Styled>
      {summary}
    </Box>
  );
}

export function PoolMap(): ReactNode {
  const { pool, grid, cell, geometry, state, theme } = useView();
  if (pool === undefined) return <Styled token="danger">{`Pool ${state.poolId ?? ''} is gone.`}</Styled>;
  if (grid === undefined)
    return <Styled token="danger">{`${pool.id}: ${pool.error ?? 'no addresses to show'}`}</Styled>;
  const zoomed = state.zoom.length > 1;
  const subnet =
    pool.type === 'prefix'
      ? pool.prefixLayout?.prefixEntries.map(formatPrefix).join(',')
      : pool.layout?.subnet === undefined
        ? undefined
        : `${formatAddr(pool.layout.subnet)}/${pool.layout.subnet.bits}`;
  const title = [
    pool.id,
    scopeText(grid, zoomed, subnet),
    pool.type === 'prefix'
      ? `1 cell = 1 /${pool.prefixLayout?.allocationPrefixLength ?? '?'} prefix`
      : `1 cell = ${blockPhrase(grid.blockSize, grid.family)}`,
    grid.sparse ? (pool.type === 'prefix' ? 'populated only' : 'populated blocks only') : undefined,
    zoomed ? `zoom ${state.zoom.length - 1}` : undefined,
  ]
    .filter((x) => x !== undefined)
    .join(' · ');
  const cursorRow = cell?.row ?? 0;
  const pageRows = grid.rows.length > geometry.mapRows ? geometry.mapRows - 1 : geometry.mapRows;
  const { start, end } = viewport(cursorRow, grid.rows.length, pageRows);
  const header = Array.from({ length: grid.perRow }, (_, i) => ` ${(i % 16).toString(16)}`).join('');
  return (
    <Box flexDirection="column" height={geometry.bodyRows}>
      <Styled token="title" wrap="truncate">
        {truncate(title, geometry.innerWidth)}
      </Styled>
      <Box>
        <Box flexDirection="column" width={geometry.mapWidth}>
          <Styled token="muted" wrap="truncate">
            {' '.repeat(geometry.labelWidth) + header}
          </Styled>
          {grid.rows.slice(start, end).map((r) => (
            <MapLine
              key={r.start.toString()}
              row={r}
              cursor={cell}
              labelWidth={geometry.labelWidth}
              ascii={theme.ascii}
            />
          ))}
          {grid.rows.length > geometry.mapRows ? (
            <Styled token="muted">{`${' '.repeat(geometry.labelWidth)} rows ${start + 1}–${end} of ${grid.rows.length}${grid.truncated ? '+' : ''}`}</Styled>
          ) : null}
        </Box>
        <Box width={2} />
        <Panel width={geometry.panelWidth} />
      </Box>
      <Box flexGrow={1} />
      <Legend width={geometry.innerWidth} />
    </Box>
  );
}
