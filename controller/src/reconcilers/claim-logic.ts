// Pure decisions of the claim reconciler: which Cluster a claim belongs to, what an adopted
// IPAddress's metadata must become, whether a status changed. (How long a deleted claim keeps its
// address: @ipam-in-cluster/api quarantineOf, timed by util/server-clock.ts.)
// No I/O here; claim-reconciler.ts does the calls.
import {
  claimOwnerReference,
  FINALIZER_PROTECT_ADDRESS,
  IPADDRESS_CLAIM_KIND,
  IPAM_GROUP,
  LABEL_CLUSTER_NAME,
  LABEL_WATCH_FILTER,
  poolOwnerReference,
  type Address,
  type AddressClaim,
  type Condition,
  type ObjectMeta,
  type OwnerReference,
  type PoolIdentity,
} from '@ipam-in-cluster/api';

/**
 * The Cluster a claim belongs to: spec.clusterName, else the cluster-name label. An empty label
 * value means "no cluster" (upstream asks the API server for a Cluster named "" and loops on the
 * error forever).
 */
export function claimClusterName(claim: AddressClaim): string | undefined {
  if (claim.clusterName !== undefined && claim.clusterName !== '') return claim.clusterName;
  const label = claim.metadata.labels?.[LABEL_CLUSTER_NAME];
  return label === undefined || label === '' ? undefined : label;
}

/** The API group of an apiVersion (`''` for the core group's `v1`). */
export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

/** Whether an owner reference points at an IPAddressClaim (of `name`, when given). */
export function isClaimReference(r: OwnerReference, name?: string): boolean {
  return (
    r.kind === IPADDRESS_CLAIM_KIND &&
    groupOf(r.apiVersion) === IPAM_GROUP &&
    (name === undefined || r.name === name)
  );
}

export interface OwnershipResult {
  /** The owner references the IPAddress must have (existing unrelated ones first, kept as they are). */
  ownerReferences: OwnerReference[];
  /** Another object is the IPAddress's controller; the claim was not made its controller. */
  ownedByOther: OwnerReference | undefined;
}

/**
 * controller-runtime's SetControllerReference for the claim, then an upserted pool reference forced to
 * controller: false, blockOwnerDeletion: true. New references are appended (claim first, then pool).
 */
export function ensureOwnerReferences(
  existing: readonly OwnerReference[] | undefined,
  claim: AddressClaim,
  pool: PoolIdentity,
  ipamApiVersion: string,
): OwnershipResult {
  const refs = (existing ?? []).map((r) => ({ ...r }));
  const claimRef = claimOwnerReference(claim, ipamApiVersion);
  const isClaim = (r: OwnerReference): boolean => isClaimReference(r, claimRef.name);
  // A controller reference to a claim of the same name is ours even with another uid: names are
  // unique, so that uid belongs to an earlier claim of this name that no longer exists (deleted and
  // recreated while its IPAddress was being created). controller-runtime's SetControllerReference
  // compares group, kind and name the same way; refusing would leave the IPAddress with a dangling
  // controller reference that the garbage collector then strips, controlled by nobody.
  const otherController = refs.find((r) => r.controller === true && !isClaim(r));
  let ownedByOther: OwnerReference | undefined;
  if (otherController !== undefined) {
    ownedByOther = otherController;
  } else {
    const i = refs.findIndex(isClaim);
    if (i === -1) refs.push(claimRef);
    else refs[i] = claimRef;
  }
  const poolRef = poolOwnerReference(pool);
  const j = refs.findIndex(
    (r) =>
      groupOf(r.apiVersion) === groupOf(poolRef.apiVersion) &&
      r.kind === poolRef.kind &&
      r.name === poolRef.name,
  );
  if (j === -1) refs.push(poolRef);
  else
    refs[j] = {
      ...(refs[j] as OwnerReference),
      apiVersion: poolRef.apiVersion,
      uid: poolRef.uid,
      controller: false,
      blockOwnerDeletion: true,
    };
  return { ownerReferences: refs, ownedByOther };
}

