// The reservation controller (docs/adr/0030-reservations.md): an IPAddressReservation's addresses
// are holdings in the PoolRegistry, described as `IPAddressReservation ns/name`, so allocation skips
// them. The holdings follow the informer at once (applyReservation, called by the watches on every
// replica, so a new leader never allocates a reserved address); the leader's reconcile writes the
// status and comes back at expiresAt, when the holding is dropped, the object stays as a record
// (Ready=False, reason Expired) and the pool's waiting claims are woken.
import {
  conditionTime,
  ConditionType,
  findCondition,
  parseRfc3339,
  reservationHolder,
  reservationPool,
  ReservationReason,
  reservedAddresses,
  setCondition,
  validateReservation,
  type ConditionUpdate,
  type IPAddressReservation,
  type IPAddressReservationStatus,
} from '@ipam-in-cluster/api';
import { classifyApiError, type ObjectClient } from '@ipam-in-cluster/kube';
import type { HandlerResult } from '../queue/workers.js';
import { poolKey, splitObjectKey } from './keys.js';
import type { PoolRegistry } from './pool-registry.js';
import type { Cache, EventSink, Logger } from './types.js';

/** Longest wait before a reservation with a far expiry is looked at again (a timer's range is ~24.8 days). */
export const MAX_EXPIRY_WAIT_MS = 6 * 60 * 60 * 1000;

/** What a reservation is, now: its status fields, and the pool whose holdings changed. */
export interface ReservationView {
  readonly poolKey: string | undefined;
  readonly ready: ConditionUpdate;
  readonly counts: Pick<IPAddressReservationStatus, 'total' | 'allocated' | 'outOfPool'>;
  /** Unix ms of expiresAt while still in the future. */
  readonly expiresAt: number | undefined;
}

/**
 * Applies a reservation to the registry: holds its addresses (valid, not expired) or drops them.
 * Synchronous; called from the informer handlers and the reconcile. Returns what the status says.
 */
export function applyReservation(
  registry: PoolRegistry,
  res: IPAddressReservation,
  now: number,
): ReservationView {
  const ns = res.metadata.namespace ?? '';
  const holder = reservationHolder(ns, res.metadata.name ?? '');
  const generation = res.metadata.generation;
  const ready = (status: 'True' | 'False', reason: string, message: string): ConditionUpdate => ({
    type: ConditionType.Ready,
    status,
    reason,
    message,
    ...(generation === undefined ? {} : { observedGeneration: generation }),
  });
  const { parsed, errors } = validateReservation(res, undefined);
  const id = reservationPool(res);
  if (errors.length > 0 || id === undefined) {
    registry.releaseReservation(holder);
    const text = errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return {
      poolKey: undefined,
      ready: ready('False', ReservationReason.InvalidSpec, text),
      counts: { total: 0, allocated: 0, outOfPool: 0 },
      expiresAt: undefined,
    };
  }
  const addresses = reservedAddresses(parsed.ranges);
  const total = addresses.length;
  const expiresAt = res.spec.expiresAt === undefined ? undefined : parseRfc3339(res.spec.expiresAt);
  const key = poolKey(id);
  if (expiresAt !== undefined && expiresAt <= now) {
    registry.releaseReservation(holder);
    return {
      poolKey: key,
      ready: ready(
        'False',
        ReservationReason.Expired,
        `expired at ${res.spec.expiresAt ?? ''}; the addresses are free again`,
      ),
      counts: { total, allocated: 0, outOfPool: 0 },
      expiresAt: undefined,
    };
  }
  const held = registry.holdReservation(key, holder, addresses);
  const counts = { total, allocated: held.allocated.length, outOfPool: held.outOfPool };
  const pool = `${id.kind} ${id.namespace === '' ? id.name : `${id.namespace}/${id.name}`}`;
  let condition: ConditionUpdate;
  if (!registry.has(key)) {
    condition = ready(
      'False',
      ReservationReason.PoolNotFound,
      `${pool} does not exist; the addresses are held once it does`,
    );
  } else if (held.outOfPool > 0) {
    condition = ready(
      'False',
      ReservationReason.InvalidSpec,
      `${String(held.outOfPool)} of ${String(total)} addresses are not allocatable in ${pool} (it shrank or changed); the rest are held`,
    );
  } else if (held.allocated.length > 0) {
    const shown = held.allocated.slice(0, 5).join(', ');
    const more = held.allocated.length > 5 ? ` and ${String(held.allocated.length - 5)} more` : '';
    condition = ready(
      'True',
      ReservationReason.PartlyAllocated,
      `${shown}${more} allocated to IPAddresses already; held for this reservation once released`,
    );
  } else {
    condition = ready('True', ReservationReason.Holding, `${String(total)} address(es) held in ${pool}`);
  }
  return { poolKey: key, ready: condition, counts, expiresAt };
}

export interface ReservationReconcilerDeps {
  reservations: Cache<IPAddressReservation>;
  client: ObjectClient<IPAddressReservation>;
  registry: PoolRegistry;
  /** The holdings of a pool changed: its status is due, and its waiting claims may get an address. */
  poolChanged: (poolKey: string) => void;
  events: EventSink;
  log: Logger;
  fieldManager: string;
  now?: () => number;
}

export class ReservationReconciler {
  readonly #d: ReservationReconcilerDeps;
  readonly #now: () => number;

  constructor(deps: ReservationReconcilerDeps) {
    this.#d = deps;
    this.#now = deps.now ?? Date.now;
  }

  async reconcile(key: string): Promise<HandlerResult | undefined> {
    const { namespace, name } = splitObjectKey(key);
    const ns = namespace ?? '';
    const res = this.#d.reservations.get(ns, name);
    if (res === undefined) {
      const pool = this.#d.registry.releaseReservation(reservationHolder(ns, name));
      if (pool !== undefined) this.#d.poolChanged(pool);
      return undefined;
    }
    const now = this.#now();
    const wasHolding =
      findCondition(res.status?.conditions, ConditionType.Ready)?.reason !== ReservationReason.Expired;
    const view = applyReservation(this.#d.registry, res, now);
    if (view.poolKey !== undefined) this.#d.poolChanged(view.poolKey);
    await this.#patchStatus(res, view, now);
    if (view.ready.reason === ReservationReason.Expired && wasHolding) {
      this.#d.events.normal(res, ReservationReason.Expired, view.ready.message);
      this.#d.log.info('reservation expired', { reservation: key, pool: view.poolKey });
    }
    if (view.expiresAt === undefined) return undefined;
    // A little after the instant, so the comparison above sees it passed.
    return { requeueAfter: Math.min(view.expiresAt - now + 50, MAX_EXPIRY_WAIT_MS) };
  }

  async #patchStatus(res: IPAddressReservation, view: ReservationView, now: number): Promise<void> {
    const existing = res.status?.conditions ?? [];
    const conditions = setCondition(existing, view.ready, conditionTime(new Date(now)));
    const status: IPAddressReservationStatus = {
      ...view.counts,
      conditions,
      ...(res.metadata.generation === undefined ? {} : { observedGeneration: res.metadata.generation }),
    };
    const old = res.status ?? {};
    const same =
      JSON.stringify(conditions) === JSON.stringify(existing) &&
      old.total === status.total &&
      old.allocated === status.allocated &&
      old.outOfPool === status.outOfPool &&
      old.observedGeneration === status.observedGeneration;
    if (same) return;
    try {
      await this.#d.client.mergePatchStatus(
        { namespace: res.metadata.namespace, name: res.metadata.name ?? '' },
        { status },
        { fieldManager: this.#d.fieldManager },
      );
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
  }
}
