// Condition types and reasons we write. Upstream writes none; the Cluster API contract recommends a
// claim Ready condition with AllocationFailed / PoolExhausted / PoolNotReady, so those strings are the
// contract's and the rest follow Cluster API v1beta2 conventions (positive Ready, a Paused condition).
// The set is documented in ../README.md; keep the two in step.
import type { Condition, ConditionStatus } from './types.js';

export const ConditionType = {
  /** Claim: an address is allocated. Pool: the spec is valid and the pool can serve claims. */
  Ready: 'Ready',
  /** Claim: reconciliation is paused (Cluster API convention). */
  Paused: 'Paused',
  /** Pool: no allocatable address (or sub-prefix) is free. */
  Exhausted: 'Exhausted',
  /** Pool: used/total is at or above the controller's threshold. */
  HighUtilization: 'HighUtilization',
  /** Pool: two or more IPAddresses of the pool hold the same address (made by hand or by another tool). */
  DuplicateAddresses: 'DuplicateAddresses',
} as const;
export type ConditionType = (typeof ConditionType)[keyof typeof ConditionType];

/** Reasons of the claim's Ready condition. */
export const ClaimReadyReason = {
  /** True: status.addressRef names the IPAddress. */
  Allocated: 'Allocated',
  /** False (contract): allocation failed; the message says why. */
  AllocationFailed: 'AllocationFailed',
  /** False (contract): the pool has no free address; preferred over AllocationFailed when full. */
  PoolExhausted: 'PoolExhausted',
  /** False (contract): the pool exists but is not Ready (invalid spec, being deleted). */
  PoolNotReady: 'PoolNotReady',
  /** False: the referenced pool does not exist (yet). */
  PoolNotFound: 'PoolNotFound',
  /** False: spec.clusterName (or the cluster-name label) names a Cluster that does not exist. */
  ClusterNotFound: 'ClusterNotFound',
  /** False: the claim is being deleted; its address is held for the pool's reuse grace period. */
  Deleting: 'Deleting',
  /**
   * False: an IPAddress named like the claim exists that this controller did not create and will not
   * adopt (another pool, another controller, another claim, an address outside the pool or held twice);
   * the message names the conflict and what to do.
   */
  AddressConflict: 'AddressConflict',
  // The claim's requested-address annotation (requested.ts, docs/adr/0029-requested-addresses.md):
  // exactly that address or none; each reason's message names the address and the pool.
  /** False: the annotation's value is not an IP address (the message names annotation and value). */
  RequestedAddressInvalid: 'RequestedAddressInvalid',
  /** False: the claim's pool is a prefix pool, which does not take a requested address. */
  RequestedAddressUnsupported: 'RequestedAddressUnsupported',
  /** False: the requested address is inside no spec.addresses entry of the pool (or another family). */
  RequestedAddressNotInPool: 'RequestedAddressNotInPool',
  /** False: the requested address is excluded; the message names the spec.excludedAddresses entry. */
  RequestedAddressExcluded: 'RequestedAddressExcluded',
  /** False: the requested address is the pool's gateway. */
  RequestedAddressIsGateway: 'RequestedAddressIsGateway',
  /** False: the requested address is the subnet's network, broadcast or anycast address. */
  RequestedAddressReserved: 'RequestedAddressReserved',
  /** False: another holder has the address (or asked for it first); the message names it. */
  RequestedAddressTaken: 'RequestedAddressTaken',
} as const;
export type ClaimReadyReason = (typeof ClaimReadyReason)[keyof typeof ClaimReadyReason];

/** Reasons of the claim's Paused condition. While paused, nothing else on the claim changes. */
export const PausedReason = {
  /** True: the claim's Cluster has spec.paused or the paused annotation. */
  ClusterPaused: 'ClusterPaused',
  /** True: the referenced pool has the paused annotation. */
  PoolPaused: 'PoolPaused',
  /** True: the claim itself has the paused annotation. */
  Paused: 'Paused',
  /** False. */
  NotPaused: 'NotPaused',
} as const;
export type PausedReason = (typeof PausedReason)[keyof typeof PausedReason];

