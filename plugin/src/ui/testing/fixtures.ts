// Pools and a scriptable in-memory data source for the browser's tests (no cluster, no I/O).
import {
  buildPrefixPoolLayout,
  prefixPoolCounts,
  type IPPoolSpec,
  type PrefixPoolSpec,
} from '@ipam-in-cluster/allocator';
import { ratio, severityOf } from '../../data/pool-summary.js';
import { buildBrowserPool, simpleAddress } from '../model/build.js';
import type {
  BrowserAddress,
  BrowserDataSource,
  BrowserPool,
  BrowserScope,
  BrowserSnapshot,
  ReleaseOutcome,
  ReleaseTarget,
  SourceEvent,
} from '../model/source.js';

export const READ_AT = new Date('2026-03-01T12:00:00Z');

function held(
  namespace: string,
  name: string,
  address: string,
  machine: string,
  ageDays: number,
): BrowserAddress {
  return simpleAddress(namespace, name, address, {
    claimName: name,
    createdAt: new Date(READ_AT.getTime() - ageDays * 86_400_000),
    finalizers: ['ipam.cluster.x-k8s.io/ProtectAddress'],
    clusterName: 'capi-a',
    claim: {
      namespace,
      name,
      clusterName: 'capi-a',
      raw: { metadata: { ownerReferences: [{ kind: 'VSphereMachine', name: machine, controller: true }] } },
    },
  });
}

export const V4_SPEC: IPPoolSpec = {
  addresses: ['10.0.0.0/24'],
  prefix: 24,
  gateway: '10.0.0.1',
  excludedAddresses: ['10.0.0.2-10.0.0.9'],
};

export interface PoolSet {
  v4Addresses: BrowserAddress[];
  v6Addresses: BrowserAddress[];
  bigUsed: number;
  /** More pools after the three above (a prefix pool, pools of other namespaces). */
  extra?: BrowserPool[];
}

/** A prefix pool as the data layer builds it, from its spec and IPAddresses (with spec.prefix). */
export function prefixBrowserPool(
  namespace: string,
  name: string,
  spec: PrefixPoolSpec,
  addresses: readonly BrowserAddress[],
): BrowserPool {
  const laid = buildPrefixPoolLayout(spec);
  const layout = laid.ok ? laid.value : undefined;
  const counts =
    layout === undefined
      ? { total: 0n, used: 0n, allocated: 0n, free: 0n, outOfRange: 0n }
      : prefixPoolCounts(
          layout,
          addresses.map((a) => ({ address: a.address, prefix: a.prefix })),
        );
  return {
    id: `${namespace}/${name}`,
    key: { kind: 'InClusterPrefixPool', namespace, name },
    kindShort: 'prefix',
    type: 'prefix',
    family: 6,
    layout: undefined,
    index: undefined,
    prefixLayout: layout,
    allocationPrefixLength: layout?.allocationPrefixLength,
    counts,
    utilisation: ratio(counts.total - counts.free, counts.total),
    severity: severityOf(counts, layout === undefined),
    error: laid.ok ? undefined : laid.error.message,
    deleting: false,
    paused: false,
    addresses,
  };
}

/** capi-a/delegated: fd10::/60 in /64s, three held (one by an orphan), fd10:0:0:8::/61 excluded. */
export function delegatedPool(): BrowserPool {
  const prefix = (name: string, address: string, machine: string, orphan = false): BrowserAddress => {
    const a = held('capi-a', name, address, machine, 1);
    return { ...a, prefix: 64, ...(orphan ? { claim: undefined } : {}) };
  };
  return prefixBrowserPool(
    'capi-a',
    'delegated',
    { prefixes: ['fd10::/60'], allocationPrefixLength: 64, excludedPrefixes: ['fd10:0:0:8::/61'] },
    [
      prefix('site-a', 'fd10::', 'site-a'),
      prefix('site-b', 'fd10:0:0:1::', 'site-b'),
      prefix('gone', 'fd10:0:0:3::', 'gone', true),
    ],
  );
}

export function v4Addresses(): BrowserAddress[] {
  const out = [held('capi-a', 'md-0-x7k2-ip0', '10.0.0.17', 'md-0-x7k2', 3)];
  for (let i = 18; i < 40; i++) out.push(held('capi-a', `md-0-n${i}-ip0`, `10.0.0.${i}`, `md-0-n${i}`, 1));
  // Held by an IPAddress but excluded by the spec: out of range.
  out.push(held('capi-a', 'old-ip0', '10.0.0.5', 'old', 30));
  return out;
}

export function v6Addresses(): BrowserAddress[] {
  return [
    held('capi-a', 'v6-a', 'fd00::10', 'v6-a', 2),
    held('capi-a', 'v6-b', 'fd00::1:5', 'v6-b', 2),
    held('capi-a', 'v6-c', 'fd00::ffff:0:1', 'v6-c', 2),
  ];
}

