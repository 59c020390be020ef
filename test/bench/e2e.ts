// End-to-end benchmark (`npm run bench:e2e`): the controller as a separate process against a
// private local control plane. Prints numbers; it is never a timed test.
//
// Two cases, each on a fresh private plane with its own ceiling and load average (issue 17):
//   many-pools  --claims N (2000) over --pools P (4), --family (both)
//   one-pool    --one-pool-claims N (20000) claims into one IPv4 pool in one burst, with claims/s,
//               controller CPU and latency in windows of --window W claims (1000) at 0, N/2 and N
//               used (flat per-claim cost as the pool fills); then a restart with those N addresses
//               and a burst of --one-pool-burst K (2000) claims into the same pool
//   --case C          all (default) | many-pools | one-pool
//
// Options of the many-pools case:
//   --claims N        claims created at once (default 2000)
//   --pools P         pools they are spread over (default 4)
//   --family F        ipv4 | ipv6 | both (default both: pools alternate)
//   --addresses M     pre-create M allocated claims (IPAddresses) before the controller starts
//                     (default 0), to measure start-up and memory with many addresses
//   --fill F1,F2,…    (with --pools 1) one burst of N claims per level: before each, hand-made
//                     IPAddresses top the pool up to Fi used addresses (the earlier bursts' count);
//                     per-claim cost against the pool's fill, e.g. --pools 1 --fill 0,10000,20000
// Options of both:
//   --concurrency C   requests in flight for the benchmark's own writes (default 64)
//   --precreate-concurrency C   requests in flight while pre-creating (default 128)
//   --mode M          bundle (default: what the image runs — controller/image/bundle.mjs under the
//                     ENTRYPOINT's Node flags) | dist (tsc output, Node defaults) | source (tsx)
//   --bundle PATH     (bundle mode) run this already-built bundle's main.mjs instead of rebuilding
//                     (`node controller/image/bundle.mjs /tmp/before` keeps one to compare with)
//   --node-flags=F    extra Node flags for the controller (bundle mode), e.g. --node-flags=--trace-gc
//   --controller-flags=F  extra controller flags, e.g. --controller-flags=--concurrency=64
//   --heap-snapshots  (bundle mode) write a V8 heap snapshot of the controller at the end of the
//                     burst and after the restart settled, into the log directory
//   --json            one JSON object on stdout instead of the tables ({ cases: [...] })
//   --webhooks on|off on (default): the controller serves the chart's webhooks, registered for the
//                     burst's namespace, so claims get ReleaseAddress at create (ADR 0037) and the
//                     admission calls are measured; off: no webhook server, the controller writes it
//
// The burst's API requests (the plane's apiserver_request_total, from the first claim create until
// the controller settled: claim creates included) are printed per claim, writes and reads apart, by
// verb and resource, each next to the minimum the contract needs (CONTRACT_MINIMUM).
//
// Phases of a case: (1) ceiling: once kube-controller-manager's garbage collector watches claims and
// IPAddresses (~30 s after the CRDs are installed; it watches through the burst), a plain client does
// the writes a claim needs (create claim; create IPAddress, add finalizer, patch status) as fast as
// the server takes them, in a namespace the controller does not serve, watched by the same Ready
// observer as the burst (its IPAddresses are then deleted: the controller caches every namespace's);
// (2) optional pre-creation of M allocated claims; (3) controller start (time to
// /readyz); (4) burst of N claims until every one is Ready; (5) SIGTERM + restart: time to /readyz
// with all those addresses, and peak RSS (VmHWM: the process's high-water mark since it started);
// one-pool: (6) the second burst, on the restarted controller; (7) the controller stopped, the
// ceiling again on the plane as the bursts left it (a fuller plane costs the API server more a write).
//
// Every burst and ceiling prints the CPU a claim of each process on the machine (kube-apiserver,
// etcd, kube-controller-manager, the bench's client, the controller) and their sum: on a small
// machine throughput is CPU-bound, at most cores / sum claims a second.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, renameSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AllocationIndex, buildPoolLayout, formatAddr, parseAddr } from '@ipam-in-cluster/allocator';
import { claimFromWire, IPAM_GROUP, type IPAddressClaimWire } from '@ipam-in-cluster/api';
import { Informer } from '@ipam-in-cluster/kube';
import { repoRoot } from '../cluster/paths.js';
import {
  benchControllerArgs,
  ControllerProcess,
  imageNodeFlags,
  metricValue,
  type ControllerMode,
} from '../support/controller-process.js';
import { startIpamPlane, waitForGarbageCollectorWatches, type IpamPlane } from '../support/ipam-plane.js';
import { planeProcessCpuSeconds } from '../support/private-plane.js';
import { registerBenchWebhooks, webhooksOption } from './bench-webhooks.js';
import { benchPools, claimBody, inParallel, plainWrites, type BenchPool } from './plain-writer.js';
import { mebibytes, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    claims: { type: 'string', default: '2000' },
    pools: { type: 'string', default: '4' },
    family: { type: 'string', default: 'both' },
    addresses: { type: 'string', default: '0' },
    concurrency: { type: 'string', default: '64' },
    'precreate-concurrency': { type: 'string', default: '128' },
    mode: { type: 'string', default: 'bundle' },
    'node-flags': { type: 'string', default: '' },
    'controller-flags': { type: 'string', default: '' },
    'heap-snapshots': { type: 'boolean', default: false },
    fill: { type: 'string', default: '' },
    case: { type: 'string', default: 'all' },
    'one-pool-claims': { type: 'string', default: '20000' },
    'one-pool-burst': { type: 'string', default: '2000' },
    window: { type: 'string', default: '1000' },
    bundle: { type: 'string', default: '' },
    json: { type: 'boolean', default: false },
    webhooks: { type: 'string', default: 'on' },
  },
});
const N = Number(values.claims);
const P = Number(values.pools);
const M = Number(values.addresses);
const C = Number(values.concurrency);
const preC = Number(values['precreate-concurrency']);
const family = values.family as 'ipv4' | 'ipv6' | 'both';
const mode = values.mode as ControllerMode;
const nodeFlags = values['node-flags'].split(' ').filter((f) => f !== '');
const controllerFlags = values['controller-flags'].split(' ').filter((f) => f !== '');
const onePoolN = Number(values['one-pool-claims']);
const onePoolK = Number(values['one-pool-burst']);
const windowSize = Number(values.window);
const bundle = values.bundle === '' ? undefined : values.bundle;
const caseName = values.case;
if (
  ![N, P, M, C, preC, onePoolN, onePoolK, windowSize].every((n) => Number.isInteger(n) && n >= 0) ||
  P < 1 ||
  C < 1 ||
  preC < 1 ||
  windowSize < 1
) {
  throw new Error(
    '--claims, --pools, --addresses, --concurrency, --precreate-concurrency, --one-pool-claims, --one-pool-burst, --window take whole numbers (pools, concurrencies, window ≥ 1)',
  );
}
if (!['all', 'many-pools', 'one-pool'].includes(caseName))
  throw new Error('--case: all | many-pools | one-pool');
