/**
 * "Why" answers for one address or a whole pool, for `kubectl ipam explain` and `-o json`.
 * Outputs are plain data: addresses as canonical strings, sizes as bigints (see json.ts for the
 * JSON form, which turns bigints into strings).
 */
import type { Addr, Family } from './address.js';
import type { AllocationIndex } from './allocator-index.js';
import type { PoolCounts } from './counts.js';
import { formatAddr, formatPrefix, formatValue } from './format.js';
import { findRange, type IPSet } from './ipset.js';
import type { PoolLayout, ReservedKind } from './layout.js';
import { parseAddr, type IndexedEntry } from './parse.js';
import type { IPRange } from './range.js';
import { ok, type Result } from './result.js';

export type AddressVerdict =
  'free' | 'allocated' | 'excluded' | 'gateway' | 'reserved' | 'outside-pool' | 'out-of-range-allocation';

/** A spec entry, named by its path. */
export interface EntryRef {
  readonly path: string;
  readonly input: string;
}

export type ReasonCode =
  'included' | 'outside-pool' | 'excluded' | 'gateway' | 'reserved' | 'allocated' | 'out-of-range';

export interface Reason {
  readonly code: ReasonCode;
  readonly message: string;
  /** The spec field responsible, when one is. */
  readonly path?: string;
}

export interface AddressExplanation {
  readonly address: string;
  readonly family: Family;
  readonly verdict: AddressVerdict;
  /** In the layout's allocatable set (whether or not in use). */
  readonly allocatable: boolean;
  /** Number of IPAddress objects holding it (0 without an index). */
  readonly holders: number;
  readonly includedBy: readonly EntryRef[];
  readonly excludedBy: readonly EntryRef[];
  readonly reserved: { readonly kind: ReservedKind; readonly subnet: string } | undefined;
  readonly gateway: boolean;
  /** Every reason that applies, in the order: inclusion, exclusions, gateway, reserved, use. */
  readonly reasons: readonly Reason[];
}

const RESERVED_TEXT: Record<ReservedKind, string> = {
  network: 'network address',
  broadcast: 'broadcast address',
  'subnet-router-anycast': 'subnet-router anycast address',
};

function refsContaining(entries: readonly IndexedEntry[], a: Addr): EntryRef[] {
  return entries
    .filter((e) => e.range.family === a.family && e.range.from <= a.value && a.value <= e.range.to)
    .map((e) => ({ path: e.path, input: e.input }));
}

/** Explains one address of a pool: verdict, every reason, and which spec entries are responsible. */
export function explainAddress(
  layout: PoolLayout,
  address: Addr | string,
  index?: AllocationIndex,
): Result<AddressExplanation> {
  let a: Addr;
  if (typeof address === 'string') {
    const p = parseAddr(address);
    if (!p.ok) return p;
    a = p.value;
  } else a = address;
  const text = formatAddr(a);
  const allocatable = layout.allocatable.contains(a);
  const holders = index?.holders(a) ?? 0;
  const includedBy = refsContaining(layout.addressEntries, a);
  const excludedBy = refsContaining(layout.excludedEntries, a);
  const res = layout.reserved.find((r) => r.addr.family === a.family && r.addr.value === a.value);
  const isGateway =
    layout.gateway !== undefined && layout.gateway.family === a.family && layout.gateway.value === a.value;

  const reasons: Reason[] = [];
  for (const e of includedBy)
    reasons.push({ code: 'included', message: `inside ${e.path} (${e.input})`, path: e.path });
  if (includedBy.length === 0)
    reasons.push({
      code: 'outside-pool',
      message: 'not inside any spec.addresses entry',
      path: 'spec.addresses',
    });
  for (const e of excludedBy)
    reasons.push({ code: 'excluded', message: `excluded by ${e.path} (${e.input})`, path: e.path });
  if (isGateway)
    reasons.push({ code: 'gateway', message: 'is the pool gateway, never allocated', path: 'spec.gateway' });
  if (res !== undefined) {
    reasons.push({
      code: 'reserved',
      message: `reserved: ${RESERVED_TEXT[res.kind]} of ${formatPrefix(res.subnet)}`,
      path: 'spec.prefix',
    });
  }
  if (holders > 0) {
    const who = holders === 1 ? '1 IPAddress' : `${holders} IPAddresses`;
    reasons.push(
      allocatable
        ? { code: 'allocated', message: `in use by ${who}` }
        : { code: 'out-of-range', message: `in use by ${who} but not allocatable under the current spec` },
    );
  }

  let verdict: AddressVerdict;
  if (allocatable) verdict = holders > 0 ? 'allocated' : 'free';
  else if (holders > 0) verdict = 'out-of-range-allocation';
  else if (includedBy.length === 0) verdict = 'outside-pool';
  else if (excludedBy.length > 0) verdict = 'excluded';
  else if (isGateway) verdict = 'gateway';
  else verdict = 'reserved';

  return ok({
    address: text,
    family: a.family,
    verdict,
    allocatable,
    holders,
    includedBy,
    excludedBy,
    reserved: res === undefined ? undefined : { kind: res.kind, subnet: formatPrefix(res.subnet) },
    gateway: isGateway,
    reasons,
  });
}

