// Why is a claim pending (or which address does it hold, and why that one)? The answer is a list of
// findings in the order the controller would hit them (upstream-behaviour §8.2), plus facts.
import { formatAddr, parseAddr } from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_REQUESTED_ADDRESS,
  ClaimReadyReason,
  ConditionType,
  FINALIZER_RELEASE_ADDRESS,
  LEADER_ELECTION_ID,
  ipAddressHolder,
  isOurPoolRef,
  quarantineText,
  quarantineTime,
  isPoolKind,
  POOL_KIND_INFO,
  requestedAddress,
  requestRefusal,
} from '@ipam-in-cluster/api';
import type { ClaimView, Inventory, PoolSnapshot } from './model.js';
import { claimQuarantine } from './pool-summary.js';

export type ClaimState = 'bound' | 'pending' | 'deleting' | 'ignored';

export type BlockerCode =
  | 'not-our-pool'
  | 'claim-paused'
  | 'cluster-missing'
  | 'cluster-paused'
  | 'pool-missing'
  | 'pool-paused'
  | 'pool-invalid'
  | 'pool-exhausted'
  | 'grace-period'
  | 'controller-not-running'
  | 'not-seen-by-controller'
  | 'address-missing'
  | 'condition';

export interface Blocker {
  readonly code: BlockerCode;
  readonly message: string;
}

export interface ControllerLease {
  /** The Lease was found (in any namespace). */
  readonly found: boolean;
  readonly namespace?: string | undefined;
  readonly holder?: string | undefined;
  /** renewTime (else acquireTime), when known: for a released Lease, when the controller stopped. */
  readonly renewedAt?: Date | undefined;
  /** renewTime + leaseDurationSeconds, when known. */
  readonly expiresAt?: Date | undefined;
  /** true when found, held, and not expired at `now`. */
  readonly live: boolean;
  /** Could not be read (forbidden): nothing is concluded. */
  readonly unknown: boolean;
}

/** External facts the diagnosis needs that are not in the inventory. */
export interface ClaimFacts {
  /** undefined: the claim names no cluster. */
  readonly cluster?:
    { readonly name: string; readonly exists: boolean; readonly paused: boolean } | undefined;
  readonly lease: ControllerLease;
  readonly now: Date;
}

export interface ClaimDiagnosis {
  readonly claim: ClaimView;
  readonly state: ClaimState;
  readonly pool: PoolSnapshot | undefined;
  /** The IPAddress the claim holds (by status.addressRef, else by the claim's name). */
  readonly address: Inventory['addresses'][number] | undefined;
  /** Why it is pending (or why deletion is held), most decisive first. Empty when bound and healthy. */
  readonly blockers: readonly Blocker[];
  /** Further facts worth printing. */
  readonly notes: readonly string[];
  /** The claim's requested-address annotation and what became of it; undefined without one. */
  readonly requested: RequestedView | undefined;
}

/**
 * What a claim's ipam-in-cluster.dev/requested-address annotation asked for (ADR 0029): `held` (the
 * claim holds it), `differs` (it holds another one: the annotation came after the allocation, which
 * is never redone), `refused` (why the pool cannot hand it out, as the controller says it), `free`
 * (it can be handed out), `unknown` (the pool is missing or has no layout).
 */
export interface RequestedView {
  /** The annotation as written. */
  readonly value: string;
  /** Its canonical form, when it is one address. */
  readonly address: string | undefined;
  readonly state: 'held' | 'differs' | 'refused' | 'free' | 'unknown';
  /** The claim's Ready reason for a refusal. */
  readonly reason: string | undefined;
  readonly message: string;
}

/** Whether `text` is the address `canonical` (resolve.ts has the same test, but imports the session). */
function sameAddress(text: string, canonical: string): boolean {
  const a = parseAddr(text);
  return a.ok && formatAddr(a.value) === canonical;
}

