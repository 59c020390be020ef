/** @jsxRuntime automatic */
// A utilisation bar: eighth-block precision, `░` for the empty part (readable without colour).
import type { ReactNode } from 'react';
import type { Token } from '../theme.js';
import { Styled } from './Styled.js';

const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/** The bar as text, exactly `width` columns. A non-zero share never draws as empty. */
export function barText(fraction: number, width: number): { filled: string; empty: string } {
  const f = Math.min(1, Math.max(0, fraction));
  let eighths = Math.round(f * width * 8);
  if (f > 0 && eighths === 0) eighths = 1;
  if (f < 1 && eighths === width * 8) eighths -= 1;
  const full = Math.floor(eighths / 8);
  const part = EIGHTHS[eighths % 8] ?? '';
  const filled = '█'.repeat(full) + part;
  return { filled, empty: '░'.repeat(Math.max(0, width - full - (part === '' ? 0 : 1))) };
}

export function Bar(props: { fraction: number; width: number; token: Token }): ReactNode {
  const { filled, empty } = barText(props.fraction, props.width);
  return (
    <>
      <Styled token={props.token}>{filled}</Styled>
      <Styled token="muted">{empty}</Styled>
    </>
  );
}
