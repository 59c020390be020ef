// The Cluster API IPAM contract in two wire versions, one internal model. The controller picks a
// version once at start-up (chooseContract, from discovery) and from then on only sees the normalised
// AddressClaim / Address / ClusterInfo below; the version differences stay in this file:
//   poolRef.apiGroup    v1beta2 required string        v1beta1 optional pointer (nil <-> "")
//   IPAddress prefix    v1beta2 *int32                 v1beta1 int (nil -> 0)
//   claim conditions    v1beta2 status.conditions       v1beta1 status.v1beta2.conditions
//   legacy conditions   v1beta2 status.deprecated.v1beta1.conditions   v1beta1 status.conditions
// These are the rules of Cluster API's own v1beta1 <-> v1beta2 conversion. Pure data: no client here.
import {
  ANNOTATION_PAUSED,
  CLUSTER_API_GROUP,
  FINALIZER_PROTECT_ADDRESS,
  IPADDRESS_CLAIM_KIND,
  IPAM_GROUP,
  LABEL_CLUSTER_NAME,
  POOL_API_VERSION,
  type PoolKind,
} from './constants.js';
import type {
  ClusterWire,
  Condition,
  IPAddressClaimV1Beta1,
  IPAddressClaimV1Beta2,
  IPAddressClaimWire,
  IPAddressV1Beta1,
  IPAddressV1Beta2,
  IPAddressWire,
  LegacyCondition,
  ObjectMeta,
  OwnerReference,
} from './types.js';

export const CONTRACT_VERSIONS = ['v1beta2', 'v1beta1'] as const;
export type ContractVersion = (typeof CONTRACT_VERSIONS)[number];

/** A pool reference with the group always a string ("" when a v1beta1 object has none). */
export interface PoolReference {
  apiGroup: string;
  kind: string;
  name: string;
}

/** IPAddressClaim, normalised. */
export interface AddressClaim {
  metadata: ObjectMeta;
  clusterName: string | undefined;
  poolRef: PoolReference;
  /** status.addressRef.name. */
  addressName: string | undefined;
  /** metav1 conditions (ours). */
  conditions: Condition[];
  /** Legacy Cluster API conditions, carried through unchanged. */
  legacyConditions: LegacyCondition[];
}

/** IPAddress, normalised. */
export interface Address {
  metadata: ObjectMeta;
  claimName: string;
  poolRef: PoolReference;
  address: string;
  /** undefined only for a v1beta2 object without a prefix (the schema requires one). */
  prefix: number | undefined;
  gateway: string | undefined;
}

/** Cluster, reduced to what the pause check needs. */
export interface ClusterInfo {
  metadata: ObjectMeta;
  /** spec.paused is true or the cluster.x-k8s.io/paused annotation is present. */
  paused: boolean;
}

/** What the claim reconciler wants the claim status to say. */
export interface ClaimStatusUpdate {
  addressName?: string;
  /** The full list of our metav1 conditions (build it with setCondition). */
  conditions: Condition[];
}

/** A JSON merge patch body for the claim's status subresource. */
export interface ClaimStatusPatch {
  status: Record<string, unknown>;
}

/** The pool an IPAddress is allocated from. */
export interface PoolIdentity {
  kind: PoolKind;
  name: string;
  uid: string;
}

export interface BuildIPAddressInput {
  claim: AddressClaim;
  pool: PoolIdentity;
  address: string;
  prefix: number;
  /** Copied verbatim; omitted when empty (the v1beta2 schema has minLength 1). */
  gateway?: string;
}

/** One contract version: the API versions to use and the mappings to write it. */
export interface Contract {
  readonly version: ContractVersion;
  /** apiVersion of IPAddressClaim and IPAddress, e.g. ipam.cluster.x-k8s.io/v1beta2. */
  readonly ipamApiVersion: string;
  /** apiVersion of Cluster (same version as the IPAM types in every Cluster API release). */
  readonly clusterApiVersion: string;
  claimToWire(claim: AddressClaim): IPAddressClaimWire;
  addressToWire(address: Address): IPAddressWire;
  /** The IPAddress to create for a claim: name, owners, finalizer and labels per the contract. */
  buildIPAddress(input: BuildIPAddressInput): IPAddressWire;
  claimStatusPatch(claim: AddressClaim, update: ClaimStatusUpdate): ClaimStatusPatch;
}

