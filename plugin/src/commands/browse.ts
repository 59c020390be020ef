// kubectl ipam browse: the Ink browser (src/ui), loaded dynamically so the other commands never load
// ink and react (in the bundle it is a chunk of its own; the standalone binary leaves it out).
//
// Time to first frame: the browser is drawn ("connecting…") before the Kubernetes client is even
// loaded (~0.3 s of module loading); the session and the live source (watches) come up behind it.
// The header's context name is read from the kubeconfig text meanwhile (see ./kubeconfig-peek.ts).
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import type { LiveEvent, LiveSource } from '../data/live.js';
import { peekContext } from './kubeconfig-peek.js';

export interface BrowseOptions {
  readonly readOnly: boolean;
}

type ReleaseTarget = Parameters<LiveSource['release']>[0];
type ReleaseResult = Awaited<ReturnType<LiveSource['release']>>;

/** A namespace, or every namespace (the browser's `:ns`). */
export interface BrowseScope {
  readonly namespace: string | undefined;
  readonly allNamespaces: boolean;
}

/** The source handed to the browser; what src/ui/index.ts's runBrowser expects (BrowserDataSource). */
export interface DeferredSource {
  readonly context: string | undefined;
  /** -n / -A as given (the namespace is undefined until the session resolves the context's). */
  readonly scope: BrowseScope;
  subscribe(listener: (event: LiveEvent) => void, scope?: BrowseScope): () => void;
  release(target: ReleaseTarget): Promise<ReleaseResult>;
}

/** What src/ui/index.ts is expected to export (documented in plugin/README.md). */
export interface BrowserModule {
  runBrowser(options: {
    source: DeferredSource;
    readOnly: boolean;
    noColor: boolean;
    ascii?: boolean;
    onFirstFrame?: () => void;
  }): Promise<void>;
}

function isBrowserModule(m: unknown): m is BrowserModule {
  return (
    typeof m === 'object' && m !== null && typeof (m as { runBrowser?: unknown }).runBrowser === 'function'
  );
}

const RETRY_MS = 3000;

/**
 * A source that opens the session (and loads the Kubernetes client) only once `start` resolves —
 * after the first frame — and retries every few seconds while that fails (no cluster yet, expired
 * credentials), showing the error meanwhile. Each subscription reads one scope: the browser
 * subscribes again with another namespace to switch (`:ns`); the session is shared.
 */
export function deferredSource(
  ctx: CommandContext,
  context: string | undefined,
  start: Promise<void>,
): DeferredSource {
  let opened: LiveSource | undefined;
  const defaultScope: BrowseScope = {
    namespace: ctx.globals.allNamespaces ? undefined : ctx.globals.namespace,
    allNamespaces: ctx.globals.allNamespaces,
  };
  const open = async (scope: BrowseScope | undefined): Promise<LiveSource> => {
    const [session, { createLiveSource }] = await Promise.all([ctx.session(), import('../data/live.js')]);
    const all = scope?.allNamespaces ?? ctx.globals.allNamespaces;
    return createLiveSource(session, {
      namespace: all ? session.namespace : (scope?.namespace ?? session.namespace),
      allNamespaces: all,
    });
  };
  let live: Promise<LiveSource> | undefined;
  return {
    get context() {
      return opened?.context ?? context;
    },
    scope: defaultScope,
    subscribe(listener, scope) {
      let closed = false;
      let unsubscribe: (() => void) | undefined;
      let retry: NodeJS.Timeout | undefined;
      const attempt = (): void => {
        const mine = open(scope);
        live = mine;
        mine.then(
          (source) => {
            if (closed) return;
            opened = source;
            unsubscribe = source.subscribe(listener);
          },
          (error: unknown) => {
            if (live === mine) live = undefined;
            ctx.resetSession();
            if (closed) return;
            listener({ type: 'error', message: error instanceof Error ? error.message : String(error) });
            retry = setTimeout(attempt, RETRY_MS);
          },
        );
      };
      void start.then(() => {
        if (!closed) attempt();
      });
      return () => {
        closed = true;
        clearTimeout(retry);
        unsubscribe?.();
      };
    },
    async release(target) {
      const source = await (live ?? Promise.reject(new Error('not connected to the cluster yet')));
      return source.release(target);
    },
  };
}

export async function runBrowse(ctx: CommandContext, options: BrowseOptions): Promise<void> {
  // Ink needs a terminal on both sides (raw keys in, frames out); without one it would only throw.
  if (!ctx.isTTY || !process.stdin.isTTY)
    throw new CliError(ExitCode.Usage, 'browse needs an interactive terminal; try kubectl ipam pools');
  let mod: unknown;
  try {
    mod = await import('../ui/index.js');
  } catch {
    mod = undefined;
  }
  if (!isBrowserModule(mod)) {
    throw new CliError(ExitCode.Error, 'the interactive browser is not available in this build', {
      hint: 'use kubectl ipam pools | explain | inspect | doctor | release (see kubectl ipam --help)',
    });
  }
  let firstFrame!: () => void;
  const drawn = new Promise<void>((resolve) => {
    firstFrame = resolve;
  });
  // Let the frame reach the terminal before module loading blocks the event loop.
  const afterFrame = drawn.then(() => new Promise<void>((resolve) => setTimeout(resolve, 0)));
  const source = deferredSource(ctx, peekContext(ctx.globals, process.env), afterFrame);
  await mod.runBrowser({
    source,
    readOnly: options.readOnly,
    noColor: !ctx.globals.colour,
    ascii: !ctx.globals.unicode,
    onFirstFrame: firstFrame,
  });
}