/** A range in text form with its exact size. */
export interface RangeInfo {
  readonly from: string;
  readonly to: string;
  readonly size: bigint;
}

export function rangeInfo(r: IPRange): RangeInfo {
  return { from: formatValue(r.family, r.from), to: formatValue(r.family, r.to), size: r.to - r.from + 1n };
}

/** A fresh RangeInfo with the same (immutable) texts and size: no second formatting. */
function copyInfo(i: RangeInfo): RangeInfo {
  return { from: i.from, to: i.to, size: i.size };
}

export interface SourcedRange extends RangeInfo {
  /** The spec entries that make up this merged range. */
  readonly entries: readonly EntryRef[];
}

export interface ExcludedRange extends SourcedRange {
  /** How many of its addresses are inside spec.addresses (the rest exclude nothing). */
  readonly inPool: bigint;
}

export interface PoolExplanation {
  readonly family: Family | undefined;
  readonly prefix: number;
  readonly subnet: string | undefined;
  readonly allocateReservedIPAddresses: boolean;
  readonly gateway:
    { readonly address: string; readonly input: string; readonly inPool: boolean } | undefined;
  /** Merged ranges of spec.addresses, each with its entries. */
  readonly addresses: readonly SourcedRange[];
  readonly excluded: readonly ExcludedRange[];
  readonly reserved: readonly {
    readonly address: string;
    readonly kind: ReservedKind;
    readonly subnet: string;
    readonly inPool: boolean;
  }[];
  /** What can be handed out (in use or not). */
  readonly allocatable: readonly RangeInfo[];
  readonly counts: PoolCounts;
  readonly free: {
    /** Free ranges, ascending, at most `limit` of them. */
    readonly ranges: readonly RangeInfo[];
    readonly rangeCount: number;
    readonly truncated: boolean;
    readonly largest: RangeInfo | undefined;
    /** 1 − largest free block / free addresses: 0 = one contiguous block, → 1 = scattered. */
    readonly fragmentation: number;
  };
  readonly outOfRange: readonly { readonly address: string; readonly holders: number }[];
}

/**
 * Attributes each entry to the merged range that contains it (entries never straddle two):
 * `out[i]` lists the entries of `set.ranges[i]`.
 */
function sourced(set: IPSet, entries: readonly IndexedEntry[]): EntryRef[][] {
  const ranges = set.ranges;
  const out: EntryRef[][] = ranges.map(() => []);
  for (const e of entries) {
    const i = findRange(ranges, e.range.family, e.range.from);
    if (i >= 0) out[i]?.push({ path: e.path, input: e.input });
  }
  return out;
}

