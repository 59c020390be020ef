/** @jsxRuntime automatic */
// Screen 3: why an address is what it is (the allocator's explanation) and who holds it.
import { Box } from 'ink';
import type { ReactNode } from 'react';
import { Plain, Styled } from '../components/Styled.js';
import type { HolderView, ReasonMark } from '../model/detail.js';
import { useView } from '../state/context.js';
import type { Token } from '../theme.js';

const MARK: Record<ReasonMark, { glyph: string; token: Token }> = {
  ok: { glyph: '✓', token: 'ok' },
  no: { glyph: '✗', token: 'critical' },
  use: { glyph: '●', token: 'allocated' },
  warn: { glyph: '!', token: 'out-of-range' },
};

export function HolderLines(props: { holder: HolderView }): ReactNode {
  const h = props.holder;
  return (
    <Box flexDirection="column">
      <Plain wrap="truncate">
        <Styled token="muted">{'IPAddress  '}</Styled>
        {`${h.namespace}/${h.name}`}
        {h.deleting ? <Styled token="warning"> (deleting)</Styled> : null}
      </Plain>
      <Plain wrap="truncate">
        <Styled token="muted">{'claim      '}</Styled>
        {h.claim}
        {h.claimExists ? '' : <Styled token="warning"> (not found)</Styled>}
      </Plain>
      <Plain wrap="truncate">
        <Styled token="muted">{'machine    '}</Styled>
        {h.machine ?? '—'}
      </Plain>
      <Plain wrap="truncate">
        <Styled token="muted">{'cluster    '}</Styled>
        {h.cluster ?? '—'}
      </Plain>
      <Plain wrap="truncate">
        <Styled token="muted">{'age        '}</Styled>
        {h.age}
        <Styled token="muted">{'   finalizers '}</Styled>
        {h.finalizers.length === 0 ? '—' : h.finalizers.join(', ')}
      </Plain>
    </Box>
  );
}

export function AddressDetail(): ReactNode {
  const { detail, state, pool, readOnly } = useView();
  if (detail === undefined)
    return (
      <Styled token="danger">{`${state.address ?? ''}: cannot explain (pool ${pool?.id ?? state.poolId ?? ''} is gone or invalid)`}</Styled>
    );
  return (
    <Box flexDirection="column">
      <Styled token="title" wrap="wrap">
        {detail.headline}
      </Styled>
      {detail.reasons.map((r, i) => (
        <Plain key={`${i}-${r.text}`} wrap="truncate">
          {'  '}
          <Styled token={MARK[r.mark].token}>{MARK[r.mark].glyph}</Styled> {r.text}
        </Plain>
      ))}
      {detail.holders.map((h) => (
        <Box key={`${h.namespace}/${h.name}`} marginTop={1}>
          <HolderLines holder={h} />
        </Box>
      ))}
      {detail.holders.length > 0 && !readOnly ? (
        <Box marginTop={1}>
          <Styled token="muted">r force-release this address (asks you to type it)</Styled>
        </Box>
      ) : null}
    </Box>
  );
}
