// Public surface of @ipam-in-cluster/api: names, types, conditions, contract mapping, CRDs.
export {
  ANNOTATION_ALLOW_OVERLAP,
  ANNOTATION_CONVERSION_DATA,
  ANNOTATION_FENCE_KEY,
  ANNOTATION_PENDING_ALLOCATIONS,
  ANNOTATION_PAUSED,
  ANNOTATION_REQUESTED_ADDRESS,
  ANNOTATION_SKIP_VALIDATE_DELETE,
  CLUSTER_API_GROUP,
  CLUSTER_KIND,
  CLUSTER_PLURAL,
  CONTRACT_LABELS,
  FINALIZER_PROTECT_ADDRESS,
  FINALIZER_PROTECT_POOL,
  FINALIZER_RELEASE_ADDRESS,
  IPADDRESS_CLAIM_KIND,
  IPADDRESS_CLAIM_PLURAL,
  IPADDRESS_KIND,
  IPADDRESS_PLURAL,
  IPAM_GROUP,
  isOurPoolRef,
  isPoolKind,
  LABEL_CLUSTER_NAME,
  LABEL_MOVE_HIERARCHY,
  LABEL_WATCH_FILTER,
  LEADER_ELECTION_ID,
  MAX_STATUS_COUNT,
  OWN_GROUP,
  POOL_API_VERSION,
  POOL_KIND_INFO,
  POOL_KINDS,
  POOL_SERVED_VERSIONS,
  POOL_VERSION,
  RESERVATION_API_VERSION,
  RESERVATION_CRD_NAME,
  RESERVATION_KIND,
  RESERVATION_PLURAL,
  RESERVATION_VERSION,
} from './constants.js';
export type { PoolKind, PoolKindInfo } from './constants.js';
export {
  ClaimEventReason,
  ClaimReadyReason,
  conditionTime,
  ConditionType,
  DEFAULT_HIGH_UTILIZATION_PERCENT,
  DuplicateAddressesReason,
  ExhaustedReason,
  findCondition,
  HighUtilizationReason,
  PausedReason,
  PoolEventReason,
  PoolReadyReason,
  setCondition,
} from './conditions.js';
export type { ConditionUpdate } from './conditions.js';
export {
  addressFromWire,
  chooseContract,
  claimFromWire,
  claimOwnerReference,
  clusterFromWire,
  CONTRACT_VERSIONS,
  contractFor,
  hasPausedAnnotation,
  poolOwnerReference,
  toLegacyCondition,
} from './contract.js';
export type {
  Address,
  AddressClaim,
  BuildIPAddressInput,
  ChooseContractResult,
  ClaimStatusPatch,
  ClaimStatusUpdate,
  ClusterInfo,
  Contract,
  ContractVersion,
  PoolIdentity,
  PoolReference,
} from './contract.js';
export { CRD_DIR, crdFileName, loadCrd, loadCrds } from './crds.js';
export type {
  CustomResourceDefinition,
  CustomResourceDefinitionVersion,
  JSONSchemaProps,
  ValidationRule,
} from './crds.js';
export type * from './types.js';
export {
  decodePoolSpec,
  isIPPool,
  isPrefixPool,
  MAX_POOL_ENTRY_LENGTH,
  MAX_POOL_LIST_ENTRIES,
  typedSpec,
  validatePool,
  validatePoolSpec,
} from './validation.js';
export type { DecodedPoolSpec, FieldError, PoolValidation, TypedPoolSpec } from './validation.js';
export {
  convertPoolObject,
  CONVERTIBLE_KINDS,
  defaultSpecV1Alpha1,
  ipPoolToV1Alpha1,
  ipPoolToV1Alpha2,
  isConvertibleKind,
  POOL_API_VERSION_V1ALPHA1,
  POOL_VERSION_V1ALPHA1,
  readSpecV1Alpha1,
  readSpecV1Alpha2,
  specToV1Alpha1,
  specToV1Alpha2,
} from './conversion.js';
export type {
  ConversionResult,
  ConvertibleKind,
  IPPoolSpecV1Alpha1,
  IPPoolV1Alpha1,
  IPPoolV1Alpha2,
} from './conversion.js';
export { formatPendingAllocations, readPendingAllocations } from './pending.js';
export type { PendingAllocation } from './pending.js';
export { quarantineIn, quarantineOf, quarantinePool, quarantineText, quarantineTime } from './quarantine.js';
export type { Quarantine, QuarantinePool } from './quarantine.js';
export { ipAddressHolder, requestedAddress, requestRefusal } from './requested.js';
export type { RequestedAddress, RequestedAddressReason, RequestRefusal } from './requested.js';
export {
  parseReservationAddresses,
  parseRfc3339,
  RESERVATION_MAX_ADDRESSES,
  RESERVATION_MAX_ENTRIES,
  RESERVATION_NOTE_MAX_LENGTH,
  RESERVATION_POOL_KINDS,
  reservationHolder,
  reservationPool,
  ReservationReason,
  reservedAddresses,
  validateReservation,
  validateReservationInPool,
} from './reservation.js';
export type {
  IPAddressReservation,
  IPAddressReservationSpec,
  IPAddressReservationStatus,
  ParsedReservation,
} from './reservation.js';