/** part / whole as a float; exact division for safe integers, scaled bigint division beyond. */
function ratio(part: bigint, whole: bigint): number {
  if (whole === 0n) return 0;
  if (whole <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(part) / Number(whole);
  return Number((part * 1_000_000_000n) / whole) / 1_000_000_000;
}

/**
 * Explains a whole pool: where its ranges come from, what is excluded / reserved / the gateway,
 * and (with an index) usage, free ranges, the largest free block and fragmentation.
 */
export function explainPool(
  layout: PoolLayout,
  index?: AllocationIndex,
  options: { limit?: number } = {},
): PoolExplanation {
  const limit = options.limit ?? 10_000;
  const addressRefs = sourced(layout.union, layout.addressEntries);
  const addresses: SourcedRange[] = layout.union.ranges.map((r, i) => {
    const info = rangeInfo(r);
    return { from: info.from, to: info.to, size: info.size, entries: addressRefs[i] ?? [] };
  });

  // Size of each excluded range inside the pool: one sweep over (excluded ∩ union).
  const exclRanges = layout.excluded.ranges;
  const exclRefs = sourced(layout.excluded, layout.excludedEntries);
  const inPool: (bigint | undefined)[] = [];
  for (const piece of layout.excluded.intersection(layout.union).ranges) {
    const i = findRange(exclRanges, piece.family, piece.from);
    if (i >= 0) inPool[i] = (inPool[i] ?? 0n) + piece.to - piece.from + 1n;
  }
  const excluded: ExcludedRange[] = exclRanges.map((r, i) => {
    const info = rangeInfo(r);
    return {
      from: info.from,
      to: info.to,
      size: info.size,
      entries: exclRefs[i] ?? [],
      inPool: inPool[i] ?? 0n,
    };
  });

  const counts: PoolCounts = index?.counts() ?? {
    total: layout.total,
    used: 0n,
    allocated: 0n,
    free: layout.total,
    outOfRange: 0n,
  };
  const allocatable = layout.allocatable.ranges.slice(0, limit).map(rangeInfo);
  // Without an index the free ranges ARE the allocatable ranges: reuse their texts.
  const reuse = index === undefined;
  const freeSource: Iterable<IPRange> = index?.freeRanges() ?? layout.allocatable.ranges;
  const ranges: RangeInfo[] = [];
  let rangeCount = 0;
  let largest: IPRange | undefined;
  let largestSpan = -1n;
  let largestInfo: RangeInfo | undefined;
  for (const r of freeSource) {
    rangeCount++;
    const kept = ranges.length < limit;
    let info: RangeInfo | undefined;
    if (kept) {
      const done = reuse ? allocatable[ranges.length] : undefined;
      info = done === undefined ? rangeInfo(r) : copyInfo(done);
      ranges.push(info);
    }
    const span = r.to - r.from;
    if (span > largestSpan) {
      largest = r;
      largestSpan = span;
      largestInfo = info;
    }
  }
  const largestSize = largest === undefined ? 0n : largestSpan + 1n;

  return {
    family: layout.family,
    prefix: layout.spec.prefix,
    subnet: layout.subnet === undefined ? undefined : formatPrefix(layout.subnet),
    allocateReservedIPAddresses: layout.spec.allocateReservedIPAddresses === true,
    gateway:
      layout.gateway === undefined
        ? undefined
        : {
            address: formatAddr(layout.gateway),
            input: layout.spec.gateway ?? '',
            inPool: layout.union.contains(layout.gateway),
          },
    addresses,
    excluded,
    reserved: layout.reserved.map((r) => ({
      address: formatAddr(r.addr),
      kind: r.kind,
      subnet: formatPrefix(r.subnet),
      inPool: layout.union.contains(r.addr),
    })),
    allocatable,
    counts,
    free: {
      ranges,
      rangeCount,
      truncated: rangeCount > ranges.length,
      largest:
        largest === undefined
          ? undefined
          : largestInfo === undefined
            ? rangeInfo(largest)
            : copyInfo(largestInfo),
      fragmentation: counts.free === 0n ? 0 : 1 - ratio(largestSize, counts.free),
    },
    outOfRange: (index?.outOfRange() ?? []).map((o) => ({ address: formatAddr(o.addr), holders: o.holders })),
  };
}
