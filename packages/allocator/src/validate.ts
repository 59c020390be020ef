/**
 * Pool spec validation with upstream's exact messages (upstream-behaviour §11.2, §11.4), every
 * problem at once. Paths carry the entry index (`spec.addresses[2]`) — our improvement; the
 * messages are upstream's word for word. Also the update checks that protect allocations.
 */
import type { Addr, Family } from './address.js';
import { formatRangeList } from './format.js';
import { IPSet, IPSetBuilder } from './ipset.js';
import { buildPoolLayout, inferSubnet, type IPPoolSpec, type PoolLayout } from './layout.js';
import { parseAddr, parseAddressEntry, parsePrefix } from './parse.js';
import { isMasked, rangeOfPrefix } from './prefix.js';
import {
  buildPrefixPoolLayout,
  effectiveAllocationPrefixLength,
  prefixIsAllocatable,
  type PrefixInUse,
  type PrefixPoolLayout,
  type PrefixPoolSpec,
} from './prefix-pool.js';
import type { IPRange } from './range.js';
import { ok, type Result } from './result.js';

/** One validation problem (Kubernetes field.Invalid). */
export interface FieldError {
  /** `spec.addresses[2]`, `spec.gateway`, … */
  readonly path: string;
  /** The offending value as written. */
  readonly value: string | number | readonly string[];
  /** Upstream's message, exactly. */
  readonly message: string;
  /** Why, in more detail (e.g. the parser's message), where upstream only says "invalid". */
  readonly detail?: string;
}

/** IP pool spec as validated (the layout fields plus the grace period). */
export interface IPPoolSpecInput extends IPPoolSpec {
  readonly addressReuseGracePeriodSeconds?: number | undefined;
}

function fieldError(path: string, value: FieldError['value'], message: string, detail?: string): FieldError {
  return detail === undefined ? { path, value, message } : { path, value, message, detail };
}

const NOT_VALID_ENTRY = 'provided address is not a valid IP, range, nor CIDR';
const MIXED = 'provided addresses are of mixed IP families';

/** Parses a list, reporting bad entries; returns the families seen and each valid entry's range. */
function checkEntries(
  list: readonly string[],
  field: string,
  message: string,
  errors: FieldError[],
): { families: Set<Family>; ranges: (IPRange | undefined)[] } {
  const families = new Set<Family>();
  const ranges = list.map((entry, i) => {
    const r = parseAddressEntry(entry);
    if (!r.ok) {
      errors.push(fieldError(`${field}[${i}]`, entry, message, r.error.message));
      return undefined;
    }
    families.add(r.value.range.family);
    return r.value.range;
  });
  return { families, ranges };
}

