// Pure decisions of the pool reconciler: the status counts and the pool conditions.
import { capInt64, type PoolCounts } from '@ipam-in-cluster/allocator';
import {
  ConditionType,
  ExhaustedReason,
  HighUtilizationReason,
  PoolReadyReason,
  type ConditionUpdate,
  type PoolAddressCounts,
} from '@ipam-in-cluster/api';

/** status.ipAddresses: exact bigints capped at 2^63-1 (written as exact JSON integers). */
export interface StatusCounts {
  total: bigint;
  used: bigint;
  free: bigint;
  outOfRange: bigint;
}

export function statusCounts(c: PoolCounts): StatusCounts {
  return {
    total: capInt64(c.total),
    used: capInt64(c.used),
    free: capInt64(c.free),
    outOfRange: capInt64(c.outOfRange),
  };
}

function big(n: number | bigint | undefined): bigint | undefined {
  if (n === undefined) return undefined;
  return typeof n === 'bigint' ? n : Number.isSafeInteger(n) ? BigInt(n) : undefined;
}

export function sameCounts(a: PoolAddressCounts | undefined, b: StatusCounts): boolean {
  if (a === undefined) return false;
  return (
    big(a.total) === b.total &&
    big(a.used) === b.used &&
    big(a.free) === b.free &&
    big(a.outOfRange) === b.outOfRange
  );
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
  }
  return out;
}
