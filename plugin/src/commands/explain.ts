// kubectl ipam explain POOL | POOL ADDRESS | claim NAME.
import {
  explainAddress,
  explainPool,
  formatAddr,
  formatPrefix,
  maskPrefix,
  nextFreePrefix,
  parseAddr,
  parsePrefix,
  parsePrefixInUse,
  prefixIsAllocatable,
  rangeOfPrefix,
  type AddressExplanation,
  type PoolExplanation,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_REQUESTED_ADDRESS,
  POOL_KIND_INFO,
  POOL_KINDS,
  quarantineText,
  type IPAddressReservation,
} from '@ipam-in-cluster/api';
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import { diagnoseClaim, type ClaimDiagnosis } from '../data/diagnose.js';
import type { AddressView, Inventory, PoolSnapshot } from '../data/model.js';
import { covers } from '../data/coverage.js';
import { claimQuarantine } from '../data/pool-summary.js';
import { OwnerResolver, chainText, type ChainLink } from '../data/owners.js';
import { expired, holdingAddress, reservationsOf, reservationText } from '../data/reservations.js';
import { canonicalAddress, parsePoolName, resolvePool } from '../data/resolve.js';
import { readClusterFact, readControllerLease, readInventory } from '../data/session.js';
import { age } from '../output/age.js';
import type { Palette } from '../output/colour.js';
import { exactCount } from '../output/counts.js';
import { forecastJson, forecastLine } from '../output/forecast.js';
import { familyText } from '../output/pool-cells.js';
import { rangeText } from '../output/ranges.js';
import { toJson, toYaml } from '../output/serialize.js';

export interface ExplainOptions {
  readonly global: boolean;
  readonly kind: string | undefined;
  readonly limit: number;
}

function header(p: PoolSnapshot): string {
  const parts = [`Pool ${p.id}`, p.key.kind, familyText(p)];
  if (p.ipSpec !== undefined) parts.push(`prefix /${p.ipSpec.prefix}`);
  if (p.layout?.subnet !== undefined) parts.push(`subnet ${formatPrefix(p.layout.subnet)}`);
  if (p.ipSpec?.gateway !== undefined && p.ipSpec.gateway !== '') parts.push(`gateway ${p.ipSpec.gateway}`);
  if (p.prefixSpec?.gateway !== undefined && p.prefixSpec.gateway !== '')
    parts.push(`gateway ${p.prefixSpec.gateway}`);
  if (p.paused) parts.push('PAUSED');
  if (p.deleting) parts.push('DELETING');
  return parts.join(' · ');
}

function line(mark: string, what: string, size: bigint | undefined, why: string, width: number): string {
  const s = size === undefined ? '' : exactCount(size);
  return `  ${mark} ${what.padEnd(width)}  ${s.padStart(6)}  ${why}`.trimEnd();
}

/** For a pool counted from IPAddresses the user could not all read: what that means. */
export const PARTIAL_NOTE =
  '⚠ partial: some IPAddresses that can belong to this pool could not be read (forbidden); counts are a lower bound and an address shown free may be held';

function statusLine(p: PoolSnapshot): string | undefined {
  if (p.partial === true) return `  ${PARTIAL_NOTE}`;
  if (p.status === undefined) return '  status: not written yet (no controller has reconciled this pool)';
  const s = p.status;
  const text = `total ${s.total} · used ${s.used} · free ${s.free} · outOfRange ${s.outOfRange}`;
  if (p.statusMismatch.length === 0) return `  status agrees: ${text}`;
  return `  ≠ status disagrees (${p.statusMismatch.join(', ')}): ${text} — the controller may be behind, or not running`;
}

/** Text for `explain POOL` of an IP pool. Pure. */
/**
 * `reserved N (IPAddressReservations)` and one line per live reservation naming the pool: name,
 * addresses, note and expiry (docs/adr/0030). None without reservations.
 */