export function poolsFrom(set: PoolSet): BrowserPool[] {
  const big: BrowserAddress[] = [];
  for (let i = 0; i < set.bigUsed; i++)
    big.push(simpleAddress('dc1', `big-${i}`, `172.16.${(i >> 8) & 255}.${i & 255}`));
  const pools = [
    buildBrowserPool({
      kind: 'InClusterIPPool',
      namespace: 'capi-a',
      name: 'nodes-v4',
      spec: V4_SPEC,
      addresses: set.v4Addresses,
    }),
    buildBrowserPool({
      kind: 'InClusterIPPool',
      namespace: 'capi-a',
      name: 'nodes-v6',
      spec: { addresses: ['fd00::/64'], prefix: 64, gateway: 'fd00::1' },
      addresses: set.v6Addresses,
    }),
    buildBrowserPool({
      kind: 'GlobalInClusterIPPool',
      namespace: undefined,
      name: 'shared-dc1',
      spec: { addresses: ['172.16.0.0/22'], prefix: 22 },
      addresses: big,
    }),
  ];
  return [...pools, ...(set.extra ?? [])];
}

export function defaultSet(): PoolSet {
  return { v4Addresses: v4Addresses(), v6Addresses: v6Addresses(), bigUsed: 1003 };
}

export function snapshotOf(
  pools: readonly BrowserPool[],
  readAt = READ_AT,
  scope?: BrowserScope,
): BrowserSnapshot {
  if (scope === undefined) return { pools, readAt, warnings: [] };
  // One namespace: its namespaced pools and every global pool, as the data layer reads them.
  const inScope = pools.filter(
    (p) => scope.allNamespaces || p.key.namespace === undefined || p.key.namespace === scope.namespace,
  );
  return { pools: inScope, readAt, warnings: [], scope };
}

/**
 * `source` with the pool `id` of every snapshot patched: what the data layer adds to a pool that
 * the fixtures do not compute (status counts, reservations).
 */
export function patchPool(source: FakeSource, id: string, patch: Partial<BrowserPool>): FakeSource {
  const subscribe = source.subscribe.bind(source);
  source.subscribe = (listener, scope) =>
    subscribe((e) => {
      if (e.type !== 'snapshot') {
        listener(e);
        return;
      }
      const pools = e.snapshot.pools.map((p) => (p.id === id ? { ...p, ...patch } : p));
      listener({ ...e, snapshot: { ...e.snapshot, pools } });
    }, scope);
  return source;
}

/** An in-memory source: emits on subscribe, `push` for live updates, release drops the address. */
export class FakeSource implements BrowserDataSource {
  readonly context = 'test-ctx';
  readonly releases: ReleaseTarget[] = [];
  set: PoolSet;
  #listeners = new Set<(e: SourceEvent) => void>();
  /** Set to make the next release fail with this message. */
  failNext: string | undefined;
  /** Set to hold releases until `resolve()` is called. */
  hold = false;
  #held: (() => void)[] = [];

  constructor(
    set: PoolSet = defaultSet(),
    readonly emitOnSubscribe = true,
  ) {
    this.set = set;
  }

  /** The scope of every subscribe call (undefined: the source's own). */
  readonly scopes: (BrowserScope | undefined)[] = [];
  #scope: BrowserScope | undefined;

  subscribe(listener: (e: SourceEvent) => void, scope?: BrowserScope): () => void {
    this.#listeners.add(listener);
    this.scopes.push(scope);
    this.#scope = scope;
    if (this.emitOnSubscribe)
      listener({ type: 'snapshot', snapshot: snapshotOf(poolsFrom(this.set), READ_AT, scope) });
    return () => this.#listeners.delete(listener);
  }

  emit(event: SourceEvent): void {
    for (const l of this.#listeners) l(event);
  }

  push(): void {
    this.emit({ type: 'snapshot', snapshot: snapshotOf(poolsFrom(this.set), READ_AT, this.#scope) });
  }

  get listeners(): number {
    return this.#listeners.size;
  }

  resolve(): void {
    for (const r of this.#held.splice(0)) r();
  }

  async release(target: ReleaseTarget): Promise<ReleaseOutcome> {
    this.releases.push(target);
    if (this.hold) await new Promise<void>((r) => this.#held.push(r));
    if (this.failNext !== undefined) {
      const message = this.failNext;
      this.failNext = undefined;
      return { ok: false, message };
    }
    this.set = {
      ...this.set,
      v4Addresses: this.set.v4Addresses.filter(
        (a) => !(a.namespace === target.namespace && a.name === target.name),
      ),
      v6Addresses: this.set.v6Addresses.filter(
        (a) => !(a.namespace === target.namespace && a.name === target.name),
      ),
    };
    this.push();
    return {
      ok: true,
      message: `released ${target.address} (IPAddress ${target.namespace}/${target.name} deleted)`,
    };
  }
}
