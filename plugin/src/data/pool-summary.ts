// Per-pool summaries (data/model.ts PoolSummary): exact counts from the pool spec and the IPAddresses
// that reference it (or from a status trusted for the current spec, data/pool-status.ts), the status
// comparison, severity and the number of claims. Shared by the full snapshot (snapshot.ts) and by
// `kubectl ipam pools`, which feeds a PoolCounter one IPAddress at a time while the list is still
// arriving page by page and never holds the whole list.
// Pure and synchronous, like snapshot.ts.
import {
  capInt64,
  poolModel,
  unlaidCounts,
  type Holding,
  type PoolCounts,
  type PoolModel,
  type Result,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_PAUSED,
  IPAM_GROUP,
  POOL_KIND_INFO,
  isPoolKind,
  quarantineIn,
  quarantineOf,
  typedSpec,
  type Address,
  type AddressClaim,
  type IPPoolSpec,
  type Pool,
  type PrefixPoolSpec,
  type Quarantine,
  type StatusCount,
} from '@ipam-in-cluster/api';
import {
  KIND_SHORT,
  type CountsFrom,
  type ForecastView,
  type PoolKey,
  type PoolSummary,
  type RecountReason,
  type Severity,
  type StatusCountsView,
} from './model.js';
import { countsFromStatus } from './pool-status.js';

export const ZERO_COUNTS: PoolCounts = { total: 0n, used: 0n, allocated: 0n, free: 0n, outOfRange: 0n };

/** Thresholds (percent used) for the severity colours. */
export const WARNING_PERCENT = 75;
export const CRITICAL_PERCENT = 90;

