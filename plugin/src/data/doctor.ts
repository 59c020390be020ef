// The leak and consistency audit behind `kubectl ipam doctor`. Pure over the inventory (plus the
// claim facts for pending claims); the report is JSON that `release --from-report` reads back.
import { isRecord } from '@ipam-in-cluster/allocator';
import {
  FINALIZER_PROTECT_ADDRESS,
  IPAM_GROUP,
  POOL_KIND_INFO,
  RESERVATION_KIND,
  isOurPoolRef,
  isPoolKind,
  type IPAddressReservation,
} from '@ipam-in-cluster/api';
import { covers, poolKindCovered } from './coverage.js';
import { diagnoseClaim, type ClaimFacts } from './diagnose.js';
import type { AddressView, ClaimView, Inventory } from './model.js';
import { expired } from './reservations.js';
import { canonicalAddress } from './resolve.js';

export type FindingSeverity = 'error' | 'warning' | 'info';

export type FindingCheck =
  | 'orphaned-address'
  | 'address-pool-missing'
  | 'address-out-of-range'
  | 'duplicate-address'
  | 'duplicate-across-pools'
  | 'missing-finalizer'
  | 'address-not-owned'
  | 'pending-claim'
  | 'claim-address-missing'
  | 'status-mismatch'
  | 'invalid-pool'
  | 'reservation-pool-missing'
  | 'reservation-expired';

export interface FindingObject {
  readonly kind: string;
  readonly namespace: string | null;
  readonly name: string;
  readonly uid: string;
  readonly resourceVersion: string;
}

export interface Finding {
  readonly check: FindingCheck;
  readonly severity: FindingSeverity;
  readonly message: string;
  readonly object: FindingObject;
  readonly address: string | null;
  readonly pool: string | null;
  /** IPAddress findings: the claim it names (spec.claimRef.name), which is not always its own name. */
  readonly claim?: string | null;
  /** `release --from-report` releases exactly these (orphaned IPAddresses). */
  readonly releasable: boolean;
}

export interface DoctorReport {
  readonly apiVersion: 'kubectl-ipam/v1alpha1';
  readonly kind: 'DoctorReport';
  readonly generatedAt: string;
  readonly context: string;
  readonly scope: { readonly namespace: string | null; readonly allNamespaces: boolean };
  readonly summary: {
    readonly errors: number;
    readonly warnings: number;
    readonly info: number;
    readonly releasable: number;
  };
  readonly findings: readonly Finding[];
}

/** The object a finding is about: its kind and the identity every view carries. */
function findingObject(kind: 'IPAddress' | 'IPAddressClaim', o: AddressView | ClaimView): FindingObject {
  return { kind, namespace: o.namespace, name: o.name, uid: o.uid, resourceVersion: o.resourceVersion };
}

function olderThan(d: Date | undefined, now: Date, seconds: number): boolean {
  return d === undefined || now.getTime() - d.getTime() >= seconds * 1000;
}

/** Whether the pool a reference names could have been seen (its kind was listed where it lives). */
function poolRefCovered(inv: Inventory, ref: { readonly kind: string }, namespace: string): boolean {
  if (!isPoolKind(ref.kind)) return true;
  return poolKindCovered(inv.coverage, ref.kind, POOL_KIND_INFO[ref.kind].namespaced ? namespace : undefined);
}

export interface AuditOptions {
  readonly now: Date;
  /** Ignore objects younger than this: the controller may still be working on them. */
  readonly minAgeSeconds: number;
  /** Facts for pending claims (cluster, lease); the same lease for all. */
  readonly factsFor: (claim: ClaimView) => ClaimFacts;
  /** IPAddressReservations read (docs/adr/0030); undefined: not read (forbidden, or no CRD). */
  readonly reservations?: readonly IPAddressReservation[] | undefined;
}

/** The IP pool kinds a reservation may name (ADR 0030). */
const RESERVABLE_KINDS: ReadonlySet<string> = new Set(['InClusterIPPool', 'GlobalInClusterIPPool']);

/**
 * Reservations whose pool is gone or of a kind no reservation can hold (warning: it holds nothing),
 * and reservations that expired but still exist (info: a record that holds nothing).
 */
