// The plugin's view model: what every command and the Ink browser show, built (purely, no I/O) from
// the pools, IPAddresses and IPAddressClaims read from the cluster. Counts are exact bigints computed
// with the allocator from the pool spec and the IPAddress objects, or (`kubectl ipam pools` by
// default) taken from a pool status written for the current spec, total still from the spec
// (data/pool-status.ts); when counted, the status is kept beside them to show when it disagrees.
import type {
  AllocationIndex,
  Family,
  PoolCounts,
  PoolLayout,
  PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';
import type {
  Address,
  AddressClaim,
  Condition,
  IPPoolSpec,
  PoolKind,
  PrefixPoolSpec,
  Quarantine,
} from '@ipam-in-cluster/api';

/** Short kind names used in tables and in `-o json` (`kindShort`). */
export type PoolKindShort = 'pool' | 'global' | 'prefix' | 'global-prefix';

/** Utilisation severity, kubectl-df-pv style: ok < 75 % ≤ warning < 90 % ≤ critical; `full` at 100 %. */
export type Severity = 'ok' | 'warning' | 'critical' | 'full' | 'empty' | 'invalid';

/** How to address a pool: `namespace/name` for namespaced kinds, `global/name` for global ones. */
export interface PoolKey {
  readonly kind: PoolKind;
  /** undefined for the two Global kinds. */
  readonly namespace: string | undefined;
  readonly name: string;
}

/** One IPAddress object, normalised (both contract versions), with what the plugin derives. */
export interface AddressView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  /** spec.address as written. */
  readonly address: string;
  readonly prefix: number | undefined;
  readonly gateway: string | undefined;
  readonly claimName: string;
  readonly poolRef: { readonly apiGroup: string; readonly kind: string; readonly name: string };
  /** Key of the pool it references (`PoolSnapshot.id`), or undefined when that pool does not exist. */
  readonly poolId: string | undefined;
  readonly createdAt: Date | undefined;
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
  /** Carries ipam.cluster.x-k8s.io/ProtectAddress. */
  readonly protected: boolean;
  /** The IPAddressClaim named by spec.claimRef, when it exists. */
  readonly claim: ClaimView | undefined;
  /** cluster.x-k8s.io/cluster-name label, or the claim's cluster. */
  readonly clusterName: string | undefined;
  /**
   * allocated: inside the pool and the only holder · duplicate: another IPAddress of the same pool
   * holds the same address · out-of-range: not allocatable under the current spec · invalid: not
   * parsable · no-pool: the pool does not exist.
   */
  readonly state: 'allocated' | 'duplicate' | 'out-of-range' | 'invalid' | 'no-pool';
  /** The normalised object from packages/api, for anything not surfaced above. */
  readonly raw: Address;
  /** Held for the pool's reuse grace period: its claim was deleted (ADR 0028). */
  readonly quarantine?: Quarantine | undefined;
}

/** One IPAddressClaim, normalised. */
export interface ClaimView {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
  readonly poolRef: { readonly apiGroup: string; readonly kind: string; readonly name: string };
  readonly poolId: string | undefined;
  /** status.addressRef.name. */
  readonly addressName: string | undefined;
  readonly clusterName: string | undefined;
  readonly createdAt: Date | undefined;
  readonly deleting: boolean;
  readonly deletionTimestamp: Date | undefined;
  readonly finalizers: readonly string[];
  /** Carries the cluster.x-k8s.io/paused annotation. */
  readonly paused: boolean;
  readonly conditions: readonly Condition[];
  readonly raw: AddressClaim;
}

/**
 * Where a summary's counts come from: `status` (the pool's status.ipAddresses, trusted for the
 * current spec; total from the spec), `ipaddresses` (counted from the IPAddress objects), `none`
 * (the spec does not lay out: no counts).
 */
export type CountsFrom = 'status' | 'ipaddresses' | 'none';

/**
 * Why a pool was counted from its IPAddresses: `requested` (--recount, or a command that always
 * counts: doctor, explain, the browser), `controller-stopped` (the controller's leader Lease is not
 * renewed), or what data/pool-status.ts found wrong with the status.
 */
export type RecountReason =
  | 'requested'
  | 'controller-stopped'
  | 'deleting'
  | 'no-status'
  | 'stale-status'
  | 'status-disagrees'
  | 'status-capped'
  | 'duplicates';

/** The pool's `status.ipAddresses`, when present (bigint: counts go up to 2^63−1). */
export interface StatusCountsView {
  readonly total: bigint;
  readonly used: bigint;
  readonly free: bigint;
  readonly outOfRange: bigint;
  /** status.ipAddresses.quarantined, when the controller writes it. */
  readonly quarantined?: bigint;
  /** IP pools: addresses held by IPAddressReservations (not in used or free); 0 when absent. */
  readonly reserved: bigint;
}

/** The pool's `status.forecast` (docs/adr/0031), as the controller last wrote it. */
export interface ForecastView {
  readonly netAllocationsPerHour: number;
  /** Absent unless the rate is positive. */
  readonly daysToExhaustion: number | undefined;
  readonly observedAt: Date;
}

/**
 * One pool of any of the four kinds with its exact counts: what `kubectl ipam pools` prints. Built
 * from the pool and its IPAddresses one at a time (data/pool-summary.ts), or as part of a snapshot.
 */