/** Validates an IP pool spec (create and update), in upstream's order; [] when valid. */
export function validateIPPoolSpec(spec: IPPoolSpecInput): FieldError[] {
  const errors: FieldError[] = [];
  const excludedList = spec.excludedAddresses ?? [];
  if (spec.addresses.length === 0)
    errors.push(fieldError('spec.addresses', spec.addresses, 'addresses is required'));
  if (!Number.isInteger(spec.prefix) || spec.prefix < 0)
    errors.push(fieldError('spec.prefix', spec.prefix, 'a valid prefix is required'));

  const addrs = checkEntries(spec.addresses, 'spec.addresses', NOT_VALID_ENTRY, errors);
  if (addrs.families.size > 1) errors.push(fieldError('spec.addresses', spec.addresses, MIXED));

  if (spec.gateway !== undefined && spec.gateway !== '') {
    const g = parseAddr(spec.gateway);
    if (!g.ok) errors.push(fieldError('spec.gateway', spec.gateway, g.error.message));
    else if ([...addrs.families].some((f) => f !== g.value.family)) {
      errors.push(
        fieldError('spec.gateway', spec.gateway, 'provided gateway and addresses are of mixed IP families'),
      );
    }
  }

  const excl = checkEntries(excludedList, 'spec.excludedAddresses', NOT_VALID_ENTRY, errors);
  if (excl.families.size > 1) errors.push(fieldError('spec.excludedAddresses', excludedList, MIXED));
  const crossMixed = [...addrs.families].some((f) => [...excl.families].some((g) => g !== f));
  if (crossMixed)
    errors.push(
      fieldError(
        'spec.excludedAddresses',
        excludedList,
        'addresses and excluded addresses are of mixed IP families',
      ),
    );

  const grace = spec.addressReuseGracePeriodSeconds;
  if (grace !== undefined && grace < 0) {
    errors.push(
      fieldError(
        'spec.addressReuseGracePeriodSeconds',
        grace,
        'addressReuseGracePeriodSeconds must not be negative',
      ),
    );
  }

  if (errors.length > 0) return errors;

  // Only for an otherwise valid spec: every entry must lie in (lowest address)/prefix.
  const lowest = IPSet.fromRanges(addrs.ranges.filter((r) => r !== undefined)).first();
  if (lowest === undefined) return errors;
  const subnet = inferSubnet(lowest, spec.prefix);
  if (subnet === undefined) return [fieldError('spec.prefix', spec.prefix, 'provided prefix is not valid')];
  const net = rangeOfPrefix(subnet);
  addrs.ranges.forEach((r, i) => {
    if (r !== undefined && !(r.family === net.family && r.from >= net.from && r.to <= net.to)) {
      errors.push(
        fieldError(
          `spec.addresses[${i}]`,
          spec.addresses[i] ?? '',
          'provided address belongs to a different subnet than others',
        ),
      );
    }
  });
  return errors;
}

/** Distinct in-use addresses that `layout` does not make allocatable, as merged ranges. */
export function outOfRangeAllocations(layout: PoolLayout, inUse: readonly Addr[]): IPRange[] {
  const b = new IPSetBuilder();
  for (const a of inUse) b.add(a);
  return b.build().difference(layout.allocatable).ranges.slice();
}

/**
 * Update check: which allocated addresses the NEW spec would leave outside its allocatable set
 * (upstream: only single, parsable addresses count; others are ignored). Empty when the update
 * may proceed. Fails only when the new spec has no layout (validate it first).
 */
export function checkIPPoolUpdate(newSpec: IPPoolSpec, allocated: readonly string[]): Result<IPRange[]> {
  const layout = buildPoolLayout(newSpec);
  if (!layout.ok) return layout;
  const addrs: Addr[] = [];
  for (const s of allocated) {
    const a = parseAddr(s);
    if (a.ok) addrs.push(a.value);
  }
  return ok(outOfRangeAllocations(layout.value, addrs));
}

/** Upstream's BadRequest text for a rejected update: `pool addresses do not contain allocated addresses: [a-b …]`. */
export function ipPoolUpdateRejection(outside: readonly IPRange[]): string {
  return `pool addresses do not contain allocated addresses: ${formatRangeList(outside)}`;
}

/** Result of validating a prefix pool: field errors, and the admission warnings when valid. */
export interface PrefixPoolValidation {
  readonly errors: FieldError[];
  readonly warnings: string[];
}

export const WARN_PREFIX_LENGTH_128 =
  'spec.allocationPrefixLength=128 behaves like host-address allocation; consider InClusterIPPool for single-address semantics';
export const WARN_GATEWAY_IN_PREFIXES =
  'spec.gateway is within spec.prefixes and is not reserved; with /128 allocationPrefixLength it may also be allocated to claims';