/** Labels copied from the claim onto its IPAddress: cluster-name (upstream) and watch-filter (ours). */
export function copiedLabels(claim: AddressClaim): Record<string, string> {
  const out: Record<string, string> = {};
  const labels = claim.metadata.labels ?? {};
  for (const key of [LABEL_CLUSTER_NAME, LABEL_WATCH_FILTER]) {
    const value = labels[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/**
 * The metadata merge patch that adopts an existing IPAddress (owner references, copied labels,
 * ProtectAddress finalizer), or undefined when it already has everything. The spec is never touched
 * (it is immutable).
 */
/** Field-by-field, so the API server's key order never reads as a change (a restart used to re-patch every address). */
function sameOwnerReferences(a: readonly OwnerReference[], b: readonly OwnerReference[]): boolean {
  const canonical = (r: OwnerReference) =>
    [r.apiVersion, r.kind, r.name, r.uid, r.controller ?? null, r.blockOwnerDeletion ?? null].join('\u0000');
  return a.length === b.length && a.every((r, i) => b[i] !== undefined && canonical(r) === canonical(b[i]));
}

export function adoptionPatch(
  address: ObjectMeta,
  claim: AddressClaim,
  pool: PoolIdentity,
  ipamApiVersion: string,
): { patch: { metadata: Record<string, unknown> } | undefined; ownedByOther: OwnerReference | undefined } {
  const metadata: Record<string, unknown> = {};
  const { ownerReferences, ownedByOther } = ensureOwnerReferences(
    address.ownerReferences,
    claim,
    pool,
    ipamApiVersion,
  );
  if (!sameOwnerReferences(ownerReferences, address.ownerReferences ?? []))
    metadata.ownerReferences = ownerReferences;
  const labels = copiedLabels(claim);
  const missing = Object.entries(labels).filter(([k, v]) => address.labels?.[k] !== v);
  if (missing.length > 0) metadata.labels = Object.fromEntries(missing);
  const finalizers = address.finalizers ?? [];
  if (!finalizers.includes(FINALIZER_PROTECT_ADDRESS))
    metadata.finalizers = [...finalizers, FINALIZER_PROTECT_ADDRESS];
  return { patch: Object.keys(metadata).length === 0 ? undefined : { metadata }, ownedByOther };
}

/**
 * Whether an IPAddress may be deleted on behalf of this claim: controlled by nobody, or by a claim of
 * this name — this one, or an earlier one of the same name that is gone (see ensureOwnerReferences).
 */
export function releasableBy(address: ObjectMeta, claim: AddressClaim): boolean {
  const controller = address.ownerReferences?.find((r) => r.controller === true);
  return controller === undefined || isClaimReference(controller, claim.metadata.name ?? '');
}

/** Whether the IPAddress's controller reference is this very claim (same uid): one we created or adopted. */
export function controlledBy(address: ObjectMeta, claim: AddressClaim): boolean {
  const controller = address.ownerReferences?.find((r) => r.controller === true);
  return controller !== undefined && isClaimReference(controller) && controller.uid === claim.metadata.uid;
}

/** What the pool knows about an existing IPAddress's address (PoolRegistry.check). */
export interface PoolCheck {
  inPool: boolean;
  alsoHeldBy: readonly string[];
}

/**
 * Why an existing IPAddress named like the claim must not be adopted, as the claim's Ready message
 * (naming the conflict and the way out), or undefined to adopt it. Adopted: an IPAddress that
 * references this claim and this pool, is controlled by no other object, and holds an address the
 * pool could hand out that no other IPAddress of the pool holds. An IPAddress this claim already
 * controls (same uid) is ours and not checked again. `check` is undefined while the pool has no
 * valid layout.
 */
export function adoptionConflict(
  address: Address,
  claim: AddressClaim,
  poolDescription: string,
  check: PoolCheck | undefined,
): string | undefined {
  const what = `IPAddress ${address.metadata.namespace ?? ''}/${address.metadata.name ?? ''}`;
  const remedy = 'delete it (or correct it) and the claim gets an address from the pool';
  const claimName = claim.metadata.name ?? '';
  if (address.claimName !== '' && address.claimName !== claimName)
    return `${what} references claim ${address.claimName}, not ${claimName}: it is not adopted; ${remedy}`;
  if (!releasableBy(address.metadata, claim)) {
    const controller = address.metadata.ownerReferences?.find((r) => r.controller === true);
    return `${what} is controlled by ${controller?.kind ?? ''} ${controller?.name ?? ''}: it is not adopted; ${remedy}`;
  }
  if (controlledBy(address.metadata, claim)) return undefined;
  const held = address.prefix === undefined ? address.address : `${address.address}/${address.prefix}`;
  if (check === undefined)
    return `${what} (${held}) was not created for this claim and cannot be checked while ${poolDescription} is not ready; it is adopted once the pool is Ready`;
  if (!check.inPool)
    return `${what} holds ${held}, which ${poolDescription} cannot hand out (outside its addresses, excluded, reserved, the gateway or the wrong prefix length): it is not adopted; ${remedy}`;
  if (check.alsoHeldBy.length > 0)
    return `${what} holds ${held}, which ${check.alsoHeldBy.map((k) => `IPAddress ${k}`).join(', ')} also ${check.alsoHeldBy.length === 1 ? 'holds' : 'hold'} in ${poolDescription}: it is not adopted; ${remedy}`;
  return undefined;
}

/** Conditions equal for patching purposes (lastTransitionTime is kept by setCondition when unchanged). */
export function sameConditions(a: readonly Condition[], b: readonly Condition[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((c) => {
    const d = b.find((x) => x.type === c.type);
    return (
      d !== undefined &&
      d.status === c.status &&
      d.reason === c.reason &&
      d.message === c.message &&
      d.lastTransitionTime === c.lastTransitionTime &&
      d.observedGeneration === c.observedGeneration
    );
  });
}
