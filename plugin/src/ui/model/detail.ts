// Address detail view model: the allocator's explanation plus who holds the address.
import { equalAddr, explainAddress, parseAddr, type AddressVerdict } from '@ipam-in-cluster/allocator';
import { quarantineText } from '@ipam-in-cluster/api';
import { releaseRule, type ReleaseRule } from '../../data/release-rule.js';
import { age } from '../../output/present.js';
import { reservationLine, reservationsAt } from './reservations.js';
import type { BrowserAddress, BrowserClaim, BrowserPool, BrowserReservation } from './source.js';

export type ReasonMark = 'ok' | 'no' | 'use' | 'warn';

export interface ReasonLine {
  readonly mark: ReasonMark;
  readonly text: string;
}

export interface HolderView {
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name` of the IPAddressClaim (named even when the claim no longer exists). */
  readonly claim: string;
  readonly claimExists: boolean;
  /** The release rule for this holder (data/release-rule.ts): the claim is live, and what releasing does. */
  readonly release: ReleaseRule;
  /** `Kind name` of the claim's owner (the machine-ish object), when known. */
  readonly machine: string | undefined;
  readonly cluster: string | undefined;
  readonly age: string;
  readonly deleting: boolean;
  readonly finalizers: readonly string[];
}

export interface AddressDetail {
  readonly address: string;
  readonly verdict: AddressVerdict;
  readonly headline: string;
  readonly reasons: readonly ReasonLine[];
  readonly holders: readonly HolderView[];
  /** IPAddressReservations holding the address (ADR 0030); IP pools only. */
  readonly reservations: readonly BrowserReservation[];
}

/** The claim owner that stands for the machine: the controller owner, else the first owner. */
export function machineOf(claim: BrowserClaim | undefined): string | undefined {
  const owners = claim?.raw.metadata.ownerReferences ?? [];
  const owner = owners.find((o) => o.controller === true) ?? owners[0];
  return owner === undefined ? undefined : `${owner.kind} ${owner.name}`;
}

export function holderView(a: BrowserAddress, now: Date): HolderView {
  return {
    namespace: a.namespace,
    name: a.name,
    claim: `${a.namespace}/${a.claimName}`,
    claimExists: a.claim !== undefined,
    release: releaseRule({
      namespace: a.namespace,
      claimName: a.claimName,
      claimExists: a.claim !== undefined,
      claimDeleting: a.claim?.deleting === true,
    }),
    machine: machineOf(a.claim),
    cluster: a.clusterName ?? a.claim?.clusterName,
    age: age(a.createdAt, now),
    deleting: a.deleting,
    finalizers: a.finalizers,
  };
}

/** IPAddress objects of the pool holding `address` (compared as addresses, not strings). */
export function holdersOf(pool: Pick<BrowserPool, 'addresses'>, address: string): BrowserAddress[] {
  // A prefix pool's cell is `network/len`: its holders are the IPAddresses of that network.
  const target = parseAddr(address.replace(/\/\d+$/, ''));
  if (!target.ok) return [];
  return pool.addresses.filter((a) => {
    const p = parseAddr(a.address);
    return p.ok && equalAddr(p.value, target.value);
  });
}

const VERDICT_TEXT: Record<AddressVerdict, string> = {
  free: 'is free',
  allocated: 'is allocated',
  excluded: 'is not allocatable: excluded',
  gateway: 'is not allocatable: the gateway',
  reserved: 'is not allocatable: reserved',
  'outside-pool': 'is outside the pool',
  'out-of-range-allocation': 'is in use but outside what the pool may hand out',
};

const MARKS: Record<string, ReasonMark> = {
  included: 'ok',
  'outside-pool': 'no',
  excluded: 'no',
  gateway: 'no',
  reserved: 'no',
  allocated: 'use',
  'out-of-range': 'warn',
};

/** A child prefix of a prefix pool: allocated (to whom), free, or not allocatable. */
function prefixDetail(pool: BrowserPool, prefix: string, now: Date): AddressDetail | undefined {
  const layout = pool.prefixLayout;
  if (layout === undefined) return undefined;
  const holders = holdersOf(pool, prefix).map((a) => holderView(a, now));
  const p = parseAddr(prefix.replace(/\/\d+$/, ''));
  if (!p.ok) return undefined;
  const slot = p.value.value >> BigInt(128 - layout.allocationPrefixLength);
  const allocatable = layout.slots.contains({ family: 6, value: slot });
  const first = holders[0];
  const verdict: AddressVerdict =
    first !== undefined
      ? allocatable
        ? 'allocated'
        : 'out-of-range-allocation'
      : allocatable
        ? 'free'
        : 'excluded';
  let headline = `${prefix} ${VERDICT_TEXT[verdict]} in ${pool.id}`;
  if (first !== undefined)
    headline = `${prefix} ${allocatable ? 'is allocated' : 'is held (out of range)'} to claim ${first.claim}`;
  if (holders.length > 1) headline += ` and ${holders.length - 1} more`;
  const reasons: ReasonLine[] = [
    allocatable
      ? { mark: 'ok', text: `a /${layout.allocationPrefixLength} inside spec.prefixes` }
      : { mark: 'no', text: 'not allocatable: excluded, or not wholly inside spec.prefixes' },
  ];
  if (first !== undefined)
    reasons.push({
      mark: 'use',
      text: `in use by ${holders.length} IPAddress${holders.length === 1 ? '' : 'es'}`,
    });
  return { address: prefix, verdict, headline, reasons, holders, reservations: [] };
}

export function addressDetail(pool: BrowserPool, address: string, now: Date): AddressDetail | undefined {
  if (pool.type === 'prefix') return prefixDetail(pool, address, now);
  if (pool.layout === undefined) return undefined;
  const ex = explainAddress(pool.layout, address, pool.index);
  if (!ex.ok) return undefined;
  const e = ex.value;
  const held = holdersOf(pool, e.address);
  const holders = held.map((a) => holderView(a, now));
  // Free by the spec but held by an IPAddressReservation: allocation skips it (ADR 0030).
  const reservations = reservationsAt(pool, e.address);
  const kept = e.verdict === 'free' && reservations.length > 0;
  let headline = kept
    ? `${e.address} is not allocatable: held by a reservation in ${pool.id}`
    : `${e.address} ${VERDICT_TEXT[e.verdict]} in ${pool.id}`;
  const first = holders[0];
  if (first !== undefined && (e.verdict === 'allocated' || e.verdict === 'out-of-range-allocation')) {
    headline = `${e.address} ${e.verdict === 'allocated' ? 'is allocated' : 'is held (out of range)'} to claim ${first.claim}`;
  }
  if (holders.length > 1) headline += ` and ${holders.length - 1} more`;
  return {
    address: e.address,
    verdict: e.verdict,
    headline,
    reasons: [
      ...e.reasons.map((r): ReasonLine => ({ mark: MARKS[r.code] ?? 'ok', text: r.message })),
      ...held.flatMap((a): ReasonLine[] =>
        a.quarantine === undefined ? [] : [{ mark: 'warn', text: quarantineText(a.quarantine) }],
      ),
      // An allocated address a reservation names is held for the reservation once released.
      ...reservations.map((r): ReasonLine => ({ mark: kept ? 'no' : 'warn', text: reservationLine(r) })),
      ...(reservations.length > 0 && !kept && held.length > 0
        ? [{ mark: 'warn' as const, text: 'held for the reservation once its IPAddress is released' }]
        : []),
    ],
    holders,
    reservations,
  };
}

/** Counts of a block of the map, as short labelled parts (zero parts omitted). */
export function blockParts(b: {
  used: bigint;
  free: bigint;
  excluded: bigint;
  reserved: bigint;
  gateway: bigint;
  outOfRange: bigint;
}): { label: string; value: bigint }[] {
  const parts = [
    { label: 'allocated', value: b.used },
    { label: 'free', value: b.free },
    { label: 'excluded', value: b.excluded },
    { label: 'reserved', value: b.reserved },
    { label: 'gateway', value: b.gateway },
    { label: 'out of range', value: b.outOfRange },
  ];
  return parts.filter((p) => p.value > 0n);
}
