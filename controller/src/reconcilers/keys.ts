// Queue keys and pool identities. A claim key is `namespace/name`; a pool key is
// `Kind/namespace/name` with an empty namespace for the cluster-scoped (global) kinds, so a
// namespaced and a global pool of the same name never share state.
import {
  IPAM_GROUP,
  isPoolKind,
  POOL_KIND_INFO,
  type PoolKind,
  type PoolReference,
} from '@ipam-in-cluster/api';

export interface PoolId {
  readonly kind: PoolKind;
  /** '' for global kinds. */
  readonly namespace: string;
  readonly name: string;
}

export function poolKey(id: PoolId): string {
  return `${id.kind}/${id.namespace}/${id.name}`;
}

export function parsePoolKey(key: string): PoolId | undefined {
  const [kind, namespace, ...rest] = key.split('/');
  const name = rest.join('/');
  if (kind === undefined || namespace === undefined || name === '' || !isPoolKind(kind)) return undefined;
  return { kind, namespace, name };
}

/**
 * The pool a reference points at, seen from an object in `namespace` (a claim or an IPAddress):
 * namespaced kinds live in that namespace, global kinds have none. Undefined for references that
 * are not ours (group must be exactly ipam.cluster.x-k8s.io, kind one of the four).
 */
export function poolIdFromRef(ref: PoolReference, namespace: string | undefined): PoolId | undefined {
  if (ref.apiGroup !== IPAM_GROUP || !isPoolKind(ref.kind)) return undefined;
  const namespaced = POOL_KIND_INFO[ref.kind].namespaced;
  return { kind: ref.kind, namespace: namespaced ? (namespace ?? '') : '', name: ref.name };
}

export function splitObjectKey(key: string): { namespace: string | undefined; name: string } {
  const slash = key.indexOf('/');
  return slash === -1
    ? { namespace: undefined, name: key }
    : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}