export function reservationLines(
  p: PoolSnapshot,
  reservations: readonly IPAddressReservation[],
  now: Date,
): string[] {
  const live = reservations.filter((r) => !expired(r, now));
  const count = p.status?.reserved;
  if (live.length === 0 && (count === undefined || count === 0n)) return [];
  const out = [
    `  reserved ${count === undefined ? '?' : String(count)} (status.ipAddresses.reserved) by ${live.length} IPAddressReservation${live.length === 1 ? '' : 's'}:`,
  ];
  for (const r of live) out.push(`    ${r.spec.addresses.join(', ')}  ${reservationText(r)}`);
  return out;
}

export function renderIPPoolExplanation(
  p: PoolSnapshot,
  e: PoolExplanation,
  pal: Palette,
  reserved: readonly string[] = [],
): string {
  const out: string[] = [pal.paint('heading', header(p)), ''];
  const rows: { mark: string; what: string; size: bigint | undefined; why: string }[] = [];
  for (const r of e.addresses)
    rows.push({
      mark: '+',
      what: rangeText(r),
      size: r.size,
      why: r.entries.map((x) => `${x.path} (${x.input})`).join(', '),
    });
  for (const r of e.excluded) {
    const outside =
      r.inPool === 0n
        ? ' — outside the pool, excludes nothing'
        : r.inPool !== r.size
          ? ` — ${r.inPool} inside the pool`
          : '';
    rows.push({
      mark: '−',
      what: rangeText(r),
      size: r.inPool,
      why: `excluded by ${r.entries.map((x) => `${x.path} (${x.input})`).join(', ')}${outside}`,
    });
  }
  for (const r of e.reserved) {
    const kind = r.kind === 'subnet-router-anycast' ? 'subnet-router anycast address' : `${r.kind} address`;
    rows.push({
      mark: '−',
      what: r.address,
      size: r.inPool ? 1n : 0n,
      why: `reserved: ${kind} of ${r.subnet}${r.inPool ? '' : ' (not in the pool anyway)'}`,
    });
  }
  if (e.allocateReservedIPAddresses)
    rows.push({
      mark: ' ',
      what: '(reserved)',
      size: undefined,
      why: 'allocateReservedIPAddresses: network/broadcast are allocatable',
    });
  if (e.gateway !== undefined) {
    rows.push({
      mark: '−',
      what: e.gateway.address,
      size: e.gateway.inPool ? 1n : 0n,
      why: `gateway (spec.gateway)${e.gateway.inPool ? '' : ' — outside the pool'}`,
    });
  }
  const width = Math.max(14, ...rows.map((r) => r.what.length));
  for (const r of rows) out.push(line(r.mark, r.what, r.size, r.why, width));
  out.push(
    line(
      '=',
      'allocatable',
      e.counts.total,
      `in ${e.allocatable.length} range${e.allocatable.length === 1 ? '' : 's'}`,
      width,
    ),
  );
  out.push('');
  const c = e.counts;
  const largest =
    e.free.largest === undefined ? 'none' : `${rangeText(e.free.largest)} (${e.free.largest.size})`;
  out.push(
    `  in use ${c.used} (IPAddresses) · allocated ${c.allocated} · out of range ${c.outOfRange} · free ${c.free} in ${e.free.rangeCount} range${e.free.rangeCount === 1 ? '' : 's'} · largest free ${largest}`,
  );
  const next = p.index?.nextFree();
  out.push(
    `  next allocation: ${next?.ok === true ? `${formatAddr(next.value)} (first free, lowest first)` : 'none — the pool is exhausted'}`,
  );
  if (e.free.ranges.length > 0) {
    out.push('', '  free ranges:');
    for (const r of e.free.ranges)
      out.push(`    ${rangeText(r).padEnd(width)}  ${exactCount(r.size).padStart(6)}`);
    if (e.free.truncated) out.push(`    … ${e.free.rangeCount - e.free.ranges.length} more (use --limit)`);
  }
  if (e.outOfRange.length > 0) {
    out.push('', '  out-of-range allocations (held, but not allocatable under the current spec):');
    for (const o of e.outOfRange) {
      const holders = p.addresses
        .filter((a) => canonicalAddress(a.address) === o.address)
        .map((a) => `${a.namespace}/${a.name}`);
      out.push(`    ${o.address}  ${holders.join(', ')}`);
    }
  }
  const dups = p.addresses.filter((a) => a.state === 'duplicate');
  if (dups.length > 0) {
    out.push('', '  duplicates (one address, several IPAddresses):');
    for (const a of dups) out.push(`    ${a.address}  ${a.namespace}/${a.name}`);
  }
  if (reserved.length > 0) out.push('', ...reserved);
  const sl = statusLine(p);
  if (sl !== undefined) out.push('', sl);
  out.push(forecastLine(p.forecast));
  return `${out.join('\n')}\n`;
}

