// Issue 16's speed figures, side by side, in one run on a real API server: `kubectl ipam pools -A`
// and the browser's first frame and filled pool list, with 2 000 and then 20 000 IPAddresses (5, then
// 50 pools of 400, statuses written as our controller writes them; no controller runs). Prints
// numbers, asserts nothing (targets: pools ≤ 500 ms with 2 000 and ≤ 1 s with 20 000; first frame
// ≤ 300 ms and list filled ≤ 1 s with 2 000).
//
//   npm run bench:plugin-speed [-- --kubeconfig FILE] [--runs N] [--keep]
//
// Every figure is the whole process as a user sees it, through plugin/bin/kubectl-ipam (sh launcher,
// Node start-up, module loading, kubeconfig, TLS, discovery, lists). The browser runs in a real
// pseudo-terminal (util-linux `script`, 100×30) whose output this process reads as it comes:
//   first frame — the first visible character Ink writes;
//   list filled — the first output showing a bench pool's row (a line with its 400 used and 1021 total).
// Then `q` quits it. pools and browse runs alternate, so both see the same load. A fresh namespace
// is created and deleted afterwards (--keep keeps it; the next run then starts at 20 000).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BenchData,
  KUBECTL_IPAM,
  PER_POOL,
  benchKubeconfig,
  benchNamespace,
  countsProbe,
  launcherRunsBundle,
  load,
  spread,
} from './seed.js';

const args = process.argv.slice(2);
const kubeconfig = benchKubeconfig(args);
const keep = args.includes('--keep');
const runsIndex = args.indexOf('--runs');
const RUNS = runsIndex === -1 ? 7 : Number(args[runsIndex + 1]);
if (!Number.isInteger(RUNS) || RUNS < 1) throw new Error('--runs takes a positive whole number');
const SIZES = [2_000, 20_000] as const;
const TIMEOUT_MS = 60_000;

/** A bench pool's row: 400 of 1021 addresses used (names may be cut short to fit the column). */
const BENCH_ROW = /^(?=.*\b400\b)(?=.*\b1021\b)/m;
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07]*\x07|[()][A-Za-z0-9]|[=>])/g;

// CPU time (user + sys) of each run, from GNU time: on a loaded machine the wall-clock figures
// mostly measure the wait for a core, CPU time what the plugin itself costs.
const GNU_TIME = '/usr/bin/time';
const scratch = mkdtempSync(join(tmpdir(), 'ipam-speed-bench-'));
const cpuFile = join(scratch, 'cpu');

/** `/usr/bin/time -o FILE -f '%U %S'` before a command, when GNU time is there. */
function timed(argv: readonly string[]): string[] {
  rmSync(cpuFile, { force: true });
  return existsSync(GNU_TIME) ? [GNU_TIME, '-o', cpuFile, '-f', '%U %S', ...argv] : [...argv];
}

/** ms of CPU of the last timed() run; NaN without GNU time. */
function cpuMs(): number {
  try {
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').at(-1)?.split(' ') ?? [];
    return (Number(user) + Number(sys)) * 1000;
  } catch {
    return NaN;
  }
}