export function auditReservations(
  inv: Inventory,
  reservations: readonly IPAddressReservation[],
  now: Date,
): Finding[] {
  const out: Finding[] = [];
  for (const r of reservations) {
    const namespace = r.metadata.namespace ?? '';
    const name = r.metadata.name ?? '';
    const ref = r.spec.poolRef;
    const object: FindingObject = {
      kind: RESERVATION_KIND,
      namespace,
      name,
      uid: r.metadata.uid ?? '',
      resourceVersion: r.metadata.resourceVersion ?? '',
    };
    const base = { object, address: r.spec.addresses.join(','), releasable: false };
    const holder = `${RESERVATION_KIND} ${namespace}/${name}`;
    const unreserve = `kubectl ipam unreserve ${namespace}/${name} --yes`;
    if (ref.apiGroup !== IPAM_GROUP || !RESERVABLE_KINDS.has(ref.kind)) {
      out.push({
        ...base,
        pool: `${ref.kind}/${ref.name}`,
        check: 'reservation-pool-missing',
        severity: 'warning',
        message: `${holder} names spec.poolRef ${ref.apiGroup}/${ref.kind} ${ref.name}, which is not an IP pool (InClusterIPPool or GlobalInClusterIPPool of ${IPAM_GROUP}): it holds nothing; remove it with: ${unreserve}`,
      });
      continue;
    }
    const kind = ref.kind as 'InClusterIPPool' | 'GlobalInClusterIPPool';
    const poolNs = POOL_KIND_INFO[kind].namespaced ? namespace : undefined;
    const pool = inv.pools.find(
      (p) => p.key.kind === kind && p.key.name === ref.name && p.key.namespace === poolNs,
    );
    const poolText = poolNs === undefined ? `global/${ref.name}` : `${poolNs}/${ref.name}`;
    if (pool === undefined && poolKindCovered(inv.coverage, kind, poolNs)) {
      out.push({
        ...base,
        pool: `${kind}/${ref.name}`,
        check: 'reservation-pool-missing',
        severity: 'warning',
        message: `${holder} holds addresses of ${kind} ${poolText}, which does not exist: it holds nothing; remove it with: ${unreserve}`,
      });
      continue;
    }
    if (expired(r, now)) {
      const at = r.spec.expiresAt === undefined ? '' : ` at ${r.spec.expiresAt}`;
      out.push({
        ...base,
        pool: pool?.id ?? poolText,
        check: 'reservation-expired',
        severity: 'info',
        message: `${holder} expired${at}: it holds nothing (${r.spec.addresses.join(', ')} are free to allocate); remove it with: ${unreserve}`,
      });
    }
  }
  return out;
}