/** Validates a prefix pool spec (create and update), in upstream's order. */
export function validatePrefixPoolSpec(spec: PrefixPoolSpec): PrefixPoolValidation {
  const errors: FieldError[] = [];
  if (spec.prefixes.length === 0)
    return { errors: [fieldError('spec.prefixes', spec.prefixes, 'prefixes is required')], warnings: [] };
  const allocLen = effectiveAllocationPrefixLength(spec.allocationPrefixLength);
  if (!Number.isInteger(allocLen) || allocLen < 1 || allocLen > 128) {
    return {
      errors: [
        fieldError(
          'spec.allocationPrefixLength',
          allocLen,
          'allocationPrefixLength must be between 1 and 128',
        ),
      ],
      warnings: [],
    };
  }
  const pool = new IPSetBuilder();
  spec.prefixes.forEach((entry, i) => {
    const path = `spec.prefixes[${i}]`;
    const p = parsePrefix(entry);
    if (!p.ok) {
      errors.push(fieldError(path, entry, 'provided entry is not a valid IPv6 CIDR', p.error.message));
      return;
    }
    if (p.value.family === 4) {
      errors.push(fieldError(path, entry, 'only IPv6 prefixes are supported'));
      return;
    }
    if (!isMasked(p.value)) errors.push(fieldError(path, entry, 'CIDR must be network-aligned'));
    if (p.value.bits > allocLen)
      errors.push(
        fieldError(path, entry, `CIDR prefix length must be <= allocationPrefixLength (${allocLen})`),
      );
    pool.addPrefix(p.value);
  });
  let gateway: Addr | undefined;
  if (spec.gateway !== undefined && spec.gateway !== '') {
    const g = parseAddr(spec.gateway);
    if (!g.ok) errors.push(fieldError('spec.gateway', spec.gateway, g.error.message));
    else if (g.value.family !== 6)
      errors.push(fieldError('spec.gateway', spec.gateway, 'provided gateway must be IPv6'));
    else gateway = g.value;
  }
  (spec.excludedPrefixes ?? []).forEach((entry, i) => {
    const path = `spec.excludedPrefixes[${i}]`;
    const r = parseAddressEntry(entry);
    if (!r.ok)
      errors.push(
        fieldError(path, entry, 'provided entry is not a valid IP, range, nor CIDR', r.error.message),
      );
    else if (r.value.range.family === 4)
      errors.push(fieldError(path, entry, 'only IPv6 excluded prefixes are supported'));
  });
  if (errors.length > 0) return { errors, warnings: [] };
  const warnings: string[] = [];
  if (allocLen === 128) {
    warnings.push(WARN_PREFIX_LENGTH_128);
    if (gateway !== undefined && pool.build().contains(gateway)) warnings.push(WARN_GATEWAY_IN_PREFIXES);
  }
  return { errors, warnings };
}

/** Outcome of the prefix pool update check. */
export interface PrefixPoolUpdateCheck {
  /** The effective allocationPrefixLength changed (it is immutable). */
  readonly allocationPrefixLengthChanged: boolean;
  /** `spec.address` of every allocation the new spec cannot hold, sorted. */
  readonly nonAllocatable: readonly string[];
  /** Upstream's BadRequest text when the update must be rejected. */
  readonly rejection: string | undefined;
}

/** Update check for prefix pools (§11.4): immutable length, then every allocation must stay allocatable. */
export function checkPrefixPoolUpdate(
  oldSpec: PrefixPoolSpec,
  newSpec: PrefixPoolSpec | PrefixPoolLayout,
  inUse: readonly PrefixInUse[],
): PrefixPoolUpdateCheck {
  const newer = 'slots' in newSpec ? newSpec : undefined;
  const spec = newer?.spec ?? (newSpec as PrefixPoolSpec);
  if (
    effectiveAllocationPrefixLength(oldSpec.allocationPrefixLength) !==
    effectiveAllocationPrefixLength(spec.allocationPrefixLength)
  ) {
    return {
      allocationPrefixLengthChanged: true,
      nonAllocatable: [],
      rejection: 'spec.allocationPrefixLength is immutable',
    };
  }
  // Laid out once, not once per allocation.
  const built = newer === undefined ? buildPrefixPoolLayout(spec) : ok(newer);
  const bad = inUse.filter((u) => !built.ok || !prefixIsAllocatable(built.value, u)).map((u) => u.address);
  // Go's sort.Strings orders by bytes; for these ASCII strings that is code-unit order.
  bad.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return {
    allocationPrefixLengthChanged: false,
    nonAllocatable: bad,
    rejection: bad.length > 0 ? `existing allocations become non-allocatable: [${bad.join(' ')}]` : undefined,
  };
}
