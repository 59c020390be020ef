// Benchmark: `kubectl ipam pools -A` with 50 pools and 20 000 IPAddresses on a real API server, as
// users run it (counts from pool status) and with --recount (every IPAddress listed and counted).
// Not a timed test: prints the figures. Creates its objects in a namespace of its own and deletes
// it afterwards (pass --keep to keep it for re-runs). Installs the CRDs when the cluster lacks them
// (`npm run crds:install`: ours and the Cluster API's of the pinned release).
// No controller runs: the bench writes each pool's status the way ours does (counts, and conditions
// stamped with the generation; test/e2e/plugin-status checks the real controller's is used alike).
// Runs plugin/bin/kubectl-ipam as built by `npm run build` (the npm script builds first).
//   npm run bench:plugin [-- --kubeconfig FILE] [--keep] [--only status|recount]
//   (IPAM_BENCH_NAMESPACE=NS to reuse one)
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { buildPoolLayout } from '@ipam-in-cluster/allocator';
import {
  FINALIZER_PROTECT_ADDRESS,
  IPAM_GROUP,
  type IPAddressWire,
  type IPPoolSpec,
  type Pool,
} from '@ipam-in-cluster/api';
import {
  KubeClient,
  KubeTransport,
  classifyApiError,
  discoverServedResources,
  loadKubeConfig,
  type ObjectClient,
} from '@ipam-in-cluster/kube';
import { withControllerStatus } from '../testing/wire-objects.js';

const POOLS = 50;
const PER_POOL = 400;
// A fresh namespace per run (a deleted one takes a while to go); IPAM_BENCH_NAMESPACE reuses one (with --keep).
const NAMESPACE =
  process.env.IPAM_BENCH_NAMESPACE ?? `kubectl-ipam-bench-${Math.random().toString(16).slice(2, 8)}`;
const RUNS = 5;

const args = process.argv.slice(2);
const kcIndex = args.indexOf('--kubeconfig');
const kubeconfig =
  kcIndex === -1
    ? (process.env.IPAM_TEST_KUBECONFIG ??
      fileURLToPath(new URL('../../../.cluster/kubeconfig', import.meta.url)))
    : args[kcIndex + 1];
const keep = args.includes('--keep');
const onlyIndex = args.indexOf('--only');
const only = onlyIndex === -1 ? undefined : args[onlyIndex + 1];
if (only !== undefined && only !== 'status' && only !== 'recount') {
  throw new Error('--only takes status or recount');
}
const bin = fileURLToPath(new URL('../../bin/kubectl-ipam', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function pool<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) {
        const item = items[next++] as T;
        await fn(item);
      }
    }),
  );
}

