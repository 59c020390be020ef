// The chaos storm: two controller replicas (separate processes, leader election) on a private
// control plane; claims created across namespaced and global, IPv4 and IPv6 pools (one nearly
// exhausted, one grown mid-storm) while each leader is SIGKILLed after leading 2-5 s (and replaced
// at once), kube-apiserver is restarted once, a free address is excluded from a pool, and claims are
// deleted and recreated. Returns what happened; the caller asserts the invariants.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildPoolLayout, formatAddr, type Addr } from '@ipam-in-cluster/allocator';
import { claimFromWire, LEADER_ELECTION_ID, type IPPoolSpec, type Pool } from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';
import { benchPools, plainWrites } from '../bench/plain-writer.js';
import { restartApiServer, type ApiServerRestart } from '../support/apiserver-restart.js';
import { ControllerProcess, logTail, type ControllerMode } from '../support/controller-process.js';
import type { Ipam } from '../support/controller.js';
import type { IpamPlane } from '../support/ipam-plane.js';
import type { PoolRef } from '../support/ipam-invariants.js';
import { mulberry32 as rng } from '../support/prng.js';

export interface StormOptions {
  claims: number;
  stormMs: number;
  mode: ControllerMode;
  log: (line: string) => void;
  /** Where each replica writes its log (the caller keeps or removes it). */
  logDir: string;
  /** Deterministic choices (kill intervals, churn picks). */
  seed?: number;
  /** Extra controller flags for every replica (experiments, e.g. --concurrency=32). */
  controllerArgs?: readonly string[];
  /** Restart kube-apiserver mid-storm (default true); false measures leader kills alone. */
  apiServerRestart?: boolean;
}

export interface PlannedPool extends PoolRef {
  spec: IPPoolSpec;
  share: number;
}

export interface StormReport {
  seed: number;
  claimsCreated: number;
  deletes: number;
  recreates: number;
  /** ledMs: how long it had led (from first seen leading) when killed; wallMs: Date.now() then. */
  kills: { atMs: number; wallMs: number; pid: number; ledMs: number }[];
  replicaExits: { name: string; code: number | null; signal: string | null; atMs: number }[];
  replicasStarted: number;
  leaderChanges: number;
  leaders: string[];
  apiServerRestart: (ApiServerRestart & { atMs: number }) | undefined;
  poolEdits: { atMs: number; what: string }[];
  stormMs: number;
  /** performance.now() when the storm ended (creation, churn, kills and edits stopped). */
  stormEndedAt: number;
  /**
   * Resolves when every claim deleted during the storm is gone and created again (rejects with the
   * first failures); part of what must be done within 60 s of the storm's end.
   */
  settled: Promise<void>;
  /** Claim names per namespace that must exist at the end. */
  expected: Map<string, { namespace: string; pool: PoolRef }>;
  logDir: string;
  replicas: () => ControllerProcess[];
  /** Stops the supervisor and both replicas. */
  stop(): Promise<void>;
}

export const NAMESPACES = ['chaos-a', 'chaos-b'] as const;
export const LEASE_NAMESPACE = 'chaos-lease';
/** Replicas exiting by themselves (not killed) before the supervisor stops replacing them. */
const MAX_SELF_EXITS = 60;