/** Text for `explain POOL` of a prefix pool. */
export function renderPrefixPoolExplanation(p: PoolSnapshot): string {
  const out: string[] = [header(p), ''];
  const spec = p.prefixSpec;
  if (spec !== undefined) {
    spec.prefixes.forEach((x, i) => out.push(`  + ${x.padEnd(24)}  spec.prefixes[${i}]`));
    (spec.excludedPrefixes ?? []).forEach((x, i) =>
      out.push(`  − ${x.padEnd(24)}  excluded by spec.excludedPrefixes[${i}]`),
    );
  }
  const c = p.counts;
  out.push(
    `  = ${`/${p.allocationPrefixLength ?? 64} prefixes`.padEnd(24)}  ${exactCount(c.total)} allocatable`,
    '',
  );
  out.push(`  in use ${c.used} · allocated ${c.allocated} · out of range ${c.outOfRange} · free ${c.free}`);
  if (p.prefixLayout !== undefined) {
    const next = nextFreePrefix(
      p.prefixLayout,
      p.addresses.map((a) => ({ address: a.address, prefix: a.prefix })),
    );
    out.push(`  next allocation: ${next.ok ? formatPrefix(next.value) : `none (${next.error.message})`}`);
  }
  if (p.addresses.length > 0) {
    out.push('', '  allocations:');
    for (const a of p.addresses)
      out.push(`    ${`${a.address}/${a.prefix ?? '?'}`.padEnd(28)}  ${a.namespace}/${a.name}  ${a.state}`);
  }
  const sl = statusLine(p);
  if (sl !== undefined) out.push('', sl);
  out.push(forecastLine(p.forecast));
  return `${out.join('\n')}\n`;
}

const VERDICT_TEXT: Record<AddressExplanation['verdict'], string> = {
  free: 'is free',
  allocated: 'is allocated',
  excluded: 'is not allocatable: excluded',
  gateway: 'is not allocatable: it is the gateway',
  reserved: 'is not allocatable: reserved',
  'outside-pool': 'is not in the pool',
  'out-of-range-allocation': 'is held but out of range (not allocatable under the current spec)',
};

