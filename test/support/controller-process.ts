// The controller as a separate OS process (as it runs in production), for benchmarks, chaos and
// bad-input tests: spawn with flags, wait for /readyz, read its CPU time and memory from /proc,
// scrape /metrics, SIGKILL or SIGTERM it.
//
//   mode 'source': node --conditions=source --import tsx controller/src/main.ts (no build needed)
//   mode 'dist':   node controller/dist/main.js (run `tsc -b controller` first; smaller and faster)
//   mode 'bundle': what the image runs — the esbuild bundle (controller/image/bundle.mjs), no
//                  NODE_OPTIONS from the runner, NODE_ENV=production
// In every mode the controller re-executes itself with the Node flags it was not given
// (CONTROLLER_NODE_FLAGS, controller/src/node-flags.ts), as in the image; same pid.
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';

export type ControllerMode = 'source' | 'dist' | 'bundle';

/** The bundle the image runs (built by `node controller/image/bundle.mjs`). */
export const BUNDLE = join(repoRoot, 'controller/dist/bundle/main.mjs');

/** The Node flags the controller adds to its own when started without them (every mode). */
export function imageNodeFlags(): string[] {
  return [...CONTROLLER_NODE_FLAGS];
}

/**
 * Benchmark controller flags: one namespace, quiet logs, and leader election as the chart installs
 * it, so start-up includes the election (a sole replica wins it before listing, and so skips the new
 * leader's consistent IPAddress read, ADR 0035).
 */
export function benchControllerArgs(namespace: string): string[] {
  return [
    '--namespace',
    namespace,
    '--log-level',
    'warn',
    '--leader-elect',
    '--leader-elect-namespace',
    namespace,
  ];
}

export interface ControllerProcessOptions {
  kubeconfig: string;
  /** Extra flags (e.g. --leader-elect, --watch-filter=x). Ports and --kubeconfig are added here. */
  args?: string[];
  mode?: ControllerMode;
  /** mode 'bundle': this bundle's main.mjs instead of BUNDLE (e.g. an older build, to compare). */
  bundle?: string;
  /** Node flags before the script, e.g. --trace-gc or --max-opt=2 (which then replaces the controller's). */
  nodeFlags?: string[];
  /** stdout and stderr go here (appended); default: discarded. */
  logFile?: string;
  /** A name for messages. */
  name?: string;
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  at: number;
}

export interface ProcStats {
  /** user + system CPU time, seconds. */
  cpuSeconds: number;
  /** Resident set now (VmRSS), bytes. */
  rssBytes: number;
  /** Peak resident set (VmHWM), bytes. */
  peakRssBytes: number;
}

let clockTicks: number | undefined;
function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** CPU time and memory of a live process, from /proc/<pid>/stat and /proc/<pid>/status. */
export function procStats(pid: number): ProcStats {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // Fields after the command name (which may contain spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime is field 14, stime field 15.
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    return m === null ? 0 : Number(m[1]) * 1024;
  };
  return {
    cpuSeconds: (utime + stime) / ticksPerSecond(),
    rssBytes: kb('VmRSS'),
    peakRssBytes: kb('VmHWM'),
  };
}

function httpGetText(
  port: number,
  path: string,
  timeoutMs = 2_000,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body });
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
  });
}

/**
 * Sum of a Prometheus metric's samples over the series whose labels contain `labelPart` (every part,
 * when several are given), or undefined when no series matches.
 */
