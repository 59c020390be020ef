// Pool specs from JSON to checked values, by kind: one decoder (wrong JSON types become field errors)
// and one validation. The checks themselves (upstream's messages, per-entry field paths) live in the
// allocator, which owns IP parsing; the webhook and the pool reconciler both come through here so
// they validate the same way. The CRDs' CEL rules are a cheap subset of these checks (see
// ../README.md), never stricter.
import {
  isRecord,
  validateIPPoolSpec,
  validatePrefixPoolSpec,
  type FieldError,
} from '@ipam-in-cluster/allocator';
import { POOL_KIND_INFO, type PoolKind } from './constants.js';
import type { IPPool, IPPoolSpec, Pool, PrefixPool, PrefixPoolSpec } from './types.js';

export type { FieldError };

export interface PoolValidation {
  /** Every problem at once, with paths like `spec.addresses[2]`; empty when valid. */
  errors: FieldError[];
  /** Admission warnings (prefix pools only), given when the spec is valid. */
  warnings: string[];
}

/** A pool spec with its pool type (the allocator's PoolSpecInput, with our wire types). */
export type TypedPoolSpec =
  | { readonly type: 'ip'; readonly spec: IPPoolSpec }
  | { readonly type: 'prefix'; readonly spec: PrefixPoolSpec };

/** A decoded spec and the type problems found on the way (a wrong-typed field is left out of `spec`). */
export type DecodedPoolSpec = TypedPoolSpec & { readonly errors: FieldError[] };

export function isIPPool(pool: Pool): pool is IPPool {
  return POOL_KIND_INFO[pool.kind].family === 'ip';
}

export function isPrefixPool(pool: Pool): pool is PrefixPool {
  return POOL_KIND_INFO[pool.kind].family === 'prefix';
}

/** The spec of a decoded pool object with its type. */
export function typedSpec(pool: Pool): TypedPoolSpec {
  return isIPPool(pool) ? { type: 'ip', spec: pool.spec } : { type: 'prefix', spec: pool.spec };
}

/** Validates a pool spec (create and update; in-use checks are the webhook's). */
export function validatePoolSpec(input: TypedPoolSpec): PoolValidation {
  if (input.type === 'ip') return { errors: validateIPPoolSpec(input.spec), warnings: [] };
  const { errors, warnings } = validatePrefixPoolSpec(input.spec);
  return { errors: [...errors], warnings: [...warnings] };
}

/** Validates a pool of any of our kinds. */
export function validatePool(pool: Pool): PoolValidation {
  return validatePoolSpec(typedSpec(pool));
}

/**
 * Most entries in one pool list (addresses, excludedAddresses, prefixes, excludedPrefixes). Checked
 * before any entry is parsed, so the cost of validating one request is bounded whatever it carries
 * (a request of 7 MiB could otherwise hold 700 000 entries): parsing runs on the event loop, about
 * 20 µs per fully written IPv6 range under the image's Node flags, so 2 × 2 000 entries keep one
 * validation step near 100 ms (docs/performance.md, npm run bench:webhook). Upstream has no limit;
 * ranges and CIDRs describe any set in far fewer entries.
 */
export const MAX_POOL_LIST_ENTRIES = 2_000;

/** Longest pool list entry: an IPv6 range of two fully written addresses with zones fits easily. */
export const MAX_POOL_ENTRY_LENGTH = 256;

function shown(v: unknown): string {
  const json = JSON.stringify(v) as string | undefined;
  return json ?? String(v);
}

/** A long value, cut for messages (the full text could be megabytes). */
function cut(v: string): string {
  return v.length <= 64 ? v : `${v.slice(0, 64)}... (${String(v.length)} characters)`;
}

function typeError(path: string, value: unknown, expected: string): FieldError {
  return { path, value: cut(shown(value)), message: `must be ${expected}` };
}