/** Serve and register the chart's webhooks (default), or run the controller without (`--webhooks off`). */
const withWebhooks = webhooksOption(values.webhooks);
/** --fill: the used-address counts of the one pool before each burst (undefined: one plain burst). */
const fills: (number | undefined)[] =
  values.fill === '' ? [undefined] : values.fill.split(',').map((f) => Number(f.trim()));
if (values.fill !== '') {
  const levels = fills as number[];
  if (P !== 1) throw new Error('--fill needs --pools 1');
  if (!levels.every((f, i) => Number.isInteger(f) && f >= 0 && (i === 0 || f > (levels[i - 1] ?? 0))))
    throw new Error(`--fill ${values.fill}: ascending whole numbers, e.g. 0,10000,20000`);
}
if (!['ipv4', 'ipv6', 'both'].includes(family)) throw new Error('--family: ipv4 | ipv6 | both');
if (!['bundle', 'dist', 'source'].includes(mode)) throw new Error('--mode: bundle | dist | source');
if ((nodeFlags.length > 0 || values['heap-snapshots'] || bundle !== undefined) && mode !== 'bundle') {
  throw new Error('--node-flags, --heap-snapshots and --bundle need --mode bundle');
}

/** Asks the controller for a heap snapshot (SIGUSR2, see --heap-snapshots) and waits until it is written. */
async function heapSnapshot(ctl: ControllerProcess, dir: string, label: string): Promise<void> {
  if (!values['heap-snapshots']) return;
  const before = new Set(readdirSync(dir));
  ctl.kill('SIGUSR2');
  for (let i = 0; i < 1200; i++) {
    await new Promise((r) => setTimeout(r, 250));
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    // Written in one go at the end: the size stops changing.
    if (file !== undefined) {
      const size = statSync(join(dir, file)).size;
      await new Promise((r) => setTimeout(r, 1_000));
      if (statSync(join(dir, file)).size === size && size > 0) {
        renameSync(join(dir, file), join(dir, `${label}.heapsnapshot`));
        log(`heap snapshot: ${join(dir, `${label}.heapsnapshot`)}`);
        return;
      }
    }
  }
  log(`heap snapshot ${label}: not written`);
}

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};
const ms = (t: number): number => Math.round(t);

function isReady(c: IPAddressClaimWire): boolean {
  const claim = claimFromWire(c);
  return (
    claim.conditions.some((x) => x.type === 'Ready' && x.status === 'True') && claim.addressName !== undefined
  );
}

/**
 * CPU seconds so far of the plane's kube-apiserver, etcd and kube-controller-manager (/proc) and of
 * this process (the bench's client). All of them share the machine's cores with the controller.
 */
interface SideCpu {
  apiserver: number;
  etcd: number;
  kcm: number;
  client: number;
}

function sideCpu(env: IpamPlane): SideCpu {
  const of = (name: string): number => planeProcessCpuSeconds(env.plane.dir, name);
  const own = process.cpuUsage();
  return {
    apiserver: of('kube-apiserver'),
    etcd: of('etcd'),
    kcm: of('kube-controller-manager'),
    client: (own.user + own.system) / 1e6,
  };
}

/** ms of CPU a claim between two sideCpu() readings, by process. */
function sideCpuPerClaim(before: SideCpu, after: SideCpu, claims: number): SideCpu {
  const per = (a: number, b: number): number => Math.round(((b - a) * 1000 * 100) / claims) / 100;
  return {
    apiserver: per(before.apiserver, after.apiserver),
    etcd: per(before.etcd, after.etcd),
    kcm: per(before.kcm, after.kcm),
    client: per(before.client, after.client),
  };
}

/**
 * The ceiling's plain writes with the burst's observer: a watch on the namespace's claims that looks
 * for Ready, as runBurst holds one to time the controller. The observer costs the API server and the
 * bench the same in both, so the ratio compares the writers alone.
 */
async function observedPlainWrites(
  env: IpamPlane,
  pools: readonly BenchPool[],
  claims: number,
  namePrefix: string,
): Promise<Awaited<ReturnType<typeof plainWrites>>> {
  const namespace = (pools[0] as BenchPool).namespace;
  let ready = 0;
  const observer = new Informer<IPAddressClaimWire>({
    transport: env.ipam.client.transport,
    resource: env.ipam.claims.resource,
    namespace,
  });
  const note = (c: IPAddressClaimWire): void => {
    if (isReady(c)) ready++;
  };
  observer.onAdd(note);
  observer.onUpdate(note);
  await observer.start();
  try {
    return await plainWrites(env.ipam, pools, Math.ceil(claims / pools.length), {
      concurrency: C,
      namePrefix,
      log,
    });
  } finally {
    await observer.stop();
    log(`  the observer saw ${String(ready)} Ready updates`);
  }
}

