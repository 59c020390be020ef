/** @jsxRuntime automatic */
// Text in a semantic token's style (the only way components colour anything). Plain strings are
// passed through the theme's text form, so that an ASCII-only terminal gets stand-ins (ADR 0020).
import { Text } from 'ink';
import { Children, type ReactNode } from 'react';
import { useView } from '../state/context.js';
import type { Token } from '../theme.js';

export function Styled(props: {
  token: Token;
  children: ReactNode;
  inverse?: boolean;
  wrap?: 'truncate' | 'wrap';
}): ReactNode {
  const { theme } = useView();
  const s = theme.styles[props.token];
  return (
    <Text color={s.color} bold={s.bold} dimColor={s.dimColor} inverse={props.inverse} wrap={props.wrap}>
      {Children.map(props.children, (c) => (typeof c === 'string' ? theme.text(c) : c))}
    </Text>
  );
}

/** Unstyled text, with the same ASCII stand-ins as Styled. */
export function Plain(props: {
  children: ReactNode;
  wrap?: 'truncate' | 'wrap';
  inverse?: boolean;
}): ReactNode {
  const { theme } = useView();
  return (
    <Text wrap={props.wrap} inverse={props.inverse}>
      {Children.map(props.children, (c) => (typeof c === 'string' ? theme.text(c) : c))}
    </Text>
  );
}
