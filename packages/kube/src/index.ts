// Public surface of @ipam-in-cluster/kube: the one wrapper around @kubernetes/client-node.
export { KubeClient } from './client.js';
export type { PoolByKind } from './client.js';
export type { CoreEvent, EventType, Lease, Namespace, ObjectReference, Secret } from './core-types.js';
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
  KubeObject,
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
  resourcePath,
  SecretResource,
} from './resources.js';
export type { PathParts, ResourceDescriptor } from './resources.js';
export { ContentType, KubeTransport } from './transport.js';
export type { Method, RequestOptions, ResponseStream, TransportOptions } from './transport.js';
