/** @jsxRuntime automatic */
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { scopeText } from '../state/controller.js';
import { useView } from '../state/context.js';
import { Plain, Styled } from './Styled.js';

/** `kubectl ipam · context mgmt · namespace capi-a · 3 pools`, and `? help` on the right. */
export function Header(): ReactNode {
  const { context, state, geometry, scope } = useView();
  const pools = state.snapshot?.pools.length;
  const left = [
    'kubectl ipam',
    context === undefined ? undefined : `context ${context}`,
    scopeText(scope),
    pools === undefined ? undefined : `${pools} pool${pools === 1 ? '' : 's'}`,
  ]
    .filter((x) => x !== undefined)
    .join(' · ');
  return (
    <Box width={geometry.columns} justifyContent="space-between">
      <Box flexShrink={1}>
        <Plain wrap="truncate">
          <Styled token="title">{left}</Styled>
        </Plain>
      </Box>
      <Box flexShrink={0}>
        <Plain>
          {' '}
          <Styled token="accent">?</Styled> help{' '}
        </Plain>
      </Box>
    </Box>
  );
}
