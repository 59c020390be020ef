// Where each kind lives in the API: group, version, plural, scope. Names come from @ipam-in-cluster/api;
// the core kinds (Lease, Event, Namespace, Secret, CRD) are defined here because api has no business
// knowing them.
import {
  CLUSTER_API_GROUP,
  CLUSTER_KIND,
  CLUSTER_PLURAL,
  IPADDRESS_CLAIM_KIND,
  IPADDRESS_CLAIM_PLURAL,
  IPADDRESS_KIND,
  IPADDRESS_PLURAL,
  IPAM_GROUP,
  OWN_GROUP,
  POOL_KIND_INFO,
  POOL_VERSION,
  RESERVATION_KIND,
  RESERVATION_PLURAL,
  RESERVATION_VERSION,
  type ContractVersion,
  type PoolKind,
} from '@ipam-in-cluster/api';

export interface ResourceDescriptor {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

export function apiVersionOf(resource: ResourceDescriptor): string {
  return resource.group === '' ? resource.version : `${resource.group}/${resource.version}`;
}

export interface PathParts {
  namespace?: string | undefined;
  name?: string | undefined;
  subresource?: 'status' | undefined;
}

/** The REST path of a collection or object; a namespaced kind without namespace means all namespaces. */
export function resourcePath(resource: ResourceDescriptor, parts: PathParts = {}): string {
  const root =
    resource.group === '' ? `/api/${resource.version}` : `/apis/${resource.group}/${resource.version}`;
  let path = root;
  if (resource.namespaced && parts.namespace !== undefined) {
    path += `/namespaces/${encodeURIComponent(parts.namespace)}`;
  }
  path += `/${resource.plural}`;
  if (parts.name !== undefined) path += `/${encodeURIComponent(parts.name)}`;
  if (parts.subresource !== undefined) path += `/${parts.subresource}`;
  return path;
}

export function poolResource(kind: PoolKind): ResourceDescriptor {
  const info = POOL_KIND_INFO[kind];
  return { group: IPAM_GROUP, version: POOL_VERSION, kind, plural: info.plural, namespaced: info.namespaced };
}

/** IPAddressClaim in the contract version chosen at start-up (v1beta2 or v1beta1). */
export function ipAddressClaimResource(version: ContractVersion): ResourceDescriptor {
  return {
    group: IPAM_GROUP,
    version,
    kind: IPADDRESS_CLAIM_KIND,
    plural: IPADDRESS_CLAIM_PLURAL,
    namespaced: true,
  };
}

/** IPAddress in the contract version chosen at start-up (v1beta2 or v1beta1). */
export function ipAddressResource(version: ContractVersion): ResourceDescriptor {
  return { group: IPAM_GROUP, version, kind: IPADDRESS_KIND, plural: IPADDRESS_PLURAL, namespaced: true };
}

/** Cluster in the same version as the contract (every Cluster API release pairs them). */
export function clusterResource(version: ContractVersion): ResourceDescriptor {
  return { group: CLUSTER_API_GROUP, version, kind: CLUSTER_KIND, plural: CLUSTER_PLURAL, namespaced: true };
}

/** Our IPAddressReservation (ipam-in-cluster.dev/v1alpha1, namespaced). */
export const ReservationResource: ResourceDescriptor = {
  group: OWN_GROUP,
  version: RESERVATION_VERSION,
  kind: RESERVATION_KIND,
  plural: RESERVATION_PLURAL,
  namespaced: true,
};

export const LeaseResource: ResourceDescriptor = {
  group: 'coordination.k8s.io',
  version: 'v1',
  kind: 'Lease',
  plural: 'leases',
  namespaced: true,
};
export const EventResource: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Event',
  plural: 'events',
  namespaced: true,
};
export const NamespaceResource: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Namespace',
  plural: 'namespaces',
  namespaced: false,
};
export const SecretResource: ResourceDescriptor = {
  group: '',
  version: 'v1',
  kind: 'Secret',
  plural: 'secrets',
  namespaced: true,
};
export const CustomResourceDefinitionResource: ResourceDescriptor = {
  group: 'apiextensions.k8s.io',
  version: 'v1',
  kind: 'CustomResourceDefinition',
  plural: 'customresourcedefinitions',
  namespaced: false,
};