/** Text for `explain POOL ADDRESS`. Pure apart from the chain, which is passed in. */
export function renderAddressExplanation(
  p: PoolSnapshot,
  e: AddressExplanation,
  holders: readonly AddressView[],
  chains: ReadonlyMap<string, readonly ChainLink[]>,
  nextFree: string | undefined,
  pal: Palette,
  now: Date,
  reservations: readonly IPAddressReservation[] = [],
): string {
  const out: string[] = [];
  // Free by the spec but held by an IPAddressReservation: allocation skips it (ADR 0030).
  const held = e.verdict === 'free' && reservations.length > 0;
  const ok = (e.verdict === 'free' && !held) || e.verdict === 'allocated';
  const verdict = held
    ? 'is not allocatable: held by a reservation'
    : e.verdict === 'free' && p.partial === true
      ? 'looks free (as far as you may see)'
      : VERDICT_TEXT[e.verdict];
  out.push(pal.paint(ok ? 'heading' : 'warning', `${e.address} ${verdict} in ${p.id}`));
  for (const r of e.reasons) {
    const mark =
      r.code === 'included'
        ? pal.paint('good', '✓')
        : r.code === 'allocated'
          ? pal.paint('accent', '●')
          : pal.paint('bad', '✗');
    out.push(`  ${mark} ${r.message}`);
  }
  for (const r of reservations) {
    const after = e.verdict === 'allocated' ? ' (held for it once the IPAddress is released)' : '';
    out.push(`  ${pal.paint('bad', '✗')} ${reservationText(r)}${after}`);
  }
  if (e.verdict === 'free' && !held)
    out.push(
      `  ${nextFree === e.address ? 'the next claim of this pool gets this address (first free, lowest first)' : `the next claim gets ${nextFree ?? 'nothing'} (first free, lowest first)`}`,
    );
  if (p.partial === true) out.push(`  ${pal.paint('warning', PARTIAL_NOTE)}`);
  for (const h of holders) {
    const claim =
      h.claim === undefined
        ? `claim ${h.namespace}/${h.claimName} (missing — orphaned address)`
        : `claim ${h.namespace}/${h.claimName}${h.claim.deleting ? ' (being deleted)' : ''}`;
    out.push(`  held by IPAddress ${h.namespace}/${h.name} for ${claim}, ${age(h.createdAt, now)} ago`);
    const q = h.claim === undefined ? undefined : claimQuarantine(p, h.claim.raw);
    if (q !== undefined) out.push(`  ${pal.paint('warning', quarantineText(q))}`);
    const chain = chains.get(h.uid);
    if (chain !== undefined && chain.length > 0) out.push(`    owner chain: ${chainText(chain)}`);
  }
  return `${out.join('\n')}\n`;
}

/** Text for `explain claim NAME`. */
export function renderClaimDiagnosis(
  d: ClaimDiagnosis,
  chain: readonly ChainLink[],
  pal: Palette,
  now: Date,
): string {
  const c = d.claim;
  const out: string[] = [];
  const who = `Claim ${c.namespace}/${c.name}`;
  const poolText = d.pool?.id ?? `${c.poolRef.kind} ${c.poolRef.name}`;
  switch (d.state) {
    case 'bound': {
      const a = d.address;
      out.push(
        pal.paint(
          'heading',
          `${who} holds ${a?.address ?? '?'}${a?.prefix === undefined ? '' : `/${a.prefix}`} from pool ${poolText} (IPAddress ${a?.name ?? '?'}, ${age(a?.createdAt, now)} ago)`,
        ),
      );
      if (d.pool?.error !== undefined)
        out.push(
          pal.paint(
            'warning',
            `  warning: pool ${d.pool.id} has an invalid spec (${d.pool.error}); it cannot account for this address, which is counted as used and out of range;`,
          ),
        );
      else if (d.requested?.state === 'held')
        out.push(
          `  why this address: the claim requested it (annotation ${ANNOTATION_REQUESTED_ADDRESS}=${d.requested.value});`,
        );
      else
        out.push(
          '  why this address: the controller hands out the lowest free address of the pool (first fit) at the time of allocation;',
        );
      out.push('  an IPAddress spec is immutable, so it keeps this address until the claim is deleted.');
      break;
    }
    case 'pending':
      out.push(
        pal.paint(
          'warning',
          `${who} is pending${d.blockers[0] === undefined ? '' : `: ${d.blockers[0].message}`}.`,
        ),
      );
      break;
    case 'deleting':
      out.push(
        pal.paint(
          'warning',
          `${who} is being deleted${d.blockers[0] === undefined ? '' : `; held: ${d.blockers[0].message}`}.`,
        ),
      );
      break;
    case 'ignored':
      out.push(pal.paint('muted', `${who} is not handled by this provider: ${d.blockers[0]?.message ?? ''}`));
      break;
  }
  const r = d.requested;
  if (r?.state === 'refused') {
    // Unless the claim's Ready condition (a blocker) already says the same.
    if (!d.blockers.some((b) => b.message.includes(r.message)))
      out.push(pal.paint('warning', `  ✗ ${r.message}`));
  } else if (r !== undefined && r.state !== 'held') {
    const text = `  requested address (${ANNOTATION_REQUESTED_ADDRESS}): ${r.message}`;
    out.push(r.state === 'differs' ? pal.paint('warning', text) : text);
  }
  for (const b of d.blockers.slice(1)) out.push(`  ✗ ${b.message}`);
  for (const n of d.notes) out.push(`  · ${n}`);
  if (chain.length > 1) out.push(`  owner chain: ${chainText(chain)}`);
  out.push(`  finalizers: ${c.finalizers.join(', ') || 'none'}`);
  return `${out.join('\n')}\n`;
}

