// The "ceiling" of the end-to-end benchmark: a plain client doing exactly the API writes one claim
// needs (create the claim; then create the IPAddress, add the claim's finalizer, patch its status),
// as fast as the API server takes them, with no controller logic in between. Also used to
// pre-create many allocated claims for the start-up measurements.
import {
  ClaimReadyReason,
  claimFromWire,
  conditionTime,
  ConditionType,
  contractFor,
  FINALIZER_RELEASE_ADDRESS,
  IPAM_GROUP,
  PausedReason,
  setCondition,
  type IPAddressClaimWire,
  type Pool,
} from '@ipam-in-cluster/api';
import { AllocationIndex, buildPoolLayout, formatAddr } from '@ipam-in-cluster/allocator';
import type { Ipam } from '../support/controller.js';

export interface BenchPool {
  name: string;
  namespace: string;
  family: 'ipv4' | 'ipv6';
  spec: { addresses: string[]; prefix: number };
}

/** `count` namespaced pools, alternating IPv4 /16 and IPv6 /112 (or one family). */
export function benchPools(namespace: string, count: number, family: 'ipv4' | 'ipv6' | 'both'): BenchPool[] {
  return Array.from({ length: count }, (_, i) => {
    const fam = family === 'both' ? (i % 2 === 0 ? 'ipv4' : 'ipv6') : family;
    return {
      name: `p${String(i)}`,
      namespace,
      family: fam,
      spec:
        fam === 'ipv4'
          ? { addresses: [`10.${String(i % 256)}.0.0/16`], prefix: 16 }
          : { addresses: [`fd00:${(i + 1).toString(16)}::/112`], prefix: 112 },
    };
  });
}

/** Runs `fn` over `items` with at most `concurrency` calls in flight. */
export async function inParallel<T>(
  items: readonly T[],
  concurrency: number,
  fn: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

/** Retries a write a few times on throttling/timeouts (the server may push back under load). */
async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 50 * 2 ** attempt));
    }
  }
}

export function claimBody(
  ipam: Ipam,
  namespace: string,
  name: string,
  pool: { kind: string; name: string },
  finalizers?: string[],
): IPAddressClaimWire {
  return {
    apiVersion: `${IPAM_GROUP}/v1beta2`,
    kind: 'IPAddressClaim',
    metadata: { name, namespace, labels: ipam.labels(), ...(finalizers === undefined ? {} : { finalizers }) },
    spec: { poolRef: { apiGroup: IPAM_GROUP, kind: pool.kind, name: pool.name } },
  };
}

export interface PlainWriteResult {
  claims: number;
  /** Creating the claims. */
  createMs: number;
  /** IPAddress create + claim finalizer + claim status, per claim. */
  allocateMs: number;
}

export interface PlainWriteOptions {
  concurrency: number;
  namePrefix: string;
  log?: (line: string) => void;
  /**
   * Create the claims already carrying the ReleaseAddress finalizer (one write less per claim):
   * for pre-creating many allocated claims, not for the ceiling, which does what the controller does.
   */
  finalizerOnCreate?: boolean;
  /** Log progress this often (default 5 s). */
  progressEveryMs?: number;
}

/** Counts finished items and logs `label: done/total (rate/s)` every `everyMs` while running. */
function progress(label: string, total: number, everyMs: number, log?: (line: string) => void) {
  const t0 = performance.now();
  let done = 0;
  const timer =
    log === undefined
      ? undefined
      : setInterval(() => {
          const rate = done / ((performance.now() - t0) / 1000);
          log(`  ${label}: ${String(done)}/${String(total)} (${rate.toFixed(0)}/s)`);
        }, everyMs);
  return {
    tick: () => {
      done++;
    },
    end: () => {
      clearInterval(timer);
    },
  };
}

/**
 * Creates `perPool` claims in each pool and allocates them the way the controller would (same
 * objects, same conditions), `concurrency` requests in flight. The pools must exist.
 */