// ---------------------------------------------------------------------------------------------
// Reading: accepts either version, whatever the chosen contract (objects say what they are).

export function claimFromWire(wire: IPAddressClaimWire): AddressClaim {
  if (wire.apiVersion === `${IPAM_GROUP}/v1beta2`) {
    return {
      metadata: wire.metadata,
      clusterName: wire.spec.clusterName,
      poolRef: { ...wire.spec.poolRef },
      addressName: wire.status?.addressRef?.name,
      conditions: wire.status?.conditions ?? [],
      legacyConditions: wire.status?.deprecated?.v1beta1?.conditions ?? [],
    };
  }
  return {
    metadata: wire.metadata,
    clusterName: wire.spec.clusterName,
    poolRef: {
      apiGroup: wire.spec.poolRef.apiGroup ?? '',
      kind: wire.spec.poolRef.kind,
      name: wire.spec.poolRef.name,
    },
    addressName: emptyToUndefined(wire.status?.addressRef?.name),
    conditions: wire.status?.v1beta2?.conditions ?? [],
    legacyConditions: wire.status?.conditions ?? [],
  };
}

export function addressFromWire(wire: IPAddressWire): Address {
  const poolRef =
    wire.apiVersion === `${IPAM_GROUP}/v1beta2`
      ? { ...wire.spec.poolRef }
      : {
          apiGroup: wire.spec.poolRef.apiGroup ?? '',
          kind: wire.spec.poolRef.kind,
          name: wire.spec.poolRef.name,
        };
  return {
    metadata: wire.metadata,
    claimName: wire.spec.claimRef.name ?? '',
    poolRef,
    address: wire.spec.address,
    prefix: wire.spec.prefix,
    gateway: emptyToUndefined(wire.spec.gateway),
  };
}

export function clusterFromWire(wire: ClusterWire): ClusterInfo {
  return {
    metadata: wire.metadata,
    paused: wire.spec?.paused === true || hasPausedAnnotation(wire.metadata),
  };
}

/** Presence of cluster.x-k8s.io/paused, any value (Cluster, pool or claim). */
export function hasPausedAnnotation(metadata: ObjectMeta): boolean {
  return metadata.annotations !== undefined && ANNOTATION_PAUSED in metadata.annotations;
}

// ---------------------------------------------------------------------------------------------
// Writing, per version.