function tooLong(path: string, v: string): FieldError {
  return { path, value: cut(v), message: `must be at most ${String(MAX_POOL_ENTRY_LENGTH)} characters` };
}

function stringList(s: Record<string, unknown>, field: string, errors: FieldError[]): string[] | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    errors.push(typeError(`spec.${field}`, v, 'a list of strings'));
    return undefined;
  }
  if (v.length > MAX_POOL_LIST_ENTRIES) {
    errors.push({
      path: `spec.${field}`,
      value: v.length,
      message: `must have at most ${String(MAX_POOL_LIST_ENTRIES)} entries (use ranges or CIDRs)`,
    });
    return undefined;
  }
  const out: string[] = [];
  v.forEach((item: unknown, i) => {
    if (typeof item !== 'string') errors.push(typeError(`spec.${field}[${i}]`, item, 'a string'));
    else if (item.length > MAX_POOL_ENTRY_LENGTH) errors.push(tooLong(`spec.${field}[${i}]`, item));
    else out.push(item);
  });
  return out;
}

function optString(s: Record<string, unknown>, field: string, errors: FieldError[]): string | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    errors.push(typeError(`spec.${field}`, v, 'a string'));
    return undefined;
  }
  if (v.length > MAX_POOL_ENTRY_LENGTH) {
    errors.push(tooLong(`spec.${field}`, v));
    return undefined;
  }
  return v;
}

function optInt(s: Record<string, unknown>, field: string, errors: FieldError[]): number | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    errors.push(typeError(`spec.${field}`, v, 'an integer'));
    return undefined;
  }
  return v;
}

function decodeIP(s: Record<string, unknown>, errors: FieldError[]): IPPoolSpec {
  const spec: IPPoolSpec = {
    addresses: stringList(s, 'addresses', errors) ?? [],
    prefix: optInt(s, 'prefix', errors) ?? 0,
  };
  const gateway = optString(s, 'gateway', errors);
  if (gateway !== undefined) spec.gateway = gateway;
  const excluded = stringList(s, 'excludedAddresses', errors);
  if (excluded !== undefined) spec.excludedAddresses = excluded;
  const reserved = s.allocateReservedIPAddresses;
  if (reserved !== undefined && reserved !== null) {
    if (typeof reserved === 'boolean') spec.allocateReservedIPAddresses = reserved;
    else errors.push(typeError('spec.allocateReservedIPAddresses', reserved, 'a boolean'));
  }
  const grace = optInt(s, 'addressReuseGracePeriodSeconds', errors);
  if (grace !== undefined) spec.addressReuseGracePeriodSeconds = grace;
  return spec;
}

function decodePrefix(s: Record<string, unknown>, errors: FieldError[]): PrefixPoolSpec {
  const spec: PrefixPoolSpec = { prefixes: stringList(s, 'prefixes', errors) ?? [] };
  const len = optInt(s, 'allocationPrefixLength', errors);
  if (len !== undefined) spec.allocationPrefixLength = len;
  const gateway = optString(s, 'gateway', errors);
  if (gateway !== undefined) spec.gateway = gateway;
  const excluded = stringList(s, 'excludedPrefixes', errors);
  if (excluded !== undefined) spec.excludedPrefixes = excluded;
  return spec;
}

/**
 * Decodes the spec of a pool of `kind` from JSON: wrong types and oversized lists or entries become
 * field errors (the schema normally stops them first), before any entry is parsed as an address.
 */
export function decodePoolSpec(kind: PoolKind, raw: unknown): DecodedPoolSpec {
  const errors: FieldError[] = [];
  if (raw !== undefined && !isRecord(raw)) errors.push(typeError('spec', raw, 'an object'));
  const s = isRecord(raw) ? raw : {};
  return POOL_KIND_INFO[kind].family === 'ip'
    ? { type: 'ip', spec: decodeIP(s, errors), errors }
    : { type: 'prefix', spec: decodePrefix(s, errors), errors };
}
