/**
 * Pool counts. Exact values are bigints (an IPv6 pool easily exceeds 2^64); the status form caps
 * each at 2^63−1, the value upstream reports (Go math.MaxInt) for anything larger.
 */

/** Exact counts of one pool. */
export interface PoolCounts {
  /** Allocatable addresses (or prefixes) in the layout. */
  readonly total: bigint;
  /** Allocations held: one per IPAddress object, duplicates and out-of-range ones included. */
  readonly used: bigint;
  /** Distinct allocatable addresses in use. */
  readonly allocated: bigint;
  /** total − allocated: out-of-range allocations and duplicates do not eat free slots. */
  readonly free: bigint;
  /** Distinct addresses in use that are not allocatable under the current layout. */
  readonly outOfRange: bigint;
}

/** `status.ipAddresses` of a pool: the four upstream fields, each capped at 2^63−1. */
export interface StatusCounts {
  readonly total: bigint;
  readonly used: bigint;
  readonly free: bigint;
  readonly outOfRange: bigint;
}

/** 2^63−1, Go's math.MaxInt on 64-bit and the largest value a status count can hold. */
export const MAX_INT64 = (1n << 63n) - 1n;

/** Caps at 2^63−1 (and floors at 0, so no count can ever go negative). */
export function capInt64(n: bigint): bigint {
  return n > MAX_INT64 ? MAX_INT64 : n < 0n ? 0n : n;
}

/** The status form of exact counts. */
export function toStatusCounts(c: PoolCounts): StatusCounts {
  return {
    total: capInt64(c.total),
    used: capInt64(c.used),
    free: capInt64(c.free),
    outOfRange: capInt64(c.outOfRange),
  };
}
