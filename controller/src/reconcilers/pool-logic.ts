// Pure decisions of the pool reconciler: the status counts, duplicate addresses and the pool conditions.
import { holdingKey, type PoolCounts, type StatusCounts } from '@ipam-in-cluster/allocator';
import {
  ConditionType,
  DuplicateAddressesReason,
  ExhaustedReason,
  HighUtilizationReason,
  PoolReadyReason,
  quarantineOf,
  type ConditionUpdate,
  type ObjectMeta,
  type Pool,
  type PoolAddressCounts,
} from '@ipam-in-cluster/api';

function big(n: number | bigint | undefined): bigint | undefined {
  if (n === undefined) return undefined;
  return typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : undefined;
}

export function sameCounts(
  a: PoolAddressCounts | undefined,
  b: StatusCounts & { readonly quarantined?: bigint; readonly reserved?: bigint },
): boolean {
  if (a === undefined) return false;
  return (
    big(a.total) === b.total &&
    big(a.used) === b.used &&
    big(a.free) === b.free &&
    big(a.outOfRange) === b.outOfRange &&
    big(a.quarantined) === b.quarantined &&
    // `reserved` (IP pools, docs/adr/0030-reservations.md): absent reads as 0.
    big(a.reserved ?? 0) === (b.reserved ?? 0n)
  );
}

/**
 * status.ipAddresses.quarantined of an IP pool: its claims being deleted whose IPAddress is still
 * held for the reuse grace period (quarantineOf; counted in used too). 0 without a grace period;
 * the claims are read only when there is one.
 */
export function quarantinedCount(
  pool: Pool,
  claims: () => Iterable<{ readonly metadata: ObjectMeta }>,
  hasAddress: (namespace: string, name: string) => boolean,
): bigint {
  const grace = (pool.spec as { addressReuseGracePeriodSeconds?: number }).addressReuseGracePeriodSeconds;
  if (grace === undefined || grace <= 0) return 0n;
  let n = 0n;
  for (const claim of claims()) {
    if (
      quarantineOf(pool, claim) !== undefined &&
      hasAddress(claim.metadata.namespace ?? '', claim.metadata.name ?? '')
    )
      n++;
  }
  return n;
}

/**
 * Duplicate addresses: two or more IPAddresses of one pool holding the same address (IP pools:
 * the same address in canonical form; prefix pools: the same masked prefix). The controller never
 * makes them; they come from hand-made IPAddresses or another tool.
 *
 * How they count (decided here, tested in pool-logic.test.ts and controller-duplicates):
 * - `used` counts IPAddress objects, so a shared address counts once per holder. That is
 *   upstream's definition (used = number of IPAddresses referencing the pool), and the number
 *   the ProtectPool finalizer and `kubectl get ipaddresses` agree with.
 * - `free` = allocatable addresses that no IPAddress holds, so a shared address takes one slot,
 *   not two: free stays exactly what can still be handed out. With duplicates, used + free can
 *   therefore exceed total by the extra holders; the DuplicateAddresses condition says why.
 * - The address is in use while any holder remains (the allocation index counts holders), so
 *   the allocator never hands it out, not even after one of the holders is deleted.
 */
export interface DuplicateAddress {
  /** Canonical address (IP pools) or masked prefix `addr/len` (prefix pools). */
  address: string;
  /** Keys (`namespace/name`) of the IPAddresses holding it, sorted. */
  holders: string[];
}

/** One IPAddress of a pool, as far as duplicate detection needs it. */
export interface HeldAddress {
  key: string;
  address: string;
  prefix: number | undefined;
}

/**
 * Whether the pool's counts allow a duplicate, so the O(n) scan runs only when there may be one.
 * IP pools, exactly: used = holders (+ unparsable ones), allocated = distinct in-layout addresses
 * held, outOfRange = distinct addresses outside, so any extra holder makes the difference
 * positive. Prefix pools count out-of-range holders, not distinct prefixes, so the difference
 * misses shared out-of-range prefixes: always scan (their counts are O(n) already).
 */
export function mayHaveDuplicates(
  c: PoolCounts & { invalid: readonly string[] },
  family: 'ip' | 'prefix',
): boolean {
  if (family === 'prefix') return c.used > 1n;
  return c.used - BigInt(c.invalid.length) - c.allocated - c.outOfRange > 0n;
}

/** The addresses held by more than one IPAddress, in address-text order. Unparsable ones are skipped. */
export function findDuplicates(held: Iterable<HeldAddress>, family: 'ip' | 'prefix'): DuplicateAddress[] {
  const byAddress = new Map<string, string[]>();
  for (const h of held) {
    const canonical = holdingKey(family, h);
    if (canonical === undefined) continue;
    const keys = byAddress.get(canonical);
    if (keys === undefined) byAddress.set(canonical, [h.key]);
    else keys.push(h.key);
  }
  const out: DuplicateAddress[] = [];
  for (const [address, keys] of byAddress) {
    const holders = [...new Set(keys)].sort();
    if (holders.length > 1) out.push({ address, holders });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : 1));
}

