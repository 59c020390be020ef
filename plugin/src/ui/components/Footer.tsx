/** @jsxRuntime automatic */
// Key hints from the binding table, for the current screen (or the active prompt).
import type { ReactNode } from 'react';
import { footerHints } from '../keys.js';
import { useView } from '../state/context.js';
import { Plain, Styled } from './Styled.js';

export function Footer(): ReactNode {
  const { screen, state, readOnly } = useView();
  const hints = footerHints(state.prompt === undefined ? screen : 'prompt', readOnly);
  return (
    <Plain wrap="truncate">
      {hints.map((h, i) => (
        <Plain key={h.hint}>
          {i > 0 ? '  ' : ''}
          <Styled token="accent">{h.label}</Styled> {h.hint}
        </Plain>
      ))}
      {readOnly ? <Styled token="muted"> [read-only]</Styled> : null}
    </Plain>
  );
}