async function createPools(env: IpamPlane, pools: readonly BenchPool[]): Promise<void> {
  for (const p of pools) await env.ipam.createPool('InClusterIPPool', p.name, p.namespace, p.spec);
}

/** The "verb" of an admission webhook call in apiRequests()'s counts. */
const ADMISSION_CALL = 'CALL';

/** Requests that change state; everything else (GET, LIST, WATCH) is a read. */
const WRITE_VERBS = new Set(['POST', 'PUT', 'PATCH', 'DELETE', 'APPLY']);

/**
 * The private plane's `apiserver_request_total`, summed over codes, by `VERB resource[/subresource]`
 * (resource requests only: /metrics and other non-resource reads are left out).
 */
function apiRequests(env: IpamPlane): Map<string, number> {
  const counts = new Map<string, number>();
  const text = execFileSync('kubectl', ['--kubeconfig', env.kubeconfig, 'get', '--raw', '/metrics'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  for (const line of text.split('\n')) {
    const key = countKey(line);
    if (key !== undefined)
      counts.set(key, (counts.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1)));
  }
  return counts;
}

/**
 * What one line of /metrics counts towards: `VERB resource[/subresource]` for a resource request,
 * `CALL <webhook name>` for an admission webhook call (ours: the pool webhooks and the claim
 * finalizer); undefined for any other line.
 */
function countKey(line: string): string | undefined {
  const admission = line.startsWith('apiserver_admission_webhook_admission_duration_seconds_count{');
  if (!admission && !line.startsWith('apiserver_request_total{')) return undefined;
  const labels = new Map(
    [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? ''] as [string, string]),
  );
  if (admission) return `${ADMISSION_CALL} ${labels.get('name') ?? ''}`;
  const resource = labels.get('resource') ?? '';
  if (resource === '') return undefined;
  const sub = labels.get('subresource') ?? '';
  return `${labels.get('verb') ?? ''} ${resource}${sub === '' ? '' : `/${sub}`}`;
}

/**
 * What the contract makes one claim cost at least, by `VERB resource[/subresource]`: the claim's
 * create (the user's), its ReleaseAddress finalizer, its IPAddress, its status. Reads: none (the
 * caches' watches carry everything the reconciler needs). With the claim finalizer webhook
 * (`--webhooks on`, ADR 0037) the finalizer's PATCH becomes an admission call on the create, printed
 * on its own line; the ceiling still makes the PATCH.
 */
const CONTRACT_MINIMUM: Readonly<Record<string, number>> = {
  'POST ipaddressclaims': 1,
  'PATCH ipaddressclaims': 1,
  'POST ipaddresses': 1,
  'PATCH ipaddressclaims/status': 1,
};

interface RequestCount {
  request: string;
  count: number;
  perClaim: number;
  /** The contract's minimum per claim (0 for a request it does not need). */
  minimumPerClaim: number;
}

/**
 * Requests between two apiRequests() snapshots, most frequent first (leases and other noise below
 * 1 % of the claims left out), split into writes, reads and admission webhook calls.
 */
function requestsBetween(
  before: Map<string, number>,
  after: Map<string, number>,
  claims: number,
): { writes: RequestCount[]; reads: RequestCount[]; admissions: RequestCount[] } {
  const rows = [...after]
    .map(([request, n]) => ({ request, count: n - (before.get(request) ?? 0) }))
    .filter((r) => r.count >= claims / 100)
    .sort((a, b) => b.count - a.count)
    .map((r) => ({ ...r, perClaim: r.count / claims, minimumPerClaim: CONTRACT_MINIMUM[r.request] ?? 0 }));
  const verb = (r: RequestCount): string => r.request.slice(0, r.request.indexOf(' '));
  return {
    writes: rows.filter((r) => WRITE_VERBS.has(verb(r))),
    reads: rows.filter((r) => !WRITE_VERBS.has(verb(r)) && verb(r) !== ADMISSION_CALL),
    admissions: rows.filter((r) => verb(r) === ADMISSION_CALL),
  };
}

/** `PATCH ipaddressclaims 1.00 (min 1)`, …, and the total against the minimum's total. */
function perClaimLine(rows: readonly RequestCount[], minimumTotal: number): string {
  const total = rows.reduce((sum, r) => sum + r.perClaim, 0);
  const parts = rows.map((r) => `${r.request} ${r.perClaim.toFixed(2)} (min ${String(r.minimumPerClaim)})`);
  return `${total.toFixed(2)} (min ${String(minimumTotal)}): ${parts.length === 0 ? 'none' : parts.join(', ')}`;
}

interface BurstResult {
  claims: number;
  createdMs: number;
  totalMs: number;
  rate: number;
  /** Create request → Ready, per claim, ascending. */
  latencies: number[];
  cpuSeconds: number;
  peakRssBytes: number;
  requests: { writes: RequestCount[]; reads: RequestCount[]; admissions: RequestCount[] };
  /** kube-apiserver, etcd and the bench's own CPU over the burst (create → last Ready), ms a claim. */
  sideCpuMsPerClaim: SideCpu;
  /** The Ready count's marks asked for: when the n-th claim became Ready, and the controller's CPU then. */
  marks: Map<number, { at: number; cpuSeconds: number }>;
}

/**
 * Creates the claims (`C` in flight) and waits until every one is Ready with an addressRef (a watch
 * records when), then until the controller settled (the debounced pool status and fence removal
 * writes are counted too).
 */
