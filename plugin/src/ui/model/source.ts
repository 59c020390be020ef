// What the browser needs from the outside world. The data layer (plugin/src/data) produces these
// shapes; they are declared here as the minimal structural subset the UI reads, so the UI never
// imports I/O code and any view model with these fields plugs in (its `Inventory` and
// `PoolSnapshot` satisfy them as they are).
import type {
  AllocationIndex,
  Family,
  PoolCounts,
  PoolLayout,
  PrefixPoolLayout,
} from '@ipam-in-cluster/allocator';

/** Utilisation severity as the data layer computes it. */
export type BrowserSeverity = 'ok' | 'warning' | 'critical' | 'full' | 'empty' | 'invalid';

export interface BrowserOwnerRef {
  readonly kind: string;
  readonly name: string;
  readonly controller?: boolean | undefined;
}

/** The IPAddressClaim holding an address, as far as the browser shows it. */
export interface BrowserClaim {
  readonly namespace: string;
  readonly name: string;
  readonly clusterName: string | undefined;
  /** Being deleted (the release rule then needs no extra confirmation). */
  readonly deleting?: boolean | undefined;
  /** The normalised object; the browser reads its owner references (the machine). */
  readonly raw: { readonly metadata: { readonly ownerReferences?: readonly BrowserOwnerRef[] | undefined } };
}

/** One IPAddress object. */
export interface BrowserAddress {
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  /** spec.prefix (prefix pools: the length of the handed-out prefix). */
  readonly prefix?: number | undefined;
  readonly claimName: string;
  readonly createdAt: Date | undefined;
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
  readonly claim: BrowserClaim | undefined;
  readonly clusterName: string | undefined;
  /**
   * Held for the pool's reuse grace period: its claim was deleted (ADR 0028; the shape of
   * @ipam-in-cluster/api's Quarantine, times in epoch ms of the API server's clock).
   */
  readonly quarantine?:
    | {
        readonly claim: string;
        readonly deletedAt: number;
        readonly graceSeconds: number;
        readonly until: number;
      }
    | undefined;
}

/** An IPAddressReservation holding addresses of a pool (ADR 0030; data/live.ts HeldReservation). */
export interface BrowserReservation {
  readonly namespace: string;
  readonly name: string;
  /** spec.addresses: single IPs, `a-b` ranges, CIDRs. */
  readonly addresses: readonly string[];
  readonly note: string | undefined;
  /** spec.expiresAt (RFC 3339); undefined: until deleted. */
  readonly expiresAt: string | undefined;
}

export interface BrowserPoolKey {
  readonly kind: string;
  readonly namespace: string | undefined;
  readonly name: string;
}

/** One pool with its layout and allocation index already computed (pure data). */
export interface BrowserPool {
  /** Stable id, `namespace/name` or `global/name`. */
  readonly id: string;
  readonly key: BrowserPoolKey;
  /** pool | global | prefix | global-prefix */
  readonly kindShort: string;
  readonly type: 'ip' | 'prefix';
  readonly family: Family | undefined;
  readonly layout: PoolLayout | undefined;
  readonly index: AllocationIndex | undefined;
  readonly counts: PoolCounts;
  /** used / total in [0, 1]. */
  readonly utilisation: number;
  readonly severity: BrowserSeverity;
  readonly error: string | undefined;
  readonly deleting: boolean;
  readonly paused: boolean;
  /** Prefix pools: the length of each handed-out prefix. */
  readonly allocationPrefixLength?: number | undefined;
  /** Prefix pools: the layout of child prefixes (undefined when the spec does not parse). */
  readonly prefixLayout?: PrefixPoolLayout | undefined;
  /** Status fields that disagree with the counts (the `≠ status` marker). */
  readonly statusMismatch?: readonly string[] | undefined;
  /** Counted from part of the IPAddresses only (the `? partial` marker). */
  readonly partial?: boolean | undefined;
  /** IP pools: addresses held for the reuse grace period (the `◇ N quarantined` marker; ADR 0028). */
  readonly quarantined?: bigint | undefined;
  /** status.ipAddresses as the controller wrote it: `reserved` is the `▣ N reserved` marker (ADR 0030). */
  readonly status?: { readonly reserved?: bigint | undefined } | undefined;
  /** IP pools: the live (not expired) IPAddressReservations naming it (ADR 0030); absent: none read. */
  readonly reservations?: readonly BrowserReservation[] | undefined;
  /** IPAddresses referencing this pool. */
  readonly addresses: readonly BrowserAddress[];
  /** The controller's status.forecast (ADR 0031); absent until it wrote one. */
  readonly forecast?:
    | {
        readonly netAllocationsPerHour: number;
        readonly daysToExhaustion: number | undefined;
        readonly observedAt: Date;
      }
    | undefined;
}

/** What was read: one namespace, or every namespace. */
export interface BrowserScope {
  readonly namespace: string | undefined;
  readonly allNamespaces: boolean;
}

/** Everything on screen at one moment. */
export interface BrowserSnapshot {
  readonly pools: readonly BrowserPool[];
  readonly readAt: Date;
  readonly warnings: readonly string[];
  /** The namespace read (the header shows it). */
  readonly scope?: BrowserScope | undefined;
  /**
   * Where IPAddressClaims were read (data/coverage.ts): an address whose claim is missing is an
   * orphan only where claims were read. Absent: everywhere.
   */
  readonly coverage?:
    { readonly claims: { readonly all: boolean; readonly namespaces: readonly string[] } } | undefined;
  /**
   * Set on an early snapshot (pools alone, counts from their status): what is still being read.
   * Its pools have no addresses and no index yet, so the map and the detail pages wait for it.
   */
  readonly pending?: string | undefined;
}

/**
 * `pools`: an early snapshot of the pools alone (`pending` set), before the first `snapshot`; the
 * list can show it, the map cannot.
 */
export type SourceEvent =
  | { readonly type: 'pools'; readonly snapshot: BrowserSnapshot }
  | { readonly type: 'snapshot'; readonly snapshot: BrowserSnapshot }
  | { readonly type: 'error'; readonly message: string };

/** The IPAddress to force-release. */
export interface ReleaseTarget {
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  /**
   * The user confirmed releasing although the claim exists (typed `force ADDRESS`, as `--force`).
   * Without it the source refuses an address whose claim exists, as the CLI does.
   */
  readonly force: boolean;
}

export type ReleaseOutcome =
  { readonly ok: true; readonly message: string } | { readonly ok: false; readonly message: string };

/**
 * Where the browser's data comes from. `subscribe` delivers a first snapshot as soon as it can
 * (possibly an early `pools` one first) and a new one whenever a watch sees a change; it returns the
 * unsubscribe function.
 */
export interface BrowserDataSource {
  /** Shown in the header, e.g. the kubeconfig context. */
  readonly context?: string | undefined;
  /** The scope read when `subscribe` is given none (the header shows it before the first snapshot). */
  readonly scope?: BrowserScope | undefined;
  /**
   * Delivers snapshots of `scope` (default: the source's own); the browser subscribes again with
   * another scope to switch namespace (`:ns`). A source that cannot switch ignores it.
   */
  subscribe(listener: (event: SourceEvent) => void, scope?: BrowserScope): () => void;
  release(target: ReleaseTarget): Promise<ReleaseOutcome>;
}
