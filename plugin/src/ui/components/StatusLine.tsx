/** @jsxRuntime automatic */
// The line above the key hints: the active prompt, else the last message, else the data status.
import type { ReactNode } from 'react';
import { useView } from '../state/context.js';
import { Plain, Styled } from './Styled.js';

const PROMPT_LABEL = {
  filter: 'filter pools: ',
  find: 'find address: ',
  confirm: 'type the address to confirm: ',
  command: ':',
} as const;

function clock(d: Date): string {
  return d.toISOString().slice(11, 19);
}

export function StatusLine(): ReactNode {
  const { state } = useView();
  if (state.prompt !== undefined && state.prompt.kind !== 'confirm') {
    return (
      <Plain wrap="truncate">
        <Styled token="accent">{PROMPT_LABEL[state.prompt.kind]}</Styled>
        {state.prompt.text}
        <Plain inverse> </Plain>
        {state.releasing ? <Styled token="muted"> releasing…</Styled> : null}
      </Plain>
    );
  }
  if (state.message !== undefined) {
    const token = state.message.tone === 'error' ? 'danger' : state.message.tone === 'ok' ? 'ok' : 'accent';
    return (
      <Styled token={token} wrap="truncate">
        {state.message.tone === 'error' ? '✗ ' : state.message.tone === 'ok' ? '✓ ' : 'i '}
        {state.message.text}
      </Styled>
    );
  }
  if (state.sourceError !== undefined)
    return <Styled token="danger" wrap="truncate">{`✗ ${state.sourceError}`}</Styled>;
  if (state.snapshot === undefined) return <Styled token="muted">connecting…</Styled>;
  const warn = state.snapshot.warnings[0];
  return (
    <Styled token={warn === undefined ? 'muted' : 'warning'} wrap="truncate">
      {`● live · updated ${clock(state.snapshot.readAt)} UTC${state.filter !== '' ? ` · filter "${state.filter}"` : ''}${warn === undefined ? '' : ` · ${warn}`}`}
    </Styled>
  );
}
