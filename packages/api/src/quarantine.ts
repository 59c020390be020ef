// The address reuse grace period seen as a quarantine (issue 19 part 1, docs/adr/0028): when a
// deleted claim's address is held, until when, and the one sentence that says so. Shared by the
// controller (claim condition, Event, pool status count) and kubectl-ipam (explain, browser), so
// both say the same thing. Pure: every time here is a server-set timestamp (the claim's
// deletionTimestamp) plus the pool's grace; no clock is read.
import { FINALIZER_RELEASE_ADDRESS, POOL_KIND_INFO } from './constants.js';
import type { ObjectMeta, Pool } from './types.js';

/** A deleted claim's address held for the pool's reuse grace period. */
export interface Quarantine {
  /** `namespace/name` of the claim (and of its IPAddress, named like it). */
  readonly claim: string;
  /** The claim's deletionTimestamp (API server clock), epoch milliseconds. */
  readonly deletedAt: number;
  /** spec.addressReuseGracePeriodSeconds of the pool. */
  readonly graceSeconds: number;
  /** deletedAt + grace: when the controller releases the address (API server clock). */
  readonly until: number;
}

/** What decides a pool's quarantine: an IP pool, not being deleted, with its grace period. */
export interface QuarantinePool {
  readonly ip: boolean;
  readonly deleting: boolean;
  /** spec.addressReuseGracePeriodSeconds. */
  readonly graceSeconds: number | undefined;
}

/** A pool object as {@link QuarantinePool}. */
export function quarantinePool(pool: Pick<Pool, 'kind' | 'spec' | 'metadata'>): QuarantinePool {
  return {
    ip: POOL_KIND_INFO[pool.kind].family === 'ip',
    deleting: pool.metadata.deletionTimestamp !== undefined,
    graceSeconds: (pool.spec as { addressReuseGracePeriodSeconds?: number }).addressReuseGracePeriodSeconds,
  };
}

type QuarantineClaim = {
  readonly metadata: Pick<ObjectMeta, 'namespace' | 'name' | 'deletionTimestamp' | 'finalizers'>;
};

/**
 * The quarantine of a claim of `pool`, as upstream's grace period decides it: an IP pool that is
 * not being deleted, with addressReuseGracePeriodSeconds > 0, and a claim that is being deleted
 * and still carries the ReleaseAddress finalizer (the controller has not released it yet).
 * Undefined otherwise. A quarantine past `until` still counts: the controller is releasing it.
 */
export function quarantineIn(
  pool: QuarantinePool | undefined,
  claim: QuarantineClaim,
): Quarantine | undefined {
  if (pool === undefined || !pool.ip || pool.deleting) return undefined;
  const grace = pool.graceSeconds;
  if (typeof grace !== 'number' || !(grace > 0)) return undefined;
  const { deletionTimestamp, finalizers } = claim.metadata;
  if (deletionTimestamp === undefined || !(finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS))
    return undefined;
  const deletedAt = Date.parse(deletionTimestamp);
  if (Number.isNaN(deletedAt)) return undefined;
  return {
    claim: `${claim.metadata.namespace ?? ''}/${claim.metadata.name ?? ''}`,
    deletedAt,
    graceSeconds: grace,
    until: deletedAt + grace * 1000,
  };
}

/** {@link quarantineIn} for a pool object. */
export function quarantineOf(
  pool: Pick<Pool, 'kind' | 'spec' | 'metadata'> | undefined,
  claim: QuarantineClaim,
): Quarantine | undefined {
  return pool === undefined ? undefined : quarantineIn(quarantinePool(pool), claim);
}

/** RFC 3339 in UTC, whole seconds (the precision of the deletionTimestamp it derives from). */
export function quarantineTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** "quarantined until T (grace period N s, claim ns/name deleted at T0)". */
export function quarantineText(q: Quarantine): string {
  return `quarantined until ${quarantineTime(q.until)} (grace period ${String(q.graceSeconds)} s, claim ${q.claim} deleted at ${quarantineTime(q.deletedAt)})`;
}