async function explainClaim(ctx: CommandContext, name: string | undefined): Promise<void> {
  if (name === undefined)
    throw new CliError(ExitCode.Usage, 'explain claim: missing claim name (kubectl ipam explain claim NAME)');
  const session = await ctx.session();
  const slash = name.indexOf('/');
  const [ns, claimName] =
    slash === -1 ? [session.namespace, name] : [name.slice(0, slash), name.slice(slash + 1)];
  const inv = await readInventory(session, { namespace: ns, allNamespaces: false });
  for (const w of inv.warnings) ctx.err(`warning: ${w}\n`);
  const claim = inv.claims.find((c) => c.namespace === ns && c.name === claimName);
  if (claim === undefined && !covers(inv.coverage.claims, ns))
    throw new CliError(ExitCode.Forbidden, `not allowed to list ipaddressclaims in namespace ${ns}`);
  if (claim === undefined)
    throw new CliError(ExitCode.NotFound, `IPAddressClaim ${ns}/${claimName} not found`);
  const now = ctx.now();
  const [cluster, lease] = await Promise.all([
    readClusterFact(session, claim),
    readControllerLease(session, now),
  ]);
  const d = diagnoseClaim(inv, claim, { cluster, lease, now });
  const chain = await new OwnerResolver(session).chain(
    { kind: 'IPAddressClaim', apiVersion: session.contract.ipamApiVersion, metadata: claim.raw.metadata },
    claim.clusterName,
  );
  if (ctx.globals.output === 'json' || ctx.globals.output === 'yaml') {
    const doc = {
      apiVersion: 'kubectl-ipam/v1alpha1',
      kind: 'ClaimExplanation',
      claim: {
        namespace: claim.namespace,
        name: claim.name,
        poolRef: claim.poolRef,
        addressName: claim.addressName ?? null,
      },
      state: d.state,
      pool: d.pool?.id ?? null,
      address:
        d.address === undefined
          ? null
          : {
              name: d.address.name,
              address: d.address.address,
              prefix: d.address.prefix ?? null,
              state: d.address.state,
            },
      blockers: d.blockers,
      notes: d.notes,
      ownerChain: chain,
      requested: d.requested ?? null,
    };
    ctx.out(ctx.globals.output === 'json' ? toJson(doc) : toYaml(doc));
    return;
  }
  ctx.out(renderClaimDiagnosis(d, chain, ctx.palette, now));
}

/**
 * `explain POOL PREFIX` for a prefix pool. A prefix with host bits set, or a bare address, stands for
 * the address inside the /allocationPrefixLength prefix that contains it; any allocation that
 * overlaps that prefix is named with its holder (an address inside an allocated prefix is not free).
 */
