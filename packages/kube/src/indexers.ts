// The cache indexes the controller needs, matching the upstream provider's field indexes: `index.poolRef`
// on IPAddress and IPAddressClaim (`<group>/<kind>/<name>`, an empty group read as ipam.cluster.x-k8s.io)
// and `clusterName` on IPAddressClaim (spec.clusterName, else the cluster-name label). Work on both
// contract versions (v1beta1 poolRef.apiGroup is optional). Values carry no namespace, as upstream;
// narrow with the namespace argument of byIndex (namespaced pools, Cluster lookups).
import {
  IPAM_GROUP,
  LABEL_CLUSTER_NAME,
  type IPAddressClaimWire,
  type IPAddressWire,
} from '@ipam-in-cluster/api';
import type { IndexFunc } from './store.js';

export const INDEX_POOL_REF = 'index.poolRef';
export const INDEX_CLUSTER_NAME = 'clusterName';

/** The index value for a pool reference. */
export function poolRefIndexValue(ref: {
  apiGroup?: string | undefined;
  kind: string;
  name: string;
}): string {
  const group = ref.apiGroup === undefined || ref.apiGroup === '' ? IPAM_GROUP : ref.apiGroup;
  return `${group}/${ref.kind}/${ref.name}`;
}

export const ipAddressByPoolRef: IndexFunc<IPAddressWire> = (address) => [
  poolRefIndexValue(address.spec.poolRef),
];

export const ipAddressClaimByPoolRef: IndexFunc<IPAddressClaimWire> = (claim) => [
  poolRefIndexValue(claim.spec.poolRef),
];

export const ipAddressClaimByClusterName: IndexFunc<IPAddressClaimWire> = (claim) => {
  const name = claim.spec.clusterName ?? claim.metadata.labels?.[LABEL_CLUSTER_NAME];
  return name === undefined || name === '' ? [] : [name];
};
