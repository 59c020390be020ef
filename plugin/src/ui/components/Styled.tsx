/** @jsxRuntime automatic */
// Text in a semantic token's style (the only way components colour anything).
import { Text } from 'ink';
import type { ReactNode } from 'react';
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
      {props.children}
    </Text>
  );
}
