// The repair path for IPAddresses that outlived their claim (docs/adr/0015-orphan-repair.md).
// kube-apiserver can delete a claim that carries our ReleaseAddress finalizer without ever setting a
// deletionTimestamp: its DELETE decided "no finalizers" from a read taken just before our finalizer
// patch landed. An IPAddress created in that window has no claim to release it; the garbage
// collector only strips the dead claim's owner reference (the pool's keeps it alive) and our
// ProtectAddress finalizer blocks its deletion. Like the ServiceCIDR allocator's repair loop, every
// IPAddress of one of our pools whose claim is not in the cache is checked against the API server
// (a quorum read) and, if the claim is really gone, released: finalizer removed and object deleted,
// both under preconditions so an IPAddress that a new claim of the same name adopts meanwhile stays.
import {
  addressFromWire,
  FINALIZER_PROTECT_ADDRESS,
  IPAM_GROUP,
  PoolEventReason,
  type Address,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { classifyApiError, type ObjectClient } from '@ipam-in-cluster/kube';
import { groupOf, isClaimReference } from './claim-logic.js';
import { addressPoolId } from './pool-registry.js';
import type { Cache, EventSink, Logger } from './types.js';

/** What one repair pass did. `retry`: a precondition failed (someone wrote meanwhile); look again. */
export type RepairOutcome = 'released' | 'kept' | 'none' | 'retry';

/** The owner reference to an IPAddressClaim, if the IPAddress still has one. */
export function claimOwnerUid(address: Address): string | undefined {
  return address.metadata.ownerReferences?.find((r) => isClaimReference(r))?.uid;
}

/** Whether the IPAddress has an owner reference to the pool it references (as ours and upstream's do). */
function ownedByItsPool(address: Address): boolean {
  return (address.metadata.ownerReferences ?? []).some(
    (r) =>
      groupOf(r.apiVersion) === IPAM_GROUP &&
      r.kind === address.poolRef.kind &&
      r.name === address.poolRef.name &&
      r.controller !== true,
  );
}

/**
 * Whether this IPAddress is one the controller may release when its claim is gone: it references one
 * of our pool kinds, is named like its claim (as every IPAddress we or upstream create), is
 * controlled by no other kind of object, and was made for a claim by a controller: it has a claim
 * owner reference, our ProtectAddress finalizer, or the pool owner reference we and upstream write
 * (any one survives the others: the garbage collector strips the dead claim's reference, and a
 * release interrupted after the finalizer went leaves the pool's). A hand-made IPAddress has none
 * of them and is left alone. One already terminating with no finalizer of ours goes by itself.
 */
export function releasableOrphan(address: Address): boolean {
  if (addressPoolId(address) === undefined) return false;
  const name = address.metadata.name ?? '';
  if (address.claimName !== '' && address.claimName !== name) return false;
  const controller = address.metadata.ownerReferences?.find((r) => r.controller === true);
  if (controller !== undefined && !isClaimReference(controller)) return false;
  const protectedByUs = (address.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_ADDRESS);
  if (address.metadata.deletionTimestamp !== undefined && !protectedByUs) return false;
  return protectedByUs || claimOwnerUid(address) !== undefined || ownedByItsPool(address);
}

export interface OrphanRepairDeps {
  addresses: Cache<IPAddressWire>;
  pools: Readonly<Record<PoolKind, Cache<Pool>>>;
  claimClient: ObjectClient<IPAddressClaimWire>;
  addressClient: ObjectClient<IPAddressWire>;
  events: EventSink;
  log: Logger;
  /** Counts a released orphan (capi_ipam_orphaned_addresses_released_total). */
  released: (poolKind: string) => void;
}

export class OrphanRepair {
  readonly #d: OrphanRepairDeps;

  constructor(deps: OrphanRepairDeps) {
    this.#d = deps;
  }

  /**
   * Checks the IPAddress `namespace/name` (named like its claim), whose claim the cache does not hold
   * or the API server just reported gone, and releases it if the claim really does not exist. Never
   * touches an IPAddress whose claim exists (by name: a new claim of that name adopts it) or that is
   * not ours.
   */
  async repair(namespace: string, name: string): Promise<RepairOutcome> {
    const cached = this.#d.addresses.get(namespace, name);
    if (cached === undefined || !releasableOrphan(addressFromWire(cached))) return 'none';
    const claim = await this.#d.claimClient.find({ namespace, name });
    if (claim !== undefined) return 'kept';
    // The claim is gone (a quorum read). Read the IPAddress the same way: the cache may be behind.
    const current = await this.#d.addressClient.find({ namespace, name });
    if (current === undefined) return 'none';
    const address = addressFromWire(current);
    if (!releasableOrphan(address)) return 'none';
    const ref = { namespace, name };
    let resourceVersion = current.metadata.resourceVersion;
    let unprotected = false;
    try {
      const finalizers = current.metadata.finalizers ?? [];
      if (finalizers.includes(FINALIZER_PROTECT_ADDRESS)) {
        const updated = await this.#d.addressClient.mergePatch(
          ref,
          { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER_PROTECT_ADDRESS) } },
          { resourceVersion },
        );
        resourceVersion = updated.metadata.resourceVersion;
        unprotected = true;
        this.#d.addresses.observe(updated);
      }
      await this.#d.addressClient.delete(ref, {
        preconditions: {
          ...(current.metadata.uid === undefined ? {} : { uid: current.metadata.uid }),
          ...(resourceVersion === undefined ? {} : { resourceVersion }),
        },
      });
    } catch (error) {
      const kind = classifyApiError(error).kind;
      // Gone once our finalizer went: it was already terminating (e.g. the garbage collector).
      if (kind === 'NotFound' && unprotected) {
        this.#report(address, current);
        return 'released';
      }
      if (kind === 'NotFound') return 'none';
      if (kind === 'Conflict') return 'retry';
      throw error;
    }
    this.#report(address, current);
    return 'released';
  }

  #report(address: Address, wire: IPAddressWire): void {
    const id = addressPoolId(address);
    if (id === undefined) return;
    const key = `${address.metadata.namespace ?? ''}/${address.metadata.name ?? ''}`;
    const uid = claimOwnerUid(address);
    const held = address.prefix === undefined ? address.address : `${address.address}/${address.prefix}`;
    const message = `Released IPAddress ${key} (${held}): its claim ${key}${uid === undefined ? '' : ` (uid ${uid})`} no longer exists`;
    this.#d.released(id.kind);
    this.#d.log.warn('released an IPAddress whose claim no longer exists', {
      ipaddress: key,
      address: address.address,
      pool: `${id.kind}/${id.namespace === '' ? '' : `${id.namespace}/`}${id.name}`,
      ...(uid === undefined ? {} : { claimUid: uid }),
    });
    const pool = this.#d.pools[id.kind].get(id.namespace === '' ? undefined : id.namespace, id.name);
    const involved =
      pool === undefined
        ? { apiVersion: wire.apiVersion, kind: wire.kind, metadata: wire.metadata }
        : { apiVersion: pool.apiVersion, kind: pool.kind, metadata: pool.metadata };
    this.#d.events.warning(involved, PoolEventReason.OrphanReleased, message);
  }
}