export interface PoolSummary {
  /** Stable id: `<namespace>/<name>` or `global/<name>`, suffixed `@<kind>` only if two kinds share it. */
  readonly id: string;
  readonly key: PoolKey;
  readonly kindShort: PoolKindShort;
  readonly type: 'ip' | 'prefix';
  readonly uid: string;
  readonly resourceVersion: string;
  readonly createdAt: Date | undefined;
  readonly deleting: boolean;
  /** cluster.x-k8s.io/paused annotation on the pool. */
  readonly paused: boolean;
  readonly family: Family | undefined;
  /** IP pools: the spec; prefix pools: their spec (discriminate with `type`). */
  readonly ipSpec: IPPoolSpec | undefined;
  readonly prefixSpec: PrefixPoolSpec | undefined;
  /** Prefix pools: the length of each handed-out prefix. */
  readonly allocationPrefixLength: number | undefined;
  /** Exact counts (addresses for IP pools, child prefixes for prefix pools). Zero when invalid. */
  readonly counts: PoolCounts;
  /** Where `counts` come from (total always from the spec). */
  readonly countsFrom: CountsFrom;
  /** With countsFrom `ipaddresses`: why the status was not used. */
  readonly recountReason: RecountReason | undefined;
  /** used / total in [0, 1]; a float good for bars and percentages only. */
  readonly utilisation: number;
  readonly severity: Severity;
  /** status.ipAddresses as the controller last wrote it. */
  readonly status: StatusCountsView | undefined;
  /**
   * Names of status fields that differ from `counts` (capped like the controller caps them); always
   * empty when the counts come from the status.
   */
  readonly statusMismatch: readonly ('total' | 'used' | 'free' | 'outOfRange')[];
  /** Why the spec could not be laid out (an allocator error message), if it could not. */
  readonly error: string | undefined;
  /** How many IPAddressClaims reference this pool; undefined when claims were not read. */
  readonly claimCount: number | undefined;
  readonly conditions: readonly Condition[];
  /**
   * Counted from IPAddresses of which some could not be read (listing them in a namespace that can
   * hold this pool's addresses is forbidden): the counts are a lower bound, not compared with the
   * status (`statusMismatch` is empty). Absent or false: complete.
   */
  readonly partial?: boolean | undefined;
  /**
   * IP pools: IPAddresses held for the reuse grace period after their claim's deletion (ADR 0028):
   * status.ipAddresses.quarantined, else counted from the claims read (a status written by a
   * controller without the count); undefined when neither is there (prefix pools: always).
   */
  readonly quarantined?: bigint | undefined;
  /** status.forecast; undefined until the controller wrote one. */
  readonly forecast?: ForecastView | undefined;
}

/** One pool with everything computed: the summary plus layout, index, addresses and claims. */
export interface PoolSnapshot extends PoolSummary {
  /** A snapshot reads every claim. */
  readonly claimCount: number;
  /** Layout from the allocator; undefined when the spec does not parse (see `error`). */
  readonly layout: PoolLayout | undefined;
  readonly prefixLayout: PrefixPoolLayout | undefined;
  /** IP pools: the allocation index with every IPAddress of this pool marked. */
  readonly index: AllocationIndex | undefined;
  /** IPAddresses referencing this pool, sorted by address. */
  readonly addresses: readonly AddressView[];
  /** IPAddressClaims referencing this pool, sorted by namespace/name. */
  readonly claims: readonly ClaimView[];
}

/** Everything the plugin read, joined. Pure data; build it with `buildInventory`. */
export interface Inventory {
  /** Sorted: namespaced pools by namespace/name, then global pools by name. */
  readonly pools: readonly PoolSnapshot[];
  readonly addresses: readonly AddressView[];
  readonly claims: readonly ClaimView[];
  /** IPAddresses whose pool does not exist (or is outside what was read). */
  readonly addressesWithoutPool: readonly AddressView[];
  /** When the data was read. */
  readonly readAt: Date;
  /** What was read: one namespace, or every namespace. */
  readonly scope: { readonly namespace: string | undefined; readonly allNamespaces: boolean };
  /** Things that limited what could be read (e.g. "cannot list IPAddresses in all namespaces"). */
  readonly warnings: readonly string[];
  /** What could be read (data/coverage.ts); everything when no list was forbidden. */
  readonly coverage: ReadCoverage;
}

export const KIND_SHORT: Readonly<Record<PoolKind, PoolKindShort>> = {
  InClusterIPPool: 'pool',
  GlobalInClusterIPPool: 'global',
  InClusterPrefixPool: 'prefix',
  GlobalInClusterPrefixPool: 'global-prefix',
};

/** Where one resource was read: every namespace, or some namespaces (none when forbidden everywhere). */
export interface Coverage {
  readonly all: boolean;
  /** With `all` false: the namespaces read (for cluster-scoped kinds: empty = not read). */
  readonly namespaces: readonly string[];
}

/** What was read of everything a command shows. Absent entries were read in full. */
export interface ReadCoverage {
  /** Per pool kind (kinds not served are absent). A namespaced kind listed in the scope is complete. */
  readonly pools: Partial<Record<PoolKind, Coverage>>;
  readonly addresses: Coverage;
  readonly claims: Coverage;
  /** What could not be listed, for the warning (`"globalinclusterippools"`, `"ipaddresses in all namespaces"`). */
  readonly skipped: readonly string[];
}
