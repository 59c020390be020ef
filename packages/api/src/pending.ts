// The allocation fence between a pool edit and an allocation (docs/adr/0009-pool-edit-race.md).
//
// Before it creates IPAddresses, the controller writes the addresses it is about to create into this
// annotation on the pool, with a resourceVersion precondition on the pool it computed them from. The
// validating webhook counts these entries as allocated when it checks a spec update or a delete. The
// API server runs validating admission of an update against the object it is about to replace and
// retries the whole update on a conflict, so either the fence write lands first (and the webhook sees
// the pending addresses) or the spec update lands first (and the fence write fails its precondition,
// so the controller recomputes against the new spec). No address the latest accepted spec does not
// allow is ever created.
import { ANNOTATION_PENDING_ALLOCATIONS } from './constants.js';
import type { ObjectMeta } from './types.js';

/** One address the controller is about to create for a claim. */
export interface PendingAllocation {
  /** `spec.address` of the IPAddress to be created. */
  address: string;
  /** `spec.prefix` of the IPAddress (prefix pools need it to know the sub-prefix). */
  prefix?: number;
  /** `namespace/name` of the claim, for people reading the annotation. */
  claim?: string;
  /** When the controller fenced it (Unix milliseconds): the webhook ignores old entries. */
  at?: number;
  /**
   * The controller's signature over the pool's uid and the fields above (HMAC-SHA256 with a key
   * only the controller's replicas know): the webhook ignores entries it cannot verify, so someone
   * who may only annotate the pool cannot make it refuse edits.
   */
  sig?: string;
}

function isPending(v: unknown): v is PendingAllocation {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.address === 'string' &&
    (o.prefix === undefined || typeof o.prefix === 'number') &&
    (o.claim === undefined || typeof o.claim === 'string') &&
    (o.at === undefined || typeof o.at === 'number') &&
    (o.sig === undefined || typeof o.sig === 'string')
  );
}

/** The pending allocations recorded on a pool; malformed entries (or a malformed value) are ignored. */
export function readPendingAllocations(meta: ObjectMeta | undefined): PendingAllocation[] {
  const raw = meta?.annotations?.[ANNOTATION_PENDING_ALLOCATIONS];
  if (raw === undefined || raw === '') return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? v.filter(isPending) : [];
  } catch {
    return [];
  }
}

/** The annotation value for a list of pending allocations ('' clears it; callers may delete the key instead). */
export function formatPendingAllocations(entries: readonly PendingAllocation[]): string {
  return entries.length === 0 ? '' : JSON.stringify(entries);
}