/** The claim's request against its pool and the address it holds (`held`: its bound IPAddress). */
function requestedView(
  claim: ClaimView,
  pool: PoolSnapshot | undefined,
  held: Inventory['addresses'][number] | undefined,
): RequestedView | undefined {
  const annotations = claim.raw.metadata.annotations;
  const value = annotations?.[ANNOTATION_REQUESTED_ADDRESS];
  if (value === undefined) return undefined;
  const type =
    pool?.type ?? (isPoolKind(claim.poolRef.kind) ? POOL_KIND_INFO[claim.poolRef.kind].family : 'ip');
  const r = requestedAddress(annotations, type);
  if (r.kind === 'none') return undefined;
  if (r.kind === 'refused')
    return { value, address: undefined, state: 'refused', reason: r.reason, message: r.message };
  const view = (state: RequestedView['state'], message: string, reason?: string): RequestedView => ({
    value,
    address: r.address,
    state,
    reason,
    message,
  });
  if (held !== undefined) {
    return sameAddress(held.address, r.address)
      ? view('held', `${r.address}, which the claim holds`)
      : view(
          'differs',
          `${r.address}, but the claim holds ${held.address}: the annotation came after the allocation, and an allocated claim keeps its address (delete and re-create the claim to get ${r.address})`,
        );
  }
  if (pool?.layout === undefined)
    return view(
      'unknown',
      `${r.address}, which cannot be checked: ${pool === undefined ? 'the pool does not exist' : `pool ${pool.id} has no valid spec`}`,
    );
  const holders = pool.addresses
    .filter((a) => sameAddress(a.address, r.address))
    .map((a) => ipAddressHolder(a.namespace, a.name, a.claimName))
    .sort();
  // The pool named as the controller names it, so the two messages read the same.
  const { kind, namespace, name } = pool.key;
  const poolText = `${kind} ${namespace === undefined ? name : `${namespace}/${name}`}`;
  const refusal = requestRefusal(pool.layout, r.addr, holders, poolText);
  // Holders this view cannot see (an IPAddressReservation holds it, ADR 0030; a claim queued
  // earlier): the controller's own refusal on the claim's Ready condition wins over "free".
  const ready = claim.conditions.find((c) => c.type === 'Ready');
  if (refusal === undefined && ready?.status === 'False' && ready.reason.startsWith('RequestedAddress'))
    return view('refused', ready.message, ready.reason);
  return refusal === undefined
    ? view(
        'free',
        `${r.address}, which is free: the controller allocates it to this claim (if no claim that asked earlier waits for it)`,
      )
    : view('refused', refusal.message, refusal.reason);
}

/**
 * What the leader Lease says about the controller, honestly: `live` (held and renewed), `stale` (a
 * holder stopped renewing it: the controller died or hangs), `released` (no holder: a controller
 * that stopped cleanly, at the time the Lease was released), `none` (no Lease: leader election off,
 * or another id — nothing can be concluded), `unknown` (the Lease could not be read).
 */
export type LeaseState =
  | { readonly state: 'live' }
  | { readonly state: 'unknown' | 'none' | 'released' | 'stale'; readonly message: string };

export function leaseState(lease: ControllerLease): LeaseState {
  if (lease.unknown)
    return {
      state: 'unknown',
      message: `cannot tell whether a controller is running: not allowed to read Lease ${LEADER_ELECTION_ID}`,
    };
  if (!lease.found)
    return {
      state: 'none',
      message: `cannot tell whether a controller is running: no leader-election Lease ${LEADER_ELECTION_ID} in any namespace (a controller run without leader election leaves none)`,
    };
  if (lease.live) return { state: 'live' };
  const name = `${lease.namespace ?? ''}/${LEADER_ELECTION_ID}`;
  if (lease.holder === undefined || lease.holder === '') {
    const at = lease.renewedAt === undefined ? '' : ` at ${fmtTime(lease.renewedAt)}`;
    return {
      state: 'released',
      message: `the controller stopped${at}: it released its leader Lease ${name} and no controller holds it now`,
    };
  }
  const exp = lease.expiresAt === undefined ? '' : ` (expired ${fmtTime(lease.expiresAt)})`;
  return {
    state: 'stale',
    message: `the controller's leader Lease ${name} is not renewed${exp}; holder ${lease.holder}: the controller stopped or hangs`,
  };
}