/** Pools sized for `claims`: shares 30 % / 30 % / 25 % / 15 %. */
export function planPools(claims: number): PlannedPool[] {
  const g6 = Math.max(4, Math.round(claims * 0.15));
  return [
    {
      kind: 'InClusterIPPool',
      namespace: 'chaos-a',
      name: 'v4',
      share: 0.3,
      spec: { addresses: ['10.1.0.0/20'], prefix: 20, gateway: '10.1.0.1' },
    },
    {
      kind: 'InClusterIPPool',
      namespace: 'chaos-b',
      name: 'v6',
      share: 0.3,
      spec: { addresses: ['fd00:b::/116'], prefix: 116 },
    },
    // Starts with room for ~40 % of its claims; grown to the whole /20 mid-storm.
    {
      kind: 'GlobalInClusterIPPool',
      name: 'chaos-g4',
      share: 0.25,
      spec: {
        addresses: [`10.2.0.1-10.2.0.${String(Math.max(2, Math.min(254, Math.round(claims * 0.25 * 0.4))))}`],
        prefix: 20,
      },
    },
    // Nearly exhausted: two addresses more than its claims ("::" of the subnet is reserved).
    {
      kind: 'GlobalInClusterIPPool',
      name: 'chaos-g6',
      share: 0.15,
      spec: { addresses: [`fd00:6::1-fd00:6::${(g6 + 2).toString(16)}`], prefix: 64 },
    },
  ];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Retries an API call through outages (apiserver restart): up to `ms`, or until `stopped()`. */
async function persist<T>(
  what: string,
  fn: () => Promise<T>,
  ms = 90_000,
  stopped: () => boolean = () => false,
): Promise<T> {
  const deadline = performance.now() + ms;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (performance.now() > deadline || stopped())
        throw new Error(`${what}: ${error instanceof Error ? error.message : String(error)}`, {
          cause: error,
        });
      await sleep(Math.min(1_000, 50 * 2 ** attempt));
    }
  }
}

function kindOf(e: unknown): string {
  return classifyApiError(e).kind;
}

export async function setUpStorm(env: IpamPlane, pools: readonly PlannedPool[]): Promise<void> {
  for (const ns of [...NAMESPACES, LEASE_NAMESPACE]) env.kubectl('create', 'namespace', ns);
  for (const p of pools) await env.ipam.createPool(p.kind, p.name, p.namespace, p.spec);
}