const quote = (a: string): string => `'${a.replace(/'/g, `'\\''`)}'`;

/**
 * `browse -n NAMESPACE` in a 100×30 pseudo-terminal: ms to the first frame and to the filled list,
 * and the process's CPU time (to the filled list, plus quitting).
 */
function browseOnce(namespace: string): Promise<{ frame: number; list: number; cpu: number }> {
  const command = [
    'stty cols 100 rows 30;',
    'exec',
    ...timed([
      'env',
      '-u',
      'NODE_OPTIONS',
      'CI=false',
      'TERM=xterm-256color',
      'NO_COLOR=1',
      KUBECTL_IPAM,
      'browse',
      '--kubeconfig',
      kubeconfig,
      '-n',
      namespace,
    ]).map(quote),
  ].join(' ');
  return new Promise((resolve, reject) => {
    const start = performance.now();
    // Its own process group, so a hung run is killed with everything it started.
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const killAll = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        // already gone
      }
    };
    let screen = '';
    let frame = NaN;
    let list = NaN;
    let quit: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      killAll('SIGKILL');
    }, TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      const now = performance.now() - start;
      screen += chunk.toString('utf8').replace(ANSI, '');
      if (Number.isNaN(frame) && /\S/.test(screen)) frame = now;
      if (Number.isNaN(list) && BENCH_ROW.test(screen)) {
        list = now;
        child.stdin.write('q');
        quit = setTimeout(() => {
          killAll('SIGKILL');
        }, 5_000);
      }
    });
    child.on('exit', () => {
      clearTimeout(timer);
      clearTimeout(quit);
      if (Number.isNaN(list))
        reject(
          new Error(`browse: no pool list (exited, or ${TIMEOUT_MS} ms passed):\n${screen.slice(-2000)}`),
        );
      else resolve({ frame, list, cpu: cpuMs() });
    });
  });
}

/** `pools -A`: wall ms and CPU ms of the whole process. */
function poolsOnce(): { wall: number; cpu: number } {
  const [command, ...args] = timed([KUBECTL_IPAM, '--kubeconfig', kubeconfig, 'pools', '-A']);
  const start = performance.now();
  const res = spawnSync(command ?? KUBECTL_IPAM, args, {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
  const wall = performance.now() - start;
  if (res.status !== 0) throw new Error(`kubectl-ipam pools failed: ${res.stderr}`);
  return { wall, cpu: cpuMs() };
}

interface Column {
  readonly addresses: number;
  readonly pools: number[];
  readonly poolsCpu: number[];
  readonly frame: number[];
  readonly list: number[];
  readonly browseCpu: number[];
  loadBefore: string;
  loadAfter: string;
}

async function main(): Promise<void> {
  if (!launcherRunsBundle())
    process.stdout.write(
      'warning: the launcher runs dist/main.js, not the bundle: run npm run build first\n',
    );
  const data = new BenchData(kubeconfig, benchNamespace());
  await data.ensureCrds();
  const columns: Column[] = [];
  let seeded = 0;
  for (const addresses of SIZES) {
    const poolCount = addresses / PER_POOL;
    const have = await data.addressCount();
    if (have > addresses) {
      process.stdout.write(`${data.namespace} already holds ${have} IPAddresses: ${addresses} skipped\n`);
      continue;
    }
    // A kept namespace (--keep) that already holds them: only the statuses are written again.
    if (have < addresses) await data.seed(seeded, poolCount);
    else await data.writeStatus(0, poolCount);
    seeded = poolCount;
    process.stdout.write(`${countsProbe(kubeconfig, data.namespace, poolCount)}\n`);
    // One of each first, unmeasured: the file cache and V8's compile cache are warm from here on.
    poolsOnce();
    await browseOnce(data.namespace);
    const column: Column = {
      addresses,
      pools: [],
      poolsCpu: [],
      frame: [],
      list: [],
      browseCpu: [],
      loadBefore: load(),
      loadAfter: '',
    };
    for (let r = 0; r < RUNS; r++) {
      const p = poolsOnce();
      column.pools.push(p.wall);
      column.poolsCpu.push(p.cpu);
      const b = await browseOnce(data.namespace);
      column.frame.push(b.frame);
      column.list.push(b.list);
      column.browseCpu.push(b.cpu);
      process.stdout.write(
        `  ${addresses} addresses, run ${r + 1}: pools -A ${Math.round(p.wall)} ms (CPU ${Math.round(p.cpu)} ms), ` +
          `first frame ${Math.round(b.frame)} ms, list filled ${Math.round(b.list)} ms (CPU ${Math.round(b.cpu)} ms)\n`,
      );
    }
    column.loadAfter = load();
    columns.push(column);
  }

  const cell = (xs: readonly number[]): string => {
    const s = spread(xs);
    return `${s.median} (${s.min}–${s.max})`;
  };
  const rows: [string, (c: Column) => string, string][] = [
    ['kubectl ipam pools -A', (c) => cell(c.pools), '≤ 500 (2 000), ≤ 1000 (20 000)'],
    ['  its CPU time (user + sys)', (c) => cell(c.poolsCpu), ''],
    ['browse: first frame', (c) => cell(c.frame), '≤ 300 (2 000)'],
    ['browse: pool list filled', (c) => cell(c.list), '≤ 1000 (2 000)'],
    ['  its CPU time (to the list, and quit)', (c) => cell(c.browseCpu), ''],
    ['load average (1/5/15 min), before', (c) => c.loadBefore, ''],
    ['load average (1/5/15 min), after', (c) => c.loadAfter, ''],
  ];
  const header = ['ms, median (min–max)', ...columns.map((c) => `${c.addresses} addresses`), 'target'];
  const table = [header, ...rows.map(([name, f, target]) => [name, ...columns.map(f), target])];
  const widths = header.map((_, i) => Math.max(...table.map((r) => (r[i] ?? '').length)));
  process.stdout.write(
    `\n${RUNS} runs each, whole process (the launcher ran ${
      launcherRunsBundle()
        ? "the plugin's bundle"
        : 'dist/main.js: the bundle is older than a tsc run (npm run build)'
    })\n`,
  );
  for (const r of table) process.stdout.write(`${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ')}\n`);
  rmSync(scratch, { recursive: true, force: true });
  if (!keep) await data.remove();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