/** Seconds after which a claim without our finalizer means the controller has not seen it. */
export const NOT_SEEN_AFTER_SECONDS = 30;

function fmtTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Pure: diagnoses one claim from the inventory and the facts. */
export function diagnoseClaim(inv: Inventory, claim: ClaimView, facts: ClaimFacts): ClaimDiagnosis {
  const pool = inv.pools.find((p) => p.id === claim.poolId);
  const byRef =
    claim.addressName === undefined
      ? undefined
      : inv.addresses.find((a) => a.namespace === claim.namespace && a.name === claim.addressName);
  const address =
    byRef ?? inv.addresses.find((a) => a.namespace === claim.namespace && a.claimName === claim.name);
  const blockers: Blocker[] = [];
  const notes: string[] = [];
  const ageSeconds =
    claim.createdAt === undefined ? Infinity : (facts.now.getTime() - claim.createdAt.getTime()) / 1000;

  if (!isOurPoolRef(claim.poolRef)) {
    blockers.push({
      code: 'not-our-pool',
      message: `its poolRef (${claim.poolRef.apiGroup || '<no group>'}/${claim.poolRef.kind}) is not a pool kind of this provider; another provider (or none) handles it`,
    });
    return { claim, state: 'ignored', pool, address, blockers, notes, requested: undefined };
  }
  const poolText = `${claim.poolRef.kind} ${claim.poolRef.name}`;

  if (claim.paused)
    blockers.push({ code: 'claim-paused', message: 'the claim has the cluster.x-k8s.io/paused annotation' });
  if (facts.cluster !== undefined) {
    if (!facts.cluster.exists && !claim.deleting) {
      blockers.push({
        code: 'cluster-missing',
        message: `its Cluster ${facts.cluster.name} does not exist; the controller waits until it is created`,
      });
    } else if (facts.cluster.paused) {
      blockers.push({
        code: 'cluster-paused',
        message: `its Cluster ${facts.cluster.name} is paused (spec.paused or the paused annotation)`,
      });
    }
  }
  if (pool === undefined) {
    blockers.push({
      code: 'pool-missing',
      message: `pool ${poolText} does not exist${claim.deleting ? '' : '; the claim is allocated when it is created'}`,
    });
  } else {
    if (pool.paused)
      blockers.push({
        code: 'pool-paused',
        message: `pool ${pool.id} is paused (cluster.x-k8s.io/paused annotation)`,
      });
    if (pool.error !== undefined)
      blockers.push({ code: 'pool-invalid', message: `pool ${pool.id} has an invalid spec: ${pool.error}` });
  }

  // Only evidence blocks: a stale or released Lease. No Lease proves nothing (leader election off).
  const lease = leaseState(facts.lease);
  const leaseProblem = (): string | undefined =>
    lease.state === 'stale' || lease.state === 'released' ? lease.message : undefined;
  if (lease.state === 'none' || lease.state === 'unknown') notes.push(lease.message);

  if (claim.deleting) {
    // The address reuse grace period: the address is quarantined (ADR 0028), timed on the server's
    // clock from the deletionTimestamp; past it, the controller releases it on its next pass.
    const q = claimQuarantine(pool, claim.raw);
    if (q !== undefined && address !== undefined) {
      const over =
        q.until <= facts.now.getTime()
          ? ` — over since ${quarantineTime(q.until)}, the controller releases it`
          : '';
      blockers.push({
        code: 'grace-period',
        message: `${address.address} is ${quarantineText(q)}${over}`,
      });
    }
    const lp = leaseProblem();
    if (lp !== undefined) blockers.push({ code: 'controller-not-running', message: lp });
    notes.push(
      `being deleted since ${claim.deletionTimestamp === undefined ? '?' : fmtTime(claim.deletionTimestamp)}; finalizers: ${claim.finalizers.join(', ') || 'none'}`,
    );
    return {
      claim,
      state: 'deleting',
      pool,
      address,
      blockers,
      notes,
      requested: requestedView(claim, pool, address),
    };
  }

  // An IPAddress named like the claim that the controller refused to adopt (it says why in Ready).
  const refused = claim.conditions.some(
    (c) =>
      c.type === ConditionType.Ready && c.status === 'False' && c.reason === ClaimReadyReason.AddressConflict,
  );
  if (
    address !== undefined &&
    (claim.addressName !== undefined || (address.claimName === claim.name && !refused))
  ) {
    if (claim.addressName === undefined)
      notes.push(`IPAddress ${address.name} exists but status.addressRef is not set yet`);
    if (address.state === 'out-of-range')
      notes.push(`${address.address} is no longer allocatable under the pool's current spec (out of range)`);
    if (address.state === 'duplicate')
      notes.push(`${address.address} is also held by another IPAddress of the same pool`);
    if (!address.protected) notes.push(`IPAddress ${address.name} has no ProtectAddress finalizer`);
    return {
      claim,
      state: 'bound',
      pool,
      address,
      blockers,
      notes,
      requested: requestedView(claim, pool, address),
    };
  }
  if (claim.addressName !== undefined) {
    blockers.push({
      code: 'address-missing',
      message: `status.addressRef names IPAddress ${claim.addressName}, which does not exist; the controller re-creates it`,
    });
  }

  if (pool !== undefined && pool.error === undefined && pool.counts.free === 0n) {
    const unit = pool.type === 'prefix' ? 'prefixes' : 'addresses';
    blockers.push({
      code: 'pool-exhausted',
      message: `pool ${pool.id} is exhausted (${pool.counts.used} of ${pool.counts.total} ${unit} in use)`,
    });
    // Addresses held by deleting claims come back: after the grace period, or as soon as the controller acts.
    const grace = pool.ipSpec?.addressReuseGracePeriodSeconds ?? 0;
    for (const a of pool.addresses) {
      if (a.claim?.deleting === true && a.claim.deletionTimestamp !== undefined) {
        const at = new Date(a.claim.deletionTimestamp.getTime() + grace * 1000);
        notes.push(
          `${a.address} becomes free ${at > facts.now ? `at ${fmtTime(at)} (reuse grace period of deleted claim ${a.claim.name})` : `when the controller finishes deleting claim ${a.claim.name}`}`,
        );
      }
    }
  }

  const hasFinalizer = claim.finalizers.includes(FINALIZER_RELEASE_ADDRESS);
  const lp = leaseProblem();
  if (lp !== undefined) blockers.push({ code: 'controller-not-running', message: lp });
  else if (!hasFinalizer && ageSeconds > NOT_SEEN_AFTER_SECONDS && blockers.length === 0) {
    blockers.push({
      code: 'not-seen-by-controller',
      message: `the controller has not handled the claim: no ${FINALIZER_RELEASE_ADDRESS} finalizer after ${Math.floor(ageSeconds)}s (check the controller's logs and --watch-filter)`,
    });
  }
  for (const c of claim.conditions) {
    if (c.type === ConditionType.Ready && c.status !== 'True')
      blockers.push({ code: 'condition', message: `condition Ready=${c.status} ${c.reason}: ${c.message}` });
  }
  if (blockers.length === 0)
    notes.push(
      hasFinalizer
        ? 'the controller has seen the claim; allocation should follow'
        : 'the claim is new; the controller has not handled it yet',
    );
  return {
    claim,
    state: 'pending',
    pool,
    address,
    blockers,
    notes,
    requested: requestedView(claim, pool, undefined),
  };
}
