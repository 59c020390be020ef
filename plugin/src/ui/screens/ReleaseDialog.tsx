/** @jsxRuntime automatic */
// Screen 4: force-release behind a typed confirmation, with who holds the address and a plain warning.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { releaseConfirmation } from '../../data/release-rule.js';
import { Plain, Styled } from '../components/Styled.js';
import { useView } from '../state/context.js';
import { HolderLines } from './AddressDetail.js';

/**
 * What is wrong with the text typed so far, as soon as it cannot become the confirmation: the bare
 * address where `force ADDRESS` is needed, or something else. Nothing while it is still a prefix.
 */
export function mismatch(typed: string, expected: string, address: string): string | undefined {
  if (typed === '' || expected.startsWith(typed)) return undefined;
  if (typed === address && expected !== address) return `✗ its claim exists: type ${expected}`;
  return `✗ does not match ${expected}`;
}

export function ReleaseDialog(): ReactNode {
  const { state, releaseHolders, theme, geometry, glyphs, detail } = useView();
  const address = state.address ?? '';
  // An address a reservation names is held for it once released: no other claim gets it.
  const kept = detail?.reservations ?? [];
  const typed = state.prompt?.text ?? '';
  // The same rule as `kubectl ipam release`: a live claim needs the extra confirmation (--force).
  const live = releaseHolders.filter((h) => h.release.needsForce);
  const expected = releaseConfirmation(address, live.length > 0);
  const matches = typed.trim() === expected;
  const feedback = mismatch(typed.trim(), expected, address);
  return (
    <Box
      flexDirection="column"
      borderStyle={theme.ascii ? 'classic' : 'double'}
      borderColor={theme.styles.danger.color}
      paddingX={1}
      width={Math.min(geometry.innerWidth, 90)}
    >
      <Styled token="danger">{`Force-release ${address}`}</Styled>
      <Plain wrap="wrap">{`Deletes ${releaseHolders.length === 1 ? 'the IPAddress' : `the ${releaseHolders.length} IPAddresses`} holding it (removes the protecting finalizer):`}</Plain>
      {releaseHolders.map((h) => (
        <HolderLines key={`${h.namespace}/${h.name}`} holder={h} />
      ))}
      <Box marginTop={1} flexDirection="column">
        {releaseHolders.flatMap((h) =>
          h.release.consequence === undefined
            ? []
            : [
                <Styled
                  key={`${h.namespace}/${h.name}`}
                  token={h.release.needsForce ? 'danger' : 'warning'}
                  wrap="wrap"
                >
                  {`⚠ ${h.release.consequence.replace(/^its c/, 'C')}.`}
                </Styled>,
              ],
        )}
        {kept.length > 0 ? (
          <Styled token="warning" wrap="wrap">
            {`⚠ The machine may still be using ${address}: releasing does not touch it; it stays reserved by ${kept.map((r) => `${r.namespace}/${r.name}`).join(', ')}, so no claim gets it (kubectl ipam unreserve frees it).`}
          </Styled>
        ) : (
          <Styled token="warning" wrap="wrap">
            {`⚠ The machine may still be using ${address}: releasing does not touch it, and the pool can hand the address to another claim at once.`}
          </Styled>
        )}
      </Box>
      <Box marginTop={1}>
        <Plain wrap="truncate">
          {'Type '}
          <Styled token="title">{expected}</Styled>
          {live.length > 0
            ? ' and press ⏎ to release anyway, Esc to cancel.'
            : ' and press ⏎ to release, Esc to cancel.'}
        </Plain>
      </Box>
      <Plain wrap="truncate">
        <Styled token="accent">{'> '}</Styled>
        {glyphs(typed)}
        <Plain inverse> </Plain>
        {'  '}
        {state.releasing ? (
          <Styled token="muted">releasing…</Styled>
        ) : matches ? (
          <Styled token="danger">⏎ releases</Styled>
        ) : feedback !== undefined ? (
          <Styled token="warning">{feedback}</Styled>
        ) : null}
      </Plain>
    </Box>
  );
}
