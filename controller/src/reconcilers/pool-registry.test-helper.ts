// Test helper: feed a PoolRegistry a pool spec under a pool key, as the pool informer would.
import type { Pool, TypedPoolSpec } from '@ipam-in-cluster/api';
import { parsePoolKey } from './keys.js';
import type { PoolRegistry } from './pool-registry.js';

/** Applies a pool with this key and spec; `ok` says whether the spec lays out (the pool has a model). */
export function setPoolSpec(registry: PoolRegistry, key: string, input: TypedPoolSpec): { ok: boolean } {
  const id = parsePoolKey(key);
  if (id === undefined) throw new Error(`not a pool key: ${key}`);
  const pool = {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: id.kind,
    metadata: { name: id.name, ...(id.namespace === '' ? {} : { namespace: id.namespace }) },
    spec: input.spec,
  } as Pool;
  registry.upsertPool(id, pool);
  return { ok: registry.isReady(key) };
}