export function metricValue(
  text: string,
  name: string,
  labelPart: string | readonly string[] = '',
): number | undefined {
  const parts = (typeof labelPart === 'string' ? [labelPart] : labelPart).filter((p) => p !== '');
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (!(rest.startsWith('{') || rest.startsWith(' '))) continue;
    if (!parts.every((p) => rest.includes(p))) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

export class ControllerProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  readonly probePort: number;
  readonly metricsPort: number;
  readonly startedAt: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;

  private constructor(name: string, child: ChildProcess, probePort: number, metricsPort: number) {
    this.name = name;
    this.child = child;
    if (child.pid === undefined) throw new Error(`${name}: could not start the controller`);
    this.pid = child.pid;
    this.probePort = probePort;
    this.metricsPort = metricsPort;
    this.startedAt = performance.now();
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal, at: performance.now() };
        resolve(this.#exit);
      });
    });
  }

  static async start(options: ControllerProcessOptions): Promise<ControllerProcess> {
    const mode = options.mode ?? 'source';
    const probePort = await freePort();
    const metricsPort = await freePort();
    const entry =
      mode === 'source'
        ? ['--conditions=source', '--import', 'tsx', join(repoRoot, 'controller/src/main.ts')]
        : mode === 'dist'
          ? [join(repoRoot, 'controller/dist/main.js')]
          : [options.bundle ?? BUNDLE];
    const script = entry[entry.length - 1] ?? '';
    if (mode !== 'source' && !existsSync(script)) {
      throw new Error(
        mode === 'dist'
          ? 'controller/dist/main.js is missing: run `npx tsc -b controller` first'
          : `${script} is missing: run \`node controller/image/bundle.mjs\` first`,
      );
    }
    const args = [
      ...entry.slice(0, -1),
      ...(options.nodeFlags ?? []),
      script,
      '--kubeconfig',
      options.kubeconfig,
      `--health-probe-bind-address=127.0.0.1:${String(probePort)}`,
      `--metrics-bind-address=127.0.0.1:${String(metricsPort)}`,
      '--webhook-port=0',
      ...(options.args ?? []),
    ];
    const out = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a');
    try {
      // The test runner's NODE_OPTIONS carries --conditions=source: right for 'source' (tsx), wrong
      // for 'dist', where Node would resolve the workspace packages to their .ts sources and fail
      // ("Cannot find module …/src/constants.js"). 'dist' runs the built packages, as an install does.
      // 'bundle' runs as in the image: nothing inherited (tsx's loader would weigh in), production.
      const env: NodeJS.ProcessEnv = { ...process.env };
      if (mode === 'dist' && env.NODE_OPTIONS !== undefined) {
        env.NODE_OPTIONS = env.NODE_OPTIONS.split(/\s+/)
          .filter((o) => o !== '--conditions=source' && o !== '-C=source')
          .join(' ');
      } else if (mode === 'bundle') {
        delete env.NODE_OPTIONS;
        env.NODE_ENV = 'production';
      }
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        stdio: ['ignore', out, out],
        env,
      });
      return new ControllerProcess(options.name ?? 'controller', child, probePort, metricsPort);
    } finally {
      if (typeof out === 'number') closeSync(out);
    }
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  get exit(): Exit | undefined {
    return this.#exit;
  }

  /** /readyz answered 200. */
  async isReady(): Promise<boolean> {
    try {
      return (await httpGetText(this.probePort, '/readyz')).status === 200;
    } catch {
      return false;
    }
  }

  /** Waits for /readyz 200; fails early if the process exits. Returns ms since spawn. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.alive)
        throw new Error(`${this.name} exited before it was ready: ${JSON.stringify(this.#exit)}`);
      if (await this.isReady()) return performance.now() - this.startedAt;
      if (performance.now() > deadline)
        throw new Error(`${this.name} not ready after ${String(timeoutMs)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async metrics(): Promise<string | undefined> {
    try {
      const r = await httpGetText(this.metricsPort, '/metrics');
      return r.status === 200 ? r.body : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Waits until the claim work queue is empty and stays so for a second (its /metrics); returns the
   * ms until it first went quiet, NaN after `timeoutMs`. With `leaderElected`, only once it leads:
   * a standby (or a new leader still reading IPAddresses) has an empty queue because no worker runs.
   */
  async settled(timeoutMs: number, pollMs = 100, leaderElected = false): Promise<number> {
    const t0 = performance.now();
    let quietSince: number | undefined;
    while (performance.now() - t0 < timeoutMs) {
      const text = await this.metrics();
      // No sample yet for the claim queue: nothing was ever queued.
      const depth =
        text === undefined
          ? undefined
          : (metricValue(text, 'capi_ipam_workqueue_depth', 'ipaddressclaim') ?? 0);
      const leading =
        !leaderElected || (text !== undefined && metricValue(text, 'capi_ipam_leader_election_status') === 1);
      if (depth === 0 && leading) {
        quietSince ??= performance.now();
        if (performance.now() - quietSince > 1_000) return quietSince - t0;
      } else quietSince = undefined;
      await new Promise((r) => setTimeout(r, pollMs));
    }
    return NaN;
  }

  /** True when its /metrics says it leads (capi_ipam_leader_election_status 1). */
  async isLeader(): Promise<boolean> {
    const text = await this.metrics();
    return text !== undefined && metricValue(text, 'capi_ipam_leader_election_status') === 1;
  }

  stats(): ProcStats | undefined {
    if (!this.alive) return undefined;
    try {
      return procStats(this.pid);
    } catch {
      return undefined;
    }
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.alive) return this.#exit as Exit;
    this.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.kill('SIGKILL');
    }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}

/** The last lines of a log file, for failure messages. */
export function logTail(file: string, lines = 20): string {
  if (!existsSync(file)) return '';
  return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
}
