// Benchmark: `kubectl ipam pools -A` with 50 pools and 20 000 IPAddresses on a real API server.
// Not a timed test: prints the figures. Creates its objects in a namespace of its own and deletes
// it afterwards (pass --keep to keep it for re-runs).
//   npm run bench:plugin -w plugin [-- --kubeconfig FILE] [--keep]
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FINALIZER_PROTECT_ADDRESS, IPAM_GROUP, type IPAddressWire } from '@ipam-in-cluster/api';
import { KubeClient, KubeTransport, classifyApiError, loadKubeConfig } from '@ipam-in-cluster/kube';

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
const bin = fileURLToPath(new URL('../../bin/kubectl-ipam', import.meta.url));

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

async function main(): Promise<void> {
  const loaded = loadKubeConfig({ kubeconfig });
  const client = new KubeClient(new KubeTransport(loaded.kubeConfig));
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
          spec: { addresses: [`10.${p}.0.0/22`], prefix: 22, gateway: `10.${p}.0.1` },
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

  const times: number[] = [];
  let rows = 0;
  for (let r = 0; r < RUNS; r++) {
    const start = process.hrtime.bigint();
    const res = spawnSync(bin, ['--kubeconfig', kubeconfig ?? '', 'pools', '-A', '-n', NAMESPACE], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
      maxBuffer: 64 << 20,
    });
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
    if (res.status !== 0) throw new Error(`kubectl-ipam failed: ${res.stderr}`);
    rows = res.stdout.split('\n').filter((l) => l.includes(' bench-')).length;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  process.stdout.write(
    `kubectl ipam pools -A: ${rows} bench pools, ${POOLS * PER_POOL} IPAddresses; ${RUNS} runs (whole process, incl. Node start-up): ` +
      `min ${times[0]?.toFixed(0)} ms, median ${median.toFixed(0)} ms, max ${times[times.length - 1]?.toFixed(0)} ms (target 1000 ms)\n`,
  );

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
