// Benchmark: `kubectl ipam pools -A` with 50 pools and 20 000 IPAddresses on a real API server, as
// users run it (counts from pool status) and with --recount (every IPAddress listed and counted).
// Not a timed test: prints the figures. Creates its objects in a namespace of its own and deletes
// it afterwards (pass --keep to keep it for re-runs). Installs the CRDs when the cluster lacks them
// (`npm run crds:install`: ours and the Cluster API's of the pinned release).
// No controller runs: the bench writes each pool's status the way ours does (counts, and conditions
// stamped with the generation; test/e2e/plugin-status checks the real controller's is used alike).
// Runs plugin/bin/kubectl-ipam as built by `npm run build` (the npm script builds first).
// ./speed-bench.ts prints every issue 16 figure side by side (2 000 and 20 000 addresses, browser too).
//   npm run bench:plugin [-- --kubeconfig FILE] [--keep] [--only status|recount]
//   (IPAM_BENCH_NAMESPACE=NS to reuse one)
import {
  BenchData,
  PER_POOL,
  benchKubeconfig,
  benchNamespace,
  countsProbe,
  kubectlIpam,
  load,
  spread,
} from './seed.js';

const POOLS = 50;
const RUNS = 5;

const args = process.argv.slice(2);
const kubeconfig = benchKubeconfig(args);
const keep = args.includes('--keep');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex === -1 ? undefined : args[onlyIndex + 1];
if (only !== undefined && only !== 'status' && only !== 'recount') {
  throw new Error('--only takes status or recount');
}

interface Variant {
  readonly name: 'status' | 'recount';
  readonly args: readonly string[];
  readonly times: number[];
  rows: number;
}

async function main(): Promise<void> {
  const data = new BenchData(kubeconfig, benchNamespace());
  await data.ensureCrds();
  if ((await data.addressCount()) < POOLS * PER_POOL) await data.seed(0, POOLS);
  else await data.writeStatus(0, POOLS);
  process.stdout.write(`${countsProbe(kubeconfig, data.namespace, POOLS)}\n`);

  const variants: Variant[] = [
    { name: 'status' as const, args: [], times: [], rows: 0 },
    { name: 'recount' as const, args: ['--recount'], times: [], rows: 0 },
  ].filter((v) => only === undefined || v.name === only);
  const loadBefore = load();
  // Interleaved, so both see the same load.
  for (let r = 0; r < RUNS; r++) {
    for (const v of variants) {
      const start = process.hrtime.bigint();
      const res = kubectlIpam(kubeconfig, ['pools', '-A', ...v.args]);
      v.times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (res.status !== 0) throw new Error(`kubectl-ipam failed: ${res.stderr}`);
      v.rows = res.stdout.split('\n').filter((l) => l.includes(' bench-')).length;
    }
  }
  const loadAfter = load();
  for (const v of variants) {
    const t = spread(v.times);
    process.stdout.write(
      `kubectl ipam pools -A${v.args.length === 0 ? '' : ` ${v.args.join(' ')}`}: ${v.rows} bench pools, ${POOLS * PER_POOL} IPAddresses; ${RUNS} runs (whole process, incl. Node start-up): ` +
        `min ${t.min} ms, median ${t.median} ms, max ${t.max} ms (target 1000 ms)\n`,
    );
  }
  process.stdout.write(`load average ${loadBefore} before, ${loadAfter} after\n`);
  if (!keep) await data.remove();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