export async function runStorm(
  env: IpamPlane,
  pools: readonly PlannedPool[],
  opts: StormOptions,
): Promise<StormReport> {
  const { ipam } = env;
  const seed = opts.seed ?? Date.now() % 1_000_000;
  const random = rng(seed);
  const between = (lo: number, hi: number): number => lo + random() * (hi - lo);
  const t0 = performance.now();
  const at = (): number => Math.round(performance.now() - t0);
  const log = (line: string): void => {
    opts.log(`[${(at() / 1000).toFixed(1).padStart(6)} s] ${line}`);
  };
  const { logDir } = opts;

  const report: StormReport = {
    seed,
    claimsCreated: 0,
    deletes: 0,
    recreates: 0,
    kills: [],
    replicaExits: [],
    replicasStarted: 0,
    leaderChanges: 0,
    leaders: [],
    apiServerRestart: undefined,
    poolEdits: [],
    stormMs: opts.stormMs,
    stormEndedAt: Number.NaN,
    settled: Promise.resolve(),
    expected: new Map(),
    logDir,
    replicas: () => [...replicas],
    stop: async () => {
      supervising = false;
      cancelled = true;
      lease.watching = false;
      await Promise.all([...replicas].map((r) => r.stop(10_000)));
    },
  };

  // ---- two replicas, kept at two by a supervisor.
  const replicas = new Set<ControllerProcess>();
  let supervising = true;
  /** Set by stop(): the storm's loops and retries end. */
  let cancelled = false;
  const lease = { watching: true };
  let started = 0;
  const startReplica = async (): Promise<void> => {
    const name = `replica-${String(++started)}`;
    const r = await ControllerProcess.start({
      kubeconfig: env.kubeconfig,
      mode: opts.mode,
      name,
      logFile: join(logDir, `${name}.log`),
      args: [
        '--leader-elect',
        '--leader-elect-namespace',
        LEASE_NAMESPACE,
        '--leader-elect-lease-duration=4s',
        '--leader-elect-renew-deadline=3s',
        '--leader-elect-retry-period=1s',
        '--log-level=info',
        ...(opts.controllerArgs ?? []),
      ],
    });
    report.replicasStarted++;
    replicas.add(r);
    if (!supervising) void r.stop(10_000); // stop() ran while this one was starting
    void r.exited.then(async (exit) => {
      replicas.delete(r);
      report.replicaExits.push({ name, code: exit.code, signal: exit.signal, atMs: at() });
      if (exit.signal === 'SIGKILL') {
        if (supervising) void startReplica(); // the kill's replacement, at once
        return;
      }
      if (cancelled) {
        log(`${name} stopped (code ${String(exit.code)}, signal ${String(exit.signal)})`);
        return;
      }
      // Exited by itself (e.g. started while kube-apiserver was down): restart after a pause, as a
      // kubelet would, and give up on a replica that cannot start at all rather than spin.
      log(`${name} exited by itself (code ${String(exit.code)}, signal ${String(exit.signal)})`);
      selfExits++;
      if (selfExits > MAX_SELF_EXITS) {
        if (supervising)
          log(`more than ${String(MAX_SELF_EXITS)} replicas exited by themselves: not restarting`);
        supervising = false;
        return;
      }
      await sleep(1_000);
      if (supervising) void startReplica();
    });
  };
  let selfExits = 0;
  try {
    await startReplica();
    await startReplica();
    await Promise.all([...replicas].map((r) => r.waitReady(120_000)));
  } catch (error) {
    await report.stop();
    throw error;
  }
  log(`two replicas ready (${opts.mode}); seed ${String(seed)}`);

  // ---- lease watcher (leader changes).
  const leaseWatch = (async () => {
    let last: string | undefined;
    while (lease.watching) {
      try {
        const current = await ipam.client
          .leases()
          .get({ namespace: LEASE_NAMESPACE, name: LEADER_ELECTION_ID });
        const holder = current.spec?.holderIdentity;
        if (holder !== undefined && holder !== '' && holder !== last) {
          if (last !== undefined) report.leaderChanges++;
          report.leaders.push(holder);
          last = holder;
        }
      } catch {
        /* not yet created, or the API server is down */
      }
      await sleep(200);
    }
  })();

  const stormEnd = t0 + opts.stormMs;
  const storming = (): boolean => !cancelled && performance.now() < stormEnd;

  // ---- claims: created in batches over the first 70 % of the storm.
  const plan: { namespace: string; name: string; pool: PoolRef }[] = [];
  for (const p of pools) {
    const count = Math.round(opts.claims * p.share);
    for (let i = 0; i < count; i++) {
      const namespace = p.namespace ?? NAMESPACES[i % NAMESPACES.length] ?? 'chaos-a';
      plan.push({ namespace, name: `${p.name}-${String(i)}`, pool: p });
    }
  }
  // Shuffle, so pools interleave.
  for (let i = plan.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [plan[i], plan[j]] = [plan[j] as (typeof plan)[number], plan[i] as (typeof plan)[number]];
  }
  const live: typeof plan = [];
  const churning = new Set<string>();
  const keyOf = (c: { namespace: string; name: string }): string => `${c.namespace}/${c.name}`;
  const createClaim = async (c: (typeof plan)[number]): Promise<void> => {
    await persist(
      `create claim ${keyOf(c)}`,
      async () => {
        try {
          await ipam.createClaim(c.name, c.namespace, { kind: c.pool.kind, name: c.pool.name });
        } catch (error) {
          if (kindOf(error) !== 'AlreadyExists') throw error;
        }
      },
      90_000,
      () => cancelled,
    );
  };
  const creator = (async () => {
    const window = opts.stormMs * 0.7;
    const batches = Math.max(1, Math.floor(window / 250));
    const perBatch = Math.ceil(plan.length / batches);
    for (let b = 0; b * perBatch < plan.length; b++) {
      const batch = plan.slice(b * perBatch, (b + 1) * perBatch);
      await Promise.all(batch.map((c) => createClaim(c)));
      for (const c of batch) {
        live.push(c);
        report.expected.set(keyOf(c), { namespace: c.namespace, pool: c.pool });
      }
      report.claimsCreated += batch.length;
      const due = t0 + ((b + 1) * window) / batches;
      if (due > performance.now()) await sleep(due - performance.now());
    }
    log(`all ${String(plan.length)} claims created`);
  })();

  // ---- churn: delete a few claims, recreate each once it is gone.
  const recreations: Promise<void>[] = [];
  const churnErrors: string[] = [];
  const churner = (async () => {
    while (storming()) {
      await sleep(between(300, 800));
      if (live.length === 0) continue;
      const picks = 1 + Math.floor(random() * 3);
      for (let k = 0; k < picks; k++) {
        const c = live[Math.floor(random() * live.length)];
        if (c === undefined || churning.has(keyOf(c))) continue;
        churning.add(keyOf(c));
        report.deletes++;
        recreations.push(
          (async () => {
            await persist(`delete claim ${keyOf(c)}`, async () => {
              try {
                await ipam.claims.delete({ namespace: c.namespace, name: c.name });
              } catch (error) {
                if (kindOf(error) !== 'NotFound') throw error;
              }
            });
            await persist(
              `claim ${keyOf(c)} to be gone`,
              async () => {
                if ((await ipam.claims.find({ namespace: c.namespace, name: c.name })) !== undefined)
                  throw new Error('still there');
              },
              // In practice bounded by the caller, which stops the storm when its wait for every
              // claim to be Ready ends.
              600_000,
              () => cancelled,
            );
            await createClaim(c);
            report.recreates++;
            churning.delete(keyOf(c));
          })().catch((error: unknown) => {
            churnErrors.push(error instanceof Error ? error.message : String(error));
          }),
        );
      }
    }
  })();

  // ---- leader kills: each leader is SIGKILLed after it has led for 2-5 s. (Counted from the
  // takeover, not from the previous kill: a failover takes the lease duration, 4 s, so a kill 2-5 s
  // after the previous one would nearly always hit a leader in its first milliseconds, and no leader
  // would ever work during the storm.)
  const findLeader = async (): Promise<ControllerProcess | undefined> => {
    while (storming()) {
      for (const r of replicas) if (r.alive && (await r.isLeader())) return r;
      await sleep(100);
    }
    return undefined;
  };
  const killer = (async () => {
    while (storming()) {
      const leader = await findLeader();
      if (leader === undefined) continue;
      const ledFor = between(2_000, 5_000);
      await sleep(ledFor);
      if (!storming() || !leader.alive || !(await leader.isLeader())) continue;
      leader.kill('SIGKILL');
      report.kills.push({ atMs: at(), wallMs: Date.now(), pid: leader.pid, ledMs: Math.round(ledFor) });
      log(
        `SIGKILL leader ${leader.name} (pid ${String(leader.pid)}) after leading ${(ledFor / 1000).toFixed(1)} s`,
      );
    }
  })();

  // ---- pool edits and the apiserver restart at fixed points of the storm.
  const events = (async () => {
    await sleep(opts.stormMs * 0.3);
    // Grow the global IPv4 pool to the whole /20 (claims waiting on it must be served).
    const g4 = pools.find((p) => p.name === 'chaos-g4');
    if (g4 !== undefined) {
      await persist('grow chaos-g4', () =>
        ipam
          .pools('GlobalInClusterIPPool')
          .mergePatch({ name: g4.name }, { spec: { addresses: ['10.2.0.1-10.2.15.254'] } }),
      );
      report.poolEdits.push({ atMs: at(), what: 'grew chaos-g4 to 10.2.0.1-10.2.15.254' });
      log('grew chaos-g4');
    }
    await sleep(opts.stormMs * 0.15);
    if (opts.apiServerRestart ?? true) {
      const restartAt = at();
      log('restarting kube-apiserver');
      const r = await restartApiServer(env.plane.dir);
      report.apiServerRestart = { ...r, atMs: restartAt };
      log(`kube-apiserver back after ${String(Math.round(r.downtimeMs))} ms`);
    }
    await sleep(opts.stormMs * 0.1);
    // Exclude a free address of the namespaced IPv4 pool: a random one from the upper half of the
    // range, which first-fit allocation cannot reach during this run (without the webhook's fence,
    // excluding the next address to be handed out races an allocation: ADR 0009).
    const v4 = pools.find((p) => p.name === 'v4');
    if (v4?.namespace !== undefined) {
      const pool: Pool = await persist('read v4', () =>
        ipam.pools('InClusterIPPool').get({ namespace: v4.namespace, name: v4.name }),
      );
      const layout = buildPoolLayout(pool.spec as IPPoolSpec);
      const used = new Set(
        (
          await persist('list v4 addresses', () => ipam.addresses.listAll({ namespace: v4.namespace }))
        ).items.map((a) => a.spec.address),
      );
      if (layout.ok) {
        const range = layout.value.allocatable.ranges[0];
        if (range !== undefined) {
          const span = range.to - range.from;
          let candidate: Addr = {
            family: range.family,
            value: range.from + span / 2n + BigInt(Math.floor(random() * 1000)),
          };
          while (used.has(formatAddr(candidate))) candidate = { ...candidate, value: candidate.value + 1n };
          const excluded = formatAddr(candidate);
          await persist('exclude from v4', () =>
            ipam
              .pools('InClusterIPPool')
              .mergePatch(
                { namespace: v4.namespace, name: v4.name },
                { spec: { excludedAddresses: [excluded] } },
              ),
          );
          report.poolEdits.push({ atMs: at(), what: `excluded free ${excluded} from chaos-a/v4` });
          log(`excluded ${excluded} from chaos-a/v4`);
        }
      }
    }
  })();

  try {
    await Promise.all([creator, churner, killer, events]);
  } catch (error) {
    cancelled = true;
    lease.watching = false;
    await report.stop();
    throw error;
  }
  report.stormEndedAt = performance.now();
  report.stormMs = at();
  log(`storm over: ${String(report.kills.length)} kills, ${String(report.deletes)} deletes`);
  report.settled = (async () => {
    await Promise.all(recreations);
    lease.watching = false;
    await leaseWatch;
    if (churnErrors.length > 0)
      throw new Error(`delete/recreate failed: ${churnErrors.slice(0, 5).join('; ')}`);
    log(`recreations done (${String(report.recreates)})`);
  })();
  // Observed by the caller; never an unhandled rejection if the caller fails first.
  report.settled.catch(() => undefined);
  return report;
}

