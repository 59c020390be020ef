// Authentic pending allocations (issue 20; docs/adr/0009-pool-edit-race.md). The pool's
// pending-allocations annotation makes the validating webhook refuse edits that would strand the
// addresses in it, so an entry must be one only the controller can write: each carries the time it
// was fenced and an HMAC-SHA256 over the pool's uid and its fields, keyed with a secret of the
// writing process. The leader publishes its key on the leader-election Lease (ANNOTATION_FENCE_KEY),
// where every replica's webhook reads it; without leader election the webhook runs in the writing
// process and uses the key directly. Entries the webhook cannot verify (forged, copied to another
// pool, written by an earlier leader) or older than PENDING_MAX_AGE_MS are ignored.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PendingAllocation } from '@ipam-in-cluster/api';

/**
 * How long an entry counts. The fence holds an entry from before an IPAddress create until it was
 * created or failed (milliseconds, seconds when the API server is slow); a leftover (a leader that
 * died mid-create) stops blocking edits after this.
 */
export const PENDING_MAX_AGE_MS = 120_000;
/** Clock difference tolerated between the writing replica and the verifying one. */
export const PENDING_MAX_SKEW_MS = 30_000;

let processKey: string | undefined;

/** This process's signing key (32 random bytes, base64url), made on first use. */
export function processFenceKey(): string {
  processKey ??= randomBytes(32).toString('base64url');
  return processKey;
}

function mac(key: string, poolUid: string, e: PendingAllocation): string {
  const fields = [poolUid, e.address, String(e.prefix ?? ''), e.claim ?? '', String(e.at ?? '')];
  return createHmac('sha256', key).update(fields.join('\n')).digest('base64url');
}

/**
 * Signed entries by the entry they sign. Every fence write signs each entry it holds again, so a
 * busy pool's entries were each signed dozens of times; entries are replaced, never changed.
 */
const signedEntries = new WeakMap<
  PendingAllocation,
  { key: string; poolUid: string; signed: PendingAllocation }
>();

/** The entry with its signature for the pool with this uid. */
export function signPending(key: string, poolUid: string, entry: PendingAllocation): PendingAllocation {
  const known = signedEntries.get(entry);
  if (known !== undefined && known.key === key && known.poolUid === poolUid) return known.signed;
  const signed = { ...entry, sig: mac(key, poolUid, entry) };
  signedEntries.set(entry, { key, poolUid, signed });
  return signed;
}

export type PendingVerdict = 'ok' | 'unsigned' | 'forged' | 'stale';

/** Why an entry counts or not, for the pool with this uid, under `key`, at `now` (Unix ms). */
export function verifyPending(
  key: string | undefined,
  poolUid: string,
  entry: PendingAllocation,
  now: number,
): PendingVerdict {
  if (entry.sig === undefined || entry.at === undefined) return 'unsigned';
  if (key === undefined) return 'forged';
  const want = Buffer.from(mac(key, poolUid, entry));
  const got = Buffer.from(entry.sig);
  if (want.length !== got.length || !timingSafeEqual(want, got)) return 'forged';
  const age = now - entry.at;
  return age > PENDING_MAX_AGE_MS || age < -PENDING_MAX_SKEW_MS ? 'stale' : 'ok';
}