/** Runs every check. Findings are sorted: errors first, then by object. */
export function audit(inv: Inventory, options: AuditOptions): Finding[] {
  const out: Finding[] = [];
  const { now, minAgeSeconds } = options;
  const ours = inv.addresses.filter((a) => isOurPoolRef(a.poolRef));
  const invalidPools = new Map(
    inv.pools.filter((p) => p.error !== undefined).map((p) => [p.id, p.error] as const),
  );

  for (const a of ours) {
    const old = olderThan(a.createdAt, now, minAgeSeconds);
    const base = {
      object: findingObject('IPAddress', a),
      claim: a.claimName,
      address: a.address,
      pool: a.poolId ?? `${a.poolRef.kind}/${a.poolRef.name}`,
    };
    // Partial data proves nothing: an address whose claims could not be read is not "orphaned",
    // one whose pool kind could not be listed does not reference a "missing" pool.
    if (a.claim === undefined && old && covers(inv.coverage.claims, a.namespace)) {
      out.push({
        ...base,
        check: 'orphaned-address',
        severity: 'error',
        message: `IPAddress ${a.namespace}/${a.name} holds ${a.address} but its claim ${a.claimName} does not exist`,
        releasable: true,
      });
    }
    if (a.poolId === undefined && poolRefCovered(inv, a.poolRef, a.namespace)) {
      out.push({
        ...base,
        check: 'address-pool-missing',
        severity: 'warning',
        message: `IPAddress ${a.namespace}/${a.name} references ${a.poolRef.kind} ${a.poolRef.name}, which does not exist`,
        releasable: false,
      });
    }
    if (a.state === 'out-of-range') {
      out.push({
        ...base,
        check: 'address-out-of-range',
        severity: 'warning',
        message:
          a.poolId !== undefined && invalidPools.has(a.poolId)
            ? `${a.address} (IPAddress ${a.namespace}/${a.name}) is held in pool ${a.poolId}, whose spec is invalid (${invalidPools.get(a.poolId) ?? ''}): the pool cannot account for it`
            : `${a.address} (IPAddress ${a.namespace}/${a.name}) is outside its pool's allocatable set (spec changed after allocation)`,
        releasable: false,
      });
    }
    if (a.state === 'duplicate') {
      out.push({
        ...base,
        check: 'duplicate-address',
        severity: 'error',
        message: `${a.address} is held by more than one IPAddress of pool ${a.poolId ?? '?'} (this one: ${a.namespace}/${a.name})`,
        releasable: false,
      });
    }
    if (!a.protected && !a.deleting && old) {
      out.push({
        ...base,
        check: 'missing-finalizer',
        severity: 'warning',
        message: `IPAddress ${a.namespace}/${a.name} has no ${FINALIZER_PROTECT_ADDRESS} finalizer`,
        releasable: false,
      });
    }
    const owned = (a.raw.metadata.ownerReferences ?? []).some(
      (o) => o.kind === 'IPAddressClaim' && o.name === a.claimName && o.controller === true,
    );
    if (!owned && a.claim !== undefined && old) {
      out.push({
        ...base,
        check: 'address-not-owned',
        severity: 'warning',
        message: `IPAddress ${a.namespace}/${a.name} has no controller owner reference to its claim ${a.claimName} (garbage collection will not remove it)`,
        releasable: false,
      });
    }
  }

  // Same IP in different pools (overlapping pools): upstream allows it, but it is rarely intended.
  const byIP = new Map<string, AddressView[]>();
  for (const a of ours) {
    const c = canonicalAddress(a.address);
    if (c === undefined || a.poolId === undefined) continue;
    const list = byIP.get(c) ?? [];
    list.push(a);
    byIP.set(c, list);
  }
  for (const [ip, list] of byIP) {
    const pools = new Set(list.map((a) => a.poolId));
    if (pools.size < 2) continue;
    for (const a of list) {
      const others = list
        .filter((o) => o.poolId !== a.poolId)
        .map((o) => `${o.namespace}/${o.name} (${o.poolId ?? '?'})`);
      out.push({
        object: findingObject('IPAddress', a),
        address: ip,
        pool: a.poolId ?? null,
        check: 'duplicate-across-pools',
        severity: 'warning',
        message: `${ip} is also held by ${others.join(', ')}: overlapping pools hand out the same address`,
        releasable: false,
      });
    }
  }

  for (const c of inv.claims) {
    if (!isOurPoolRef(c.poolRef)) continue;
    if (!olderThan(c.createdAt, now, minAgeSeconds)) continue;
    if (c.poolId === undefined && !poolRefCovered(inv, c.poolRef, c.namespace)) continue;
    const d = diagnoseClaim(inv, c, options.factsFor(c));
    const pool = d.pool?.id ?? `${c.poolRef.kind}/${c.poolRef.name}`;
    if (d.state === 'pending') {
      const check = d.blockers.some((b) => b.code === 'address-missing')
        ? 'claim-address-missing'
        : 'pending-claim';
      out.push({
        object: findingObject('IPAddressClaim', c),
        address: null,
        pool,
        check,
        severity: 'warning',
        message: `claim ${c.namespace}/${c.name} has no address: ${d.blockers.map((b) => b.message).join('; ') || d.notes.join('; ')}`,
        releasable: false,
      });
    } else if (d.state === 'deleting' && d.blockers.length > 0) {
      out.push({
        object: findingObject('IPAddressClaim', c),
        address: d.address?.address ?? null,
        pool,
        check: 'pending-claim',
        severity: 'info',
        message: `claim ${c.namespace}/${c.name} is being deleted: ${d.blockers.map((b) => b.message).join('; ')}`,
        releasable: false,
      });
    }
  }

  for (const p of inv.pools) {
    const obj: FindingObject = {
      kind: p.key.kind,
      namespace: p.key.namespace ?? null,
      name: p.key.name,
      uid: p.uid,
      resourceVersion: p.resourceVersion,
    };
    if (p.error !== undefined)
      out.push({
        object: obj,
        address: null,
        pool: p.id,
        check: 'invalid-pool',
        severity: 'error',
        message: `pool ${p.id} has an invalid spec: ${p.error}`,
        releasable: false,
      });
    if (p.statusMismatch.length > 0 && p.status !== undefined) {
      const s = p.status;
      out.push({
        object: obj,
        address: null,
        pool: p.id,
        check: 'status-mismatch',
        severity: 'info',
        message: `pool ${p.id} status disagrees with its IPAddresses: ${p.statusMismatch.map((f) => `${f} ${s[f]} (computed ${p.counts[f]})`).join(', ')}`,
        releasable: false,
      });
    }
  }

  if (options.reservations !== undefined) out.push(...auditReservations(inv, options.reservations, now));

  const rank: Record<FindingSeverity, number> = { error: 0, warning: 1, info: 2 };
  return out.sort(
    (x, y) =>
      rank[x.severity] - rank[y.severity] ||
      x.check.localeCompare(y.check) ||
      `${x.object.namespace ?? ''}/${x.object.name}`.localeCompare(
        `${y.object.namespace ?? ''}/${y.object.name}`,
      ),
  );
}