/** Claims (of the expected set) not Ready with an addressRef, from one list per namespace. */
export async function notReady(ipam: Ipam, expected: ReadonlyMap<string, unknown>): Promise<string[]> {
  const ready = new Set<string>();
  for (const ns of NAMESPACES) {
    for (const c of (await ipam.claims.listAll({ namespace: ns })).items) {
      const claim = claimFromWire(c);
      if (
        c.metadata.deletionTimestamp === undefined &&
        claim.addressName !== undefined &&
        claim.conditions.some((x) => x.type === 'Ready' && x.status === 'True')
      )
        ready.add(`${ns}/${c.metadata.name ?? ''}`);
    }
  }
  return [...expected.keys()].filter((k) => !ready.has(k));
}

export function replicaLogTails(report: StormReport): string {
  return report
    .replicas()
    .map((r) => `--- ${r.name}\n${logTail(join(report.logDir, `${r.name}.log`), 15)}`)
    .join('\n');
}

export interface Ceiling {
  claims: number;
  createMs: number;
  allocateMs: number;
  /** claims / (create + writes): what a plain client achieves, the bench's ceiling. */
  claimsPerSecond: number;
}

/**
 * The API server's ceiling on this plane right now: a plain client creating `claims` claims and
 * doing the writes each needs (IPAddress, finalizer, status) with 64 in flight, in a namespace of
 * its own. Run it with the replicas stopped (they would reconcile these claims too).
 */
