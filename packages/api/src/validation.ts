// Pool-spec validation by kind. The checks themselves (upstream's messages, per-entry field paths)
// live in the allocator, which owns IP parsing; this only routes a pool object to the right one so
// the webhook and the pool reconciler validate the same way. The CRDs' CEL rules are a cheap subset
// of these checks (see ../README.md), never stricter.
import { validateIPPoolSpec, validatePrefixPoolSpec, type FieldError } from '@ipam-in-cluster/allocator';
import { POOL_KIND_INFO } from './constants.js';
import type { IPPool, IPPoolSpec, Pool, PrefixPool, PrefixPoolSpec } from './types.js';

export type { FieldError };

export interface PoolValidation {
  /** Every problem at once, with paths like `spec.addresses[2]`; empty when valid. */
  errors: FieldError[];
  /** Admission warnings (prefix pools only), given when the spec is valid. */
  warnings: string[];
}

export function isIPPool(pool: Pool): pool is IPPool {
  return POOL_KIND_INFO[pool.kind].family === 'ip';
}

export function isPrefixPool(pool: Pool): pool is PrefixPool {
  return POOL_KIND_INFO[pool.kind].family === 'prefix';
}

export function validateIPPool(spec: IPPoolSpec): PoolValidation {
  return { errors: validateIPPoolSpec(spec), warnings: [] };
}

export function validatePrefixPool(spec: PrefixPoolSpec): PoolValidation {
  const { errors, warnings } = validatePrefixPoolSpec(spec);
  return { errors: [...errors], warnings: [...warnings] };
}

/** Validates a pool of any of our kinds (create and update; in-use checks are the webhook's). */
export function validatePool(pool: Pool): PoolValidation {
  return isIPPool(pool) ? validateIPPool(pool.spec) : validatePrefixPool(pool.spec);
}