export function explainPrefixAddress(p: PoolSnapshot, text: string): string {
  const layout = p.prefixLayout;
  if (layout === undefined)
    throw new CliError(ExitCode.Error, `pool ${p.id} has an invalid spec: ${p.error ?? ''}`);
  const withLen = text.includes('/') ? text : `${text}/${layout.allocationPrefixLength}`;
  const parsed = parsePrefix(withLen);
  if (!parsed.ok)
    throw new CliError(
      ExitCode.Usage,
      `"${text}" is not an IPv6 prefix (pool ${p.id} hands out /${layout.allocationPrefixLength} prefixes: give one such as fd00::/${layout.allocationPrefixLength}, or its base address)`,
    );
  const asked = maskPrefix(parsed.value);
  const inside = asked.value !== parsed.value.value; // host bits: an address inside `asked`
  const allocatable = prefixIsAllocatable(layout, asked);
  const range = rangeOfPrefix(asked);
  const overlapping = p.addresses.flatMap((a) => {
    const q = parsePrefixInUse({ address: a.address, prefix: a.prefix });
    if (!q.ok) return [];
    const r = rangeOfPrefix(q.value);
    return r.family === range.family && r.from <= range.to && range.from <= r.to
      ? [{ holder: a, held: q.value }]
      : [];
  });
  const holders = overlapping.map((o) => o.holder);
  const exact = overlapping.some((o) => o.held.value === asked.value && o.held.bits === asked.bits);
  const state = !allocatable
    ? holders.length > 0
      ? 'is not allocatable, and overlaps an allocation'
      : 'is not allocatable'
    : holders.length === 0
      ? 'is free'
      : exact
        ? 'is allocated'
        : 'overlaps an allocation';
  const subject = inside
    ? `${formatAddr({ family: parsed.value.family, value: parsed.value.value })} is inside ${formatPrefix(asked)}, which`
    : formatPrefix(asked);
  const lines = [`${subject} ${state} in ${p.id}`];
  if (!allocatable) {
    if (parsed.value.bits !== layout.allocationPrefixLength)
      lines.push(`  ✗ the pool hands out /${layout.allocationPrefixLength} prefixes`);
    else lines.push('  ✗ not wholly inside spec.prefixes, or overlaps spec.excludedPrefixes');
  }
  for (const h of holders)
    lines.push(
      `  ${h.address}/${h.prefix ?? '?'} held by IPAddress ${h.namespace}/${h.name} for claim ${h.claimName}`,
    );
  return `${lines.join('\n')}\n`;
}

