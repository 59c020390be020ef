// Public API of @ipam-in-cluster/allocator: pure IP arithmetic, named exports only.
export {
  IPV4_BITS,
  IPV4_MAX,
  IPV6_BITS,
  IPV6_MAX,
  addrFrom,
  bitLength,
  compareAddr,
  equalAddr,
  ipv4,
  ipv6,
  isIPv4Mapped,
  maxValue,
  nextAddr,
  prevAddr,
  type Addr,
  type Family,
} from './address.js';
export { AllocationIndex, type MarkOutcome, type ReleaseOutcome } from './allocator-index.js';
export { MAX_INT64, capInt64, toStatusCounts, type PoolCounts, type StatusCounts } from './counts.js';
export {
  explainAddress,
  explainPool,
  rangeInfo,
  type AddressExplanation,
  type AddressVerdict,
  type EntryRef,
  type ExcludedRange,
  type PoolExplanation,
  type RangeInfo,
  type Reason,
  type ReasonCode,
  type SourcedRange,
} from './explain.js';
export { formatAddr, formatPrefix, formatRange, formatRangeList, goQuote } from './format.js';
export { IPSet, IPSetBuilder } from './ipset.js';
export { isRecord, stringifyJson, toJsonValue, type JsonValue } from './json.js';
export {
  buildPoolLayout,
  inferSubnet,
  reservedAddresses,
  type IPPoolSpec,
  type PoolLayout,
  type ReservedAddress,
  type ReservedKind,
} from './layout.js';
export {
  holdingKey,
  poolModel,
  unlaidAssessment,
  unlaidCounts,
  type Assessment,
  type Holding,
  type HoldingState,
  type IPPoolModel,
  type NextAllocation,
  type PoolModel,
  type PoolSpecInput,
  type PoolTracker,
  type PoolType,
  type PrefixPoolModel,
} from './pool-model.js';
export { occupancy, type OccupancyBlock, type OccupancyMap, type OccupancyOptions } from './occupancy.js';
export {
  parseAddr,
  parseAddressEntry,
  parseAddressList,
  parsePrefix,
  parseRange,
  type AddressEntry,
  type EntryKind,
  type IndexedEntry,
  type ParsedEntryList,
} from './parse.js';
export {
  equalPrefix,
  isMasked,
  maskPrefix,
  prefixContains,
  prefixFrom,
  prefixSize,
  rangeOfPrefix,
  rangeToPrefixes,
  type Prefix,
} from './prefix.js';
export {
  DEFAULT_ALLOCATION_PREFIX_LENGTH,
  buildPrefixPoolLayout,
  checkPrefixAllocatable,
  effectiveAllocationPrefixLength,
  nextFreePrefix,
  parsePrefixInUse,
  prefixIsAllocatable,
  prefixPoolCounts,
  type PrefixInUse,
  type PrefixPoolLayout,
  type PrefixPoolSpec,
} from './prefix-pool.js';
export {
  compareRange,
  equalRange,
  rangeContains,
  rangeCovers,
  rangeFirst,
  rangeFrom,
  rangeLast,
  rangeOfAddr,
  rangeSize,
  rangesOverlap,
  type IPRange,
} from './range.js';
export {
  InvariantError,
  allocatorError,
  err,
  invariant,
  ok,
  unreachable,
  type AllocatorError,
  type AllocatorErrorCode,
  type Err,
  type Ok,
  type Result,
} from './result.js';
export {
  WARN_GATEWAY_IN_PREFIXES,
  WARN_PREFIX_LENGTH_128,
  checkIPPoolUpdate,
  checkPrefixPoolUpdate,
  ipPoolUpdateRejection,
  outOfRangeAllocations,
  validateIPPoolSpec,
  validatePrefixPoolSpec,
  type FieldError,
  type IPPoolSpecInput,
  type PrefixPoolUpdateCheck,
  type PrefixPoolValidation,
} from './validate.js';
