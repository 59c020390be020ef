/** @jsxRuntime automatic */
// Screen 4: force-release behind a typed confirmation, with who holds the address and a plain warning.
import { Box, Text } from 'ink';
import type { ReactNode } from 'react';
import { Styled } from '../components/Styled.js';
import { useView } from '../state/context.js';
import { HolderLines } from './AddressDetail.js';

export function ReleaseDialog(): ReactNode {
  const { state, releaseHolders, theme, geometry } = useView();
  const address = state.address ?? '';
  const typed = state.prompt?.text ?? '';
  const matches = typed.trim() === address;
  return (
    <Box
      flexDirection="column"
      borderStyle="double"
      borderColor={theme.styles.danger.color}
      paddingX={1}
      width={Math.min(geometry.innerWidth, 90)}
    >
      <Styled token="danger">{`Force-release ${address}`}</Styled>
      <Text wrap="wrap">{`This deletes ${releaseHolders.length === 1 ? 'the IPAddress' : `${releaseHolders.length} IPAddresses`} holding it (removing the protecting finalizer):`}</Text>
      {releaseHolders.map((h) => (
        <HolderLines key={`${h.namespace}/${h.name}`} holder={h} />
      ))}
      <Box marginTop={1}>
        <Styled token="warning" wrap="wrap">
          {`⚠ The machine may still be using ${address}. Releasing does not touch the machine: the pool can hand the address to another claim at once, and two machines would then share it.`}
        </Styled>
      </Box>
      <Box marginTop={1}>
        <Text wrap="truncate">
          {'Type '}
          <Styled token="title">{address}</Styled>
          {' and press ⏎ to release, Esc to cancel.'}
        </Text>
      </Box>
      <Text wrap="truncate">
        <Styled token="accent">{'> '}</Styled>
        {typed}
        <Text inverse> </Text>
        {'  '}
        {state.releasing ? (
          <Styled token="muted">releasing…</Styled>
        ) : matches ? (
          <Styled token="danger">⏎ releases</Styled>
        ) : null}
      </Text>
    </Box>
  );
}
