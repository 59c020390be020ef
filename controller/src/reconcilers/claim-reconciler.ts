// The IPAddressClaim reconciler: level-triggered from a `namespace/name` key.
//   fetch -> ours? -> pause checks (claim, Cluster, pool) -> deletion path | phases: adopt
//   (finalizer, then the IPAddress's metadata), or reserve (the claim's place in the pool's FIFO,
//   then finalizer and fence at the same time) -> create -> one status patch (addressRef +
//   Ready/Paused conditions), written even when a phase throws (docs/adr/0023-claim-write-path.md).
// Permanent problems (pool missing, not ready, exhausted, foreign IPAddress) become a Ready=False
// condition plus an Event and wait for a pool/IPAddress event; API failures become Ready=False
// AllocationFailed and throw (rate-limited retry).
// A claim that is gone hands its key to the orphan repair: an IPAddress created for it while it was
// being deleted must not outlive it (orphan-repair.ts).
import {
  ClaimEventReason,
  ClaimReadyReason,
  claimFromWire,
  clusterFromWire,
  conditionTime,
  ConditionType,
  FINALIZER_PROTECT_ADDRESS,
  FINALIZER_RELEASE_ADDRESS,
  hasPausedAnnotation,
  PausedReason,
  quarantineOf,
  quarantineText,
  quarantineTime,
  POOL_KIND_INFO,
  requestedAddress,
  setCondition,
  addressFromWire,
  type RequestedAddress,
  type Address,
  type AddressClaim,
  type ClusterWire,
  type Condition,
  type Contract,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { classifyApiError, type ObjectClient } from '@ipam-in-cluster/kube';
import {
  adoptionConflict,
  adoptionPatch,
  controlledBy,
  claimClusterName,
  copiedLabels,
  releasableBy,
  sameConditions,
} from './claim-logic.js';
import { poolIdFromRef, poolKey, splitObjectKey, type PoolId } from './keys.js';
import type { AllocationFence, FenceResult } from './pool-fence.js';
import type { OrphanRepair } from './orphan-repair.js';
import {
  addressPoolId,
  type AllocationResult,
  type PoolRegistry,
  type Reservation,
} from './pool-registry.js';
import type { Cache, EventSink, Logger, ReconcilerMetrics } from './types.js';
import { ServerClock } from '../util/server-clock.js';

export interface ReconcileResult {
  requeueAfter?: number;
}

/** Look again at once: the cache now holds what a fresh read just found (the next pass adopts it). */
const AGAIN_NOW_MS = 1;
/** Look again soon: a write of ours raced another writer (a precondition failed), or the pool went. */
const RECHECK_MS = 1000;
/** Fence rounds (a spec edit each time made the picked address stale) before the pass gives up. */
const MAX_FENCE_ROUNDS = 10;

export interface ClaimReconcilerDeps {
  contract: Contract;
  claims: Cache<IPAddressClaimWire>;
  addresses: Cache<IPAddressWire>;
  /** Undefined when the API server serves no Cluster kind (every Cluster is then "not found"). */
  clusters: Cache<ClusterWire> | undefined;
  pools: Readonly<Record<PoolKind, Cache<Pool>>>;
  claimClient: ObjectClient<IPAddressClaimWire>;
  addressClient: ObjectClient<IPAddressWire>;
  registry: PoolRegistry;
  /** Releases an IPAddress whose claim is gone (checked against the API server). */
  orphans: OrphanRepair;
  events: EventSink;
  log: Logger;
  metrics: ReconcilerMetrics;
  fieldManager: string;
  /** The pool-edit fence (ADR 0009); undefined writes no pending allocations (upstream's window). */
  fence?: AllocationFence;
  now?: () => Date;
  /**
   * The API server's clock, learnt from our own status writes; times the reuse grace period
   * (default: one of its own on the monotonic local clock).
   */
  serverClock?: ServerClock;
}

/** One claim's outcome, written as conditions at the end. */
interface Outcome {
  ready?: { status: 'True' | 'False'; reason: string; message: string };
  paused: { reason: string; message: string } | undefined;
  addressName?: string;
  /** Event to emit if the Ready condition changes. */
  event?: { type: 'Normal' | 'Warning'; reason: string; message: string };
}

/** One reconcile of a claim that has a pool: what the phases share. */
interface ClaimPass {
  /** `namespace/name`: the claim's key, and its IPAddress's (named like the claim). */
  readonly key: string;
  readonly wire: IPAddressClaimWire;
  readonly poolId: PoolId;
  readonly pool: Pool;
  readonly log: Logger;
  /** The claim as last read or written (the finalizer phase replaces it). */
  claim: AddressClaim;
}

/**
 * What a phase decided: the status written at the end (no outcome: none), when to look again, or
 * that the claim vanished during the pass (no status; its key goes to the orphan repair).
 */
interface Step {
  readonly outcome?: Outcome;
  readonly requeueAfter?: number;
  readonly gone?: true;
}

const GONE: Step = { gone: true };

/** A permanent problem: Ready=False with the reason, and a Warning Event when Ready changes. */
function failed(reason: string, message: string): Step {
  return {
    outcome: {
      paused: undefined,
      ready: { status: 'False', reason, message },
      event: { type: 'Warning', reason, message },
    },
  };
}

/** The API server's own message for an API error (not the HTTP dump), else the error's message. */
function errorMessage(error: unknown): string {
  return classifyApiError(error).message;
}

export class ClaimReconciler {
  readonly #d: ClaimReconcilerDeps;
  readonly #now: () => Date;
  readonly #serverClock: ServerClock;

  constructor(deps: ClaimReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? (() => new Date());
    this.#serverClock = deps.serverClock ?? new ServerClock();
  }

  async reconcile(key: string): Promise<ReconcileResult | undefined> {
    const { namespace, name } = splitObjectKey(key);
    const wire = this.#d.claims.get(namespace, name);
    if (wire === undefined) return this.#gone(key);
    let claim = claimFromWire(wire);
    const poolId = poolIdFromRef(claim.poolRef, namespace);
    if (poolId === undefined) return undefined; // not ours: no finalizer, no status
    const deleting = claim.metadata.deletionTimestamp !== undefined;
    const log = this.#d.log.child({ claim: key, pool: poolKey(poolId) });

    // Pause: the claim itself (checked here too, not only in the event filter), its Cluster, its pool.
    if (hasPausedAnnotation(claim.metadata)) {
      return this.#finish(wire, claim, {
        paused: {
          reason: PausedReason.Paused,
          message: 'the claim has the cluster.x-k8s.io/paused annotation',
        },
      });
    }
    const clusterName = claimClusterName(claim);
    if (clusterName !== undefined) {
      const clusterWire = this.#d.clusters?.get(namespace, clusterName);
      if (clusterWire === undefined) {
        if (!deleting) {
          log.info('claim is linked to a cluster that is not found, skipping', { cluster: clusterName });
          return this.#finish(wire, claim, {
            paused: undefined,
            ready: {
              status: 'False',
              reason: ClaimReadyReason.ClusterNotFound,
              message: `Cluster ${clusterName} not found`,
            },
          });
        }
      } else if (clusterFromWire(clusterWire).paused) {
        return this.#finish(wire, claim, {
          paused: { reason: PausedReason.ClusterPaused, message: `Cluster ${clusterName} is paused` },
        });
      }
    }
    const pool = this.#pool(poolId);
    if (pool !== undefined && hasPausedAnnotation(pool.metadata)) {
      return this.#finish(wire, claim, {
        paused: {
          reason: PausedReason.PoolPaused,
          message: `${poolId.kind} ${describePool(poolId)} is paused`,
        },
      });
    }

    if (deleting) return this.#delete(wire, claim, pool, log);

    if (pool === undefined) {
      // Waiting before the finalizer's round trip: the pool's arrival wakes claims in dequeue order.
      this.#d.registry.addWaiting(poolKey(poolId), key);
      const withFinalizer = await this.#ensureFinalizer(wire, claim);
      if (withFinalizer === undefined) return this.#gone(key);
      claim = withFinalizer;
      this.#d.metrics.allocationFailure(poolId.kind, ClaimReadyReason.PoolNotFound);
      const message = `${poolId.kind} ${describePool(poolId)} not found`;
      return this.#finish(wire, claim, {
        paused: undefined,
        ready: { status: 'False', reason: ClaimReadyReason.PoolNotFound, message },
        event: { type: 'Warning', reason: ClaimReadyReason.PoolNotFound, message },
      });
    }
    return this.#ensureAddress({ key, wire, claim, poolId, pool, log });
  }

  /**
   * Adds ReleaseAddress (upstream adds it to every claim of ours before anything else). On the
   * allocation path it is written after the claim took its place in the pool's FIFO, so the API
   * round trip cannot reorder claims of one pool (issue 17: creation order within a pool).
   */
  async #ensureFinalizer(wire: IPAddressClaimWire, claim: AddressClaim): Promise<AddressClaim | undefined> {
    if ((claim.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS)) return claim;
    const updated = await this.#d.claimClient.addFinalizerIfExists(
      { namespace: claim.metadata.namespace, name: claim.metadata.name ?? '' },
      FINALIZER_RELEASE_ADDRESS,
      wire,
    );
    if (updated === undefined) return undefined; // deleted meanwhile: its next pass cleans up
    // Observe our own write: a later read (this key's next pass) must not see the old object.
    this.#d.claims.observe(updated);
    return claimFromWire(updated);
  }

  /** The finalizer phase: false when the claim is gone. `pass.claim` is the claim as written. */
  async #finalize(pass: ClaimPass): Promise<boolean> {
    const claim = await this.#ensureFinalizer(pass.wire, pass.claim);
    if (claim === undefined) return false;
    pass.claim = claim;
    return true;
  }

  #pool(id: PoolId): Pool | undefined {
    return this.#d.pools[id.kind].get(id.namespace === '' ? undefined : id.namespace, id.name);
  }

  /**
   * adopt (an IPAddress named like the claim exists) or reserve + create, then the one status patch
   * (#finish). controller-runtime's deferred patch: whatever a phase throws, the status still says
   * so (Ready=False, AllocationFailed, naming the error) before the error goes to the work queue.
   */
  async #ensureAddress(pass: ClaimPass): Promise<ReconcileResult | undefined> {
    let step: Step;
    try {
      const { namespace, name } = splitObjectKey(pass.key);
      const existing = this.#d.addresses.get(namespace, name);
      step =
        existing === undefined
          ? await this.#allocate(pass)
          : await this.#adopt(pass, addressFromWire(existing));
    } catch (error) {
      const message = `allocating from ${pass.poolId.kind} ${describePool(pass.poolId)} failed: ${errorMessage(error)}`;
      try {
        await this.#finish(pass.wire, pass.claim, {
          paused: undefined,
          ready: { status: 'False', reason: ClaimReadyReason.AllocationFailed, message },
        });
      } catch (statusError) {
        throw new AggregateError(
          [error, statusError],
          `${errorMessage(error)}; the claim's status was not written either: ${errorMessage(statusError)}`,
          { cause: statusError },
        );
      }
      throw error;
    }
    if (step.gone === true) return this.#gone(pass.key);
    const finished =
      step.outcome === undefined ? undefined : await this.#finish(pass.wire, pass.claim, step.outcome);
    return finished ?? (step.requeueAfter === undefined ? undefined : { requeueAfter: step.requeueAfter });
  }

  /** adopt: the IPAddress named like the claim exists; make it the claim's (or say why not). */
  async #adopt(pass: ClaimPass, existing: Address): Promise<Step> {
    if (!(await this.#finalize(pass))) return GONE;
    const { claim, poolId, pool, log } = pass;
    const namespace = claim.metadata.namespace ?? '';
    const name = claim.metadata.name ?? '';
    const existingPool = addressPoolId(existing);
    if (existingPool === undefined || poolKey(existingPool) !== poolKey(poolId)) {
      const message = `IPAddress ${namespace}/${name} already exists and belongs to ${existing.poolRef.kind} ${existing.poolRef.name}`;
      this.#d.metrics.allocationFailure(poolId.kind, ClaimReadyReason.AllocationFailed);
      return failed(ClaimReadyReason.AllocationFailed, message);
    }
    // The pool check scans the pool's holdings: only for an IPAddress this claim does not control
    // yet (adoptionConflict does not read it otherwise), not on every pass of an allocated claim.
    const check = controlledBy(existing.metadata, claim)
      ? undefined
      : this.#d.registry.check(poolKey(poolId), pass.key, existing.address, existing.prefix);
    const conflict = adoptionConflict(existing, claim, `${poolId.kind} ${describePool(poolId)}`, check);
    if (conflict !== undefined) {
      // Not ours to adopt: no finalizer, no owner reference; an IPAddress event brings the claim back.
      this.#d.metrics.allocationFailure(poolId.kind, ClaimReadyReason.AddressConflict);
      return failed(ClaimReadyReason.AddressConflict, conflict);
    }
    const identity = { kind: poolId.kind, name: poolId.name, uid: pool.metadata.uid ?? '' };
    const { patch, ownedByOther } = adoptionPatch(
      existing.metadata,
      claim,
      identity,
      this.#d.contract.ipamApiVersion,
    );
    if (patch !== undefined) {
      if (
        existing.metadata.deletionTimestamp !== undefined &&
        !(existing.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_ADDRESS)
      ) {
        // A terminating object cannot get new finalizers; it is going away, the next event reallocates.
        delete patch.metadata.finalizers;
      }
      if (Object.keys(patch.metadata).length > 0) {
        let updated: IPAddressWire;
        try {
          updated = await this.#d.addressClient.mergePatch({ namespace, name }, patch, {
            resourceVersion: existing.metadata.resourceVersion,
            fieldManager: this.#d.fieldManager,
          });
        } catch (error) {
          // Gone (released with its earlier claim, or deleted by hand) while our cache still
          // shows it: its DELETED event brings this claim back; look again soon in any case.
          if (classifyApiError(error).kind === 'NotFound') return { requeueAfter: RECHECK_MS };
          throw error;
        }
        this.#d.addresses.observe(updated);
        log.info('adopted existing IPAddress', { address: existing.address });
      }
    }
    if (ownedByOther !== undefined) {
      // adoptionConflict refuses these; only reachable if the two rules ever disagree.
      throw new Error(
        `IPAddress ${namespace}/${name} is controlled by ${ownedByOther.kind} ${ownedByOther.name}`,
      );
    }
    return {
      outcome: {
        paused: undefined,
        addressName: name,
        ready: {
          status: 'True',
          reason: ClaimReadyReason.Allocated,
          message: `${existing.address}/${existing.prefix ?? ''} from ${poolId.kind} ${describePool(poolId)}`,
        },
      },
    };
  }

  /** reserve, then create. */
  async #allocate(pass: ClaimPass): Promise<Step> {
    const started = performance.now();
    const reserved = await this.#reserve(pass, started);
    return 'reservation' in reserved ? this.#create(pass, reserved.reservation, started) : reserved;
  }

  /**
   * reserve: pick + hold an address in the pool's in-memory index (every IPAddress of the pool plus
   * the reservations of creates in flight), so no stale cache can hand out an address twice. The
   * registry call takes the claim's place in the pool's FIFO before anything is awaited: claims of
   * one pool are served in the order they were dequeued, i.e. created. Then, at the same time, the
   * claim's finalizer and the pool's fence (ADR 0009); the IPAddress is created only after both.
   * A claim with the requested-address annotation is handed exactly that address or refused with a
   * reason naming why (docs/adr/0029-requested-addresses.md); a refused claim waits for a pool event.
   */
  async #reserve(pass: ClaimPass, started: number): Promise<Step | { reservation: Reservation }> {
    const { poolId, key } = pass;
    const pk = poolKey(poolId);
    let result = await this.#d.registry.allocate(pk, key, requestOf(pass));
    if (!result.ok && result.reason === 'AllocationInProgress') {
      // A reservation left by an earlier try whose create failed ambiguously: settle it.
      const { namespace, name } = splitObjectKey(key);
      const current = await this.#d.addressClient.find({ namespace, name });
      if (current !== undefined) {
        this.#d.addresses.observe(current);
        return { requeueAfter: AGAIN_NOW_MS };
      }
      this.#d.registry.release(pk, key);
      result = await this.#d.registry.allocate(pk, key, requestOf(pass));
    }
    const [finalized, fenced] = await Promise.allSettled([this.#finalize(pass), this.#fence(pass, result)]);
    if (finalized.status === 'rejected' || !finalized.value) {
      // Nothing was created: the address goes back, and its pending entry with it.
      if (fenced.status === 'fulfilled' && fenced.value !== 'gone' && fenced.value.ok) {
        if (!fenced.value.reservation.existing) fenced.value.reservation.release();
        this.#d.fence?.leave(poolId, key);
      }
      if (finalized.status === 'rejected') throw finalized.reason;
      return GONE;
    }
    if (fenced.status === 'rejected') throw fenced.reason;
    if (fenced.value === 'gone') return { requeueAfter: RECHECK_MS }; // the pool events re-queue it too
    result = fenced.value;
    if (!result.ok) {
      this.#d.registry.addWaiting(pk, key);
      this.#d.metrics.allocationFailure(poolId.kind, result.reason);
      this.#d.metrics.allocation(poolId.kind, (performance.now() - started) / 1000, 'failure');
      const reason =
        result.reason === 'AllocationInProgress' ? ClaimReadyReason.AllocationFailed : result.reason;
      return failed(reason, result.message);
    }
    return { reservation: result.reservation };
  }

  /**
   * The fence (docs/adr/0009): the address goes into the pool's pending-allocations annotation,
   * under a precondition on a spec that allows it, before the IPAddress is created. If a spec edit
   * won the race and no longer allows it ('stale'), release it and pick again from the new spec.
   * A reservation that did not pass the fence is released before this returns or throws.
   */
  async #fence(pass: ClaimPass, first: AllocationResult): Promise<AllocationResult | 'gone'> {
    const fence = this.#d.fence;
    let result = first;
    for (let round = 1; fence !== undefined && result.ok && !result.reservation.existing; round++) {
      const picked = result.reservation;
      let fenced: FenceResult;
      try {
        fenced = await fence.enter(pass.poolId, pass.key, {
          address: picked.address,
          prefix: picked.prefix,
          claim: pass.key,
        });
      } catch (error) {
        picked.release(); // nothing was created
        throw error;
      }
      if (fenced.ok) break;
      picked.release();
      if (fenced.reason === 'gone') return 'gone';
      if (round >= MAX_FENCE_ROUNDS)
        throw new Error(`pool ${poolKey(pass.poolId)} kept changing while allocating`);
      pass.log.debug('pool spec changed before the IPAddress was created, picking again', {
        address: picked.address,
      });
      result = await this.#d.registry.allocate(poolKey(pass.poolId), pass.key, requestOf(pass));
    }
    return result;
  }

  /** create: the IPAddress for the reserved address; the reservation is confirmed or released. */
  async #create(pass: ClaimPass, reservation: Reservation, started: number): Promise<Step> {
    const { claim, poolId, pool, log, key } = pass;
    const { namespace, name } = splitObjectKey(key);
    const body = this.#d.contract.buildIPAddress({
      claim,
      pool: { kind: poolId.kind, name: poolId.name, uid: pool.metadata.uid ?? '' },
      address: reservation.address,
      prefix: reservation.prefix,
      ...(reservation.gateway === undefined ? {} : { gateway: reservation.gateway }),
    });
    const extra = copiedLabels(claim);
    if (Object.keys(extra).length > 0) body.metadata.labels = { ...body.metadata.labels, ...extra };
    let created: IPAddressWire;
    try {
      created = await this.#d.addressClient.create(body, { fieldManager: this.#d.fieldManager });
      reservation.confirm();
      this.#d.fence?.leave(poolId, key);
    } catch (error) {
      // Created or not, the pending entry may go: the webhook's quorum list sees an IPAddress that exists.
      this.#d.fence?.leave(poolId, key);
      const kind = classifyApiError(error).kind;
      this.#d.metrics.allocationFailure(poolId.kind, 'ApiError');
      this.#d.metrics.allocation(poolId.kind, (performance.now() - started) / 1000, 'failure');
      if (kind === 'Invalid' || kind === 'Forbidden' || kind === 'BadRequest' || kind === 'Unauthorized') {
        reservation.release(); // definitely not created
      } else {
        // AlreadyExists, or an ambiguous failure that may have landed: look, and settle.
        const current = await this.#d.addressClient.find({ namespace, name });
        if (current === undefined) reservation.release();
        else this.#d.addresses.observe(current);
        if (kind === 'AlreadyExists') {
          log.info('IPAddress already exists, adopting it', { address: current?.spec.address });
          return { requeueAfter: AGAIN_NOW_MS };
        }
      }
      throw error;
    }
    this.#d.addresses.observe(created);
    this.#d.metrics.allocation(poolId.kind, (performance.now() - started) / 1000, 'success');
    log.info('IPAddress created', { address: reservation.address, prefix: reservation.prefix });
    const message = `${reservation.address}/${reservation.prefix} from ${poolId.kind} ${describePool(poolId)}`;
    return {
      outcome: {
        paused: undefined,
        addressName: name,
        ready: { status: 'True', reason: ClaimReadyReason.Allocated, message },
        event: { type: 'Normal', reason: ClaimEventReason.AddressAllocated, message: `Allocated ${message}` },
      },
    };
  }

  async #delete(
    wire: IPAddressClaimWire,
    claim: AddressClaim,
    pool: Pool | undefined,
    log: Logger,
  ): Promise<ReconcileResult | undefined> {
    const namespace = claim.metadata.namespace ?? '';
    const name = claim.metadata.name ?? '';
    const hasFinalizer = (claim.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS);
    // Reuse grace period (IP pools), upstream's semantics: the address stays quarantined while the
    // pool is alive until deletionTimestamp + grace, on the API server's clock (docs/adr/0028).
    const quarantine = hasFinalizer ? quarantineOf(pool, claim) : undefined;
    if (quarantine !== undefined) {
      const clock = this.#serverClock;
      // No sample yet: the status write below (needed anyway) brings one before the decision.
      if (!clock.sampled || clock.untilServerTime(quarantine.until) > 0) {
        const text = quarantineText(quarantine);
        const held = this.#d.addresses.get(namespace, name)?.spec.address;
        // A message that stays the same for the whole deletion: one status write and one Event per
        // deletion (the Event goes with the Ready transition to Deleting), none per requeue.
        await this.#finish(wire, claim, {
          paused: undefined,
          ready: { status: 'False', reason: ClaimReadyReason.Deleting, message: `address ${text}` },
          event: {
            type: 'Normal',
            reason: ClaimEventReason.AddressQuarantined,
            message: `${held ?? 'address'} ${text}; free again at ${quarantineTime(quarantine.until)}`,
          },
        });
        const remaining = clock.untilServerTime(quarantine.until);
        if (remaining > 0) {
          log.debug('address reuse grace period active, delaying release', {
            remainingMs: remaining,
            until: quarantineTime(quarantine.until),
          });
          return { requeueAfter: remaining };
        }
      }
    }
    const address = await this.#d.addressClient.find({ namespace, name });
    if (address !== undefined) {
      if (releasableBy(address.metadata, claim)) {
        if ((address.metadata.finalizers ?? []).includes(FINALIZER_PROTECT_ADDRESS)) {
          const after = await this.#d.addressClient.removeFinalizer(
            { namespace, name },
            FINALIZER_PROTECT_ADDRESS,
            address,
          );
          if (after !== undefined) await this.#deleteAddress(namespace, name);
        } else {
          await this.#deleteAddress(namespace, name);
        }
        this.#d.events.normal(
          this.#involved(wire),
          ClaimEventReason.AddressReleased,
          `Released ${address.spec.address}`,
        );
        log.info('IPAddress released', { address: address.spec.address });
      } else {
        log.warn('IPAddress is controlled by another object, not deleting it', {
          address: address.spec.address,
        });
      }
    }
    this.#d.registry.cancelReservations(`${namespace}/${name}`);
    if (hasFinalizer)
      await this.#d.claimClient.removeFinalizer({ namespace, name }, FINALIZER_RELEASE_ADDRESS, wire);
    return undefined;
  }

  /**
   * The claim is gone: a reservation made for it (create failed ambiguously) must not leak, nor an
   * IPAddress created for it while it was being deleted.
   */
  async #gone(key: string): Promise<ReconcileResult | undefined> {
    this.#d.registry.cancelReservations(key);
    const { namespace, name } = splitObjectKey(key);
    return this.#repairOrphan(namespace ?? '', name);
  }

  /** The claim `namespace/name` is gone: release an IPAddress of ours still named after it. */
  async #repairOrphan(namespace: string, name: string): Promise<ReconcileResult | undefined> {
    const outcome = await this.#d.orphans.repair(namespace, name);
    return outcome === 'retry' ? { requeueAfter: RECHECK_MS } : undefined;
  }

  async #deleteAddress(namespace: string, name: string): Promise<void> {
    try {
      await this.#d.addressClient.delete({ namespace, name });
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
  }

  #involved(wire: IPAddressClaimWire): {
    apiVersion: string;
    kind: string;
    metadata: IPAddressClaimWire['metadata'];
  } {
    return { apiVersion: wire.apiVersion, kind: wire.kind, metadata: wire.metadata };
  }

  /** The one status patch at the end, sent only when something changed. */
  async #finish(
    wire: IPAddressClaimWire,
    claim: AddressClaim,
    outcome: Outcome,
  ): Promise<ReconcileResult | undefined> {
    const now = conditionTime(this.#now());
    const generation = claim.metadata.generation;
    const gen = generation === undefined ? {} : { observedGeneration: generation };
    let conditions: Condition[] = claim.conditions;
    const before = conditions.find((c) => c.type === ConditionType.Ready);
    conditions = setCondition(
      conditions,
      outcome.paused === undefined
        ? { type: ConditionType.Paused, status: 'False', reason: PausedReason.NotPaused, message: '', ...gen }
        : {
            type: ConditionType.Paused,
            status: 'True',
            reason: outcome.paused.reason,
            message: outcome.paused.message,
            ...gen,
          },
      now,
    );
    if (outcome.ready !== undefined) {
      conditions = setCondition(conditions, { type: ConditionType.Ready, ...outcome.ready, ...gen }, now);
    }
    const addressName = outcome.addressName ?? claim.addressName;
    const changed = !sameConditions(conditions, claim.conditions) || addressName !== claim.addressName;
    if (changed) {
      const patch = this.#d.contract.claimStatusPatch(claim, {
        ...(addressName === undefined ? {} : { addressName }),
        conditions,
      });
      try {
        const sentAt = this.#serverClock.localNow();
        const updated = await this.#d.claimClient.mergePatchStatus(
          { namespace: claim.metadata.namespace, name: claim.metadata.name ?? '' },
          patch,
          { fieldManager: this.#d.fieldManager },
        );
        // The server stamped the change with its clock: a sample for the grace period's timing.
        this.#serverClock.observeWrite(
          updated,
          this.#d.fieldManager,
          'status',
          sentAt,
          this.#serverClock.localNow(),
        );
        this.#d.claims.observe(updated);
      } catch (error) {
        if (classifyApiError(error).kind !== 'NotFound') throw error;
        // The claim vanished meanwhile. If this pass created or adopted its IPAddress, the claim may
        // have been deleted without ever passing through our deletion path: check it now.
        if (outcome.addressName !== undefined)
          return this.#repairOrphan(claim.metadata.namespace ?? '', outcome.addressName);
        return undefined;
      }
    }
    const readyChanged =
      outcome.ready !== undefined &&
      (before?.status !== outcome.ready.status || before.reason !== outcome.ready.reason);
    if (outcome.event !== undefined && readyChanged) {
      if (outcome.event.type === 'Normal')
        this.#d.events.normal(this.#involved(wire), outcome.event.reason, outcome.event.message);
      else this.#d.events.warning(this.#involved(wire), outcome.event.reason, outcome.event.message);
    }
    return undefined;
  }
}

/** What the claim's requested-address annotation asks of its pool. */
function requestOf(pass: ClaimPass): RequestedAddress {
  return requestedAddress(pass.claim.metadata.annotations, POOL_KIND_INFO[pass.poolId.kind].family);
}

function describePool(id: PoolId): string {
  return id.namespace === '' ? id.name : `${id.namespace}/${id.name}`;
}
