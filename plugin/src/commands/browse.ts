// kubectl ipam browse: the Ink browser, provided by src/ui (another engineer) as
// `runBrowser(options)` exported from src/ui/index.ts. Loaded dynamically so the CLI builds and
// runs without it; until it exists, a clear message.
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../cli/errors.js';
import { createLiveSource } from '../data/live.js';

export interface BrowseOptions {
  readonly readOnly: boolean;
}

/** What src/ui/index.ts is expected to export (documented in plugin/README.md). */
export interface BrowserModule {
  runBrowser(options: { source: ReturnType<typeof createLiveSource>; readOnly: boolean; noColor: boolean }): Promise<void>;
}

function isBrowserModule(m: unknown): m is BrowserModule {
  return typeof m === 'object' && m !== null && typeof (m as { runBrowser?: unknown }).runBrowser === 'function';
}

export async function runBrowse(ctx: CommandContext, options: BrowseOptions): Promise<void> {
  let mod: unknown;
  try {
    mod = await import(new URL('../ui/index.js', import.meta.url).href);
  } catch {
    mod = undefined;
  }
  if (!isBrowserModule(mod)) {
    throw new CliError(ExitCode.Error, 'the interactive browser is not available yet in this build', {
      hint: 'use kubectl ipam pools | explain | inspect | doctor | release (see kubectl ipam --help)',
    });
  }
  const session = await ctx.session();
  const source = createLiveSource(session, { namespace: session.namespace, allNamespaces: ctx.globals.allNamespaces });
  await mod.runBrowser({ source, readOnly: options.readOnly, noColor: !ctx.globals.colour });
}
