// Naming things on the command line: pools (NAME, NAMESPACE/NAME, global/NAME, --global, --kind)
// and addresses (an IP, or an IPAddress name).
import { formatAddr, parseAddr } from '@ipam-in-cluster/allocator';
import { CliError, ExitCode } from '../errors/cli-error.js';
import type { AddressView, Inventory, PoolKindShort, PoolSnapshot } from './model.js';
import { readInventory, type Session } from './session.js';

export const KIND_SHORTS: readonly PoolKindShort[] = ['pool', 'global', 'prefix', 'global-prefix'];

export interface PoolQuery {
  /** NAME, NAMESPACE/NAME or global/NAME. */
  readonly text: string;
  /** --global: NAME names a global pool. */
  readonly global: boolean;
  /** --kind. */
  readonly kind: string | undefined;
  /** The namespace NAME alone is looked up in (-n or the context's). */
  readonly namespace: string;
  /** -A: NAME alone may be in any namespace. */
  readonly allNamespaces: boolean;
}

export interface ParsedPoolName {
  readonly scope: 'global' | 'namespace' | 'any';
  readonly namespace: string | undefined;
  readonly name: string;
}

/** Splits a pool argument. `global/x` is always a global pool; `ns/x` a namespaced one. */
export function parsePoolName(text: string, global: boolean): ParsedPoolName {
  const parts = text.split('/');
  if (parts.length > 2 || parts.some((p) => p === '')) {
    throw new CliError(ExitCode.Usage, `bad pool name "${text}" (use NAME, NAMESPACE/NAME or global/NAME)`);
  }
  const [first, second] = parts as [string, string | undefined];
  if (second === undefined) return { scope: global ? 'global' : 'any', namespace: undefined, name: first };
  if (first === 'global') return { scope: 'global', namespace: undefined, name: second };
  if (global) throw new CliError(ExitCode.Usage, `--global cannot be used with a namespaced name "${text}"`);
  return { scope: 'namespace', namespace: first, name: second };
}

function describe(p: PoolSnapshot): string {
  return `${p.id} (${p.key.kind})`;
}

/**
 * Finds one pool. NAME alone matches pools of that name in the namespace (every namespace with -A)
 * and global pools; it must be unambiguous. `--kind` narrows by kind.
 */
export function resolvePool(inv: Inventory, q: PoolQuery): PoolSnapshot {
  if (q.kind !== undefined && !(KIND_SHORTS as readonly string[]).includes(q.kind)) {
    throw new CliError(ExitCode.Usage, `unknown kind "${q.kind}" (use ${KIND_SHORTS.join(', ')})`);
  }
  const n = parsePoolName(q.text, q.global || q.kind === 'global' || q.kind === 'global-prefix');
  const candidates = inv.pools.filter((p) => {
    if (p.key.name !== n.name) return false;
    if (q.kind !== undefined && p.kindShort !== q.kind) return false;
    const isGlobal = p.key.namespace === undefined;
    if (n.scope === 'global') return isGlobal;
    if (n.scope === 'namespace') return p.key.namespace === n.namespace;
    return isGlobal || q.allNamespaces || p.key.namespace === q.namespace;
  });
  if (candidates.length === 1 && candidates[0] !== undefined) return candidates[0];
  if (candidates.length === 0) {
    const where =
      n.scope === 'global'
        ? 'among global pools'
        : n.scope === 'namespace'
          ? `in namespace ${n.namespace ?? ''}`
          : q.allNamespaces
            ? 'in any namespace or among global pools'
            : `in namespace ${q.namespace} or among global pools`;
    throw new CliError(ExitCode.NotFound, `pool "${q.text}" not found ${where}`, {
      hint: 'list pools with: kubectl ipam pools -A',
    });
  }
  throw new CliError(
    ExitCode.Usage,
    `pool name "${q.text}" is ambiguous: ${candidates.map(describe).join(', ')}`,
    {
      hint: 'name it as NAMESPACE/NAME or global/NAME, or add --kind',
    },
  );
}

/** Canonical text of an IP, or undefined when `text` is not an IP address. */
export function canonicalAddress(text: string): string | undefined {
  const p = parseAddr(text);
  return p.ok ? formatAddr(p.value) : undefined;
}

/** Whether `a` holds the IP `canonical` (compared canonically; prefix pools compare the base address). */
export function holdsAddress(a: AddressView, canonical: string): boolean {
  return canonicalAddress(a.address) === canonical;
}

/**
 * IPAddresses named by `target`: an IP (every IPAddress holding it, in the scope) or an IPAddress
 * name (in the namespace, or NAMESPACE/NAME). Optionally only those of one pool.
 */
export function findAddresses(
  inv: Inventory,
  target: string,
  opts: { namespace: string; allNamespaces: boolean; pool?: PoolSnapshot | undefined },
): AddressView[] {
  const canonical = canonicalAddress(target);
  const inScope = (a: AddressView): boolean =>
    (opts.pool === undefined || a.poolId === opts.pool.id) &&
    (opts.allNamespaces ||
      opts.pool !== undefined ||
      a.namespace === opts.namespace ||
      isGlobalPoolAddress(inv, a));
  if (canonical !== undefined) return inv.addresses.filter((a) => holdsAddress(a, canonical) && inScope(a));
  const slash = target.indexOf('/');
  const [ns, name] = slash === -1 ? [undefined, target] : [target.slice(0, slash), target.slice(slash + 1)];
  return inv.addresses.filter(
    (a) =>
      a.name === name &&
      (ns === undefined ? inScope(a) : a.namespace === ns) &&
      (opts.pool === undefined || a.poolId === opts.pool.id),
  );
}

function isGlobalPoolAddress(inv: Inventory, a: AddressView): boolean {
  return inv.pools.some((p) => p.id === a.poolId && p.key.namespace === undefined);
}

/**
 * What `inspect` and `release` start with: the inventory of the session's namespace (every namespace
 * with -A) and the pool named by an optional --pool, resolved in it.
 */
export async function readInventoryAndPool(
  session: Session,
  options: { readonly pool: string | undefined; readonly allNamespaces: boolean },
): Promise<{ inv: Inventory; pool: PoolSnapshot | undefined }> {
  const namespace = session.namespace;
  const allNamespaces = options.allNamespaces;
  const inv = await readInventory(session, { namespace, allNamespaces });
  const pool =
    options.pool === undefined
      ? undefined
      : resolvePool(inv, { text: options.pool, global: false, kind: undefined, namespace, allNamespaces });
  return { inv, pool };
}