export async function runExplain(
  ctx: CommandContext,
  first: string,
  second: string | undefined,
  options: ExplainOptions,
): Promise<void> {
  if (first === 'claim' && !options.global && options.kind === undefined) {
    await explainClaim(ctx, second);
    return;
  }
  const session = await ctx.session();
  // NAMESPACE/NAME names its namespace: read that one, not the context's.
  const named = parsePoolName(first, options.global);
  const namespace =
    named.scope === 'namespace' && named.namespace !== undefined ? named.namespace : session.namespace;
  // global/NAME reads global pools only, NAMESPACE/NAME namespaced ones only: no list the user may
  // not need (and may not be allowed) to read.
  const inv: Inventory = await readInventory(session, {
    namespace,
    allNamespaces: ctx.globals.allNamespaces,
    poolKinds: POOL_KINDS.filter(
      (k) => named.scope === 'any' || POOL_KIND_INFO[k].namespaced === (named.scope === 'namespace'),
    ),
  });
  for (const w of inv.warnings) ctx.err(`warning: ${w}\n`);
  const pool = resolvePool(inv, {
    text: first,
    global: options.global,
    kind: options.kind,
    namespace,
    allNamespaces: ctx.globals.allNamespaces,
  });
  const json = ctx.globals.output === 'json' || ctx.globals.output === 'yaml';
  const emit = (doc: unknown): void => {
    ctx.out(ctx.globals.output === 'json' ? toJson(doc) : toYaml(doc));
  };

  if (second === undefined) {
    if (pool.type === 'prefix') {
      if (json)
        emit({
          apiVersion: 'kubectl-ipam/v1alpha1',
          kind: 'PoolExplanation',
          pool: pool.id,
          type: 'prefix',
          counts: pool.counts,
          spec: pool.prefixSpec,
          error: pool.error ?? null,
          forecast: forecastJson(pool.forecast),
        });
      else ctx.out(renderPrefixPoolExplanation(pool));
      return;
    }
    if (pool.layout === undefined)
      throw new CliError(
        ExitCode.Error,
        `pool ${pool.id} has an invalid spec: ${pool.error ?? 'unknown error'}`,
      );
    const e = explainPool(pool.layout, pool.index, { limit: options.limit });
    const reservations = await reservationsOf(session, pool.key);
    if (json)
      emit({
        apiVersion: 'kubectl-ipam/v1alpha1',
        kind: 'PoolExplanation',
        pool: pool.id,
        type: 'ip',
        status: pool.status ?? null,
        statusMismatch: pool.statusMismatch,
        ...e,
        forecast: forecastJson(pool.forecast),
        reservations: reservations
          .filter((r) => !expired(r, ctx.now()))
          .map((r) => ({
            name: `${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`,
            addresses: r.spec.addresses,
            note: r.spec.note ?? null,
            expiresAt: r.spec.expiresAt ?? null,
          })),
      });
    else
      ctx.out(renderIPPoolExplanation(pool, e, ctx.palette, reservationLines(pool, reservations, ctx.now())));
    return;
  }

  if (pool.type === 'prefix') {
    ctx.out(explainPrefixAddress(pool, second));
    return;
  }
  const addr = parseAddr(second);
  if (!addr.ok)
    throw new CliError(
      ExitCode.Usage,
      `"${second}" is not an IP address (give one such as ${pool.family === 6 ? 'fd00::17' : '10.0.0.17'})`,
    );
  if (pool.family !== undefined && addr.value.family !== pool.family)
    throw new CliError(
      ExitCode.Usage,
      `${second} is an IPv${addr.value.family} address, but pool ${pool.id} is IPv${pool.family}`,
    );
  if (pool.layout === undefined)
    throw new CliError(
      ExitCode.Error,
      `pool ${pool.id} has an invalid spec: ${pool.error ?? 'unknown error'}`,
    );
  const e = explainAddress(pool.layout, addr.value, pool.index);
  if (!e.ok) throw new CliError(ExitCode.Usage, e.error.message);
  const canonical = e.value.address;
  const holders = pool.addresses.filter((a) => canonicalAddress(a.address) === canonical);
  const resolver = new OwnerResolver(session);
  const chains = new Map<string, readonly ChainLink[]>();
  for (const h of holders) {
    if (h.claim !== undefined) {
      chains.set(
        h.uid,
        await resolver.chain(
          {
            kind: 'IPAddressClaim',
            apiVersion: session.contract.ipamApiVersion,
            metadata: h.claim.raw.metadata,
          },
          h.clusterName,
        ),
      );
    }
  }
  const next = pool.index?.nextFree();
  const nextText = next?.ok === true ? formatAddr(next.value) : undefined;
  const reservations = holdingAddress(await reservationsOf(session, pool.key), addr.value, ctx.now());
  if (json) {
    emit({
      apiVersion: 'kubectl-ipam/v1alpha1',
      kind: 'AddressExplanation',
      pool: pool.id,
      ...e.value,
      holders: holders.map((h) => ({
        namespace: h.namespace,
        name: h.name,
        claim: h.claimName,
        claimExists: h.claim !== undefined,
        ownerChain: chains.get(h.uid) ?? [],
      })),
      nextFree: nextText ?? null,
      reservations: reservations.map((r) => ({
        namespace: r.metadata.namespace ?? null,
        name: r.metadata.name ?? '',
        note: r.spec.note ?? null,
        expiresAt: r.spec.expiresAt ?? null,
      })),
    });
    return;
  }
  ctx.out(
    renderAddressExplanation(pool, e.value, holders, chains, nextText, ctx.palette, ctx.now(), reservations),
  );
}
