// IPAddressReservation (ipam-in-cluster.dev/v1alpha1): addresses of an IP pool held before any claim,
// with a note and an optional expiry (docs/adr/0030-reservations.md). One validation for the webhook
// and the reservation reconciler (which meets objects written without the webhook): the object's own
// fields here, the checks against the pool's layout in validateReservationInPool. Addresses are parsed
// by the pools' own parser (single IPs, `a-b` ranges, CIDRs).
import {
  addrFrom,
  formatAddr,
  formatRange,
  isRecord,
  parseAddressList,
  poolModel,
  rangeSize,
  type FieldError,
  type IPRange,
} from '@ipam-in-cluster/allocator';
import { IPAM_GROUP, POOL_KIND_INFO, RESERVATION_KIND, type PoolKind } from './constants.js';
import type { Condition, ObjectMeta, Pool, PoolReferenceV1Beta2 } from './types.js';
import { typedSpec } from './validation.js';

/** Pool kinds a reservation may name: IP pools (prefix pools hand out prefixes, not addresses). */
export const RESERVATION_POOL_KINDS = ['InClusterIPPool', 'GlobalInClusterIPPool'] as const;
/** Most characters in spec.note. */
export const RESERVATION_NOTE_MAX_LENGTH = 256;
/** Most entries in spec.addresses. */
export const RESERVATION_MAX_ENTRIES = 64;
/** Most addresses one reservation holds (each is a holding in the controller's memory). */
export const RESERVATION_MAX_ADDRESSES = 4096;

export interface IPAddressReservationSpec {
  /** The pool, as a claim names it; a namespaced pool only from the reservation's namespace. */
  poolRef: PoolReferenceV1Beta2;
  /** Single IPs, `a-b` ranges and CIDRs of the pool, one family. */
  addresses: string[];
  /** Why the addresses are held ("held for the new load balancer"). */
  note?: string;
  /** RFC 3339; unset = until the reservation is deleted. */
  expiresAt?: string;
}

export interface IPAddressReservationStatus {
  /** Ready (holding), Expired; see ReservationReason. */
  conditions?: Condition[];
  /** Addresses the reservation covers. */
  total?: number;
  /** Of those, addresses an IPAddress holds too (held for the reservation once released). */
  allocated?: number;
  /** Of those, addresses outside the pool's allocatable space (the pool shrank, or no pool). */
  outOfPool?: number;
  observedGeneration?: number;
}

export interface IPAddressReservation {
  apiVersion: 'ipam-in-cluster.dev/v1alpha1';
  kind: 'IPAddressReservation';
  metadata: ObjectMeta;
  spec: IPAddressReservationSpec;
  status?: IPAddressReservationStatus;
}

/** Reasons of a reservation's Ready condition. */
export const ReservationReason = {
  /** True: every address is held in the pool. */
  Holding: 'Holding',
  /** True: held, but some addresses are allocated to IPAddresses (held for the reservation once released). */
  PartlyAllocated: 'PartlyAllocated',
  /** False: expiresAt has passed; the addresses are free again (the object stays as a record). */
  Expired: 'Expired',
  /** False: the pool does not exist (or is not an IP pool this controller serves). */
  PoolNotFound: 'PoolNotFound',
  /** False: the spec fails validation (written without the webhook, or the pool changed under it). */
  InvalidSpec: 'InvalidSpec',
} as const;
export type ReservationReason = (typeof ReservationReason)[keyof typeof ReservationReason];

/** How a reservation is named wherever it holds an address: `IPAddressReservation ns/name`. */
export function reservationHolder(namespace: string, name: string): string {
  return `${RESERVATION_KIND} ${namespace}/${name}`;
}

/** The reservation's addresses, parsed: the ranges in spec order and how many addresses they cover. */
export interface ParsedReservation {
  readonly ranges: readonly IPRange[];
  readonly size: bigint;
  readonly errors: FieldError[];
}

function quoteList(values: readonly string[]): string {
  return values.map((v) => `"${v}"`).join(', ');
}

/** Parses and checks spec.addresses alone (syntax, one family, bounded size). */
export function parseReservationAddresses(addresses: unknown): ParsedReservation {
  const errors: FieldError[] = [];
  if (!Array.isArray(addresses) || !addresses.every((a) => typeof a === 'string')) {
    return {
      ranges: [],
      size: 0n,
      errors: [{ path: 'spec.addresses', value: '', message: 'must be a list of strings' }],
    };
  }
  const list: string[] = addresses;
  if (list.length === 0)
    errors.push({ path: 'spec.addresses', value: list, message: 'must name at least one address' });
  if (list.length > RESERVATION_MAX_ENTRIES) {
    errors.push({
      path: 'spec.addresses',
      value: list,
      message: `must have at most ${String(RESERVATION_MAX_ENTRIES)} entries`,
    });
    return { ranges: [], size: 0n, errors };
  }
  const parsed = parseAddressList(list, 'spec.addresses');
  for (const e of parsed.errors) {
    errors.push({
      path: e.path ?? 'spec.addresses',
      value: e.input ?? '',
      message: `is not a valid IP, range, nor CIDR (${e.message})`,
    });
  }
  const first = parsed.entries[0];
  for (const e of parsed.entries) {
    if (first !== undefined && e.range.family !== first.range.family) {
      errors.push({
        path: e.path,
        value: e.input,
        message: `is IPv${String(e.range.family)} but ${first.path} is IPv${String(first.range.family)}: one family per reservation`,
      });
    }
  }
  const ranges = parsed.entries.map((e) => e.range);
  const size = ranges.reduce((n, r) => n + rangeSize(r), 0n);
  if (size > BigInt(RESERVATION_MAX_ADDRESSES)) {
    errors.push({
      path: 'spec.addresses',
      value: list,
      message: `covers ${size.toString()} addresses; a reservation holds at most ${String(RESERVATION_MAX_ADDRESSES)}`,
    });
  }
  return { ranges, size, errors };
}

