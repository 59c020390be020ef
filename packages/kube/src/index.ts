// Public surface of @ipam-in-cluster/kube: the one wrapper around @kubernetes/client-node.
export { KubeClient } from './client.js';
export type { PoolByKind } from './client.js';
export type {
  CoreEvent,
  EventType,
  KubeObject,
  Lease,
  Namespace,
  ObjectReference,
  Secret,
} from './core-types.js';
export { discoverServedResources, servedPlurals } from './discovery.js';
export type { ServedResources } from './discovery.js';
export {
  classifyApiError,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isInvalid,
  isNotFound,
  isRetriable,
  KubeStatusError,
} from './errors.js';
export type { ApiErrorKind, ClassifiedError, StatusCause } from './errors.js';
export { parseJson, stringifyJson } from './json.js';
export type { JsonObject, JsonValue } from './json.js';
export { KubeConfigError, loadKubeConfig } from './kubeconfig.js';
export type { KubeConfigSource, LoadedKubeConfig, LoadKubeConfigOptions } from './kubeconfig.js';
export { ObjectClient } from './object-client.js';
export type {
  ApplyOptions,
  DeleteOptions,
  JsonPatchOperation,
  KubeList,
  ListMeta,
  ListOptions,
  ObjectRef,
  PatchOptions,
  WriteOptions,
} from './object-client.js';
export {
  apiVersionOf,
  clusterResource,
  CustomResourceDefinitionResource,
  EventResource,
  ipAddressClaimResource,
  ipAddressResource,
  LeaseResource,
  NamespaceResource,
  poolResource,
  ReservationResource,
  resourcePath,
  SecretResource,
} from './resources.js';
export type { PathParts, ResourceDescriptor } from './resources.js';
export { ContentType, KubeTransport } from './transport.js';
export type { Method, RequestOptions, ResponseStream, TransportOptions } from './transport.js';
export { Backoff } from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { compactObject, Informer, releaseSharedValueTables, stripManagedFields } from './informer.js';
export { StringInterner } from './intern.js';
export {
  INITIAL_EVENTS_END_ANNOTATION,
  serverKnowsStreamingLists,
  serverStreamsLists,
  streamList,
} from './streaming-list.js';
export type { StreamingListOptions, StreamingListRefusal } from './streaming-list.js';
export type { StringInternerOptions } from './intern.js';
export type {
  AddHandler,
  DeleteHandler,
  InformerHooks,
  InformerOptions,
  RelistReason,
  RestartReason,
  UpdateHandler,
  WatchEventType,
} from './informer.js';
export {
  INDEX_CLUSTER_NAME,
  INDEX_POOL_REF,
  ipAddressByPoolRef,
  ipAddressClaimByClusterName,
  ipAddressClaimByPoolRef,
  poolRefIndexValue,
} from './indexers.js';
export { compareResourceVersions, IndexedStore, keyOf, objectKey } from './store.js';
export type { IndexFunc } from './store.js';
export { LeaderElector, sameLeaseRecord, validateLeaderElectionTimings } from './leader-election.js';
export type { LeaderElectionOptions } from './leader-election.js';
export { EventAggregator, eventAggregationKey, EventLimiter, EventRecorder } from './events.js';
export type {
  AggregatedEvent,
  EventLimit,
  EventLimiterOptions,
  EventRecorderOptions,
  InvolvedObject,
} from './events.js';
export { formatMicroTime, parseMicroTime } from './microtime.js';
export { TokenBucket } from './rate-limit.js';
export { sleep } from './sleep.js';
export { reviewAccess, reviewToken } from './reviews.js';
export type { AccessAttributes, AccessReviewResult, ReviewedUser, TokenReviewResult } from './reviews.js';
