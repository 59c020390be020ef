/**
 * Pool layout: the allocatable set of an IP pool spec (upstream-behaviour §7.1), with the
 * provenance that `explain` needs.
 *
 *   allocatable = ∪ addresses − ∪ excludedAddresses − reserved(subnet) − gateway
 *
 * where the subnet is (LOWEST address of ∪ addresses)/prefix — not the first list entry — and
 * reserved is its first address, plus its last for IPv4, unless allocateReservedIPAddresses.
 */
import { bitLength, type Addr, type Family } from './address.js';
import { IPSet } from './ipset.js';
import { rangeOfAddr } from './range.js';
import { parseAddr, parseAddressList, type IndexedEntry } from './parse.js';
import { maskPrefix, rangeOfPrefix, type Prefix } from './prefix.js';
import { allocatorError, err, ok, type Result } from './result.js';

/** The v1alpha2 IP pool spec fields the allocator reads (same JSON names). */
export interface IPPoolSpec {
  readonly addresses: readonly string[];
  readonly prefix: number;
  readonly gateway?: string | undefined;
  readonly allocateReservedIPAddresses?: boolean | undefined;
  readonly excludedAddresses?: readonly string[] | undefined;
}

/** Why an address of the subnet is reserved. */
export type ReservedKind = 'network' | 'broadcast' | 'subnet-router-anycast';

export interface ReservedAddress {
  readonly addr: Addr;
  readonly kind: ReservedKind;
  /** The inferred subnet that makes it reserved. */
  readonly subnet: Prefix;
}

export interface PoolLayout {
  readonly spec: IPPoolSpec;
  /** Family of the lowest address; undefined for an empty `addresses` list. */
  readonly family: Family | undefined;
  readonly addressEntries: readonly IndexedEntry[];
  readonly excludedEntries: readonly IndexedEntry[];
  /** ∪ addresses, before anything is removed. */
  readonly union: IPSet;
  /** ∪ excludedAddresses (may reach outside the pool). */
  readonly excluded: IPSet;
  /** (lowest address)/prefix, masked; undefined without addresses or with an invalid prefix. */
  readonly subnet: Prefix | undefined;
  /** Addresses removed as reserved (empty when allocateReservedIPAddresses). */
  readonly reserved: readonly ReservedAddress[];
  readonly gateway: Addr | undefined;
  /** What can be handed out. */
  readonly allocatable: IPSet;
  /** `allocatable.size()`, exact. */
  readonly total: bigint;
}

/** The inferred subnet, or undefined when the prefix does not fit the family (netip.PrefixFrom). */
export function inferSubnet(lowest: Addr, prefix: number): Prefix | undefined {
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bitLength(lowest.family)) return undefined;
  return maskPrefix({ family: lowest.family, value: lowest.value, bits: prefix });
}

/** The subnet's reserved addresses: first (network / subnet-router anycast), and the IPv4 broadcast. */
export function reservedAddresses(subnet: Prefix): ReservedAddress[] {
  const r = rangeOfPrefix(subnet);
  if (subnet.family === 6)
    return [{ addr: { family: 6, value: r.from }, kind: 'subnet-router-anycast', subnet }];
  const out: ReservedAddress[] = [{ addr: { family: 4, value: r.from }, kind: 'network', subnet }];
  // A /32 has one address that is both; removing it once is enough.
  if (r.to !== r.from) out.push({ addr: { family: 4, value: r.to }, kind: 'broadcast', subnet });
  return out;
}

/**
 * Computes the layout of an IP pool spec. Fails (as upstream's controller does) on the first
 * unparsable entry or gateway, or on a prefix that cannot form a subnet when reserved addresses
 * must be removed. An empty `addresses` list gives an empty layout instead of upstream's panic.
 */
export function buildPoolLayout(spec: IPPoolSpec): Result<PoolLayout> {
  const addrs = parseAddressList(spec.addresses, 'spec.addresses');
  if (addrs.errors[0] !== undefined) return err(addrs.errors[0]);
  const excl = parseAddressList(spec.excludedAddresses ?? [], 'spec.excludedAddresses');

  const union = IPSet.fromRanges(addrs.entries.map((e) => e.range));
  const lowest = union.first();
  const subnet = lowest === undefined ? undefined : inferSubnet(lowest, spec.prefix);
  let reserved: ReservedAddress[] = [];
  if (spec.allocateReservedIPAddresses !== true && lowest !== undefined) {
    if (subnet === undefined) {
      return err(
        allocatorError('InvalidSpec', 'provided prefix is not valid', {
          input: String(spec.prefix),
          path: 'spec.prefix',
        }),
      );
    }
    reserved = reservedAddresses(subnet);
  }

  let gateway: Addr | undefined;
  if (spec.gateway !== undefined && spec.gateway !== '') {
    const g = parseAddr(spec.gateway);
    if (!g.ok) return err({ ...g.error, path: 'spec.gateway' });
    gateway = g.value;
  }
  if (excl.errors[0] !== undefined) return err(excl.errors[0]);

  const excluded = IPSet.fromRanges(excl.entries.map((e) => e.range));
  // Sweeps over already-normalised sets: no second sort of the exclusions.
  const singles = reserved.map((r) => rangeOfAddr(r.addr));
  if (gateway !== undefined) singles.push(rangeOfAddr(gateway));
  const allocatable = union.difference(excluded).difference(IPSet.fromRanges(singles));

  return ok({
    spec,
    family: lowest?.family,
    addressEntries: addrs.entries,
    excludedEntries: excl.entries,
    union,
    excluded,
    subnet,
    reserved,
    gateway,
    allocatable,
    total: allocatable.size(),
  });
}
