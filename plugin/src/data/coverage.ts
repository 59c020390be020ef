// What a read could see. A user with rights in one namespace, or on global pools only, is shown
// what they may list; what was forbidden is skipped, named in one warning line, and everything
// computed from it (counts of a pool whose IPAddresses could not all be read, an "orphaned" address
// whose claims could not be read) is marked or left out instead of being reported as a fact.
// Pure: the session records coverage while reading; commands and the view model ask it.
import { POOL_KIND_INFO, type PoolKind } from '@ipam-in-cluster/api';
import type { Coverage, PoolSummary, ReadCoverage } from './model.js';

export const EVERYWHERE: Coverage = { all: true, namespaces: [] };
export const NOWHERE: Coverage = { all: false, namespaces: [] };

export function inNamespace(namespace: string): Coverage {
  return { all: false, namespaces: [namespace] };
}

/** Whether objects in `namespace` were read (`undefined`: a cluster-scoped object, or "every namespace"). */
export function covers(c: Coverage, namespace: string | undefined): boolean {
  if (c.all) return true;
  return namespace !== undefined && c.namespaces.includes(namespace);
}

/** Coverage of a read that merged several namespaces (some forbidden). */
export function merged(parts: readonly Coverage[]): Coverage {
  if (parts.length > 0 && parts.every((p) => p.all)) return EVERYWHERE;
  return { all: false, namespaces: [...new Set(parts.flatMap((p) => p.namespaces))].sort() };
}

export const FULL_COVERAGE: ReadCoverage = {
  pools: {},
  addresses: EVERYWHERE,
  claims: EVERYWHERE,
  skipped: [],
};

/** Whether pools of `kind` in `namespace` (undefined for global kinds) were listed. */
export function poolKindCovered(rc: ReadCoverage, kind: PoolKind, namespace: string | undefined): boolean {
  const c = rc.pools[kind];
  if (c === undefined) return true;
  return POOL_KIND_INFO[kind].namespaced ? covers(c, namespace) : c.all;
}

/**
 * Whether every IPAddress that can reference a pool was read: all namespaces for a global pool, the
 * pool's own namespace for a namespaced one.
 */
export function poolAddressesCovered(rc: ReadCoverage, poolNamespace: string | undefined): boolean {
  return poolNamespace === undefined ? rc.addresses.all : covers(rc.addresses, poolNamespace);
}

/** The one warning line naming what was skipped, or undefined when nothing was. */
export function coverageWarning(rc: ReadCoverage): string | undefined {
  if (rc.skipped.length === 0) return undefined;
  return `not allowed to list ${[...rc.skipped].sort().join('; ')}: showing what you may see (counts and checks that need the rest are marked or left out)`;
}

/** A record of what a read could not see, filled while reading. */
export class CoverageRecorder {
  readonly #pools: Partial<Record<PoolKind, Coverage>> = {};
  #addresses: Coverage = EVERYWHERE;
  #claims: Coverage = EVERYWHERE;
  readonly #skipped: string[] = [];

  pool(kind: PoolKind, c: Coverage): void {
    this.#pools[kind] = c;
  }

  addresses(c: Coverage): void {
    this.#addresses = c;
  }

  claims(c: Coverage): void {
    this.#claims = c;
  }

  /** Names something that could not be listed (once). */
  skip(what: string): void {
    if (!this.#skipped.includes(what)) this.#skipped.push(what);
  }

  result(): ReadCoverage {
    return {
      pools: { ...this.#pools },
      addresses: this.#addresses,
      claims: this.#claims,
      skipped: [...this.#skipped],
    };
  }
}

/** `p` marked partial when it was counted from IPAddresses that could not all be read. */
export function markPartial<T extends PoolSummary>(p: T, rc: ReadCoverage): T {
  if (p.countsFrom !== 'ipaddresses' || poolAddressesCovered(rc, p.key.namespace)) return p;
  return { ...p, partial: true, statusMismatch: [] };
}
