// The one test command (`npm test`): every unit test, then every integration and end-to-end test
// against the real local control plane, which it starts (or reuses) and stops again if it started
// it. Ends with the line `N passed, N failed` that CI reads.
//
//   npm test                      everything
//   npm test -- --unit            unit tests only (no control plane)
//   npm test -- --integration     tests under test/ only
//   npm test -- allocator         only files whose path contains "allocator"
//
// Files named *.serial.test.ts run after the others, one at a time (they change cluster-wide
// state, such as swapping the Cluster API CRD version).
import { availableParallelism } from 'node:os';
import { globSync } from 'node:fs';
import { relative } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';
import { down, runningControlPlane, up } from '../test/cluster/control-plane.js';
import { repoRoot } from '../test/cluster/paths.js';

const unitPatterns = [
  'packages/*/src/**/*.test.{ts,tsx}',
  'packages/*/test/**/*.test.{ts,tsx}',
  'controller/src/**/*.test.{ts,tsx}',
  'plugin/src/**/*.test.{ts,tsx}',
  'test/unit/**/*.test.ts',
];
const clusterPatterns = ['test/integration/**/*.test.ts', 'test/e2e/**/*.test.ts', 'test/tui/**/*.test.ts'];

interface Args {
  unit: boolean;
  integration: boolean;
  filters: string[];
}

function parseArgs(argv: string[]): Args {
  const flags = new Set(argv.filter((a) => a.startsWith('--')));
  const only = flags.has('--unit') !== flags.has('--integration');
  return {
    unit: !only || flags.has('--unit'),
    integration: !only || flags.has('--integration'),
    filters: argv.filter((a) => !a.startsWith('--')),
  };
}

function find(patterns: string[], filters: string[]): string[] {
  const files = patterns.flatMap((pattern) =>
    globSync(pattern, { cwd: repoRoot, exclude: (name) => name === 'node_modules' || name === 'dist' }),
  );
  return [...new Set(files)]
    .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
    .sort();
}

interface Tally {
  passed: number;
  failed: number;
  skipped: number;
}

async function runFiles(files: string[], concurrency: number, tally: Tally): Promise<void> {
  if (files.length === 0) return;
  const stream = run({ files, concurrency, timeout: 15 * 60_000, cwd: repoRoot });
  stream.on('test:pass', (event) => {
    if (event.details.type === 'suite') return;
    if (event.skip !== undefined && event.skip !== false) tally.skipped++;
    else if (event.todo !== undefined && event.todo !== false) tally.skipped++;
    else tally.passed++;
  });
  stream.on('test:fail', (event) => {
    // A failing suite's failing tests are counted; a suite that fails by itself (its body threw
    // before declaring tests, or a hook failed) counts once.
    const cause = event.details.error as Error & { failureType?: string };
    if (event.details.type === 'suite' && cause.failureType === 'subtestsFailed') return;
    if (event.todo !== undefined && event.todo !== false) tally.skipped++;
    else tally.failed++;
  });
  const out = stream.compose(spec);
  for await (const chunk of out) process.stdout.write(chunk);
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const unit = args.unit ? find(unitPatterns, args.filters) : [];
  const cluster = args.integration ? find(clusterPatterns, args.filters) : [];
  // Tests import workspace packages from source (the "source" export condition), so no build is needed.
  process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --conditions=source`.trim();
  const tally: Tally = { passed: 0, failed: 0, skipped: 0 };
  const cores = availableParallelism();

  process.stdout.write(`test files: ${unit.length} unit, ${cluster.length} against the control plane\n`);
  await runFiles(unit, cores, tally);

  if (cluster.length > 0) {
    const t0 = Date.now();
    const existing = await runningControlPlane();
    const state = existing ?? (await up());
    const startedHere = !existing;
    process.stdout.write(
      `control plane ${state.kubernetesVersion} ${existing ? 'reused' : 'started'} in ${Date.now() - t0} ms (${relative(repoRoot, state.kubeconfig)})\n`,
    );
    process.env.IPAM_TEST_KUBECONFIG = state.kubeconfig;
    try {
      const serial = cluster.filter((f) => f.endsWith('.serial.test.ts'));
      await runFiles(
        cluster.filter((f) => !serial.includes(f)),
        Math.max(2, cores),
        tally,
      );
      await runFiles(serial, 1, tally);
    } finally {
      if (startedHere && process.env.IPAM_KEEP_CLUSTER !== 'true') await down();
    }
  }

  const skipped = tally.skipped > 0 ? `, ${tally.skipped} skipped` : '';
  process.stdout.write(`\n${tally.passed} passed, ${tally.failed} failed${skipped}\n`);
  if (tally.passed + tally.failed === 0) return 1;
  return tally.failed > 0 ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`run-tests: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