async function runBurst(
  env: IpamPlane,
  ctl: ControllerProcess,
  names: readonly { name: string; pool: BenchPool }[],
  markAt: readonly number[] = [],
): Promise<BurstResult> {
  const wanted = new Set(names.map((n) => n.name));
  const sentAt = new Map<string, number>();
  const readyAt = new Map<string, number>();
  const markSet = new Set(markAt);
  const marks = new Map<number, { at: number; cpuSeconds: number }>();
  const watcher = new Informer<IPAddressClaimWire>({
    transport: env.ipam.client.transport,
    resource: env.ipam.claims.resource,
    namespace: 'bench',
  });
  const note = (c: IPAddressClaimWire): void => {
    const name = c.metadata.name ?? '';
    if (wanted.has(name) && !readyAt.has(name) && isReady(c)) {
      const at = performance.now();
      readyAt.set(name, at);
      if (markSet.has(readyAt.size))
        marks.set(readyAt.size, { at, cpuSeconds: ctl.stats()?.cpuSeconds ?? NaN });
    }
  };
  watcher.onAdd(note);
  watcher.onUpdate(note);
  await watcher.start();
  let allReady!: () => void;
  const done = new Promise<void>((resolve) => {
    allReady = resolve;
  });
  const check = setInterval(() => {
    if (readyAt.size >= names.length) allReady();
  }, 10);
  const before = ctl.stats();
  const requestsBefore = apiRequests(env);
  const sideBefore = sideCpu(env);
  const t0 = performance.now();
  await inParallel(names, C, async ({ name, pool }) => {
    sentAt.set(name, performance.now());
    await env.ipam.claims.create(
      claimBody(env.ipam, 'bench', name, { kind: 'InClusterIPPool', name: pool.name }),
    );
  });
  const createdMs = performance.now() - t0;
  const timeout = setTimeout(() => {
    allReady();
  }, 600_000);
  await done;
  clearTimeout(timeout);
  clearInterval(check);
  const totalMs = Math.max(...readyAt.values()) - t0;
  const after = ctl.stats();
  const sideAfter = sideCpu(env);
  await ctl.settled(60_000, 100, true);
  await new Promise((r) => setTimeout(r, 2_000));
  const requests = requestsBetween(requestsBefore, apiRequests(env), names.length);
  await watcher.stop();
  if (readyAt.size < names.length)
    throw new Error(`only ${String(readyAt.size)} of ${String(names.length)} claims became Ready in 10 min`);
  const latencies = names
    .map(({ name }) => (readyAt.get(name) ?? NaN) - (sentAt.get(name) ?? NaN))
    .sort((a, b) => a - b);
  return {
    claims: names.length,
    createdMs,
    totalMs,
    rate: names.length / (totalMs / 1000),
    latencies,
    cpuSeconds: (after?.cpuSeconds ?? NaN) - (before?.cpuSeconds ?? NaN),
    peakRssBytes: after?.peakRssBytes ?? NaN,
    requests,
    sideCpuMsPerClaim: sideCpuPerClaim(sideBefore, sideAfter, names.length),
    marks,
  };
}

/** The Ready counts whose times the windows of a burst of `n` need (see windowFigures). */
function windowMarks(n: number, size: number): { from: number; to: number }[] {
  const w = Math.min(size, Math.floor(n / 3));
  if (w < 2) return [];
  const mid = Math.floor(n / 2 - w / 2);
  return [
    { from: 1, to: w },
    { from: mid, to: mid + w },
    { from: n - w, to: n },
  ];
}

interface WindowFigures {
  /** The window: from the from-th to the to-th claim of the burst Ready (the pool's used count then). */
  from: number;
  to: number;
  claims: number;
  claimsPerSecond: number;
  cpuMsPerClaim: number;
}

/** claims/s and controller CPU per claim between two Ready counts of one burst. */
function windowFigures(b: BurstResult, windows: readonly { from: number; to: number }[]): WindowFigures[] {
  return windows.map(({ from, to }) => {
    const a = b.marks.get(from);
    const z = b.marks.get(to);
    const seconds = ((z?.at ?? NaN) - (a?.at ?? NaN)) / 1000;
    const cpu = (z?.cpuSeconds ?? NaN) - (a?.cpuSeconds ?? NaN);
    return {
      from,
      to,
      claims: to - from,
      claimsPerSecond: Math.round((to - from) / seconds),
      cpuMsPerClaim: Math.round(((cpu * 1000) / (to - from)) * 100) / 100,
    };
  });
}

/** The plain client's rate before the controller ran, and again after it stopped (same plane). */
interface Ceilings {
  before: number;
  after: number;
}

/** ms of CPU a claim of every process on the machine's cores that takes part. */
function totalCpu(c: SideCpu, controllerMs = 0): number {
  return Math.round((c.apiserver + c.etcd + c.kcm + c.client + controllerMs) * 100) / 100;
}

/** At most this many claims a second fit on the machine's cores at `msPerClaim` of CPU a claim. */
function cpuBound(msPerClaim: number): number {
  return Math.round((availableParallelism() * 1000) / msPerClaim);
}

