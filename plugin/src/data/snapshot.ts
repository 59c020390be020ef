// buildInventory: pools + IPAddresses + IPAddressClaims (wire objects) → the view model in model.ts.
// Pure and synchronous, so the Ink browser can rebuild it from watch events and tests need no cluster.
import {
  AllocationIndex,
  buildPoolLayout,
  buildPrefixPoolLayout,
  capInt64,
  parseAddr,
  parsePrefixInUse,
  prefixIsAllocatable,
  prefixPoolCounts,
  type Addr,
  type PoolCounts,
  type PoolLayout,
  type PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_PAUSED,
  FINALIZER_PROTECT_ADDRESS,
  IPAM_GROUP,
  LABEL_CLUSTER_NAME,
  POOL_KIND_INFO,
  addressFromWire,
  claimFromWire,
  isPoolKind,
  type IPAddressClaimWire,
  type IPAddressWire,
  type IPPoolSpec,
  type Pool,
  type PoolKind,
  type PrefixPoolSpec,
  type StatusCount,
} from '@ipam-in-cluster/api';
import {
  KIND_SHORT,
  type AddressView,
  type ClaimView,
  type Inventory,
  type PoolKey,
  type PoolSnapshot,
  type Severity,
  type StatusCountsView,
} from './model.js';

export interface InventoryInput {
  readonly pools: readonly Pool[];
  readonly addresses: readonly IPAddressWire[];
  readonly claims: readonly IPAddressClaimWire[];
  readonly readAt?: Date;
  readonly scope?: Inventory['scope'];
  readonly warnings?: readonly string[];
}

const ZERO: PoolCounts = { total: 0n, used: 0n, allocated: 0n, free: 0n, outOfRange: 0n };

/** Thresholds (percent used) for the severity colours. */
export const WARNING_PERCENT = 75;
export const CRITICAL_PERCENT = 90;

