// buildInventory: pools + IPAddresses + IPAddressClaims (wire objects) → the view model in model.ts.
// buildPoolsFirst: pools alone → the browser's early snapshot, counts from each pool's status by the
// rule `kubectl ipam pools` uses (ADR 0013), shown while the IPAddresses and claims are still read.
// Pure and synchronous, so the Ink browser can rebuild it from watch events and tests need no cluster.
import {
  parseAddr,
  unlaidAssessment,
  type AllocationIndex,
  type Addr,
  type PoolLayout,
  type PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_PAUSED,
  FINALIZER_PROTECT_ADDRESS,
  LABEL_CLUSTER_NAME,
  POOL_KIND_INFO,
  addressFromWire,
  claimFromWire,
  quarantineOf,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
} from '@ipam-in-cluster/api';
import { FULL_COVERAGE, markPartial } from './coverage.js';
import type { AddressView, ClaimView, Inventory, PoolSnapshot, PoolSummary, ReadCoverage } from './model.js';
import {
  comparePools,
  countQuarantined,
  lookupKey,
  modelOf,
  parseDate as date,
  poolIds,
  poolKeyOf,
  poolKeyText,
  refKey,
  summarise,
  PoolCounter,
  type PoolComputed,
} from './pool-summary.js';

export { CRITICAL_PERCENT, WARNING_PERCENT, poolKeyText, ratio, severityOf } from './pool-summary.js';

export interface InventoryInput {
  readonly pools: readonly Pool[];
  readonly addresses: readonly IPAddressWire[];
  readonly claims: readonly IPAddressClaimWire[];
  readonly readAt?: Date;
  readonly scope?: Inventory['scope'];
  readonly warnings?: readonly string[];
  /** What could be read; pools whose IPAddresses were not all readable are marked `partial`. */
  readonly coverage?: ReadCoverage;
}

function claimView(wire: IPAddressClaimWire): ClaimView {
  const c = claimFromWire(wire);
  const m = c.metadata;
  return {
    namespace: m.namespace ?? '',
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    poolRef: c.poolRef,
    poolId: undefined,
    addressName: c.addressName,
    clusterName: c.clusterName ?? emptyToUndefined(m.labels?.[LABEL_CLUSTER_NAME]),
    createdAt: date(m.creationTimestamp),
    deleting: m.deletionTimestamp !== undefined,
    deletionTimestamp: date(m.deletionTimestamp),
    finalizers: m.finalizers ?? [],
    paused: m.annotations?.[ANNOTATION_PAUSED] !== undefined,
    conditions: c.conditions,
    raw: c,
  };
}

function emptyToUndefined(s: string | undefined): string | undefined {
  return s === undefined || s === '' ? undefined : s;
}

type MutableAddress = { -readonly [K in keyof AddressView]: AddressView[K] };

function addressView(wire: IPAddressWire, claims: ReadonlyMap<string, ClaimView>): MutableAddress {
  const a = addressFromWire(wire);
  const m = a.metadata;
  const namespace = m.namespace ?? '';
  const claim = claims.get(`${namespace}/${a.claimName}`);
  return {
    namespace,
    name: m.name ?? '',
    uid: m.uid ?? '',
    resourceVersion: m.resourceVersion ?? '',
    address: a.address,
    prefix: a.prefix,
    gateway: a.gateway,
    claimName: a.claimName,
    poolRef: a.poolRef,
    poolId: undefined,
    createdAt: date(m.creationTimestamp),
    deleting: m.deletionTimestamp !== undefined,
    finalizers: m.finalizers ?? [],
    protected: (m.finalizers ?? []).includes(FINALIZER_PROTECT_ADDRESS),
    claim,
    clusterName: emptyToUndefined(m.labels?.[LABEL_CLUSTER_NAME]) ?? claim?.clusterName,
    state: 'no-pool',
    raw: a,
  };
}

/** Sort key of an address: family, then numeric value; unparsable ones last. */
interface SortKey {
  readonly family: number;
  readonly value: bigint;
  readonly name: string;
}