/** Reasons of the pool's Ready condition. */
export const PoolReadyReason = {
  /** True. */
  Valid: 'Valid',
  /** False: the spec fails validation (possible when it was written without the webhook). */
  InvalidSpec: 'InvalidSpec',
  /** False: the pool is being deleted and waits for its IPAddresses to go. */
  Deleting: 'Deleting',
} as const;
export type PoolReadyReason = (typeof PoolReadyReason)[keyof typeof PoolReadyReason];

/** Reasons of the pool's Exhausted condition. */
export const ExhaustedReason = {
  /** True: free == 0. */
  NoFreeAddresses: 'NoFreeAddresses',
  /** False. */
  FreeAddressesAvailable: 'FreeAddressesAvailable',
} as const;
export type ExhaustedReason = (typeof ExhaustedReason)[keyof typeof ExhaustedReason];

/** Reasons of the pool's HighUtilization condition. */
export const HighUtilizationReason = {
  AboveThreshold: 'AboveThreshold',
  BelowThreshold: 'BelowThreshold',
} as const;
export type HighUtilizationReason = (typeof HighUtilizationReason)[keyof typeof HighUtilizationReason];

/** Reasons of the pool's DuplicateAddresses condition. */
export const DuplicateAddressesReason = {
  /** True: the message names each shared address and the IPAddresses holding it. */
  DuplicatesFound: 'DuplicatesFound',
  /** False: every IPAddress of the pool holds an address of its own. */
  NoDuplicates: 'NoDuplicates',
} as const;
export type DuplicateAddressesReason =
  (typeof DuplicateAddressesReason)[keyof typeof DuplicateAddressesReason];

/** Reasons of the Normal Events on claims (a Ready=False reason is its own Warning Event reason). */
export const ClaimEventReason = {
  /** An IPAddress was created for the claim. */
  AddressAllocated: 'AddressAllocated',
  /** The claim's IPAddress was deleted on claim deletion. */
  AddressReleased: 'AddressReleased',
  /** The claim was deleted; its address is held for the pool's reuse grace period until the time named. */
  AddressQuarantined: 'AddressQuarantined',
} as const;
export type ClaimEventReason = (typeof ClaimEventReason)[keyof typeof ClaimEventReason];

/** Reasons of the Warning Events on pools (besides a Ready=False reason, which is its own Event reason). */
export const PoolEventReason = {
  /** Exhausted turned True. */
  PoolExhausted: 'PoolExhausted',
  /** HighUtilization turned True. */
  HighUtilization: 'HighUtilization',
  /** The set of IPAddresses with an unparsable address changed. */
  InvalidIPAddress: 'InvalidIPAddress',
  /** The set of duplicate addresses (DuplicateAddresses condition) changed and is not empty. */
  DuplicateAddress: 'DuplicateAddress',
  /** An IPAddress of the pool outlived its claim (deleted while it was being allocated) and was released. */
  OrphanReleased: 'OrphanReleased',
} as const;
export type PoolEventReason = (typeof PoolEventReason)[keyof typeof PoolEventReason];

/** Default HighUtilization threshold in percent of total; the controller may override it. */
export const DEFAULT_HIGH_UTILIZATION_PERCENT = 90;

/** A condition to set; lastTransitionTime is managed by setCondition. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
  observedGeneration?: number;
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/**
 * Returns a new list with `update` set, like apimachinery's meta.SetStatusCondition: the transition
 * time moves only when the status changes, so re-asserting a condition does not churn the object.
 * `now` is an RFC 3339 timestamp (seconds precision, as the API server stores it).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  now: string,
): Condition[] {
  const list = conditions ?? [];
  const existing = findCondition(list, update.type);
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      existing !== undefined && existing.status === update.status ? existing.lastTransitionTime : now,
    ...(update.observedGeneration === undefined ? {} : { observedGeneration: update.observedGeneration }),
  };
  if (existing === undefined) return [...list, next];
  return list.map((c) => (c.type === update.type ? next : c));
}

/** RFC 3339 with seconds precision, the form metav1.Time serialises to. */
export function conditionTime(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
