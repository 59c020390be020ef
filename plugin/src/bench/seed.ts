// The plugin benches' data on a real API server: InClusterIPPools of 400 IPAddresses each in a
// namespace of their own, each pool's status written the way our controller writes it (no
// controller runs), and the cleanup. Used by ./pools-bench.ts and ./speed-bench.ts.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
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

export const PER_POOL = 400;

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
/** plugin/bin/kubectl-ipam, as `npm run build` leaves it. */
export const KUBECTL_IPAM = fileURLToPath(new URL('../../bin/kubectl-ipam', import.meta.url));

/**
 * Whether plugin/bin/kubectl-ipam runs the bundle: it runs dist/main.js (~700 modules, slower) when
 * a tsconfig.tsbuildinfo of the plugin or a package it bundles is newer (any tsc run writes it).
 */
export function launcherRunsBundle(): boolean {
  const mtime = (rel: string): number => {
    try {
      return statSync(`${repoRoot}${rel}`).mtimeMs;
    } catch {
      return 0;
    }
  };
  const bundle = mtime('plugin/dist/bundle/kubectl-ipam.mjs');
  const infos = ['plugin', 'packages/allocator', 'packages/api', 'packages/kube'].map((d) =>
    mtime(`${d}/tsconfig.tsbuildinfo`),
  );
  return bundle > 0 && infos.every((t) => t <= bundle);
}

/** `--kubeconfig FILE`, else IPAM_TEST_KUBECONFIG, else this worktree's plane (.cluster/kubeconfig). */
export function benchKubeconfig(args: readonly string[]): string {
  const i = args.indexOf('--kubeconfig');
  const given = i === -1 ? undefined : args[i + 1];
  return given ?? process.env.IPAM_TEST_KUBECONFIG ?? `${repoRoot}.cluster/kubeconfig`;
}

/** A fresh namespace per run (a deleted one takes a while to go); IPAM_BENCH_NAMESPACE reuses one. */
export function benchNamespace(): string {
  return process.env.IPAM_BENCH_NAMESPACE ?? `kubectl-ipam-bench-${Math.random().toString(16).slice(2, 8)}`;
}

/** The 1, 5 and 15 minute load averages, for every printed figure. */
export function load(): string {
  return loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
}

/** min / median / max of `xs`, in whole milliseconds. */
export function spread(xs: readonly number[]): { min: number; median: number; max: number } {
  const s = [...xs].sort((a, b) => a - b);
  return {
    min: Math.round(s[0] ?? NaN),
    median: Math.round(s[Math.floor(s.length / 2)] ?? NaN),
    max: Math.round(s[s.length - 1] ?? NaN),
  };
}

