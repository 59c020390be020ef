/** @jsxRuntime automatic */
// `?`: the key table for the screen underneath, rendered from the one binding table.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Legend } from '../components/Legend.js';
import { Plain, Styled } from '../components/Styled.js';
import { bindingsFor, type Binding } from '../keys.js';
import { useView } from '../state/context.js';

const TITLES = {
  list: 'Pool list',
  pool: 'Pool map',
  address: 'Address detail',
  release: 'Release dialog',
} as const;

/** Bindings in two columns (one on narrow terminals), each `label  description`. */
function Lines(props: { bindings: readonly Binding[]; width: number }): ReactNode {
  const cols = props.width >= 70 ? 2 : 1;
  const colWidth = Math.floor(props.width / cols);
  const rows: Binding[][] = [];
  const perCol = Math.ceil(props.bindings.length / cols);
  for (let i = 0; i < perCol; i++) rows.push(props.bindings.filter((_, j) => j % perCol === i));
  return (
    <>
      {rows.map((row) => (
        <Box key={row.map((b) => b.action).join()}>
          {row.map((b) => (
            <Box key={b.action} width={colWidth}>
              <Plain wrap="truncate">
                <Styled token="accent">{`  ${b.label.padEnd(8)}`}</Styled>
                {b.description}
              </Plain>
            </Box>
          ))}
        </Box>
      ))}
    </>
  );
}

export function Help(): ReactNode {
  const { state, readOnly, geometry } = useView();
  const page = state.page === 'release' ? 'address' : state.page;
  return (
    <Box flexDirection="column">
      <Styled token="title">{`Keys · ${TITLES[state.page]}${readOnly ? ' · read-only (no release)' : ''}`}</Styled>
      <Lines
        width={geometry.innerWidth}
        bindings={bindingsFor(page, readOnly).filter((b) => b.action !== 'help')}
      />
      <Styled token="title">Typing (filter, find, confirm)</Styled>
      <Lines width={geometry.innerWidth} bindings={bindingsFor('prompt', readOnly)} />
      {page === 'pool' ? <Legend width={geometry.innerWidth} /> : null}
      <Styled token="muted">? or Esc closes this help</Styled>
    </Box>
  );
}