/** Installs our CRDs and Cluster API's when IPAddress v1beta2 or a pool kind is not served. */
async function ensureCrds(client: KubeClient): Promise<void> {
  const served = await discoverServedResources(client.transport);
  const ready = (s: typeof served): boolean => s.poolCrdsInstalled && s.ipAddressVersions.includes('v1beta2');
  if (ready(served)) return;
  // Waits until they are served and says what it installed.
  const target = kubeconfig === undefined ? [] : ['--kubeconfig', kubeconfig];
  const install = spawnSync('npm', ['run', '--silent', 'crds:install', '--', ...target], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (install.status !== 0) throw new Error(`npm run crds:install failed (exit ${String(install.status)})`);
}

function poolSpec(p: number): IPPoolSpec {
  return { addresses: [`10.${p}.0.0/22`], prefix: 22, gateway: `10.${p}.0.1` };
}

/**
 * Writes each bench pool's status as our controller does after counting its PER_POOL IPAddresses:
 * status.ipAddresses and the conditions, stamped with the generation they are for, in one patch
 * (the same status the unit tests use, testing/wire-objects.ts).
 */
async function writeStatus(ipPools: ObjectClient<Pool>): Promise<void> {
  await pool(
    Array.from({ length: POOLS }, (_, p) => p),
    8,
    async (p) => {
      const ref = { namespace: NAMESPACE, name: `bench-${p}` };
      const layout = buildPoolLayout(poolSpec(p));
      if (!layout.ok) throw new Error(`bench pool ${ref.name}: ${layout.error.message}`);
      const total = layout.value.total;
      const used = BigInt(PER_POOL);
      const counted = withControllerStatus(await ipPools.get(ref), {
        total,
        used,
        free: total - used,
        outOfRange: 0,
      });
      await ipPools.mergePatchStatus(ref, { status: counted.status }, { fieldManager: 'kubectl-ipam-bench' });
    },
  );
}

interface Variant {
  readonly name: 'status' | 'recount';
  readonly args: readonly string[];
  readonly times: number[];
  rows: number;
}

async function main(): Promise<void> {
  const loaded = loadKubeConfig({ kubeconfig });
  const client = new KubeClient(new KubeTransport(loaded.kubeConfig));
  await ensureCrds(client);
  await client
    .namespaces()
    .create({ metadata: { name: NAMESPACE } })
    .catch((e: unknown) => {
      if (classifyApiError(e).kind !== 'AlreadyExists') throw e;
    });
  const ipPools = client.pools('InClusterIPPool');
  const addresses = client.ipAddresses('v1beta2');
  const existing = (await addresses.list({ namespace: NAMESPACE })).items.length;
  const t0 = Date.now();
  if (existing < POOLS * PER_POOL) {
    for (let p = 0; p < POOLS; p++) {
      await ipPools
        .create({
          apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
          kind: 'InClusterIPPool',
          metadata: { name: `bench-${p}`, namespace: NAMESPACE },
          spec: poolSpec(p),
        })
        .catch((e: unknown) => {
          if (classifyApiError(e).kind !== 'AlreadyExists') throw e;
        });
    }
    const todo: [number, number][] = [];
    for (let p = 0; p < POOLS; p++) for (let i = 0; i < PER_POOL; i++) todo.push([p, i]);
    await pool(todo, 64, async ([p, i]) => {
      const n = i + 2;
      const body: IPAddressWire = {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
        kind: 'IPAddress',
        metadata: { name: `bench-${p}-${i}`, namespace: NAMESPACE, finalizers: [FINALIZER_PROTECT_ADDRESS] },
        spec: {
          claimRef: { name: `bench-${p}-${i}` },
          poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: `bench-${p}` },
          address: `10.${p}.${n >> 8}.${n & 255}`,
          prefix: 22,
        },
      };
      await addresses.create(body).catch((e: unknown) => {
        if (classifyApiError(e).kind !== 'AlreadyExists') throw e;
      });
    });
    process.stdout.write(
      `created ${POOLS} pools and ${POOLS * PER_POOL} IPAddresses in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }

  await writeStatus(ipPools);

  const load = (): string =>
    loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const run = (args: readonly string[]) =>
    spawnSync(bin, ['--kubeconfig', kubeconfig ?? '', 'pools', '-A', ...args], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
      maxBuffer: 64 << 20,
    });

  // Where the counts came from, once: every bench pool should be counted from its status (an expired
  // controller Lease, or other pools without status elsewhere on the plane, make the plugin list
  // IPAddresses: said here, so a figure is never read for the wrong path).
  const probe = run(['-o', 'json']);
  if (probe.status !== 0) throw new Error(`kubectl-ipam failed: ${probe.stderr}`);
  const items = (
    JSON.parse(probe.stdout) as {
      items: { namespace: string | null; countsFrom: string; recountReason: string | null }[];
    }
  ).items;
  const recounted = items.filter((i) => i.countsFrom === 'ipaddresses');
  const benchFromStatus = items.filter((i) => i.namespace === NAMESPACE && i.countsFrom === 'status').length;
  const reasons = [...new Set(recounted.map((i) => `${i.namespace ?? 'global'}: ${i.recountReason ?? '?'}`))];
  process.stdout.write(
    `pools -A: ${items.length} pools, ${benchFromStatus} of ${POOLS} bench pools counted from status; ` +
      `${recounted.length} recounted from IPAddresses${reasons.length === 0 ? '' : ` (${reasons.join(', ')})`}\n`,
  );
  if (probe.stderr !== '') process.stdout.write(probe.stderr);

  const variants: Variant[] = [
    { name: 'status' as const, args: [], times: [], rows: 0 },
    { name: 'recount' as const, args: ['--recount'], times: [], rows: 0 },
  ].filter((v) => only === undefined || v.name === only);
  const loadBefore = load();
  // Interleaved, so both see the same load.
  for (let r = 0; r < RUNS; r++) {
    for (const v of variants) {
      const start = process.hrtime.bigint();
      const res = run(v.args);
      v.times.push(Number(process.hrtime.bigint() - start) / 1e6);
      if (res.status !== 0) throw new Error(`kubectl-ipam failed: ${res.stderr}`);
      v.rows = res.stdout.split('\n').filter((l) => l.includes(' bench-')).length;
    }
  }
  const loadAfter = load();
  for (const v of variants) {
    const times = [...v.times].sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)] ?? 0;
    process.stdout.write(
      `kubectl ipam pools -A${v.args.length === 0 ? '' : ` ${v.args.join(' ')}`}: ${v.rows} bench pools, ${POOLS * PER_POOL} IPAddresses; ${RUNS} runs (whole process, incl. Node start-up): ` +
        `min ${times[0]?.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${times[times.length - 1]?.toFixed(0)} ms (target 1000 ms)\n`,
    );
  }
  process.stdout.write(`load average ${loadBefore} before, ${loadAfter} after\n`);

  if (!keep) {
    // IPAddresses carry ProtectAddress: strip it, then the namespace can go.
    const list = (await addresses.list({ namespace: NAMESPACE })).items;
    await pool(list, 64, async (a) => {
      await addresses
        .mergePatch({ namespace: NAMESPACE, name: a.metadata.name ?? '' }, { metadata: { finalizers: null } })
        .catch(() => undefined);
    });
    await client.namespaces().delete({ name: NAMESPACE });
    process.stdout.write(`deleted namespace ${NAMESPACE}\n`);
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