export function parseDate(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `namespace/name` for namespaced kinds, `global/name` for the Global kinds. */
export function poolKeyText(key: PoolKey): string {
  return `${key.namespace ?? 'global'}/${key.name}`;
}

/** The key a pool is found by: kind, namespace (none for the Global kinds), name. */
export function lookupKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}|${namespace ?? ''}|${name}`;
}

/** Where a poolRef seen from `namespace` points: the key used to find the pool. */
export function refKey(
  ref: { readonly apiGroup: string; readonly kind: string; readonly name: string },
  namespace: string,
): string | undefined {
  if (ref.apiGroup !== IPAM_GROUP || !isPoolKind(ref.kind)) return undefined;
  return lookupKey(ref.kind, POOL_KIND_INFO[ref.kind].namespaced ? namespace : undefined, ref.name);
}

export function poolKeyOf(pool: Pool): PoolKey {
  return {
    kind: pool.kind,
    namespace: POOL_KIND_INFO[pool.kind].namespaced ? (pool.metadata.namespace ?? '') : undefined,
    name: pool.metadata.name ?? '',
  };
}

/** Ids by lookup key: namespace/name, or global/name; suffixed with @kind when two kinds share one. */
export function poolIds(pools: readonly Pool[]): Map<string, string> {
  const plainIds = new Map<string, number>();
  for (const p of pools) {
    const id = poolKeyText(poolKeyOf(p));
    plainIds.set(id, (plainIds.get(id) ?? 0) + 1);
  }
  const ids = new Map<string, string>();
  for (const pool of pools) {
    const key = poolKeyOf(pool);
    const plain = poolKeyText(key);
    ids.set(
      lookupKey(key.kind, key.namespace, key.name),
      (plainIds.get(plain) ?? 0) > 1 ? `${plain}@${KIND_SHORT[key.kind]}` : plain,
    );
  }
  return ids;
}

function toBig(n: StatusCount | undefined): bigint {
  if (typeof n === 'bigint') return n;
  if (typeof n === 'number' && Number.isFinite(n)) return BigInt(Math.trunc(n));
  return 0n;
}

/** used/total as a float in [0, 1] without turning huge bigints into numbers first. */
export function ratio(part: bigint, whole: bigint): number {
  if (whole <= 0n) return 0;
  if (part >= whole) return 1;
  const r = Number((part * 1_000_000_000n) / whole) / 1_000_000_000;
  // Never 0 for a non-empty share: 12 of 2^64 is a sliver, not nothing.
  return r === 0 && part > 0n ? Number.MIN_VALUE : r;
}

export function severityOf(counts: PoolCounts, invalid: boolean): Severity {
  if (invalid) return 'invalid';
  if (counts.total === 0n) return 'empty';
  if (counts.free === 0n) return 'full';
  // Compare exactly: used*100 >= total*threshold.
  const taken = counts.total - counts.free;
  if (taken * 100n >= counts.total * BigInt(CRITICAL_PERCENT)) return 'critical';
  if (taken * 100n >= counts.total * BigInt(WARNING_PERCENT)) return 'warning';
  return 'ok';
}

function statusOf(pool: Pool): StatusCountsView | undefined {
  const s = pool.status?.ipAddresses;
  if (s === undefined) return undefined;
  // quarantined: written by controllers that know them (issue 19); absent otherwise.
  const extra = s as { quarantined?: StatusCount };
  return {
    total: toBig(s.total),
    used: toBig(s.used),
    free: toBig(s.free),
    outOfRange: toBig(s.outOfRange),
    ...(extra.quarantined === undefined ? {} : { quarantined: toBig(extra.quarantined) }),
    reserved: toBig(s.reserved),
  };
}

/** A JSON number as read from the wire: integers above 2^53 arrive as bigints (exact parsing). */
function wireNumber(n: unknown): number | undefined {
  const v = typeof n === 'bigint' ? Number(n) : n;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** status.forecast when it is well formed (finite numbers, a readable time), else undefined. */
export function forecastOf(pool: Pool): ForecastView | undefined {
  const f = pool.status?.forecast;
  const at = parseDate(f?.observedAt);
  const rate = wireNumber(f?.netAllocationsPerHour);
  if (at === undefined || rate === undefined) return undefined;
  const days = wireNumber(f?.daysToExhaustion);
  return {
    netAllocationsPerHour: rate,
    daysToExhaustion: days !== undefined && days >= 0 ? days : undefined,
    observedAt: at,
  };
}

function mismatch(status: StatusCountsView | undefined, counts: PoolCounts): PoolSummary['statusMismatch'] {
  if (status === undefined) return [];
  const out: ('total' | 'used' | 'free' | 'outOfRange')[] = [];
  if (status.total !== capInt64(counts.total)) out.push('total');
  if (status.used !== capInt64(counts.used)) out.push('used');
  // Counted from IPAddresses, reserved addresses are free (reservations are not read here).
  if (status.free + status.reserved !== capInt64(counts.free)) out.push('free');
  if (status.outOfRange !== capInt64(counts.outOfRange)) out.push('outOfRange');
  return out;
}

/** Namespaced pools first (by namespace), global pools last; then name, then kind. */
export function comparePools(a: PoolSummary, b: PoolSummary): number {
  const na = a.key.namespace;
  const nb = b.key.namespace;
  if (na === undefined && nb !== undefined) return 1;
  if (na !== undefined && nb === undefined) return -1;
  if (na !== undefined && nb !== undefined && na !== nb) return na < nb ? -1 : 1;
  if (a.key.name !== b.key.name) return a.key.name < b.key.name ? -1 : 1;
  return a.key.kind < b.key.kind ? -1 : a.key.kind > b.key.kind ? 1 : 0;
}

/**
 * The namespaces whose IPAddresses can count for `pools`: an IPAddress counts for a namespaced pool
 * only from the pool's own namespace, while global pools take them from everywhere. So: the pools'
 * namespaces, or `[undefined]` (every namespace) once a global pool is among them; none without pools.
 */
export function addressNamespaces(pools: readonly Pool[]): (string | undefined)[] {
  if (pools.some((p) => !POOL_KIND_INFO[p.kind].namespaced)) return [undefined];
  return [...new Set(pools.map((p) => p.metadata.namespace ?? ''))].sort();
}

/** What the allocator computed for one pool. */
export interface PoolComputed {
  readonly family: PoolSummary['family'];
  readonly counts: PoolCounts;
  readonly countsFrom: CountsFrom;
  readonly recountReason: RecountReason | undefined;
  /** Why the spec could not be laid out, if it could not (counts are then zero). */
  readonly error: string | undefined;
  readonly allocationPrefixLength: number | undefined;
}

/**
 * IP pools: status.ipAddresses.quarantined, else the claims read that are quarantined
 * (`fromClaims`), else undefined (not known: an older status and no claims read).
 */
function quarantinedOf(pool: Pool, fromClaims: number | undefined): bigint | undefined {
  if (POOL_KIND_INFO[pool.kind].family !== 'ip') return undefined;
  const q = pool.status?.ipAddresses?.quarantined;
  if (q !== undefined) return toBig(q);
  return fromClaims === undefined ? undefined : BigInt(fromClaims);
}

/** How many of `claims` (of `pool`) are quarantined (@ipam-in-cluster/api quarantineOf). */
export function countQuarantined(
  pool: Pool,
  claims: Iterable<{ readonly metadata: AddressClaim['metadata'] }>,
): number {
  let n = 0;
  for (const c of claims) if (quarantineOf(pool, c) !== undefined) n++;
  return n;
}

/** The quarantine of `claim` in the summarised pool `p` (ADR 0028); undefined when none. */
export function claimQuarantine(
  p: Pick<PoolSummary, 'type' | 'deleting' | 'ipSpec'> | undefined,
  claim: { readonly metadata: AddressClaim['metadata'] },
): Quarantine | undefined {
  if (p === undefined) return undefined;
  return quarantineIn(
    { ip: p.type === 'ip', deleting: p.deleting, graceSeconds: p.ipSpec?.addressReuseGracePeriodSeconds },
    claim,
  );
}

/** The summary of `pool` from what was computed for it. */
export function summarise<C extends number | undefined>(
  pool: Pool,
  id: string,
  computed: PoolComputed,
  claimCount: C,
  quarantinedClaims?: number,
): PoolSummary & { readonly claimCount: C } {
  const info = POOL_KIND_INFO[pool.kind];
  const status = statusOf(pool);
  const quarantined = quarantinedOf(pool, quarantinedClaims);
  return {
    id,
    key: poolKeyOf(pool),
    kindShort: KIND_SHORT[pool.kind],
    type: info.family,
    uid: pool.metadata.uid ?? '',
    resourceVersion: pool.metadata.resourceVersion ?? '',
    createdAt: parseDate(pool.metadata.creationTimestamp),
    deleting: pool.metadata.deletionTimestamp !== undefined,
    paused: pool.metadata.annotations?.[ANNOTATION_PAUSED] !== undefined,
    family: computed.family,
    ipSpec: info.family === 'ip' ? (pool.spec as IPPoolSpec) : undefined,
    prefixSpec: info.family === 'prefix' ? (pool.spec as PrefixPoolSpec) : undefined,
    allocationPrefixLength: computed.allocationPrefixLength,
    counts: computed.counts,
    countsFrom: computed.countsFrom,
    recountReason: computed.recountReason,
    utilisation: ratio(computed.counts.total - computed.counts.free, computed.counts.total),
    severity: severityOf(computed.counts, computed.error !== undefined),
    status,
    statusMismatch: mismatch(status, computed.counts),
    error: computed.error,
    claimCount,
    conditions: pool.status?.conditions ?? [],
    ...(quarantined === undefined ? {} : { quarantined }),
    forecast: forecastOf(pool),
  };
}

/**
 * How a PoolCounter counts: every pool from its IPAddresses (saying why), or each pool from its
 * status where data/pool-status.ts trusts it, the others from their IPAddresses.
 */
export type CountPlan =
  { readonly from: 'ipaddresses'; readonly reason: RecountReason } | { readonly from: 'status' };

/** One pool's counts: from its status, or tallied from its addresses as they come. */
interface Tally {
  /** Whether the counts need the pool's IPAddresses (add() ignores them otherwise). */
  readonly needsAddresses: boolean;
  add(address: Address): void;
  result(): PoolComputed;
}

/** The allocator's pool model of a pool object, or the layout error. */
export function modelOf(pool: Pool): Result<PoolModel> {
  return poolModel(typedSpec(pool));
}

/** The pool's type and spec family for the summary: IPv6 for prefix pools, the model's otherwise. */
function familyOf(pool: Pool, model: PoolModel | undefined): PoolSummary['family'] {
  return POOL_KIND_INFO[pool.kind].family === 'prefix' ? 6 : model?.family;
}

/** Counts the pool's IPAddresses one at a time with the model's tracker (never holding the list for IP pools). */
function recount(model: PoolModel, reason: RecountReason): Tally {
  const tracker = model.tracker();
  return {
    needsAddresses: true,
    add: (a) => {
      tracker.add({ address: a.address, prefix: a.prefix });
    },
    result: () => ({
      family: model.family,
      counts: tracker.counts(),
      countsFrom: 'ipaddresses',
      recountReason: reason,
      error: undefined,
      allocationPrefixLength: model.allocationPrefixLength,
    }),
  };
}

/**
 * A pool whose spec does not lay out: nothing is allocatable, but what its IPAddresses hold is still
 * counted (used, all of it out of range), so a broken pool with live addresses never shows 0 used.
 */
function unlaidTally(pool: Pool, error: string): Tally {
  const held: Holding[] = [];
  const type = POOL_KIND_INFO[pool.kind].family;
  return {
    needsAddresses: true,
    add: (a) => held.push({ address: a.address, prefix: a.prefix }),
    result: () => ({
      family: familyOf(pool, undefined),
      counts: unlaidCounts(type, held),
      countsFrom: 'none',
      recountReason: undefined,
      error,
      allocationPrefixLength: undefined,
    }),
  };
}

function fixedTally(computed: PoolComputed): Tally {
  return { needsAddresses: false, add: () => undefined, result: () => computed };
}

function invalidTally(family: PoolSummary['family'], error: string): Tally {
  return fixedTally({
    family,
    counts: ZERO_COUNTS,
    countsFrom: 'none',
    recountReason: undefined,
    error,
    allocationPrefixLength: undefined,
  });
}

/** The pool's counts from its status when the plan allows and the status is trusted, else a tally. */
function tallyOf(pool: Pool, plan: CountPlan): Tally {
  const model = modelOf(pool);
  if (!model.ok) return unlaidTally(pool, model.error.message);
  if (plan.from === 'ipaddresses') return recount(model.value, plan.reason);
  const fromStatus = countsFromStatus(pool, model.value.type, model.value.total);
  if (!fromStatus.ok) return recount(model.value, fromStatus.reason);
  return fixedTally({
    family: familyOf(pool, model.value),
    counts: fromStatus.counts,
    countsFrom: 'status',
    recountReason: undefined,
    error: undefined,
    allocationPrefixLength: model.value.allocationPrefixLength,
  });
}

/**
 * Summaries of `pools`: counts from each pool's status where the plan allows and the status is
 * trusted (data/pool-status.ts), else from IPAddresses fed one at a time (normalised with
 * addressFromWire); claim counts from the claims given to addClaims. Addresses and claims of pools
 * not in `pools` are ignored.
 */
export class PoolCounter {
  readonly #pools: readonly Pool[];
  readonly #ids: Map<string, string>;
  readonly #tallies = new Map<string, Tally>();
  #claims: Map<string, number> | undefined;
  #quarantined: Map<string, number> | undefined;
  readonly #byKey = new Map<string, Pool>();

  constructor(pools: readonly Pool[], plan: CountPlan = { from: 'ipaddresses', reason: 'requested' }) {
    this.#pools = pools;
    this.#ids = poolIds(pools);
    for (const pool of pools) {
      const key = poolKeyOf(pool);
      this.#tallies.set(lookupKey(key.kind, key.namespace, key.name), tallyOf(pool, plan));
      this.#byKey.set(lookupKey(key.kind, key.namespace, key.name), pool);
    }
  }

  /** The pools whose counts need their IPAddresses: read only what can hold those (addressNamespaces). */
  get recountPools(): Pool[] {
    return this.#pools.filter((pool) => {
      const key = poolKeyOf(pool);
      return this.#tallies.get(lookupKey(key.kind, key.namespace, key.name))?.needsAddresses === true;
    });
  }

  addAddress(address: Address): void {
    const k = refKey(address.poolRef, address.metadata.namespace ?? '');
    if (k !== undefined) this.#tallies.get(k)?.add(address);
  }

  /** Every claim that was read (call once per read; without it, claim counts are unknown). */
  addClaims(claims: Iterable<AddressClaim>): void {
    const counts = (this.#claims ??= new Map<string, number>());
    const quarantined = (this.#quarantined ??= new Map<string, number>());
    for (const claim of claims) {
      const k = refKey(claim.poolRef, claim.metadata.namespace ?? '');
      if (k !== undefined && this.#tallies.has(k)) counts.set(k, (counts.get(k) ?? 0) + 1);
      const pool = k === undefined ? undefined : this.#byKey.get(k);
      if (k !== undefined && pool !== undefined && countQuarantined(pool, [claim]) > 0)
        quarantined.set(k, (quarantined.get(k) ?? 0) + 1);
    }
  }

  /** One summary per pool, sorted like the snapshot's pools. */
  summaries(): PoolSummary[] {
    const out = this.#pools.map((pool) => {
      const key = poolKeyOf(pool);
      const lk = lookupKey(key.kind, key.namespace, key.name);
      const computed = this.#tallies.get(lk)?.result() ?? invalidTally(undefined, 'not counted').result();
      const claims = this.#claims === undefined ? undefined : (this.#claims.get(lk) ?? 0);
      const quarantined = this.#quarantined === undefined ? undefined : (this.#quarantined.get(lk) ?? 0);
      return summarise(pool, this.#ids.get(lk) ?? poolKeyText(key), computed, claims, quarantined);
    });
    return out.sort(comparePools);
  }
}
