// Wire shapes: what the API server sends and accepts for our pools and for the Cluster API objects we
// read and write. Only the fields we use are typed; objects keep unknown fields when round-tripped by
// the kube layer. Field names and optionality follow the CRDs in ../crds and Cluster API's
// (sigs.k8s.io/cluster-api, fetched by test/cluster/capi-crds.ts).

/** metav1.OwnerReference. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The part of metav1.ObjectMeta we read or write. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  finalizers?: string[];
  ownerReferences?: OwnerReference[];
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** metav1.Condition: pool conditions, v1beta2 claim conditions, v1beta1 `status.v1beta2.conditions`. */
export interface Condition {
  type: string;
  status: ConditionStatus;
  /** CamelCase, required by the schema (minLength 1). */
  reason: string;
  /** Required by the schema, may be empty. */
  message: string;
  lastTransitionTime: string;
  observedGeneration?: number;
}

/** Cluster API v1beta1 ("legacy") condition: v1beta1 claim `status.conditions`, v1beta2 `status.deprecated.v1beta1.conditions`. */
export interface LegacyCondition {
  type: string;
  status: ConditionStatus;
  /** Only for status False: Error, Warning or Info. */
  severity?: 'Error' | 'Warning' | 'Info' | '';
  /** minLength 1 when present. */
  reason?: string;
  /** minLength 1 when present. */
  message?: string;
  lastTransitionTime: string;
}

// ---------------------------------------------------------------------------------------------
// Our pools (ipam.cluster.x-k8s.io/v1alpha2)

/** Spec of InClusterIPPool and GlobalInClusterIPPool. */
export interface IPPoolSpec {
  /** Single IPs, CIDRs (host bits allowed) or `FROM-TO` ranges; one family. */
  addresses: string[];
  /** 0..128; written to every IPAddress and used to infer the subnet. */
  prefix: number;
  gateway?: string;
  allocateReservedIPAddresses?: boolean;
  excludedAddresses?: string[];
  /** Seconds an IPAddress outlives its deleted claim; unset or 0 = release at once. */
  addressReuseGracePeriodSeconds?: number;
}

/** Spec of InClusterPrefixPool and GlobalInClusterPrefixPool. */
export interface PrefixPoolSpec {
  /** Network-aligned IPv6 CIDRs. */
  prefixes: string[];
  /** 1..128, defaulted to 64 by the CRD; immutable. */
  allocationPrefixLength?: number;
  gateway?: string;
  excludedPrefixes?: string[];
}

/**
 * A status count as decoded from JSON. Counts go up to 2^63-1, beyond a JS number's exact range, so a
 * bigint-aware decoder (the kube layer's) yields bigint for large values; plain JSON.parse yields number.
 */
export type StatusCount = number | bigint;

/** `status.ipAddresses`: same shape for IP and prefix pools (prefix pools count sub-prefixes). */
export interface PoolAddressCounts {
  total: StatusCount;
  used: StatusCount;
  free: StatusCount;
  outOfRange: StatusCount;
  /** IP pools: IPAddresses held for the reuse grace period after their claim's deletion (ours; counted in used). */
  quarantined?: StatusCount;
  /** Ours: addresses held by IPAddressReservations and not allocated (docs/adr/0030-reservations.md). */
  reserved?: StatusCount;
}

export interface PoolStatus {
  ipAddresses?: PoolAddressCounts;
  /** Our addition; see conditions.ts for the types and reasons. */
  conditions?: Condition[];
  /** Our addition: the exhaustion forecast (docs/adr/0031). */
  forecast?: PoolForecast;
}

/** `status.forecast`: an EWMA of net allocations per hour and the days until the pool is full at it. */
export interface PoolForecast {
  /** Net allocations (allocations minus releases) per hour, exponentially weighted. */
  netAllocationsPerHour: number;
  /** free / (rate × 24); absent unless the rate is positive. */
  daysToExhaustion?: number;
  /** When the rate was computed (RFC 3339). */
  observedAt: string;
  /** status.ipAddresses.used at observedAt: the baseline of the next change. */
  observedUsed: StatusCount;
}

