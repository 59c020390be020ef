// kubectl ipam inspect ADDRESS|IPADDRESS-NAME: the IPAddress, its claim, the owner chain, finalizers, age.
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import type { AddressView, Inventory } from '../data/model.js';
import { OwnerResolver, chainText, type ChainLink } from '../data/owners.js';
import { covers } from '../data/coverage.js';
import { canonicalAddress, findAddresses, readInventoryAndPool } from '../data/resolve.js';
import { age } from '../output/age.js';
import type { Palette } from '../output/colour.js';
import { toJson, toYaml } from '../output/serialize.js';

export interface InspectOptions {
  readonly pool: string | undefined;
}

const STATE_TEXT: Record<AddressView['state'], string> = {
  allocated: 'allocated',
  duplicate: 'DUPLICATE (another IPAddress of the pool holds the same address)',
  'out-of-range': 'OUT OF RANGE (not allocatable under the pool’s current spec)',
  invalid: 'INVALID (address or pool spec does not parse)',
  'no-pool': 'POOL MISSING',
};

export function renderInspect(
  a: AddressView,
  inv: Inventory,
  chain: readonly ChainLink[],
  pal: Palette,
  now: Date,
): string {
  const pool = inv.pools.find((p) => p.id === a.poolId);
  const rows: [string, string][] = [
    [
      'address',
      `${a.address}${a.prefix === undefined ? '' : `/${a.prefix}`}${a.gateway === undefined ? '' : `  gateway ${a.gateway}`}`,
    ],
    [
      'pool',
      `${pool?.id ?? `${a.poolRef.kind} ${a.poolRef.name} (not found)`}${pool === undefined ? '' : ` (${pool.key.kind})`} · ${STATE_TEXT[a.state]}`,
    ],
  ];
  const c = a.claim;
  if (c === undefined && !covers(inv.coverage.claims, a.namespace))
    rows.push(['claim', `${a.namespace}/${a.claimName} (not allowed to read claims in ${a.namespace})`]);
  else if (c === undefined)
    rows.push([
      'claim',
      pal.paint('bad', `${a.namespace}/${a.claimName} does not exist — orphaned; see kubectl ipam release`),
    ]);
  else {
    const bound =
      c.addressName === a.name
        ? 'bound (status.addressRef points here)'
        : c.addressName === undefined
          ? 'status.addressRef not set'
          : `status.addressRef points to ${c.addressName}`;
    rows.push(['claim', `${c.namespace}/${c.name}${c.deleting ? ' (being deleted)' : ''} · ${bound}`]);
  }
  if (chain.length > 0) rows.push(['owner chain', chainText(chain)]);
  if (a.clusterName !== undefined) rows.push(['cluster', a.clusterName]);
  rows.push([
    'owners',
    a.raw.metadata.ownerReferences
      ?.map((o) => `${o.kind} ${o.name}${o.controller === true ? ' (controller)' : ''}`)
      .join(', ') ?? 'none',
  ]);
  rows.push([
    'finalizers',
    a.finalizers.length === 0
      ? pal.paint('warning', 'none (no ProtectAddress: nothing stops deletion)')
      : a.finalizers.join(', '),
  ]);
  rows.push(['created', `${a.createdAt?.toISOString() ?? '?'} (${age(a.createdAt, now)} ago)`]);
  if (a.deleting)
    rows.push([
      'deleting',
      `since ${a.raw.metadata.deletionTimestamp ?? '?'}${a.protected ? ' — held by ProtectAddress until its claim is deleted' : ''}`,
    ]);
  rows.push(['uid', `${a.uid}  resourceVersion ${a.resourceVersion}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return `${pal.paint('heading', `IPAddress ${a.namespace}/${a.name}`)}\n${rows.map(([k, v]) => `  ${k.padEnd(w)}  ${v}`).join('\n')}\n`;
}

export function addressJson(a: AddressView, chain: readonly ChainLink[]): Record<string, unknown> {
  return {
    namespace: a.namespace,
    name: a.name,
    uid: a.uid,
    resourceVersion: a.resourceVersion,
    address: a.address,
    prefix: a.prefix ?? null,
    gateway: a.gateway ?? null,
    pool: a.poolId ?? null,
    poolRef: a.poolRef,
    state: a.state,
    claim: {
      name: a.claimName,
      exists: a.claim !== undefined,
      deleting: a.claim?.deleting ?? false,
      addressRef: a.claim?.addressName ?? null,
    },
    clusterName: a.clusterName ?? null,
    ownerChain: chain,
    finalizers: a.finalizers,
    createdAt: a.createdAt?.toISOString() ?? null,
    deleting: a.deleting,
  };
}

export async function runInspect(
  ctx: CommandContext,
  target: string,
  options: InspectOptions,
): Promise<void> {
  const session = await ctx.session();
  const all = ctx.globals.allNamespaces;
  const { inv, pool } = await readInventoryAndPool(session, { pool: options.pool, allNamespaces: all });
  for (const w of inv.warnings) ctx.err(`warning: ${w}\n`);
  const found = findAddresses(inv, target, { namespace: session.namespace, allNamespaces: all, pool });
  if (found.length === 0) {
    const isIP = canonicalAddress(target) !== undefined;
    const where = all ? 'in any namespace' : `in namespace ${session.namespace} or global pools (try -A)`;
    throw new CliError(ExitCode.NotFound, `no IPAddress ${isIP ? 'holds' : 'is named'} ${target} ${where}`);
  }
  const resolver = new OwnerResolver(session);
  const chains = await Promise.all(
    found.map((a) =>
      a.claim === undefined
        ? Promise.resolve<ChainLink[]>([])
        : resolver.chain(
            {
              kind: 'IPAddressClaim',
              apiVersion: session.contract.ipamApiVersion,
              metadata: a.claim.raw.metadata,
            },
            a.clusterName,
          ),
    ),
  );
  if (ctx.globals.output === 'json' || ctx.globals.output === 'yaml') {
    const doc = {
      apiVersion: 'kubectl-ipam/v1alpha1',
      kind: 'AddressList',
      items: found.map((a, i) => addressJson(a, chains[i] ?? [])),
    };
    ctx.out(ctx.globals.output === 'json' ? toJson(doc) : toYaml(doc));
    return;
  }
  ctx.out(found.map((a, i) => renderInspect(a, inv, chains[i] ?? [], ctx.palette, ctx.now())).join('\n'));
}
