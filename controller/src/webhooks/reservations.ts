// Validation of IPAddressReservations (docs/adr/0030-reservations.md) on create and spec-changing
// update: the object's own fields (api's validateReservation: addresses, note, expiry in the future,
// pool kind), then, against the pool read from the API server (a quorum GET, never a cache), that the
// pool exists and every address is of its family and inside its allocatable space. Addresses already
// allocated to IPAddresses are admitted with a warning naming them: the reservation holds each one
// once its IPAddress is released. Every message names the field and the value.
import { formatAddr, isRecord, parseAddr, type Holding } from '@ipam-in-cluster/allocator';
import {
  OWN_GROUP,
  POOL_KIND_INFO,
  RESERVATION_KIND,
  reservationPool,
  reservedAddresses,
  validateReservation,
  validateReservationInPool,
  type IPAddressReservation,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import type { KubeClient } from '@ipam-in-cluster/kube';
import { allow, internalError, invalid, type AdmissionRequest, type Verdict } from './admission.js';
import { jsonEqual } from './pools.js';

/** Reads what the checks need from the cluster; consistent reads. */
export interface ReservationClusterReader {
  pool(kind: PoolKind, namespace: string | undefined, name: string): Promise<Pool | undefined>;
  /** IPAddresses whose poolRef names this pool. */
  allocations(kind: PoolKind, namespace: string | undefined, name: string): Promise<Holding[]>;
}

export interface ReservationWebhookOptions {
  reader: ReservationClusterReader;
  /** Wall clock (Unix ms) for the expiry check (default Date.now). */
  now?: () => number;
}

/** The reader on the real API: the pool by a quorum GET, its IPAddresses as the pool webhooks list them. */
export function kubeReservationReader(
  client: KubeClient,
  addresses: Pick<ReservationClusterReader, 'allocations'>,
): ReservationClusterReader {
  return {
    pool: (kind, namespace, name) => client.pools(kind).find({ namespace, name }),
    allocations: (kind, namespace, name) => addresses.allocations(kind, namespace, name),
  };
}

/** Most allocated addresses a warning lists by name. */
const WARN_SHOWN = 5;

export class ReservationWebhook {
  readonly #reader: ReservationClusterReader;
  readonly #now: () => number;

  constructor(options: ReservationWebhookOptions) {
    this.#reader = options.reader;
    this.#now = options.now ?? Date.now;
  }

  async validate(request: AdmissionRequest): Promise<Verdict> {
    if (request.operation !== 'CREATE' && request.operation !== 'UPDATE') return allow();
    const obj = request.object;
    const meta = isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
    const name = request.name ?? (typeof meta.name === 'string' ? meta.name : '');
    const spec = isRecord(obj) ? obj.spec : undefined;
    const oldSpec = isRecord(request.oldObject) ? request.oldObject.spec : undefined;
    if (request.operation === 'UPDATE' && jsonEqual(spec, oldSpec)) return allow();
    // An update that keeps expiresAt may keep a past one (the reservation is a record by then).
    const keepsExpiry =
      request.operation === 'UPDATE' &&
      isRecord(spec) &&
      isRecord(oldSpec) &&
      spec.expiresAt !== undefined &&
      spec.expiresAt === oldSpec.expiresAt;
    const { parsed, errors } = validateReservation(obj, keepsExpiry ? undefined : this.#now());
    if (errors.length > 0) return invalid(RESERVATION_KIND, name, errors, OWN_GROUP);
    const res = obj as IPAddressReservation;
    res.metadata.namespace ??= request.namespace;
    const id = reservationPool(res);
    if (id === undefined) return allow();
    const ns = POOL_KIND_INFO[id.kind].namespaced ? id.namespace : undefined;
    let pool: Pool | undefined;
    try {
      pool = await this.#reader.pool(id.kind, ns, id.name);
    } catch (error) {
      return internalError(
        `reading ${id.kind} ${id.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (pool === undefined) {
      const where = ns === undefined ? '' : ` in namespace ${ns}`;
      return invalid(
        RESERVATION_KIND,
        name,
        [{ path: 'spec.poolRef.name', value: id.name, message: `no ${id.kind} of that name${where}` }],
        OWN_GROUP,
      );
    }
    const inPool = validateReservationInPool(parsed, res.spec.addresses, pool);
    if (inPool.length > 0) return invalid(RESERVATION_KIND, name, inPool, OWN_GROUP);
    let held: Holding[];
    try {
      held = await this.#reader.allocations(id.kind, ns, id.name);
    } catch (error) {
      return internalError(
        `listing IPAddresses of ${id.kind} ${id.name}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const wanted = new Set(reservedAddresses(parsed.ranges));
    const taken: string[] = [];
    for (const h of held) {
      const a = parseAddr(h.address);
      if (a.ok && wanted.has(formatAddr(a.value)))
        taken.push(`${formatAddr(a.value)} (IPAddress ${h.name ?? ''})`);
    }
    taken.sort();
    if (taken.length === 0) return allow();
    const shown = taken.slice(0, WARN_SHOWN).join(', ');
    const more = taken.length > WARN_SHOWN ? ` and ${String(taken.length - WARN_SHOWN)} more` : '';
    return allow([
      `spec.addresses: ${shown}${more} already allocated; the reservation holds each once its IPAddress is released`,
    ]);
  }
}
