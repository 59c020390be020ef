// What every command gets: parsed global flags, output streams, colours, the clock, and a lazily
// opened cluster session (commands that never touch the cluster never load a kubeconfig).
import type { Session } from '../data/session.js';
import { palette, type Palette } from '../output/colour.js';
import { CliError, ExitCode } from './errors.js';

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

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

export function parseOutput(value: string): OutputFormat {
  const v = value.toLowerCase();
  if ((OUTPUT_FORMATS as readonly string[]).includes(v)) return v as OutputFormat;
  throw new CliError(
    ExitCode.Usage,
    `unknown output format "${value}" (use one of: ${OUTPUT_FORMATS.join(', ')})`,
  );
}

export interface ContextIO {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly isTTY: boolean;
  readonly now?: () => Date;
}

export function makeContext(globals: GlobalOptions, io: ContextIO): CommandContext {
  let session: Promise<Session> | undefined;
  return {
    globals,
    out: io.out,
    err: io.err,
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
