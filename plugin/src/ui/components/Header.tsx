/** @jsxRuntime automatic */
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { useView } from '../state/context.js';
import { Styled } from './Styled.js';

export function Header(): ReactNode {
  const { context, state, geometry } = useView();
  const pools = state.snapshot?.pools.length;
  const left = [
    'kubectl ipam',
    context === undefined ? undefined : `context ${context}`,
    pools === undefined ? undefined : `${pools} pool${pools === 1 ? '' : 's'}`,
  ]
    .filter((x) => x !== undefined)
    .join(' · ');
  return (
    <Box width={geometry.columns} justifyContent="space-between">
      <Text wrap="truncate">
        <Styled token="title">{left}</Styled>
      </Text>
      <Text>
        <Styled token="accent">?</Styled> help{' '}
      </Text>
    </Box>
  );
}
