/** @jsxRuntime automatic */
// The body before the first snapshot of a namespace: what is being read, or why it cannot be read
// (an unreachable server, refused credentials) and what the user can do about it.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Styled } from '../components/Styled.js';
import { scopeText } from '../state/controller.js';
import { useView } from '../state/context.js';

export function SourceProblem(): ReactNode {
  const { state, scope } = useView();
  const where = scopeText(scope);
  if (state.sourceError === undefined)
    return <Styled token="muted">{`Reading pools${where === undefined ? '' : ` (${where})`}…`}</Styled>;
  return (
    <Box flexDirection="column">
      <Styled token="danger" wrap="wrap">
        {`✗ Cannot read pools${where === undefined ? '' : ` (${where})`}: ${state.sourceError}`}
      </Styled>
      <Box marginTop={1} flexDirection="column">
        <Styled token="muted" wrap="wrap">
          Retrying every few seconds; this screen fills in once the API server answers.
        </Styled>
        <Styled token="muted" wrap="wrap">
          Check the server and credentials: kubectl ipam pools (or kubectl cluster-info) says more.
        </Styled>
        <Styled token="muted" wrap="wrap">
          q quits · :ns NAME reads another namespace
        </Styled>
      </Box>
    </Box>
  );
}