function burstFigures(b: BurstResult, ceilings: Ceilings) {
  const cpuMsPerClaim = Math.round((b.cpuSeconds * 1000 * 100) / b.claims) / 100;
  return {
    createClaimsMs: ms(b.createdMs),
    allReadyMs: ms(b.totalMs),
    claimsPerSecond: Math.round(b.rate),
    percentOfCeiling: Math.round((b.rate / ceilings.before) * 100),
    percentOfCeilingAfter: Math.round((b.rate / ceilings.after) * 100),
    latencyP50Ms: ms(percentile(b.latencies, 50)),
    latencyP99Ms: ms(percentile(b.latencies, 99)),
    latencyMaxMs: ms(b.latencies[b.latencies.length - 1] ?? NaN),
    burstCpuSeconds: Math.round(b.cpuSeconds * 100) / 100,
    cpuMsPerClaim,
    sideCpuMsPerClaim: b.sideCpuMsPerClaim,
    allProcessesCpuMsPerClaim: totalCpu(b.sideCpuMsPerClaim, cpuMsPerClaim),
    apiWrites: b.requests.writes,
    apiReads: b.requests.reads,
    admissionCalls: b.requests.admissions,
  };
}

function sideCpuText(c: SideCpu): string {
  return `${String(c.apiserver)} / ${String(c.etcd)} / ${String(c.kcm)} / ${String(c.client)} ms`;
}

/** `total ms a claim (at most N claims/s on C cores)`: throughput is CPU-bound on a small machine. */
function totalCpuText(total: number): string {
  return `${String(total)} ms a claim (at most ${String(cpuBound(total))} claims/s on ${String(availableParallelism())} cores)`;
}

/** The table rows of one burst (`suffix` names its fill level). */
function burstRows(b: BurstResult, ceilings: Ceilings, suffix: string): [string, string][] {
  const f = burstFigures(b, ceilings);
  const minimum = Object.values(CONTRACT_MINIMUM).reduce((x, y) => x + y, 0);
  return [
    [
      `controller: all Ready${suffix}`,
      `${String(f.allReadyMs)} ms (claims created in ${String(f.createClaimsMs)} ms)`,
    ],
    [
      `controller: throughput${suffix}`,
      `${String(f.claimsPerSecond)} claims/s = ${String(f.percentOfCeiling)} % of ceiling (${String(f.percentOfCeilingAfter)} % of the ceiling after)`,
    ],
    [
      `latency p50 / p99 / max${suffix}`,
      `${String(f.latencyP50Ms)} / ${String(f.latencyP99Ms)} / ${String(f.latencyMaxMs)} ms`,
    ],
    [`controller CPU${suffix}`, `${String(f.burstCpuSeconds)} s (${String(f.cpuMsPerClaim)} ms a claim)`],
    [`CPU a claim: kube-apiserver / etcd / kcm / bench${suffix}`, sideCpuText(f.sideCpuMsPerClaim)],
    [`CPU a claim: every process${suffix}`, totalCpuText(f.allProcessesCpuMsPerClaim)],
    [`API writes per claim${suffix}`, perClaimLine(b.requests.writes, minimum)],
    [`API reads per claim${suffix}`, perClaimLine(b.requests.reads, 0)],
    [`admission webhook calls per claim${suffix}`, perClaimLine(b.requests.admissions, 0)],
  ];
}

/**
 * Tops the (one) pool up to `target` used addresses with hand-made IPAddresses (no claim, no owner
 * reference, no finalizer: the controller counts them as used and leaves them alone), at the pool's
 * lowest free addresses, so the controller allocates above them. Returns the used count after.
 */
async function fillPool(
  env: IpamPlane,
  pool: BenchPool,
  target: number,
  concurrency: number,
): Promise<number> {
  const existing = (await env.ipam.addresses.listAll({ namespace: pool.namespace })).items.filter(
    (a) => a.spec.poolRef.name === pool.name,
  );
  const layout = buildPoolLayout(pool.spec);
  if (!layout.ok) throw new Error(layout.error.message);
  const index = new AllocationIndex(layout.value.allocatable);
  for (const a of existing) {
    const addr = parseAddr(a.spec.address);
    if (addr.ok) index.markUsed(addr.value);
  }
  const missing = Math.max(0, target - existing.length);
  const addresses: string[] = [];
  for (let i = 0; i < missing; i++) {
    const next = index.allocateNext();
    if (!next.ok) throw new Error(`pool ${pool.name} too small for ${String(target)} addresses`);
    addresses.push(formatAddr(next.value));
  }
  log(`filling pool ${pool.name}: ${String(existing.length)} used, ${String(missing)} IPAddresses to add`);
  const t0 = performance.now();
  await inParallel(addresses, concurrency, async (address) => {
    const name = `fill-${address.replaceAll(/[.:]/g, '-')}`;
    await env.ipam.addresses.create({
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddress',
      metadata: { name, namespace: pool.namespace, labels: env.ipam.labels() },
      spec: {
        claimRef: { name },
        poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: pool.name },
        address,
        prefix: pool.spec.prefix,
      },
    });
  });
  log(`  added ${String(missing)} in ${String(ms(performance.now() - t0))} ms`);
  return existing.length + missing;
}

interface CaseSpec {
  name: 'many-pools' | 'one-pool';
  claims: number;
  pools: number;
  family: 'ipv4' | 'ipv6' | 'both';
  /** Pre-created allocated claims (many-pools). */
  addresses: number;
  /** --fill levels (many-pools with --pools 1); [undefined]: one plain burst. */
  fills: (number | undefined)[];
  /** Claims the ceiling writes (the one-pool case measures it on a 2 000-claim sample). */
  ceilingClaims: number;
  /** one-pool: the Ready windows of the big burst, and the burst after the restart. */
  windows: { from: number; to: number }[];
  afterRestartBurst: number;
}

function cases(): CaseSpec[] {
  const manyPools: CaseSpec = {
    name: 'many-pools',
    claims: N,
    pools: P,
    family,
    addresses: M,
    fills,
    ceilingClaims: N,
    windows: [],
    afterRestartBurst: 0,
  };
  const onePool: CaseSpec = {
    name: 'one-pool',
    claims: onePoolN,
    pools: 1,
    family: 'ipv4',
    addresses: 0,
    fills: [undefined],
    ceilingClaims: Math.min(onePoolN, 2000),
    windows: windowMarks(onePoolN, windowSize),
    afterRestartBurst: onePoolK,
  };
  if (caseName === 'many-pools') return [manyPools];
  if (caseName === 'one-pool') return [onePool];
  return [manyPools, onePool];
}

