// The controller exactly as the image runs it: the esbuild bundle (controller/image/bundle.mjs)
// under the Node flags of the image's ENTRYPOINT (read from controller/Containerfile, so the
// benchmark measures what ships), with --kubeconfig, probe/metrics ports and extra flags added.
// Same surface as ControllerProcess where the benchmark needs it.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import { procStats, type Exit, type ProcStats } from '../support/controller-process.js';

export const BUNDLE = join(repoRoot, 'controller/dist/bundle/main.mjs');

/** The Node flags of the image's ENTRYPOINT (everything between the node binary and the script). */
export function imageNodeFlags(containerfile = join(repoRoot, 'controller/Containerfile')): string[] {
  const line = readFileSync(containerfile, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('ENTRYPOINT '));
  if (line === undefined) throw new Error(`${containerfile}: no ENTRYPOINT`);
  const argv = JSON.parse(line.slice('ENTRYPOINT '.length)) as string[];
  return argv.slice(1).filter((a) => a.startsWith('--'));
}

export interface BundledControllerOptions {
  kubeconfig: string;
  args?: string[];
  /** Node flags after the image's (e.g. --heapsnapshot-signal=SIGUSR2, --trace-gc). */
  nodeFlags?: string[];
  logFile?: string;
  name?: string;
}

export class BundledController {
  readonly name: string;
  readonly pid: number;
  readonly startedAt = performance.now();
  readonly exited: Promise<Exit>;
  #exit: Exit | undefined;

  private constructor(
    name: string,
    private readonly child: ChildProcess,
    readonly probePort: number,
    readonly metricsPort: number,
  ) {
    this.name = name;
    if (child.pid === undefined) throw new Error(`${name}: could not start the controller`);
    this.pid = child.pid;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.#exit = { code, signal, at: performance.now() };
        resolve(this.#exit);
      });
    });
  }

  static async start(options: BundledControllerOptions): Promise<BundledController> {
    if (!existsSync(BUNDLE)) throw new Error(`${BUNDLE} is missing: run node controller/image/bundle.mjs`);
    const probePort = await freePort();
    const metricsPort = await freePort();
    const args = [
      ...imageNodeFlags(),
      ...(options.nodeFlags ?? []),
      BUNDLE,
      '--kubeconfig',
      options.kubeconfig,
      `--health-probe-bind-address=127.0.0.1:${String(probePort)}`,
      `--metrics-bind-address=127.0.0.1:${String(metricsPort)}`,
      '--webhook-port=0',
      ...(options.args ?? []),
    ];
    const out = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a');
    try {
      // As in the image: no NODE_OPTIONS inherited from the runner (tsx's loader would weigh in).
      const { NODE_OPTIONS: _runner, ...env } = process.env;
      const child = spawn(process.execPath, args, {
        cwd: repoRoot,
        stdio: ['ignore', out, out],
        env: { ...env, NODE_ENV: 'production' },
      });
      return new BundledController(options.name ?? 'controller', child, probePort, metricsPort);
    } finally {
      if (typeof out === 'number') closeSync(out);
    }
  }

  get alive(): boolean {
    return this.#exit === undefined;
  }

  /** Waits for /readyz 200; fails early if the process exits. Returns ms since spawn. */
  async waitReady(timeoutMs = 60_000): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (!this.alive)
        throw new Error(`${this.name} exited before it was ready: ${JSON.stringify(this.#exit)}`);
      if ((await this.get(this.probePort, '/readyz'))?.status === 200)
        return performance.now() - this.startedAt;
      if (performance.now() > deadline)
        throw new Error(`${this.name} not ready after ${String(timeoutMs)} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  async metrics(): Promise<string | undefined> {
    const r = await this.get(this.metricsPort, '/metrics');
    return r?.status === 200 ? r.body : undefined;
  }

  stats(): ProcStats | undefined {
    if (!this.alive) return undefined;
    try {
      return procStats(this.pid);
    } catch {
      return undefined;
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.alive) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<Exit> {
    if (!this.alive) return this.#exit as Exit;
    this.signal('SIGTERM');
    const timer = setTimeout(() => {
      this.signal('SIGKILL');
    }, graceMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }

  private async get(port: number, path: string): Promise<{ status: number; body: string } | undefined> {
    try {
      const res = await fetch(`http://127.0.0.1:${String(port)}${path}`, {
        signal: AbortSignal.timeout(2_000),
      });
      return { status: res.status, body: await res.text() };
    } catch {
      return undefined;
    }
  }
}