const LIST_LIMIT = 5;

function listed(items: readonly string[]): string {
  const shown = items.slice(0, LIST_LIMIT).join(', ');
  return items.length > LIST_LIMIT ? `${shown}, ... (${items.length - LIST_LIMIT} more)` : shown;
}

/** The DuplicateAddresses message: every shared address (up to 5) with the IPAddresses holding it. */
export function duplicatesMessage(
  duplicates: readonly DuplicateAddress[],
  unit: 'address' | 'prefix',
): string {
  if (duplicates.length === 0) return '';
  const parts = duplicates.map((d) => `${d.address} held by IPAddresses ${listed(d.holders)}`);
  const shown = parts.slice(0, LIST_LIMIT).join('; ');
  const more = parts.length > LIST_LIMIT ? `; ... (${parts.length - LIST_LIMIT} more)` : '';
  return `${duplicates.length} ${unit}(es) held by more than one IPAddress: ${shown}${more}; used counts every IPAddress, free counts the ${unit} once, and it is not handed out while any of them remains`;
}

/** Percentage of allocatable addresses in use, for the HighUtilization condition (0 when total is 0). */
export function utilisationAtLeast(c: PoolCounts, thresholdPercent: number): boolean {
  if (c.total <= 0n) return false;
  const inUse = c.total - c.free;
  return inUse * 100n >= BigInt(Math.ceil(thresholdPercent)) * c.total;
}

export interface PoolConditionInput {
  /** undefined when valid. */
  specError: string | undefined;
  deleting: boolean;
  /** References still held (IPAddresses, plus reservations) while deleting. */
  references: number;
  counts: PoolCounts | undefined;
  invalidAddresses: readonly string[];
  /** Addresses held by more than one IPAddress ({@link findDuplicates}). */
  duplicates: readonly DuplicateAddress[];
  thresholdPercent: number;
  unit: 'address' | 'prefix';
  generation: number | undefined;
}

export function poolConditions(input: PoolConditionInput): ConditionUpdate[] {
  const gen = input.generation === undefined ? {} : { observedGeneration: input.generation };
  const out: ConditionUpdate[] = [];
  const invalidNote =
    input.invalidAddresses.length === 0
      ? ''
      : `${input.invalidAddresses.length} IPAddress(es) with an unparsable address are ignored: ${input.invalidAddresses.slice(0, 5).join(', ')}${input.invalidAddresses.length > 5 ? ', ...' : ''}`;
  if (input.deleting) {
    out.push({
      type: ConditionType.Ready,
      status: 'False',
      reason: PoolReadyReason.Deleting,
      message: `the pool is being deleted; waiting for ${input.references} IPAddress(es) to be released`,
      ...gen,
    });
  } else if (input.specError !== undefined) {
    out.push({
      type: ConditionType.Ready,
      status: 'False',
      reason: PoolReadyReason.InvalidSpec,
      message: input.specError,
      ...gen,
    });
  } else {
    out.push({
      type: ConditionType.Ready,
      status: 'True',
      reason: PoolReadyReason.Valid,
      message: invalidNote,
      ...gen,
    });
  }
  const c = input.counts;
  if (c !== undefined) {
    const exhausted = c.free <= 0n;
    out.push(
      exhausted
        ? {
            type: ConditionType.Exhausted,
            status: 'True',
            reason: ExhaustedReason.NoFreeAddresses,
            message: `all ${c.total} ${input.unit}(es) are in use`,
            ...gen,
          }
        : {
            type: ConditionType.Exhausted,
            status: 'False',
            reason: ExhaustedReason.FreeAddressesAvailable,
            message: `${c.free} of ${c.total} free`,
            ...gen,
          },
    );
    const high = utilisationAtLeast(c, input.thresholdPercent);
    out.push({
      type: ConditionType.HighUtilization,
      status: high ? 'True' : 'False',
      reason: high ? HighUtilizationReason.AboveThreshold : HighUtilizationReason.BelowThreshold,
      message: `${c.total - c.free} of ${c.total} in use (threshold ${input.thresholdPercent}%)`,
      ...gen,
    });
    const dup = input.duplicates.length > 0;
    out.push({
      type: ConditionType.DuplicateAddresses,
      status: dup ? 'True' : 'False',
      reason: dup ? DuplicateAddressesReason.DuplicatesFound : DuplicateAddressesReason.NoDuplicates,
      message: duplicatesMessage(input.duplicates, input.unit),
      ...gen,
    });
  }
  return out;
}