interface PoolObject<K extends string, S> {
  apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2';
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: PoolStatus;
}

export type InClusterIPPool = PoolObject<'InClusterIPPool', IPPoolSpec>;
export type GlobalInClusterIPPool = PoolObject<'GlobalInClusterIPPool', IPPoolSpec>;
export type InClusterPrefixPool = PoolObject<'InClusterPrefixPool', PrefixPoolSpec>;
export type GlobalInClusterPrefixPool = PoolObject<'GlobalInClusterPrefixPool', PrefixPoolSpec>;
export type IPPool = InClusterIPPool | GlobalInClusterIPPool;
export type PrefixPool = InClusterPrefixPool | GlobalInClusterPrefixPool;
export type Pool = IPPool | PrefixPool;

// ---------------------------------------------------------------------------------------------
// Cluster API IPAM contract, ipam.cluster.x-k8s.io/v1beta2 (Cluster API >= 1.11)

/** v1beta2 IPPoolReference: every field required. */
export interface PoolReferenceV1Beta2 {
  apiGroup: string;
  kind: string;
  name: string;
}

export interface IPAddressClaimV1Beta2 {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2';
  kind: 'IPAddressClaim';
  metadata: ObjectMeta;
  spec: {
    clusterName?: string;
    poolRef: PoolReferenceV1Beta2;
  };
  /** The schema requires at least one property when status is present. */
  status?: {
    addressRef?: { name: string };
    conditions?: Condition[];
    deprecated?: { v1beta1?: { conditions?: LegacyCondition[] } };
  };
}

export interface IPAddressV1Beta2 {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta2';
  kind: 'IPAddress';
  metadata: ObjectMeta;
  spec: {
    claimRef: { name: string };
    poolRef: PoolReferenceV1Beta2;
    /** 1..39 characters. */
    address: string;
    /** *int32 in Go: required by the schema but nil-able in the type. */
    prefix?: number;
    /** 1..39 characters; omitted when empty. */
    gateway?: string;
  };
}

// ---------------------------------------------------------------------------------------------
// Cluster API IPAM contract, ipam.cluster.x-k8s.io/v1beta1 (Cluster API 1.6-1.10; deprecated later)

/** core TypedLocalObjectReference: apiGroup is an optional pointer. */
export interface TypedLocalObjectReference {
  apiGroup?: string;
  kind: string;
  name: string;
}

export interface IPAddressClaimV1Beta1 {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta1';
  kind: 'IPAddressClaim';
  metadata: ObjectMeta;
  spec: {
    clusterName?: string;
    poolRef: TypedLocalObjectReference;
  };
  status?: {
    /** core LocalObjectReference. */
    addressRef?: { name?: string };
    /** Legacy Cluster API conditions. */
    conditions?: LegacyCondition[];
    /** metav1 conditions, the future shape. */
    v1beta2?: { conditions?: Condition[] };
  };
}

export interface IPAddressV1Beta1 {
  apiVersion: 'ipam.cluster.x-k8s.io/v1beta1';
  kind: 'IPAddress';
  metadata: ObjectMeta;
  spec: {
    claimRef: { name?: string };
    poolRef: TypedLocalObjectReference;
    address: string;
    /** int in Go: always present. */
    prefix: number;
    gateway?: string;
  };
}

// ---------------------------------------------------------------------------------------------
// Cluster (cluster.x-k8s.io), only what pause checks need: spec.paused in both versions.

export interface ClusterV1Beta2 {
  apiVersion: 'cluster.x-k8s.io/v1beta2';
  kind: 'Cluster';
  metadata: ObjectMeta;
  spec?: { paused?: boolean };
}

export interface ClusterV1Beta1 {
  apiVersion: 'cluster.x-k8s.io/v1beta1';
  kind: 'Cluster';
  metadata: ObjectMeta;
  spec?: { paused?: boolean };
}

export type IPAddressClaimWire = IPAddressClaimV1Beta2 | IPAddressClaimV1Beta1;
export type IPAddressWire = IPAddressV1Beta2 | IPAddressV1Beta1;
export type ClusterWire = ClusterV1Beta2 | ClusterV1Beta1;