function date(s: string | undefined): Date | undefined {
  if (s === undefined) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/** `namespace/name` for namespaced kinds, `global/name` for the Global kinds. */
export function poolKeyText(key: PoolKey): string {
  return `${key.namespace ?? 'global'}/${key.name}`;
}

function lookupKey(kind: string, namespace: string | undefined, name: string): string {
  return `${kind}|${namespace ?? ''}|${name}`;
}

/** Where a poolRef seen from `namespace` points: the key used to find the pool. */
function refKey(
  ref: { apiGroup: string; kind: string; name: string },
  namespace: string,
): string | undefined {
  if (ref.apiGroup !== IPAM_GROUP || !isPoolKind(ref.kind)) return undefined;
  return lookupKey(ref.kind, POOL_KIND_INFO[ref.kind].namespaced ? namespace : undefined, ref.name);
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
function sortAddresses(addrs: MutableAddress[], parsed: ReadonlyMap<MutableAddress, Addr>): void {
  const keyed = addrs.map((a) => ({ a, k: sortKey(a, parsed.get(a) ?? parseOnce(a)) }));
  keyed.sort((x, y) => compareKeys(x.k, y.k));
  for (let i = 0; i < keyed.length; i++) addrs[i] = (keyed[i] as { a: MutableAddress }).a;
}

function parseOnce(a: AddressView): Addr | undefined {
  const p = parseAddr(a.address);
  return p.ok ? p.value : undefined;
}

interface Computed {
  family: PoolSnapshot['family'];
  layout: PoolLayout | undefined;
  prefixLayout: PrefixPoolLayout | undefined;
  index: AllocationIndex | undefined;
  counts: PoolCounts;
  error: string | undefined;
  allocationPrefixLength: number | undefined;
}

function computeIPPool(
  spec: IPPoolSpec,
  addrs: MutableAddress[],
  parsed: Map<MutableAddress, Addr>,
): Computed {
  const built = buildPoolLayout(spec);
  if (!built.ok) {
    for (const a of addrs) a.state = 'invalid';
    return {
      family: undefined,
      layout: undefined,
      prefixLayout: undefined,
      index: undefined,
      counts: ZERO,
      error: built.error.message,
      allocationPrefixLength: undefined,
    };
  }
  const layout = built.value;
  const index = new AllocationIndex(layout.allocatable);
  let duplicates = false;
  for (const a of addrs) {
    const p = parseAddr(a.address);
    if (!p.ok) {
      a.state = 'invalid';
      continue;
    }
    parsed.set(a, p.value);
    const outcome = index.markUsed(p.value);
    a.state = outcome === 'allocated' ? 'allocated' : outcome;
    if (outcome === 'duplicate') duplicates = true;
  }
  // A duplicate's first holder was marked 'allocated'; mark every holder of a shared address.
  if (duplicates) {
    const byAddr = new Map<string, MutableAddress[]>();
    for (const a of addrs) {
      if (a.state !== 'allocated' && a.state !== 'duplicate') continue;
      const p = parsed.get(a);
      if (p === undefined) continue;
      const k = `${p.family}:${p.value}`;
      const list = byAddr.get(k) ?? [];
      list.push(a);
      byAddr.set(k, list);
    }
    for (const list of byAddr.values()) if (list.length > 1) for (const a of list) a.state = 'duplicate';
  }
  return {
    family: layout.family,
    layout,
    prefixLayout: undefined,
    index,
    counts: index.counts(),
    error: undefined,
    allocationPrefixLength: undefined,
  };
}

function computePrefixPool(spec: PrefixPoolSpec, addrs: MutableAddress[]): Computed {
  const built = buildPrefixPoolLayout(spec);
  if (!built.ok) {
    for (const a of addrs) a.state = 'invalid';
    return {
      family: 6,
      layout: undefined,
      prefixLayout: undefined,
      index: undefined,
      counts: ZERO,
      error: built.error.message,
      allocationPrefixLength: undefined,
    };
  }
  const layout = built.value;
  const inUse = addrs.map((a) => ({
    address: a.address,
    prefix: a.prefix,
    name: `${a.namespace}/${a.name}`,
  }));
  const seen = new Map<string, MutableAddress[]>();
  for (const a of addrs) {
    const p = parsePrefixInUse({ address: a.address, prefix: a.prefix });
    if (!p.ok) {
      a.state = 'invalid';
      continue;
    }
    a.state = prefixIsAllocatable(layout, p.value) ? 'allocated' : 'out-of-range';
    const k = `${p.value.value}/${p.value.bits}`;
    const list = seen.get(k) ?? [];
    list.push(a);
    seen.set(k, list);
  }
  for (const list of seen.values())
    if (list.length > 1) for (const a of list) if (a.state === 'allocated') a.state = 'duplicate';
  return {
    family: 6,
    layout: undefined,
    prefixLayout: layout,
    index: undefined,
    counts: prefixPoolCounts(layout, inUse),
    error: undefined,
    allocationPrefixLength: layout.allocationPrefixLength,
  };
}

function statusOf(pool: Pool): StatusCountsView | undefined {
  const s = pool.status?.ipAddresses;
  if (s === undefined) return undefined;
  return { total: toBig(s.total), used: toBig(s.used), free: toBig(s.free), outOfRange: toBig(s.outOfRange) };
}

function mismatch(status: StatusCountsView | undefined, counts: PoolCounts): PoolSnapshot['statusMismatch'] {
  if (status === undefined) return [];
  const out: ('total' | 'used' | 'free' | 'outOfRange')[] = [];
  if (status.total !== capInt64(counts.total)) out.push('total');
  if (status.used !== capInt64(counts.used)) out.push('used');
  if (status.free !== capInt64(counts.free)) out.push('free');
  if (status.outOfRange !== capInt64(counts.outOfRange)) out.push('outOfRange');
  return out;
}

function comparePools(a: PoolSnapshot, b: PoolSnapshot): number {
  // Namespaced pools first (by namespace), global pools last; then name, then kind.
  const na = a.key.namespace;
  const nb = b.key.namespace;
  if (na === undefined && nb !== undefined) return 1;
  if (na !== undefined && nb === undefined) return -1;
  if (na !== undefined && nb !== undefined && na !== nb) return na < nb ? -1 : 1;
  if (a.key.name !== b.key.name) return a.key.name < b.key.name ? -1 : 1;
  return a.key.kind < b.key.kind ? -1 : a.key.kind > b.key.kind ? 1 : 0;
}

/** Joins pools, IPAddresses and claims and computes every pool's layout, counts and per-address state. */
export function buildInventory(input: InventoryInput): Inventory {
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

  // Ids: namespace/name, or global/name; suffixed with @kind when two kinds share one.
  const plainIds = new Map<string, number>();
  for (const p of input.pools) {
    const id = `${POOL_KIND_INFO[p.kind].namespaced ? (p.metadata.namespace ?? '') : 'global'}/${p.metadata.name ?? ''}`;
    plainIds.set(id, (plainIds.get(id) ?? 0) + 1);
  }

  const poolIdByKey = new Map<string, string>();
  for (const pool of input.pools) {
    const info = POOL_KIND_INFO[pool.kind];
    const key: PoolKey = {
      kind: pool.kind,
      namespace: info.namespaced ? (pool.metadata.namespace ?? '') : undefined,
      name: pool.metadata.name ?? '',
    };
    const plain = poolKeyText(key);
    poolIdByKey.set(
      lookupKey(key.kind, key.namespace, key.name),
      (plainIds.get(plain) ?? 0) > 1 ? `${plain}@${KIND_SHORT[key.kind]}` : plain,
    );
  }
  for (const c of claims) {
    const k = refKey(c.poolRef, c.namespace);
    const poolId = k === undefined ? undefined : poolIdByKey.get(k);
    if (poolId !== undefined) (c as { poolId: string | undefined }).poolId = poolId;
  }

  const pools: PoolSnapshot[] = [];
  for (const pool of input.pools) {
    const kind: PoolKind = pool.kind;
    const info = POOL_KIND_INFO[kind];
    const namespace = info.namespaced ? (pool.metadata.namespace ?? '') : undefined;
    const name = pool.metadata.name ?? '';
    const key: PoolKey = { kind, namespace, name };
    const lk = lookupKey(kind, namespace, name);
    const id = poolIdByKey.get(lk) ?? poolKeyText(key);
    const addrs = byPool.get(lk) ?? [];
    const parsed = new Map<MutableAddress, Addr>();
    const computed =
      info.family === 'ip'
        ? computeIPPool(pool.spec as IPPoolSpec, addrs, parsed)
        : computePrefixPool(pool.spec as PrefixPoolSpec, addrs);
    for (const a of addrs) a.poolId = id;
    sortAddresses(addrs, parsed);
    const status = statusOf(pool);
    const poolClaims = (claimsByPool.get(lk) ?? [])
      .slice()
      .sort((x, y) => `${x.namespace}/${x.name}`.localeCompare(`${y.namespace}/${y.name}`));
    pools.push({
      id,
      key,
      kindShort: KIND_SHORT[kind],
      type: info.family,
      uid: pool.metadata.uid ?? '',
      resourceVersion: pool.metadata.resourceVersion ?? '',
      createdAt: date(pool.metadata.creationTimestamp),
      deleting: pool.metadata.deletionTimestamp !== undefined,
      paused: pool.metadata.annotations?.[ANNOTATION_PAUSED] !== undefined,
      family: computed.family,
      ipSpec: info.family === 'ip' ? (pool.spec as IPPoolSpec) : undefined,
      prefixSpec: info.family === 'prefix' ? (pool.spec as PrefixPoolSpec) : undefined,
      allocationPrefixLength: computed.allocationPrefixLength,
      layout: computed.layout,
      prefixLayout: computed.prefixLayout,
      index: computed.index,
      counts: computed.counts,
      utilisation: ratio(computed.counts.total - computed.counts.free, computed.counts.total),
      severity: severityOf(computed.counts, computed.error !== undefined),
      status,
      statusMismatch: mismatch(status, computed.counts),
      error: computed.error,
      addresses: addrs,
      claims: poolClaims,
      conditions: pool.status?.conditions ?? [],
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
  };
}