interface CaseOutcome {
  result: Record<string, unknown>;
  rows: [string, string][];
}

async function runCase(spec: CaseSpec): Promise<CaseOutcome> {
  const { claims: n, pools: p, family: fam } = spec;
  const loadStart = loadavg()[0] ?? NaN;
  log(`case ${spec.name}: starting a private control plane`);
  const env = await startIpamPlane('bench');
  const logDir = mkdtempSync(join(tmpdir(), 'ipam-bench-logs-'));
  const controllers: ControllerProcess[] = [];
  try {
    env.kubectl('create', 'namespace', 'ceiling');
    env.kubectl('create', 'namespace', 'bench');
    const ceilingPools = benchPools('ceiling', p, fam);
    const pools = benchPools('bench', p, fam);
    await createPools(env, ceilingPools);
    await createPools(env, pools);

    // (1) ceiling, in a namespace the controller does not serve (--namespace bench), once the
    // garbage collector watches claims and IPAddresses, as it does through the burst.
    const gcWaitMs = await waitForGarbageCollectorWatches(env);
    log(`the garbage collector watches the IPAM resources (waited ${(gcWaitMs / 1000).toFixed(1)} s)`);
    log(`ceiling: plain client, ${String(spec.ceilingClaims)} claims, ${String(C)} in flight`);
    const ceilingSideBefore = sideCpu(env);
    const ceiling = await observedPlainWrites(env, ceilingPools, spec.ceilingClaims, 'x-');
    const ceilingClaims = ceiling.claims;
    const ceilingSide = sideCpuPerClaim(ceilingSideBefore, sideCpu(env), ceilingClaims);
    const ceilingRate = ceilingClaims / ((ceiling.createMs + ceiling.allocateMs) / 1000);
    const ceilingAllocRate = ceilingClaims / (ceiling.allocateMs / 1000);
    // The controller caches IPAddresses of every namespace (a global pool's live anywhere), so the
    // ceiling's would inflate its memory and start-up figures: remove them (ProtectAddress first;
    // nothing else would) before it starts. Its claims stay: the claim cache holds `bench` only.
    const ceilingAddresses = await env.ipam.addresses.listAll({ namespace: 'ceiling' });
    log(`removing the ceiling's ${String(ceilingAddresses.items.length)} IPAddresses`);
    await inParallel(ceilingAddresses.items, C, async (a) => {
      const ref = { namespace: 'ceiling', name: a.metadata.name ?? '' };
      await env.ipam.addresses.mergePatch(ref, { metadata: { finalizers: null } });
      await env.ipam.addresses.delete(ref);
    });
    const left = await env.ipam.addresses.list({ namespace: 'ceiling', limit: 1 });
    if (left.items.length > 0) throw new Error('ceiling IPAddresses left after clean-up');

    // (2) pre-created allocated claims.
    let pre: Awaited<ReturnType<typeof plainWrites>> | undefined;
    if (spec.addresses > 0) {
      log(`pre-creating ${String(spec.addresses)} allocated claims, ${String(preC)} in flight`);
      pre = await plainWrites(env.ipam, pools, Math.ceil(spec.addresses / p), {
        concurrency: preC,
        namePrefix: 'pre-',
        finalizerOnCreate: true,
        log,
      });
    }

    // (3) controller start, with the chart's webhooks registered for `bench` (after the pre-created
    // claims, which carry their finalizer already, as the ceiling's do).
    const webhooks = withWebhooks ? await registerBenchWebhooks(env, logDir, 'bench') : undefined;
    const start = async (name: string): Promise<ControllerProcess> => {
      const ctl = await ControllerProcess.start({
        kubeconfig: env.kubeconfig,
        name,
        logFile: join(logDir, `${name}.log`),
        args: [...benchControllerArgs('bench'), ...(webhooks?.controllerArgs ?? []), ...controllerFlags],
        mode,
        ...(bundle === undefined ? {} : { bundle }),
        nodeFlags: [
          ...nodeFlags,
          ...(values['heap-snapshots']
            ? ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${logDir}`]
            : []),
        ],
      });
      controllers.push(ctl);
      return ctl;
    };
    const heapUsed = async (ctl: ControllerProcess): Promise<number> => {
      const text = await ctl.metrics();
      return text === undefined ? NaN : (metricValue(text, 'nodejs_heap_size_used_bytes') ?? NaN);
    };
    const ctl1 = await start('controller-1');
    const firstReadyMs = await ctl1.waitReady(120_000);
    // Leading before the burst (with no addresses the settle is a second of quiet).
    const firstSettleMs = await ctl1.settled(600_000, 100, true);
    const firstStats = ctl1.stats();
    log(
      `controller ready in ${String(ms(firstReadyMs))} ms${spec.addresses > 0 ? `, settled ${String(ms(firstSettleMs))} ms later` : ''}; peak RSS ${String(mebibytes(firstStats?.peakRssBytes ?? NaN))} MB`,
    );

    // (4) the burst; with --fill, one burst per fill level of the (one) pool, each after
    // topping the pool up to that many used addresses.
    const bursts: (BurstResult & { usedBefore: number })[] = [];
    let claimNumber = 0;
    const claimNames = (count: number): { name: string; pool: BenchPool }[] =>
      Array.from({ length: count }, (_, i) => ({
        name: `c-${String(claimNumber++)}`,
        pool: pools[i % p] as BenchPool,
      }));
    for (const fill of spec.fills) {
      let usedBefore = 0;
      if (fill !== undefined) {
        usedBefore = await fillPool(env, pools[0] as BenchPool, fill, preC);
        await ctl1.settled(600_000, 100, true);
      }
      const label = fill === undefined ? '' : ` into a pool with ${String(usedBefore)} used`;
      log(`burst: ${String(n)} claims over ${String(p)} pools (${fam})${label}`);
      const burst = await runBurst(
        env,
        ctl1,
        claimNames(n),
        spec.windows.flatMap((w) => [w.from, w.to]),
      );
      log(`all ${String(n)} Ready after ${String(ms(burst.totalMs))} ms (${burst.rate.toFixed(0)} claims/s)`);
      bursts.push({ ...burst, usedBefore });
    }
    await heapSnapshot(ctl1, logDir, 'after-burst');
    const first = bursts[0] as BurstResult;
    const last = bursts[bursts.length - 1] as BurstResult;
    const burstPeak = last.peakRssBytes;
    const windows = windowFigures(first, spec.windows);
    const loadAfterBurst = loadavg()[0] ?? NaN;

    // (5) restart with every address in place.
    await ctl1.settled(60_000, 100, true);
    await ctl1.stop();
    const ctl2 = await start('controller-2');
    const restartReadyMs = await ctl2.waitReady(120_000);
    const restartSettleMs = await ctl2.settled(600_000, 100, true);
    const restartStats = ctl2.stats();
    const restartHeapUsed = await heapUsed(ctl2);
    await heapSnapshot(ctl2, logDir, 'after-restart');
    const addresses = (await env.ipam.addresses.listAll({ namespace: 'bench' })).items.length;

    // (6) one-pool: a burst into the pool those addresses fill, on the restarted controller.
    let afterRestart: BurstResult | undefined;
    if (spec.afterRestartBurst > 0) {
      log(`burst: ${String(spec.afterRestartBurst)} claims into the pool with ${String(addresses)} used`);
      afterRestart = await runBurst(env, ctl2, claimNames(spec.afterRestartBurst));
      log(
        `all Ready after ${String(ms(afterRestart.totalMs))} ms (${afterRestart.rate.toFixed(0)} claims/s)`,
      );
    }
    await ctl2.stop();

    // (7) the ceiling again, on the plane as the bursts left it (every claim, IPAddress and Event
    // still stored, the controller stopped): the first ceiling ran on an empty plane, and each write
    // costs the API server more on a fuller one. The ratio is given against both.
    env.kubectl('create', 'namespace', 'ceiling-after');
    const afterPools = benchPools('ceiling-after', p, fam);
    await createPools(env, afterPools);
    log(`ceiling after the bursts: plain client, ${String(spec.ceilingClaims)} claims, controller stopped`);
    const afterSideBefore = sideCpu(env);
    const ceilingAfter = await observedPlainWrites(env, afterPools, spec.ceilingClaims, 'y-');
    const ceilingAfterSide = sideCpuPerClaim(afterSideBefore, sideCpu(env), ceilingAfter.claims);
    const ceilings: Ceilings = {
      before: ceilingRate,
      after: ceilingAfter.claims / ((ceilingAfter.createMs + ceilingAfter.allocateMs) / 1000),
    };

    const loadEnd = loadavg()[0] ?? NaN;
    const result = {
      case: spec.name,
      machine: {
        cores: availableParallelism(),
        loadavg1mStart: loadStart,
        ...(spec.windows.length > 0 ? { loadavg1mAfterBurst: loadAfterBurst } : {}),
        loadavg1mEnd: loadEnd,
      },
      claims: n,
      pools: p,
      family: fam,
      mode,
      nodeFlags: mode === 'bundle' ? [...imageNodeFlags(), ...nodeFlags] : [],
      controllerFlags,
      concurrency: C,
      preCreatedAddresses: pre?.claims ?? 0,
      ceiling: {
        claims: ceilingClaims,
        createClaimsMs: ms(ceiling.createMs),
        allocateWritesMs: ms(ceiling.allocateMs),
        claimsPerSecond: Math.round(ceilingRate),
        allocateWritesOnlyClaimsPerSecond: Math.round(ceilingAllocRate),
        cpuMsPerClaim: ceilingSide,
        allProcessesCpuMsPerClaim: totalCpu(ceilingSide),
        after: {
          claims: ceilingAfter.claims,
          createClaimsMs: ms(ceilingAfter.createMs),
          allocateWritesMs: ms(ceilingAfter.allocateMs),
          claimsPerSecond: Math.round(ceilings.after),
          cpuMsPerClaim: ceilingAfterSide,
          allProcessesCpuMsPerClaim: totalCpu(ceilingAfterSide),
        },
      },
      controller: {
        startReadyMs: ms(firstReadyMs),
        ...(spec.addresses > 0 ? { startSettleMs: ms(firstSettleMs) } : {}),
        startPeakRssMB: mebibytes(firstStats?.peakRssBytes ?? NaN),
        ...burstFigures(first, ceilings),
        peakRssMB: mebibytes(burstPeak),
      },
      ...(spec.fills[0] === undefined
        ? {}
        : {
            bursts: bursts.map((b) => ({
              usedBefore: b.usedBefore,
              ...burstFigures(b, ceilings),
            })),
          }),
      ...(windows.length > 0
        ? {
            windows: windows.map((w) => ({
              ...w,
              percentOfCeiling: Math.round((w.claimsPerSecond / ceilingRate) * 100),
            })),
          }
        : {}),
      restart: {
        addresses,
        readyMs: ms(restartReadyMs),
        settleAfterReadyMs: ms(restartSettleMs),
        cpuSeconds: Math.round((restartStats?.cpuSeconds ?? NaN) * 100) / 100,
        peakRssMB: mebibytes(restartStats?.peakRssBytes ?? NaN),
        rssMB: mebibytes(restartStats?.rssBytes ?? NaN),
        heapUsedMB: mebibytes(restartHeapUsed),
      },
      ...(afterRestart === undefined
        ? {}
        : {
            afterRestart: {
              usedBefore: addresses,
              ...burstFigures(afterRestart, ceilings),
              peakRssMB: mebibytes(afterRestart.peakRssBytes),
            },
          }),
    };
    const burstLabel = (b: { usedBefore: number }): string =>
      spec.fills[0] === undefined ? '' : ` at ${String(b.usedBefore)} used`;
    const rows: [string, string][] = [
      ['case', spec.name],
      ['claims / pools / family', `${String(n)} / ${String(p)} / ${fam} (${mode})`],
      ...(mode === 'bundle' ? [['node flags', result.nodeFlags.join(' ')] as [string, string]] : []),
      ...(bundle === undefined ? [] : [['bundle', bundle] as [string, string]]),
      ...(controllerFlags.length > 0
        ? [['controller flags', controllerFlags.join(' ')] as [string, string]]
        : []),
      [
        'machine: cores, load (1 min) start/end',
        `${String(result.machine.cores)}, ${loadStart.toFixed(1)} / ${loadEnd.toFixed(1)}`,
      ],
      [
        'ceiling: plain client',
        `${String(result.ceiling.claimsPerSecond)} claims/s (${String(ceilingClaims)} claims: create ${String(result.ceiling.createClaimsMs)} ms + writes ${String(result.ceiling.allocateWritesMs)} ms)`,
      ],
      ['ceiling: writes only', `${String(result.ceiling.allocateWritesOnlyClaimsPerSecond)} claims/s`],
      ['ceiling: CPU a claim: kube-apiserver / etcd / kcm / client', sideCpuText(ceilingSide)],
      ['ceiling: CPU a claim: every process', totalCpuText(totalCpu(ceilingSide))],
      [
        'ceiling after the bursts (same plane)',
        `${String(result.ceiling.after.claimsPerSecond)} claims/s (create ${String(result.ceiling.after.createClaimsMs)} ms + writes ${String(result.ceiling.after.allocateWritesMs)} ms)`,
      ],
      ['ceiling after: CPU a claim: kube-apiserver / etcd / kcm / client', sideCpuText(ceilingAfterSide)],
      ['ceiling after: CPU a claim: every process', totalCpuText(totalCpu(ceilingAfterSide))],
      ...bursts.flatMap((b) => burstRows(b, ceilings, burstLabel(b))),
      ...windows.map((w): [string, string] => [
        `window: Ready ${String(w.from)}–${String(w.to)} (used)`,
        `${String(w.claimsPerSecond)} claims/s = ${String(Math.round((w.claimsPerSecond / ceilingRate) * 100))} % of ceiling, ${String(w.cpuMsPerClaim)} ms CPU a claim`,
      ]),
      ['controller peak RSS (bursts)', `${String(result.controller.peakRssMB)} MB`],
      [
        'first start: ready',
        `${String(result.controller.startReadyMs)} ms${spec.addresses > 0 ? ` (with ${String(pre?.claims ?? 0)} addresses; queue settled +${String(ms(firstSettleMs))} ms)` : ''}`,
      ],
      ['first start: peak RSS', `${String(result.controller.startPeakRssMB)} MB`],
      [
        `restart with ${String(addresses)} addresses: ready`,
        `${String(result.restart.readyMs)} ms (queue settled +${String(result.restart.settleAfterReadyMs)} ms)`,
      ],
      [
        'restart: CPU / peak RSS / RSS / heap used',
        `${String(result.restart.cpuSeconds)} s / ${String(result.restart.peakRssMB)} MB / ${String(result.restart.rssMB)} MB / ${String(result.restart.heapUsedMB)} MB`,
      ],
      ...(afterRestart === undefined
        ? []
        : [
            ...burstRows(afterRestart, ceilings, ` after restart, ${String(addresses)} used`),
            ['controller peak RSS (after restart)', `${String(mebibytes(afterRestart.peakRssBytes))} MB`] as [
              string,
              string,
            ],
          ]),
    ];
    return { result, rows };
  } finally {
    for (const c of controllers) await c.stop(5_000);
    env.stop();
    log(`controller logs: ${logDir}`);
  }
}

async function main(): Promise<void> {
  if (mode === 'dist') {
    log('building controller (tsc -b controller)');
    try {
      execFileSync(join(repoRoot, 'node_modules/.bin/tsc'), ['-b', 'controller'], {
        cwd: repoRoot,
        stdio: 'inherit',
      });
    } catch {
      // A work tree with someone's half-finished change may not type-check; tsc still emits.
      log('tsc -b controller reported errors; running the dist/ it left');
    }
  } else if (mode === 'bundle' && bundle === undefined) {
    log(
      `bundling controller (controller/image/bundle.mjs); node flags: ${[...imageNodeFlags(), ...nodeFlags].join(' ')}`,
    );
    execFileSync(process.execPath, [join(repoRoot, 'controller/image/bundle.mjs')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  const outcomes: CaseOutcome[] = [];
  for (const spec of cases()) {
    const outcome = await runCase(spec);
    outcomes.push(outcome);
    if (!values.json) {
      // Each case's table as soon as it is done (the one-pool case takes far longer).
      const width = Math.max(...outcome.rows.map(([k]) => k.length));
      for (const [k, v] of outcome.rows) process.stdout.write(`${k.padEnd(width)}  ${v}\n`);
      process.stdout.write('\n');
    }
  }
  if (values.json) process.stdout.write(`${JSON.stringify({ cases: outcomes.map((o) => o.result) })}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `bench:e2e failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
});
