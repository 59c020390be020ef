// What every command gets: parsed global flags, output streams, colours, the clock, and a lazily
// opened cluster session (commands that never touch the cluster never load a kubeconfig).
import type { Session } from '../data/session.js';
import { palette, type Palette } from '../output/colour.js';
import { toAscii } from '../output/terminal.js';
import type { OutputChoice, OutputFormat, OutputSpec } from '../output/formats.js';

/** The -o choices each command takes; anything else (e.g. `-o wide` where it changes nothing) exits 2. */
export const COMMAND_OUTPUTS: Readonly<Record<string, readonly OutputChoice[]>> = {
  pools: ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath', 'csv'],
  doctor: ['table', 'wide', 'json', 'yaml', 'name', 'jsonpath'],
  inspect: ['table', 'json', 'yaml', 'name', 'jsonpath'],
  explain: ['table', 'json', 'yaml', 'jsonpath'],
  release: ['table', 'json', 'yaml', 'jsonpath'],
  browse: ['table'],
  completion: ['table'],
  reserve: ['table', 'json', 'yaml', 'jsonpath'],
  unreserve: ['table', 'json', 'yaml', 'jsonpath'],
};

export interface GlobalOptions {
  readonly kubeconfig: string | undefined;
  readonly context: string | undefined;
  readonly namespace: string | undefined;
  readonly allNamespaces: boolean;
  readonly as: string | undefined;
  readonly asGroup: readonly string[];
  readonly output: OutputFormat;
  /** --request-timeout in milliseconds; 0 (kubectl's default) waits as long as the server takes. */
  readonly requestTimeoutMs: number;
  /** What -o asked for (output is `json` for `name` and `jsonpath`). */
  readonly outputSpec: OutputSpec;
  /** Columns text and tables fit (terminal.ts: $COLUMNS, the terminal, else 80). */
  readonly width: number;
  /** Whether `width` is the reader's ($COLUMNS or a terminal): prose is wrapped only then. */
  readonly widthKnown: boolean;
  /** Whether block and mark characters can be shown; without, table/text output is ASCII. */
  readonly unicode: boolean;
  /** false with --no-color or NO_COLOR, or when stdout is not a terminal. */
  readonly colour: boolean;
  readonly verbose: boolean;
}

export interface CommandContext {
  readonly globals: GlobalOptions;
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly palette: Palette;
  readonly now: () => Date;
  readonly isTTY: boolean;
  session(): Promise<Session>;
  /** Forgets a session that failed to open, so the next session() tries again. */
  resetSession(): void;
}

export interface ContextIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTTY: boolean;
  readonly now?: () => Date;
}

/** What the program reads from its process: the context's streams, the environment, the terminal. */
export interface ProgramIO extends ContextIO {
  readonly env: NodeJS.ProcessEnv;
  /** The terminal's width when stdout is one (process.stdout.columns). */
  readonly columns?: number | undefined;
}

export function makeContext(globals: GlobalOptions, io: ContextIO): CommandContext {
  let session: Promise<Session> | undefined;
  return {
    globals,
    // Table and text output in ASCII when the terminal cannot draw our characters; documents never.
    out:
      !globals.unicode && (globals.output === 'table' || globals.output === 'wide')
        ? (s) => {
            io.out(toAscii(s));
          }
        : io.out,
    err: globals.unicode
      ? io.err
      : (s) => {
          io.err(toAscii(s));
        },
    palette: palette(globals.colour),
    now: io.now ?? (() => new Date()),
    isTTY: io.isTTY,
    session: () => {
      // Loaded here, not at the top: the session module brings in the Kubernetes client (~0.3 s).
      session ??= import('../data/session.js').then(({ openSession }) =>
        openSession({
          kubeconfig: globals.kubeconfig,
          context: globals.context,
          as: globals.as,
          asGroups: globals.asGroup,
          namespace: globals.namespace,
          requestTimeoutMs: globals.requestTimeoutMs,
        }),
      );
      return session;
    },
    resetSession: () => {
      session = undefined;
    },
  };
}
