// A real terminal for whole-program tests of the browser: one tmux session per test, keys sent with
// send-keys, the screen read with capture-pane, and polling (never sleeping) for what should appear.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { repoRoot } from '../cluster/paths.js';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** The built plugin launcher (build first: `npm run build`). */
export const KUBECTL_IPAM = join(repoRoot, 'plugin', 'bin', 'kubectl-ipam');
export const PLUGIN_MAIN = join(repoRoot, 'plugin', 'dist', 'main.js');

export function pluginBuilt(): boolean {
  return existsSync(PLUGIN_MAIN) && existsSync(join(repoRoot, 'plugin', 'dist', 'ui', 'index.js'));
}

function quote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export class TmuxSession {
  readonly name: string;
  #alive = true;

  private constructor(name: string) {
    this.name = name;
  }

  /** Starts `argv` in a detached session of the given size, with CI=false so Ink is interactive. */
  static async start(
    argv: readonly string[],
    opts: { columns?: number; rows?: number; env?: Record<string, string> } = {},
  ): Promise<TmuxSession> {
    const name = `ipam-tui-${randomBytes(4).toString('hex')}`;
    const env = { CI: 'false', TERM: 'xterm-256color', ...opts.env };
    // -u NODE_OPTIONS: the test runner's --conditions=source must not make the built program load .ts sources.
    const command = `env -u NODE_OPTIONS ${Object.entries(env)
      .map(([k, v]) => `${k}=${quote(v)}`)
      .join(' ')} ${argv.map(quote).join(' ')}`;
    await run('tmux', [
      'new-session',
      '-d',
      '-s',
      name,
      '-x',
      String(opts.columns ?? 100),
      '-y',
      String(opts.rows ?? 30),
      command,
    ]);
    // Keep the pane after the program exits, so a crash leaves its message readable.
    await run('tmux', ['set-option', '-t', name, 'remain-on-exit', 'on']).catch(() => undefined);
    return new TmuxSession(name);
  }

  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-t', this.name]);
    return stdout;
  }

  /**
   * How often the screen draws `glyph` in the foreground colour of SGR code `sgr` (e.g. 95,
   * magentaBright) or of its 256-colour form (`38;5;index256`), with the screen as captured with
   * its escape sequences (for the failure message).
   */
  async painted(glyph: string, sgr: number, index256: number): Promise<{ count: number; screen: string }> {
    const { stdout } = await run('tmux', ['capture-pane', '-p', '-e', '-t', this.name]);
    // ESC [ …; code m, then the glyph: the colour is set right before it is drawn.
    const colour = new RegExp(
      `\u001B\\[(?:[0-9;]*;)?(?:${String(sgr)}|38;5;${String(index256)})m${glyph}`,
      'g',
    );
    return { count: stdout.match(colour)?.length ?? 0, screen: stdout };
  }

  /** Sends keys by tmux name (`Enter`, `Escape`, `Down`) or literally with `literal: true`. */
  async keys(keys: readonly string[], literal = false): Promise<void> {
    await run('tmux', ['send-keys', '-t', this.name, ...(literal ? ['-l'] : []), ...keys]);
  }

  async type(text: string): Promise<void> {
    await this.keys([text], true);
  }

  /** Polls the screen until `pattern` is on it; returns that screen. */
  async waitFor(pattern: RegExp, what: string, timeoutMs = 20_000): Promise<string> {
    let last = '';
    try {
      return await waitFor(
        async () => {
          last = await this.screen();
          return pattern.test(last) ? last : undefined;
        },
        { what, timeoutMs, intervalMs: 50 },
      );
    } catch (error) {
      throw new Error(`${error instanceof Error ? error.message : String(error)}\n--- screen ---\n${last}`, {
        cause: error,
      });
    }
  }

  /** True once the program in the pane has exited. */
  async exited(): Promise<boolean> {
    const { stdout } = await run('tmux', ['display-message', '-p', '-t', this.name, '#{pane_dead}']);
    return stdout.trim() === '1';
  }

  async kill(): Promise<void> {
    if (!this.#alive) return;
    this.#alive = false;
    await run('tmux', ['kill-session', '-t', this.name]).catch(() => undefined);
  }
}