export async function measureCeiling(env: IpamPlane, claims: number): Promise<Ceiling> {
  const namespace = 'chaos-ceiling';
  env.kubectl('create', 'namespace', namespace);
  const pools = benchPools(namespace, 2, 'both');
  for (const p of pools) await env.ipam.createPool('InClusterIPPool', p.name, p.namespace, p.spec);
  const r = await plainWrites(env.ipam, pools, Math.ceil(claims / pools.length), {
    concurrency: 64,
    namePrefix: 'ceiling-',
  });
  return {
    claims: r.claims,
    createMs: Math.round(r.createMs),
    allocateMs: Math.round(r.allocateMs),
    claimsPerSecond: r.claims / ((r.createMs + r.allocateMs) / 1000),
  };
}

interface LogRecord {
  ts: string;
  msg: string;
  [field: string]: unknown;
}

function records(file: string): LogRecord[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogRecord);
}

/**
 * Where the time went after the last leader kill, from every replica's log (docs/adr/0022): each
 * takeover since (lease acquired, the new leader's caches if it listed after the kill, its
 * consistent read, its workers started, its first pass over the claims with its failed and
 * requeued reconciles), leaderships lost since, and all-Ready; in seconds after the kill.
 */
export function recoveryPhases(report: StormReport, allReadyWallMs: number | undefined): string[] {
  const kill = report.kills.at(-1);
  if (kill === undefined) return ['no kill'];
  const after = (ts: string): string => ((Date.parse(ts) - kill.wallMs) / 1000).toFixed(1);
  const lines: string[] = [];
  const files = readdirSync(report.logDir).filter((f) => f.endsWith('.log'));
  for (const file of files.sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    const since = records(join(report.logDir, file)).filter((r) => Date.parse(r.ts) >= kill.wallMs);
    const find = (msg: string): LogRecord | undefined => since.find((r) => r.msg === msg);
    const acquired = find('lease acquired');
    const lost = since.find((r) => r.msg === 'stopping' && r.reason === 'leadership-lost');
    if (acquired === undefined && lost === undefined) continue;
    const parts: string[] = [];
    const synced = find('caches synced');
    if (synced !== undefined) parts.push(`caches listed ${after(synced.ts)} s`);
    if (acquired !== undefined) parts.push(`lease acquired ${after(acquired.ts)} s`);
    const read = find('consistent IPAddress read');
    if (read !== undefined && typeof read.skipped === 'string')
      parts.push('leader read skipped (listed after the lease)');
    else if (read !== undefined)
      parts.push(`leader read ${String(read.seconds)} s (${String(read.attempts)} attempts)`);
    const leading = find('leading, starting workers');
    if (leading !== undefined) parts.push(`workers ${after(leading.ts)} s`);
    const pass = find('first pass done');
    if (pass !== undefined)
      parts.push(
        `first pass done ${after(pass.ts)} s (${String(pass.reconciles)} reconciles, ${String(pass.failed)} failed, ${String(pass.requeued)} requeued, ${String(pass.delayed)} waiting on a delay)`,
      );
    // The new leader's allocation rate: what is left after the failover proper.
    const created = since.filter((r) => r.msg === 'IPAddress created');
    const first = created.at(0);
    const last = created.at(-1);
    if (first !== undefined && last !== undefined) {
      const spanS = (Date.parse(last.ts) - Date.parse(first.ts)) / 1000;
      const rate = spanS > 0 ? ` ≈ ${(created.length / spanS).toFixed(1)}/s` : '';
      parts.push(
        `${String(created.length)} IPAddresses created ${after(first.ts)}–${after(last.ts)} s${rate}`,
      );
    }
    const failures = since.filter((r) => r.msg === 'reconcile failed').length;
    if (failures > 0) parts.push(`${String(failures)} failed reconciles`);
    if (lost !== undefined) parts.push(`leadership lost ${after(lost.ts)} s`);
    lines.push(`${file.replace(/\.log$/, '')}: ${parts.join(', ')}`);
  }
  lines.push(
    allReadyWallMs === undefined
      ? `not all Ready ${((Date.now() - kill.wallMs) / 1000).toFixed(1)} s after the last kill`
      : `all Ready ${((allReadyWallMs - kill.wallMs) / 1000).toFixed(1)} s after the last kill`,
  );
  return lines;
}
