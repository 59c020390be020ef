// Starting, probing and stopping the long-lived control-plane processes. Each one runs detached in
// its own process group so it outlives `npm run cluster:up`, and so that stopping it stops its
// children too.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export function startDetached(binary: string, args: string[], logFile: string): number {
  const out = openSync(logFile, 'a');
  try {
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', out, out] });
    if (child.pid === undefined) throw new Error(`could not start ${binary}`);
    child.unref();
    return child.pid;
  } finally {
    closeSync(out);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The last non-empty lines of a log, for one-line failure messages. */
export function tail(logFile: string, lines = 3): string {
  if (!existsSync(logFile)) return '';
  return readFileSync(logFile, 'utf8').trim().split('\n').slice(-lines).join(' | ');
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** SIGTERM the process group, then SIGKILL whatever is still there after `graceMs`. */
export async function stopGroup(pid: number, graceMs = 10_000): Promise<void> {
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

/** Pids of processes whose command line mentions `marker` (our state directory). */
export function processesMentioning(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(join('/proc', entry, 'cmdline'), 'utf8');
      if (cmdline.includes(marker)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

export interface WaitOptions {
  what: string;
  pid: number;
  logFile: string;
  timeoutMs: number;
}

/** Polls `probe` until it returns true; fails early (with the log's tail) if the process dies. */
export async function waitUntil(probe: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    if (!isAlive(opts.pid)) {
      throw new Error(`${opts.what} exited during start-up: ${tail(opts.logFile)} (log: ${opts.logFile})`);
    }
    if (await probe().catch(() => false)) return;
    if (Date.now() > deadline) {
      throw new Error(
        `${opts.what} did not become ready in ${opts.timeoutMs / 1000}s: ${tail(opts.logFile)} (log: ${opts.logFile})`,
      );
    }
    await sleep(200);
  }
}