function sortKey(a: AddressView, parsed: Addr | undefined): SortKey {
  return parsed === undefined
    ? { family: 99, value: 0n, name: `${a.namespace}/${a.name}` }
    : { family: parsed.family, value: parsed.value, name: `${a.namespace}/${a.name}` };
}

function compareKeys(a: SortKey, b: SortKey): number {
  if (a.family !== b.family) return a.family - b.family;
  if (a.value !== b.value) return a.value < b.value ? -1 : 1;
  return a.name.localeCompare(b.name);
}

/** Sorts by address, parsing each address once (not once per comparison). */
function sortAddresses(addrs: MutableAddress[]): void {
  const keyed = addrs.map((a) => ({ a, k: sortKey(a, parseOnce(a)) }));
  keyed.sort((x, y) => compareKeys(x.k, y.k));
  for (let i = 0; i < keyed.length; i++) addrs[i] = (keyed[i] as { a: MutableAddress }).a;
}

function parseOnce(a: AddressView): Addr | undefined {
  const p = parseAddr(a.address);
  return p.ok ? p.value : undefined;
}

interface Computed extends PoolComputed {
  layout: PoolLayout | undefined;
  prefixLayout: PrefixPoolLayout | undefined;
  index: AllocationIndex | undefined;
}

/**
 * Counts and per-address states of one pool from the allocator's pool model. A spec that does not
 * lay out still counts what its addresses hold (all of it out of range), with the layout error.
 */
function computePool(pool: Pool, addrs: MutableAddress[]): Computed {
  const holdings = addrs.map((a) => ({ address: a.address, prefix: a.prefix }));
  const model = modelOf(pool);
  const assessed = model.ok
    ? model.value.assess(holdings)
    : unlaidAssessment(POOL_KIND_INFO[pool.kind].family, holdings);
  addrs.forEach((a, i) => {
    a.state = assessed.states[i] ?? 'invalid';
  });
  const m = model.ok ? model.value : undefined;
  return {
    family: m?.family ?? (POOL_KIND_INFO[pool.kind].family === 'prefix' ? 6 : undefined),
    layout: m?.type === 'ip' ? m.layout : undefined,
    prefixLayout: m?.type === 'prefix' ? m.layout : undefined,
    index: assessed.index,
    counts: assessed.counts,
    countsFrom: m === undefined ? 'none' : 'ipaddresses',
    recountReason: m === undefined ? undefined : 'requested',
    error: model.ok ? undefined : model.error.message,
    allocationPrefixLength: m?.allocationPrefixLength,
  };
}

/** Joins pools, IPAddresses and claims and computes every pool's layout, counts and per-address state. */
export function buildInventory(input: InventoryInput): Inventory {
  const coverage = input.coverage ?? FULL_COVERAGE;
  const claims = input.claims.map(claimView);
  const claimByName = new Map(claims.map((c) => [`${c.namespace}/${c.name}`, c]));
  const addresses = input.addresses.map((w) => addressView(w, claimByName));

  const byPool = new Map<string, MutableAddress[]>();
  for (const a of addresses) {
    const k = refKey(a.poolRef, a.namespace);
    if (k === undefined) continue;
    const list = byPool.get(k) ?? [];
    list.push(a);
    byPool.set(k, list);
  }
  const claimsByPool = new Map<string, ClaimView[]>();
  for (const c of claims) {
    const k = refKey(c.poolRef, c.namespace);
    if (k === undefined) continue;
    const list = claimsByPool.get(k) ?? [];
    list.push(c);
    claimsByPool.set(k, list);
  }

  const poolIdByKey = poolIds(input.pools);
  for (const c of claims) {
    const k = refKey(c.poolRef, c.namespace);
    const poolId = k === undefined ? undefined : poolIdByKey.get(k);
    if (poolId !== undefined) (c as { poolId: string | undefined }).poolId = poolId;
  }

  const pools: PoolSnapshot[] = [];
  for (const pool of input.pools) {
    const key = poolKeyOf(pool);
    const lk = lookupKey(key.kind, key.namespace, key.name);
    const id = poolIdByKey.get(lk) ?? poolKeyText(key);
    const addrs = byPool.get(lk) ?? [];
    const computed = computePool(pool, addrs);
    for (const a of addrs) {
      a.poolId = id;
      const q = a.claim === undefined ? undefined : quarantineOf(pool, a.claim.raw);
      if (q !== undefined) a.quarantine = q;
    }
    sortAddresses(addrs);
    const poolClaims = (claimsByPool.get(lk) ?? [])
      .slice()
      .sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
    pools.push({
      ...markPartial(
        summarise(
          pool,
          id,
          computed,
          poolClaims.length,
          countQuarantined(
            pool,
            poolClaims.map((c) => c.raw),
          ),
        ),
        coverage,
      ),
      layout: computed.layout,
      prefixLayout: computed.prefixLayout,
      index: computed.index,
      addresses: addrs,
      claims: poolClaims,
    });
  }
  pools.sort(comparePools);

  return {
    pools,
    addresses,
    claims,
    addressesWithoutPool: addresses.filter((a) => a.poolId === undefined),
    readAt: input.readAt ?? new Date(),
    scope: input.scope ?? { namespace: undefined, allNamespaces: true },
    warnings: input.warnings ?? [],
    coverage,
  };
}

