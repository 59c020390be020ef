/** @jsxRuntime automatic */
// Frame-test helpers around ink-testing-library: render the browser at a size, send keys and wait
// for React and Ink to flush (yield after render and after every key; a lone Esc is buffered by Ink).
import { render } from 'ink-testing-library';
import { Browser } from '../app.js';
import { asciiFrame } from '../index.js';
import type { BrowserDataSource } from '../model/source.js';
import { READ_AT } from './fixtures.js';

export const KEY = {
  up: '\u001B[A',
  down: '\u001B[B',
  right: '\u001B[C',
  left: '\u001B[D',
  enter: '\r',
  escape: '\u001B',
  backspace: '\u007F',
  pageDown: '\u001B[6~',
  pageUp: '\u001B[5~',
  home: '\u001B[H',
  end: '\u001B[F',
} as const;

export const SIZES = [
  { name: '80x24', columns: 80, rows: 24 },
  { name: '100x40', columns: 100, rows: 40 },
] as const;

// eslint-disable-next-line no-control-regex -- matching ANSI escape sequences is the point
const ANSI = /\u001B\[[0-9;?]*[ -/]*[@-~]/g;

export function strip(s: string | undefined): string {
  return (s ?? '').replace(ANSI, '');
}

export function tick(ms = 15): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface Harness {
  frame(): string;
  /** Waits until Ink has written no new frame for a while (after a key, a push, a release). */
  settle(minMs?: number): Promise<void>;
  press(...keys: string[]): Promise<void>;
  typeText(text: string): Promise<void>;
  quits: number;
  unmount(): void;
}

export async function renderBrowser(
  source: BrowserDataSource,
  opts: { columns?: number; rows?: number; readOnly?: boolean; noColor?: boolean; ascii?: boolean } = {},
): Promise<Harness> {
  const h = {
    quits: 0,
  } as Harness;
  const r = render(
    <Browser
      source={source}
      readOnly={opts.readOnly ?? false}
      noColor={opts.noColor ?? true}
      ascii={opts.ascii ?? false}
      columns={opts.columns ?? 80}
      rows={opts.rows ?? 24}
      now={() => READ_AT}
      onQuit={() => {
        h.quits++;
      }}
    />,
  );
  // ASCII: what runBrowser's stdout does to Ink's own `…` (index.ts asciiFrame).
  h.frame = () => (opts.ascii === true ? asciiFrame(strip(r.lastFrame())) : strip(r.lastFrame()));
  // Polling, not sleeping: wait for at least `minMs`, then until no frame arrived for QUIET ms.
  h.settle = async (minMs = 10) => {
    const QUIET = 45; // Ink renders at most 30 frames a second: one frame interval plus slack
    const start = Date.now();
    const before = r.frames.length;
    let count = before;
    let changed = Date.now();
    while (Date.now() - start < 2000) {
      await tick(5);
      if (r.frames.length !== count) {
        count = r.frames.length;
        changed = Date.now();
      }
      // A lone Esc is flushed by a timer inside Ink: give it up to 300 ms to show an effect.
      const waited = count > before ? minMs : Math.max(minMs, escapePending ? 300 : 0);
      if (Date.now() - start >= waited && Date.now() - changed >= QUIET && count > 0) return;
    }
  };
  let escapePending = false;
  h.press = async (...keys: string[]) => {
    for (const k of keys) {
      r.stdin.write(k);
      // Ink holds a lone Esc briefly to tell it from the start of an escape sequence.
      escapePending = k === KEY.escape;
      await h.settle(k === KEY.escape ? 50 : 10);
      escapePending = false;
    }
  };
  h.typeText = async (text: string) => {
    for (const ch of text) {
      r.stdin.write(ch);
      await tick(2);
    }
    await h.settle();
  };
  h.unmount = () => {
    r.unmount();
  };
  await h.settle(20);
  // A source that answers on subscribe does so from an effect after the first frame; on a loaded
  // machine that can come later than the quiet period above: wait for its snapshot (up to 5 s).
  const answers = (source as { emitOnSubscribe?: boolean }).emitOnSubscribe === true;
  for (const until = Date.now() + 5000; answers && /connecting…/.test(h.frame()) && Date.now() < until;)
    await h.settle(20);
  return h;
}