function claimToV1Beta2(claim: AddressClaim): IPAddressClaimV1Beta2 {
  const status: NonNullable<IPAddressClaimV1Beta2['status']> = {};
  if (claim.addressName !== undefined) status.addressRef = { name: claim.addressName };
  if (claim.conditions.length > 0) status.conditions = claim.conditions;
  if (claim.legacyConditions.length > 0) {
    status.deprecated = { v1beta1: { conditions: claim.legacyConditions } };
  }
  return {
    apiVersion: `${IPAM_GROUP}/v1beta2`,
    kind: IPADDRESS_CLAIM_KIND,
    metadata: claim.metadata,
    spec: {
      ...(claim.clusterName === undefined ? {} : { clusterName: claim.clusterName }),
      poolRef: { ...claim.poolRef },
    },
    // status has minProperties 1 in v1beta2: omit it rather than send {}.
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

function claimToV1Beta1(claim: AddressClaim): IPAddressClaimV1Beta1 {
  const status: NonNullable<IPAddressClaimV1Beta1['status']> = {};
  if (claim.addressName !== undefined) status.addressRef = { name: claim.addressName };
  if (claim.legacyConditions.length > 0) status.conditions = claim.legacyConditions;
  if (claim.conditions.length > 0) status.v1beta2 = { conditions: claim.conditions };
  return {
    apiVersion: `${IPAM_GROUP}/v1beta1`,
    kind: IPADDRESS_CLAIM_KIND,
    metadata: claim.metadata,
    spec: {
      ...(claim.clusterName === undefined ? {} : { clusterName: claim.clusterName }),
      poolRef: typedRef(claim.poolRef),
    },
    ...(Object.keys(status).length > 0 ? { status } : {}),
  };
}

function addressToV1Beta2(address: Address): IPAddressV1Beta2 {
  return {
    apiVersion: `${IPAM_GROUP}/v1beta2`,
    kind: 'IPAddress',
    metadata: address.metadata,
    spec: {
      claimRef: { name: address.claimName },
      poolRef: { ...address.poolRef },
      address: address.address,
      ...(address.prefix === undefined ? {} : { prefix: address.prefix }),
      ...(address.gateway === undefined || address.gateway === '' ? {} : { gateway: address.gateway }),
    },
  };
}

function addressToV1Beta1(address: Address): IPAddressV1Beta1 {
  return {
    apiVersion: `${IPAM_GROUP}/v1beta1`,
    kind: 'IPAddress',
    metadata: address.metadata,
    spec: {
      claimRef: { name: address.claimName },
      poolRef: typedRef(address.poolRef),
      address: address.address,
      prefix: address.prefix ?? 0,
      ...(address.gateway === undefined || address.gateway === '' ? {} : { gateway: address.gateway }),
    },
  };
}

function typedRef(ref: PoolReference): { apiGroup?: string; kind: string; name: string } {
  return { ...(ref.apiGroup === '' ? {} : { apiGroup: ref.apiGroup }), kind: ref.kind, name: ref.name };
}

/** Owner reference from an IPAddress to its claim: the controller, blocking the claim's deletion. */
export function claimOwnerReference(claim: AddressClaim, ipamApiVersion: string): OwnerReference {
  return {
    apiVersion: ipamApiVersion,
    kind: IPADDRESS_CLAIM_KIND,
    name: required(claim.metadata.name, 'claim metadata.name'),
    uid: required(claim.metadata.uid, 'claim metadata.uid'),
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Owner reference from an IPAddress to its pool: not the controller, but blocking deletion. */
export function poolOwnerReference(pool: PoolIdentity): OwnerReference {
  return {
    apiVersion: POOL_API_VERSION,
    kind: pool.kind,
    name: pool.name,
    uid: pool.uid,
    controller: false,
    blockOwnerDeletion: true,
  };
}

function buildAddress(input: BuildIPAddressInput, ipamApiVersion: string): Address {
  const { claim, pool } = input;
  const name = required(claim.metadata.name, 'claim metadata.name');
  const clusterLabel = claim.metadata.labels?.[LABEL_CLUSTER_NAME];
  return {
    metadata: {
      // The IPAddress is named like its claim (contract "should"; upstream does it, tools rely on it).
      name,
      namespace: required(claim.metadata.namespace, 'claim metadata.namespace'),
      // Only the label is copied, never spec.clusterName (upstream behaviour).
      ...(clusterLabel === undefined ? {} : { labels: { [LABEL_CLUSTER_NAME]: clusterLabel } }),
      finalizers: [FINALIZER_PROTECT_ADDRESS],
      ownerReferences: [claimOwnerReference(claim, ipamApiVersion), poolOwnerReference(pool)],
    },
    claimName: name,
    poolRef: { apiGroup: IPAM_GROUP, kind: pool.kind, name: pool.name },
    address: input.address,
    prefix: input.prefix,
    gateway: emptyToUndefined(input.gateway),
  };
}

/**
 * The legacy (v1beta1) form of one of our conditions: True carries no reason; False is a Warning.
 * Empty strings are dropped because the legacy schema has minLength 1 on reason and message.
 */
export function toLegacyCondition(condition: Condition): LegacyCondition {
  const legacy: LegacyCondition = {
    type: condition.type,
    status: condition.status,
    lastTransitionTime: condition.lastTransitionTime,
  };
  if (condition.status === 'True') return legacy;
  if (condition.status === 'False') legacy.severity = 'Warning';
  if (condition.reason !== '') legacy.reason = condition.reason;
  if (condition.message !== '') legacy.message = condition.message;
  return legacy;
}

function v1beta2StatusPatch(_claim: AddressClaim, update: ClaimStatusUpdate): ClaimStatusPatch {
  return {
    status: {
      ...(update.addressName === undefined ? {} : { addressRef: { name: update.addressName } }),
      conditions: update.conditions,
    },
  };
}

function v1beta1StatusPatch(claim: AddressClaim, update: ClaimStatusUpdate): ClaimStatusPatch {
  // A merge patch replaces the whole legacy list: keep entries of types we do not write.
  const ours = new Set(update.conditions.map((c) => c.type));
  const legacy = [
    ...claim.legacyConditions.filter((c) => !ours.has(c.type)),
    ...update.conditions.map(toLegacyCondition),
  ];
  return {
    status: {
      ...(update.addressName === undefined ? {} : { addressRef: { name: update.addressName } }),
      conditions: legacy,
      v1beta2: { conditions: update.conditions },
    },
  };
}

const V1BETA2: Contract = {
  version: 'v1beta2',
  ipamApiVersion: `${IPAM_GROUP}/v1beta2`,
  clusterApiVersion: `${CLUSTER_API_GROUP}/v1beta2`,
  claimToWire: claimToV1Beta2,
  addressToWire: addressToV1Beta2,
  buildIPAddress: (input) => addressToV1Beta2(buildAddress(input, `${IPAM_GROUP}/v1beta2`)),
  claimStatusPatch: v1beta2StatusPatch,
};

const V1BETA1: Contract = {
  version: 'v1beta1',
  ipamApiVersion: `${IPAM_GROUP}/v1beta1`,
  clusterApiVersion: `${CLUSTER_API_GROUP}/v1beta1`,
  claimToWire: claimToV1Beta1,
  addressToWire: addressToV1Beta1,
  buildIPAddress: (input) => addressToV1Beta1(buildAddress(input, `${IPAM_GROUP}/v1beta1`)),
  claimStatusPatch: v1beta1StatusPatch,
};

export function contractFor(version: ContractVersion): Contract {
  return version === 'v1beta2' ? V1BETA2 : V1BETA1;
}

export type ChooseContractResult =
  { ok: true; value: Contract } | { ok: false; error: { code: 'NoSupportedContract'; message: string } };

/**
 * Picks the contract from the versions the API server serves for ipaddressclaims/ipaddresses
 * (bare versions like "v1beta2" or group versions like "ipam.cluster.x-k8s.io/v1beta2").
 * Prefers v1beta2 (Cluster API >= 1.11), else v1beta1 (1.6-1.10); v1alpha1 alone is not enough.
 */
export function chooseContract(servedVersions: readonly string[]): ChooseContractResult {
  const versions = new Set(
    servedVersions.flatMap((v) => {
      const slash = v.indexOf('/');
      if (slash === -1) return [v];
      return v.slice(0, slash) === IPAM_GROUP ? [v.slice(slash + 1)] : [];
    }),
  );
  for (const version of CONTRACT_VERSIONS) {
    if (versions.has(version)) return { ok: true, value: contractFor(version) };
  }
  const served = versions.size === 0 ? 'none' : [...versions].sort().join(', ');
  return {
    ok: false,
    error: {
      code: 'NoSupportedContract',
      message:
        `the API server serves no supported version of ${IPAM_GROUP} IPAddressClaim/IPAddress ` +
        `(served: ${served}; supported: v1beta2 from Cluster API 1.11, v1beta1 from Cluster API 1.6); ` +
        'install or upgrade Cluster API core',
    },
  };
}

function emptyToUndefined(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}

function required(value: string | undefined, what: string): string {
  // Objects read from the API server always have these; a missing one is a programming error.
  if (value === undefined || value === '') throw new Error(`${what} is required`);
  return value;
}