async function inParallel<T>(
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

function ignoreExisting(e: unknown): void {
  if (classifyApiError(e).kind !== 'AlreadyExists') throw e;
}

function poolSpec(p: number): IPPoolSpec {
  return { addresses: [`10.${p}.0.0/22`], prefix: 22, gateway: `10.${p}.0.1` };
}

export class BenchData {
  readonly client: KubeClient;
  readonly kubeconfig: string;
  readonly namespace: string;
  private readonly ipPools: ObjectClient<Pool>;

  constructor(kubeconfig: string, namespace: string) {
    this.kubeconfig = kubeconfig;
    this.namespace = namespace;
    this.client = new KubeClient(new KubeTransport(loadKubeConfig({ kubeconfig }).kubeConfig));
    this.ipPools = this.client.pools('InClusterIPPool');
  }

  /** Installs our CRDs and Cluster API's (`npm run crds:install`) when IPAddress v1beta2 or a pool kind is not served. */
  async ensureCrds(): Promise<void> {
    const served = await discoverServedResources(this.client.transport);
    if (served.poolCrdsInstalled && served.ipAddressVersions.includes('v1beta2')) return;
    const install = spawnSync(
      'npm',
      ['run', '--silent', 'crds:install', '--', '--kubeconfig', this.kubeconfig],
      {
        cwd: repoRoot,
        stdio: 'inherit',
      },
    );
    if (install.status !== 0) throw new Error(`npm run crds:install failed (exit ${String(install.status)})`);
  }

  /** IPAddresses in the namespace now. */
  async addressCount(): Promise<number> {
    return (await this.client.ipAddresses('v1beta2').list({ namespace: this.namespace })).items.length;
  }

  /**
   * Pools bench-FROM … bench-(TO−1), each with PER_POOL IPAddresses and the status our controller
   * would write for them (counts, and conditions stamped with the generation). Existing objects are
   * kept. Prints how long the creation took.
   */
  async seed(from: number, to: number): Promise<void> {
    await this.client
      .namespaces()
      .create({ metadata: { name: this.namespace } })
      .catch(ignoreExisting);
    const t0 = Date.now();
    const ns = this.namespace;
    for (let p = from; p < to; p++) {
      await this.ipPools
        .create({
          apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
          kind: 'InClusterIPPool',
          metadata: { name: `bench-${p}`, namespace: ns },
          spec: poolSpec(p),
        })
        .catch(ignoreExisting);
    }
    const todo: [number, number][] = [];
    for (let p = from; p < to; p++) for (let i = 0; i < PER_POOL; i++) todo.push([p, i]);
    const addresses = this.client.ipAddresses('v1beta2');
    await inParallel(todo, 64, async ([p, i]) => {
      const n = i + 2;
      const body: IPAddressWire = {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
        kind: 'IPAddress',
        metadata: { name: `bench-${p}-${i}`, namespace: ns, finalizers: [FINALIZER_PROTECT_ADDRESS] },
        spec: {
          claimRef: { name: `bench-${p}-${i}` },
          poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: `bench-${p}` },
          address: `10.${p}.${n >> 8}.${n & 255}`,
          prefix: 22,
        },
      };
      await addresses.create(body).catch(ignoreExisting);
    });
    await this.writeStatus(from, to);
    process.stdout.write(
      `seeded pools bench-${from}…bench-${to - 1} (${(to - from) * PER_POOL} IPAddresses) in ${ns}: ` +
        `${((Date.now() - t0) / 1000).toFixed(1)} s\n`,
    );
  }

  /** Each pool's status as our controller writes it after counting its PER_POOL IPAddresses, in one patch. */
  async writeStatus(from: number, to: number): Promise<void> {
    const ns = this.namespace;
    await inParallel(
      Array.from({ length: to - from }, (_, i) => from + i),
      8,
      async (p) => {
        const ref = { namespace: ns, name: `bench-${p}` };
        const layout = buildPoolLayout(poolSpec(p));
        if (!layout.ok) throw new Error(`bench pool ${ref.name}: ${layout.error.message}`);
        const total = layout.value.total;
        const used = BigInt(PER_POOL);
        const counted = withControllerStatus(await this.ipPools.get(ref), {
          total,
          used,
          free: total - used,
          outOfRange: 0,
        });
        await this.ipPools.mergePatchStatus(
          ref,
          { status: counted.status },
          { fieldManager: 'kubectl-ipam-bench' },
        );
      },
    );
  }

  /** Strips ProtectAddress from the IPAddresses, then deletes the namespace. */
  async remove(): Promise<void> {
    const addresses = this.client.ipAddresses('v1beta2');
    const list = (await addresses.list({ namespace: this.namespace })).items;
    await inParallel(list, 64, async (a) => {
      await addresses
        .mergePatch(
          { namespace: this.namespace, name: a.metadata.name ?? '' },
          { metadata: { finalizers: null } },
        )
        .catch(() => undefined);
    });
    await this.client.namespaces().delete({ name: this.namespace });
    process.stdout.write(`deleted namespace ${this.namespace}\n`);
  }
}

/** Runs the built launcher with `args` (no colour, no inherited NODE_OPTIONS). */
export function kubectlIpam(kubeconfig: string, args: readonly string[]) {
  return spawnSync(KUBECTL_IPAM, ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' },
    maxBuffer: 64 << 20,
  });
}

/**
 * Where `pools -A` took its counts from, as one line: every bench pool should be counted from its
 * status (an expired controller Lease, or pools without status elsewhere on the plane, make the
 * plugin list IPAddresses: said, so a figure is never read for the wrong path).
 */
export function countsProbe(kubeconfig: string, namespace: string, benchPools: number): string {
  const probe = kubectlIpam(kubeconfig, ['pools', '-A', '-o', 'json']);
  if (probe.status !== 0) throw new Error(`kubectl-ipam failed: ${probe.stderr}`);
  const items = (
    JSON.parse(probe.stdout) as {
      items: {
        namespace: string | null;
        countsFrom: string;
        recountReason: string | null;
        counts: { used: string };
      }[];
    }
  ).items;
  const recounted = items.filter((i) => i.countsFrom === 'ipaddresses');
  const fromStatus = items.filter((i) => i.namespace === namespace && i.countsFrom === 'status').length;
  const used = items.reduce((sum, i) => sum + BigInt(i.counts.used), 0n);
  const reasons = [...new Set(recounted.map((i) => `${i.namespace ?? 'global'}: ${i.recountReason ?? '?'}`))];
  return (
    `pools -A: ${items.length} pools holding ${used} addresses, ${fromStatus} of ${benchPools} bench pools ` +
    `counted from status; ${recounted.length} recounted from IPAddresses` +
    `${reasons.length === 0 ? '' : ` (${reasons.join(', ')})`}${probe.stderr === '' ? '' : `\n${probe.stderr.trimEnd()}`}`
  );
}
