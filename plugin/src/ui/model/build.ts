// Builds a BrowserPool from a pool spec and its IPAddress objects with the allocator. Used by
// tests and by any data source that does not already compute the view model (the data layer does).
import { parseAddr, poolModel, unlaidAssessment, type IPPoolSpec } from '@ipam-in-cluster/allocator';
import { ratio, severityOf } from '../../data/pool-summary.js';
import type { BrowserAddress, BrowserPool } from './source.js';

export interface PoolInput {
  readonly kind: 'InClusterIPPool' | 'GlobalInClusterIPPool';
  readonly namespace: string | undefined;
  readonly name: string;
  readonly spec: IPPoolSpec;
  readonly addresses: readonly BrowserAddress[];
  readonly deleting?: boolean;
  readonly paused?: boolean;
}

export function buildBrowserPool(input: PoolInput): BrowserPool {
  const global = input.kind === 'GlobalInClusterIPPool';
  const id = global ? `global/${input.name}` : `${input.namespace ?? ''}/${input.name}`;
  const laid = poolModel({ type: 'ip', spec: input.spec });
  const holdings = input.addresses.map((a) => ({ address: a.address }));
  const assessed = laid.ok ? laid.value.assess(holdings) : unlaidAssessment('ip', holdings);
  const layout = laid.ok && laid.value.type === 'ip' ? laid.value.layout : undefined;
  const index = assessed.index;
  const counts = assessed.counts;
  // The data layer's rules, so that tests see what the live browser shows.
  const utilisation = ratio(counts.total - counts.free, counts.total);
  return {
    id,
    key: { kind: input.kind, namespace: global ? undefined : input.namespace, name: input.name },
    kindShort: global ? 'global' : 'pool',
    type: 'ip',
    family: layout?.family,
    layout,
    index,
    counts,
    utilisation,
    severity: severityOf(counts, layout === undefined),
    error: laid.ok ? undefined : laid.error.message,
    deleting: input.deleting === true,
    paused: input.paused === true,
    addresses: [...input.addresses].sort((a, b) => {
      const pa = parseAddr(a.address);
      const pb = parseAddr(b.address);
      if (!pa.ok || !pb.ok) return a.address.localeCompare(b.address);
      return pa.value.value < pb.value.value ? -1 : pa.value.value > pb.value.value ? 1 : 0;
    }),
  };
}

/** A BrowserAddress for tests and simple sources. */
export function simpleAddress(
  namespace: string,
  name: string,
  address: string,
  extra: Partial<BrowserAddress> = {},
): BrowserAddress {
  return {
    namespace,
    name,
    address,
    claimName: name,
    createdAt: undefined,
    deleting: false,
    finalizers: [],
    claim: undefined,
    clusterName: undefined,
    ...extra,
  };
}