export async function plainWrites(
  ipam: Ipam,
  pools: readonly BenchPool[],
  perPool: number,
  opts: PlainWriteOptions,
): Promise<PlainWriteResult> {
  const every = opts.progressEveryMs ?? 5_000;
  const contract = contractFor('v1beta2');
  const uids = new Map<string, string>();
  for (const p of pools) {
    const obj: Pool = await ipam.pools('InClusterIPPool').get({ namespace: p.namespace, name: p.name });
    uids.set(p.name, obj.metadata.uid ?? '');
  }
  const work: { pool: BenchPool; name: string; address: string }[] = [];
  for (const p of pools) {
    const layout = buildPoolLayout(p.spec);
    if (!layout.ok) throw new Error(layout.error.message);
    const index = new AllocationIndex(layout.value.allocatable);
    for (let i = 0; i < perPool; i++) {
      const next = index.allocateNext();
      if (!next.ok) throw new Error(`pool ${p.name} too small for ${String(perPool)} claims`);
      work.push({
        pool: p,
        name: `${opts.namePrefix}${p.name}-${String(i)}`,
        address: formatAddr(next.value),
      });
    }
  }
  // Interleave pools, as a burst of claims across pools arrives.
  work.sort(
    (a, b) =>
      Number(a.name.slice(a.name.lastIndexOf('-') + 1)) - Number(b.name.slice(b.name.lastIndexOf('-') + 1)),
  );

  const t0 = performance.now();
  const created: IPAddressClaimWire[] = new Array<IPAddressClaimWire>(work.length);
  const finalizers = opts.finalizerOnCreate === true ? [FINALIZER_RELEASE_ADDRESS] : undefined;
  const creating = progress('claims created', work.length, every, opts.log);
  await inParallel(work, opts.concurrency, async (w, i) => {
    created[i] = await retrying(() =>
      ipam.claims.create(
        claimBody(ipam, w.pool.namespace, w.name, { kind: 'InClusterIPPool', name: w.pool.name }, finalizers),
      ),
    );
    creating.tick();
  });
  creating.end();
  const t1 = performance.now();
  const allocating = progress('claims allocated', work.length, every, opts.log);
  opts.log?.(`  created ${String(work.length)} claims in ${(t1 - t0).toFixed(0)} ms`);
  await inParallel(work, opts.concurrency, async (w, i) => {
    const wire = created[i] as IPAddressClaimWire;
    const claim = claimFromWire(wire);
    const ref = { namespace: w.pool.namespace, name: w.name };
    const body = contract.buildIPAddress({
      claim,
      pool: { kind: 'InClusterIPPool', name: w.pool.name, uid: uids.get(w.pool.name) ?? '' },
      address: w.address,
      prefix: w.pool.spec.prefix,
    });
    await retrying(() => ipam.addresses.create(body));
    const withFinalizer =
      finalizers === undefined
        ? await retrying(() => ipam.claims.addFinalizer(ref, FINALIZER_RELEASE_ADDRESS, wire))
        : wire;
    const now = conditionTime(new Date());
    const gen =
      claim.metadata.generation === undefined ? {} : { observedGeneration: claim.metadata.generation };
    let conditions = setCondition(
      [],
      { type: ConditionType.Paused, status: 'False', reason: PausedReason.NotPaused, message: '', ...gen },
      now,
    );
    conditions = setCondition(
      conditions,
      {
        type: ConditionType.Ready,
        status: 'True',
        reason: ClaimReadyReason.Allocated,
        message: `${w.address}/${String(w.pool.spec.prefix)} from InClusterIPPool ${w.pool.namespace}/${w.pool.name}`,
        ...gen,
      },
      now,
    );
    const patch = contract.claimStatusPatch(claimFromWire(withFinalizer), {
      addressName: w.name,
      conditions,
    });
    await retrying(() => ipam.claims.mergePatchStatus(ref, patch));
    allocating.tick();
  });
  allocating.end();
  const t2 = performance.now();
  opts.log?.(
    `  allocated ${String(work.length)} claims (${finalizers === undefined ? '3 writes' : '2 writes'} each) in ${(t2 - t1).toFixed(0)} ms`,
  );
  return { claims: work.length, createMs: t1 - t0, allocateMs: t2 - t1 };
}