/**
 * Checks a reservation's own fields: poolRef, addresses, note, expiresAt. `now` (Unix ms) makes an
 * expiry in the past an error; pass undefined where a past expiry is fine (the reconciler, an update
 * that leaves expiresAt alone).
 */
export function validateReservation(
  obj: unknown,
  now: number | undefined,
): { parsed: ParsedReservation; errors: FieldError[] } {
  const spec = isRecord(obj) && isRecord(obj.spec) ? obj.spec : {};
  const errors: FieldError[] = [];
  const ref = isRecord(spec.poolRef) ? spec.poolRef : {};
  const group = typeof ref.apiGroup === 'string' ? ref.apiGroup : '';
  const kind = typeof ref.kind === 'string' ? ref.kind : '';
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (group !== IPAM_GROUP)
    errors.push({ path: 'spec.poolRef.apiGroup', value: group, message: `must be "${IPAM_GROUP}"` });
  if (!(RESERVATION_POOL_KINDS as readonly string[]).includes(kind)) {
    errors.push({
      path: 'spec.poolRef.kind',
      value: kind,
      message: `unsupported pool kind: supported values: ${quoteList(RESERVATION_POOL_KINDS)}`,
    });
  }
  if (name === '') errors.push({ path: 'spec.poolRef.name', value: name, message: 'must name the pool' });
  const parsed = parseReservationAddresses(spec.addresses);
  errors.push(...parsed.errors);
  if (spec.note !== undefined) {
    if (typeof spec.note !== 'string')
      errors.push({ path: 'spec.note', value: '', message: 'must be a string' });
    else if (spec.note.length > RESERVATION_NOTE_MAX_LENGTH) {
      errors.push({
        path: 'spec.note',
        value: `${spec.note.slice(0, 40)}...`,
        message: `must be at most ${String(RESERVATION_NOTE_MAX_LENGTH)} characters`,
      });
    }
  }
  if (spec.expiresAt !== undefined) {
    const at = typeof spec.expiresAt === 'string' ? parseRfc3339(spec.expiresAt) : undefined;
    const text = typeof spec.expiresAt === 'string' ? spec.expiresAt : '';
    if (at === undefined)
      errors.push({
        path: 'spec.expiresAt',
        value: text,
        message: 'must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z',
      });
    else if (now !== undefined && at <= now)
      errors.push({
        path: 'spec.expiresAt',
        value: text,
        message: `is in the past (now ${new Date(now).toISOString()})`,
      });
  }
  return { parsed, errors };
}

/** Unix ms of an RFC 3339 date-time (with `Z` or an offset), or undefined. */
export function parseRfc3339(text: string): number | undefined {
  if (!/^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.test(text)) return undefined;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Which pool a reservation names, as `kind`, `namespace` ('' for global pools) and `name`; undefined for a kind it may not name. */
export function reservationPool(
  res: Pick<IPAddressReservation, 'spec' | 'metadata'>,
): { kind: PoolKind; namespace: string; name: string } | undefined {
  const ref = res.spec.poolRef;
  if (ref.apiGroup !== IPAM_GROUP || !(RESERVATION_POOL_KINDS as readonly string[]).includes(ref.kind))
    return undefined;
  const kind = ref.kind as PoolKind;
  return {
    kind,
    namespace: POOL_KIND_INFO[kind].namespaced ? (res.metadata.namespace ?? '') : '',
    name: ref.name,
  };
}

/** Checks the parsed addresses against the pool's layout: family and allocatable space. */
export function validateReservationInPool(
  parsed: ParsedReservation,
  addresses: readonly string[],
  pool: Pool,
): FieldError[] {
  const model = poolModel(typedSpec(pool));
  if (!model.ok) return [];
  const errors: FieldError[] = [];
  const where = `${pool.kind} ${pool.metadata.namespace === undefined ? '' : `${pool.metadata.namespace}/`}${pool.metadata.name ?? ''}`;
  parsed.ranges.forEach((r, i) => {
    const path = `spec.addresses[${String(i)}]`;
    const value = addresses[i] ?? formatRange(r);
    if (model.value.family !== undefined && r.family !== model.value.family) {
      errors.push({
        path,
        value,
        message: `is IPv${String(r.family)} but ${where} is IPv${String(model.value.family)}`,
      });
    } else if (!model.value.allocatable.containsRange(r)) {
      errors.push({ path, value, message: `is not inside the allocatable addresses of ${where}` });
    }
  });
  return errors;
}

/** Every address of the ranges, in order, as canonical text (bounded by RESERVATION_MAX_ADDRESSES). */
export function reservedAddresses(ranges: readonly IPRange[]): string[] {
  const out: string[] = [];
  for (const r of ranges) {
    for (let v = r.from; v <= r.to && out.length < RESERVATION_MAX_ADDRESSES; v++) {
      out.push(formatAddr(addrFrom(r.family, v)));
    }
  }
  return out;
}
