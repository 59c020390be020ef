// The interactive browser: `runBrowser` renders it full-screen until the user quits.
// The data source is passed in, so the UI does no I/O of its own (see model/source.ts).
import { render } from 'ink';
import { createElement } from 'react';
import { unicodeCapable } from '../output/terminal.js';
import { Browser } from './app.js';
import type { BrowserDataSource } from './model/source.js';
import { noColorFromEnv } from './theme.js';

export type {
  BrowserAddress,
  BrowserClaim,
  BrowserDataSource,
  BrowserPool,
  BrowserScope,
  BrowserSnapshot,
  ReleaseOutcome,
  ReleaseTarget,
  SourceEvent,
} from './model/source.js';
export { Browser, type BrowserProps } from './app.js';
export { BINDINGS, type Binding } from './keys.js';

export interface RunBrowserOptions {
  readonly source: BrowserDataSource;
  /** Hides release everywhere. */
  readonly readOnly: boolean;
  /** Colour off (default: from NO_COLOR). */
  readonly noColor?: boolean | undefined;
  /** ASCII stand-ins (default: from TERM and the locale, output/terminal.ts unicodeCapable). */
  readonly ascii?: boolean | undefined;
  readonly stdin?: NodeJS.ReadStream | undefined;
  readonly stdout?: NodeJS.WriteStream | undefined;
  readonly stderr?: NodeJS.WriteStream | undefined;
  /** Use the alternate screen (default true; ignored when stdout is not a terminal). */
  readonly alternateScreen?: boolean | undefined;
  /** Called once, after the first frame is rendered (for the time-to-first-frame benchmark). */
  readonly onFirstFrame?: (() => void) | undefined;
}

/**
 * What Ink itself writes that the theme cannot map: the `…` of a truncated line, one column wide,
 * becomes `.` (one column too, so the layout holds).
 */
export function asciiFrame(text: string): string {
  return text.replace(/…/g, '.');
}

/** `stdout` with every frame passed through asciiFrame. */
function asciiStdout(stdout: NodeJS.WriteStream): NodeJS.WriteStream {
  return new Proxy(stdout, {
    get(target, key) {
      if (key === 'write')
        return (chunk: unknown, ...rest: unknown[]) =>
          (target.write as (c: unknown, ...r: unknown[]) => boolean)(
            typeof chunk === 'string' ? asciiFrame(chunk) : chunk,
            ...rest,
          );
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** Renders the browser and resolves when the user quits. Restores the screen on exit. */
export async function runBrowser(options: RunBrowserOptions): Promise<void> {
  const ascii = options.ascii ?? !unicodeCapable(process.env);
  const stdout = ascii ? asciiStdout(options.stdout ?? process.stdout) : (options.stdout ?? process.stdout);
  let first = options.onFirstFrame;
  const instance = render(
    createElement(Browser, {
      source: options.source,
      readOnly: options.readOnly,
      noColor: options.noColor ?? noColorFromEnv(process.env),
      ascii,
    }),
    {
      stdout,
      stdin: options.stdin ?? process.stdin,
      stderr: options.stderr ?? process.stderr,
      alternateScreen: options.alternateScreen ?? true,
      exitOnCtrlC: true,
      patchConsole: true,
      onRender: () => {
        if (first !== undefined) {
          const f = first;
          first = undefined;
          f();
        }
      },
    },
  );
  await instance.waitUntilExit();
}
