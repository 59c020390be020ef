// Names shared by the controller, the plugin, the chart and tests. The strings are the upstream
// provider's (drop-in compatibility): changing one breaks clusters that switch between the two.

/** API group of our pools and of the Cluster API IPAM contract types. */
export const IPAM_GROUP = 'ipam.cluster.x-k8s.io';
/** API group of Cluster API core (Cluster). */
export const CLUSTER_API_GROUP = 'cluster.x-k8s.io';
/** Our own API group, for what upstream does not have (annotations, kinds); never upstream's. */
export const OWN_GROUP = 'ipam-in-cluster.dev';

/** Served and stored version of our pool kinds. v1alpha1 (IP pools only) joins with conversion. */
export const POOL_VERSION = 'v1alpha2';
export const POOL_API_VERSION = `${IPAM_GROUP}/${POOL_VERSION}`;
/** Every version of our pool kinds that the CRDs serve, oldest first. */
export const POOL_SERVED_VERSIONS = [POOL_VERSION] as const;

export const POOL_KINDS = [
  'InClusterIPPool',
  'GlobalInClusterIPPool',
  'InClusterPrefixPool',
  'GlobalInClusterPrefixPool',
] as const;
export type PoolKind = (typeof POOL_KINDS)[number];

/** Everything about one pool kind that callers need to address it through the API. */
export interface PoolKindInfo {
  readonly kind: PoolKind;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  readonly namespaced: boolean;
  /** 'ip' pools hand out single addresses; 'prefix' pools hand out IPv6 sub-prefixes. */
  readonly family: 'ip' | 'prefix';
  /** CRD name (`<plural>.<group>`). */
  readonly crdName: string;
}

function kindInfo(kind: PoolKind, namespaced: boolean, family: 'ip' | 'prefix'): PoolKindInfo {
  const plural = `${kind.toLowerCase()}s`;
  return {
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    namespaced,
    family,
    crdName: `${plural}.${IPAM_GROUP}`,
  };
}

export const POOL_KIND_INFO: Readonly<Record<PoolKind, PoolKindInfo>> = {
  InClusterIPPool: kindInfo('InClusterIPPool', true, 'ip'),
  GlobalInClusterIPPool: kindInfo('GlobalInClusterIPPool', false, 'ip'),
  InClusterPrefixPool: kindInfo('InClusterPrefixPool', true, 'prefix'),
  GlobalInClusterPrefixPool: kindInfo('GlobalInClusterPrefixPool', false, 'prefix'),
};

export function isPoolKind(kind: string): kind is PoolKind {
  return (POOL_KINDS as readonly string[]).includes(kind);
}

/** Whether a claim's poolRef is ours: exact group (an empty group does not match) and a known kind. */
export function isOurPoolRef(ref: { readonly apiGroup: string; readonly kind: string }): boolean {
  return ref.apiGroup === IPAM_GROUP && isPoolKind(ref.kind);
}

// Cluster API contract kinds (defined by Cluster API, served by its CRDs).
export const IPADDRESS_CLAIM_KIND = 'IPAddressClaim';
export const IPADDRESS_CLAIM_PLURAL = 'ipaddressclaims';
export const IPADDRESS_KIND = 'IPAddress';
export const IPADDRESS_PLURAL = 'ipaddresses';
export const CLUSTER_KIND = 'Cluster';
export const CLUSTER_PLURAL = 'clusters';

// Finalizers.
/** On every handled IPAddressClaim: we release its address before it goes. */
export const FINALIZER_RELEASE_ADDRESS = `${IPAM_GROUP}/ReleaseAddress`;
/** On every IPAddress we create or adopt: only claim deletion may remove it. */
export const FINALIZER_PROTECT_ADDRESS = `${IPAM_GROUP}/ProtectAddress`;
/** On every pool: kept while IPAddresses reference the pool. */
export const FINALIZER_PROTECT_POOL = `${IPAM_GROUP}/ProtectPool`;

// Annotations.
/** Presence (any value) pauses a Cluster, a pool or a claim. */
export const ANNOTATION_PAUSED = `${CLUSTER_API_GROUP}/paused`;
/** Presence on a pool skips the "pool in use" delete check (used by clusterctl move). */
export const ANNOTATION_SKIP_VALIDATE_DELETE = `${IPAM_GROUP}/skip-validate-delete-webhook`;
/**
 * Ours: addresses the controller is about to create from a pool, written to the pool (with a
 * resourceVersion precondition) before the IPAddresses; the webhook counts them as allocated. See pending.ts.
 */
export const ANNOTATION_PENDING_ALLOCATIONS = `${IPAM_GROUP}/pending-allocations`;
/**
 * Ours, on the leader-election Lease: the leader's key for signing pending allocations, so every
 * replica's webhook can verify them. Only who may read the Lease (the controller, admins) sees it.
 */
export const ANNOTATION_FENCE_KEY = `${IPAM_GROUP}/fence-key`;
/** Ours: presence on a pool allows overlaps with other pools of the same scope (no overlap warning). */
export const ANNOTATION_ALLOW_OVERLAP = `${IPAM_GROUP}/allow-overlap`;
/**
 * Ours, on an IPAddressClaim: the one address the claim asks for (IP pools; any textual form).
 * Allocated if free and allocatable, else Ready=False naming why; never another address
 * (requested.ts, docs/adr/0029-requested-addresses.md). Upstream ignores it.
 */
export const ANNOTATION_REQUESTED_ADDRESS = `${OWN_GROUP}/requested-address`;
/** JSON of the v1alpha1 object, kept on the v1alpha2 hub by conversion. */
export const ANNOTATION_CONVERSION_DATA = `${CLUSTER_API_GROUP}/conversion-data`;

// Labels.
/** Read from a claim (deprecated way to name its Cluster) and copied onto its IPAddress. */
export const LABEL_CLUSTER_NAME = `${CLUSTER_API_GROUP}/cluster-name`;
/** Compared with --watch-filter. */
export const LABEL_WATCH_FILTER = `${CLUSTER_API_GROUP}/watch-filter`;
/** On our CRDs (value ""): clusterctl move takes pools with their descendants. */
export const LABEL_MOVE_HIERARCHY = 'clusterctl.cluster.x-k8s.io/move-hierarchy';
/**
 * On our CRDs: `cluster.x-k8s.io/<Cluster API contract>: <our API version>`, for each IPAM contract
 * we implement (Cluster API controllers resolve references with it, and clusterctl >= 1.13 checks
 * that the CRDs carry the label of the contract metadata.yaml names).
 */
export const CONTRACT_LABELS: Readonly<Record<string, string>> = {
  [`${CLUSTER_API_GROUP}/v1beta2`]: 'v1alpha2',
  [`${CLUSTER_API_GROUP}/v1beta1`]: 'v1alpha2',
};

/** Lease name for leader election; the upstream value, so the two can never both lead. */
export const LEADER_ELECTION_ID = `7bb7acb4.${IPAM_GROUP}`;

/** IPAddressReservation (docs/adr/0030-reservations.md): addresses of a pool held before any claim. */
export const RESERVATION_KIND = 'IPAddressReservation';
export const RESERVATION_PLURAL = 'ipaddressreservations';
export const RESERVATION_VERSION = 'v1alpha1';
export const RESERVATION_API_VERSION = `${OWN_GROUP}/${RESERVATION_VERSION}`;
export const RESERVATION_CRD_NAME = `${RESERVATION_PLURAL}.${OWN_GROUP}`;

/** Largest count reported in pool status (upstream caps at Go's MaxInt64). */
export const MAX_STATUS_COUNT = 2n ** 63n - 1n;