export function makeReport(
  findings: readonly Finding[],
  meta: { now: Date; context: string; namespace: string | undefined; allNamespaces: boolean },
): DoctorReport {
  return {
    apiVersion: 'kubectl-ipam/v1alpha1',
    kind: 'DoctorReport',
    generatedAt: meta.now.toISOString(),
    context: meta.context,
    scope: {
      namespace: meta.allNamespaces ? null : (meta.namespace ?? null),
      allNamespaces: meta.allNamespaces,
    },
    summary: {
      errors: findings.filter((f) => f.severity === 'error').length,
      warnings: findings.filter((f) => f.severity === 'warning').length,
      info: findings.filter((f) => f.severity === 'info').length,
      releasable: findings.filter((f) => f.releasable).length,
    },
    findings,
  };
}

/** A releasable finding as `release --from-report` reads it back. */
export interface ReleasableFinding {
  readonly object: FindingObject;
  readonly address: string;
  readonly pool: string | null;
  /** The claim the IPAddress names. */
  readonly claim: string;
}

/** The releasable findings of a report read from JSON; throws a message on a malformed file. */
export function releasableFromReport(doc: unknown): ReleasableFinding[] {
  if (!isRecord(doc) || doc.kind !== 'DoctorReport' || !Array.isArray(doc.findings)) {
    throw new Error('not a kubectl-ipam DoctorReport (expected kind: DoctorReport with findings)');
  }
  const out: ReleasableFinding[] = [];
  for (const [i, f] of (doc.findings as unknown[]).entries()) {
    if (!isRecord(f) || f.releasable !== true) continue;
    const o = f.object;
    if (
      !isRecord(o) ||
      o.kind !== 'IPAddress' ||
      typeof o.namespace !== 'string' ||
      typeof o.name !== 'string' ||
      typeof o.uid !== 'string' ||
      typeof o.resourceVersion !== 'string'
    ) {
      throw new Error(
        `findings[${i}]: releasable finding without a complete IPAddress object (namespace, name, uid, resourceVersion)`,
      );
    }
    out.push({
      object: {
        kind: 'IPAddress',
        namespace: o.namespace,
        name: o.name,
        uid: o.uid,
        resourceVersion: o.resourceVersion,
      },
      address: typeof f.address === 'string' ? f.address : '?',
      pool: typeof f.pool === 'string' ? f.pool : null,
      // Reports written before `claim` was added name only the IPAddress: its name is the claim's
      // when the controller made it, and release re-reads that claim before acting.
      claim: typeof f.claim === 'string' && f.claim !== '' ? f.claim : o.name,
    });
  }
  return out;
}