/**
 * One pool of the early snapshot: its summary exactly as `kubectl ipam pools` computes it (counts
 * from status; claims not read yet, so `claimCount` is undefined) and its layout, without the
 * IPAddresses and claims the map and the detail pages need (empty until the full snapshot).
 */
export interface PoolsFirstPool extends PoolSummary {
  readonly layout: PoolLayout | undefined;
  readonly prefixLayout: PrefixPoolLayout | undefined;
  readonly index: undefined;
  readonly addresses: readonly [];
  readonly claims: readonly [];
}

/** The browser's early snapshot: pools alone, read before the IPAddresses and claims are in. */
export interface PoolsFirstSnapshot extends Omit<
  Inventory,
  'pools' | 'addresses' | 'claims' | 'addressesWithoutPool'
> {
  readonly pools: readonly PoolsFirstPool[];
  /** What is still being read; the map and the detail pages wait for it. */
  readonly pending: string;
}

export interface PoolsFirstInput {
  readonly pools: readonly Pool[];
  /** The controller's leader Lease holder stopped renewing it: no status is trusted (ADR 0013). */
  readonly controllerStopped: boolean;
  readonly pending: string;
  readonly readAt?: Date;
  readonly scope?: Inventory['scope'];
  readonly warnings?: readonly string[];
  readonly coverage?: ReadCoverage;
}

/**
 * The pools with counts from their status, decided exactly as `kubectl ipam pools` decides
 * (PoolCounter with the status plan), or undefined when some pool must be counted from its
 * IPAddresses (stale or missing status, an invalid spec holding addresses, a stopped controller):
 * then nothing exact can be shown before the IPAddresses are read.
 */
export function buildPoolsFirst(input: PoolsFirstInput): PoolsFirstSnapshot | undefined {
  if (input.controllerStopped) return undefined;
  const counter = new PoolCounter(input.pools, { from: 'status' });
  if (counter.recountPools.length > 0) return undefined;
  const layouts = new Map<string, Pick<PoolsFirstPool, 'layout' | 'prefixLayout'>>();
  const ids = poolIds(input.pools);
  for (const pool of input.pools) {
    const key = poolKeyOf(pool);
    const model = modelOf(pool);
    const m = model.ok ? model.value : undefined;
    layouts.set(ids.get(lookupKey(key.kind, key.namespace, key.name)) ?? poolKeyText(key), {
      layout: m?.type === 'ip' ? m.layout : undefined,
      prefixLayout: m?.type === 'prefix' ? m.layout : undefined,
    });
  }
  const pools = counter.summaries().map((p): PoolsFirstPool => ({
    ...p,
    layout: layouts.get(p.id)?.layout,
    prefixLayout: layouts.get(p.id)?.prefixLayout,
    index: undefined,
    addresses: [],
    claims: [],
  }));
  return {
    pools,
    readAt: input.readAt ?? new Date(),
    scope: input.scope ?? { namespace: undefined, allNamespaces: true },
    warnings: input.warnings ?? [],
    coverage: input.coverage ?? FULL_COVERAGE,
    pending: input.pending,
  };
}
