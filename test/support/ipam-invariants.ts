// What must hold after any storm: one address per claim, no address twice in a pool, every address
// inside its pool's current layout, pool status counts equal to a recount from the IPAddresses.
import { buildPoolLayout, parseAddr } from '@ipam-in-cluster/allocator';
import {
  claimFromWire,
  IPAM_GROUP,
  type IPAddressClaimWire,
  type IPAddressWire,
  type IPPoolSpec,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import type { Ipam } from './controller.js';

export interface PoolRef {
  kind: Extract<PoolKind, 'InClusterIPPool' | 'GlobalInClusterIPPool'>;
  /** Omitted for global pools. */
  namespace?: string;
  name: string;
}

export function poolRefKey(p: PoolRef): string {
  return `${p.kind}/${p.namespace ?? ''}/${p.name}`;
}

export interface Counts {
  total: bigint;
  used: bigint;
  free: bigint;
  outOfRange: bigint;
}

export interface InvariantReport {
  /** "pool: address held by a, b". */
  duplicates: string[];
  /** "pool: address (IPAddress ns/name) is outside the pool's current layout". */
  outsideLayout: string[];
  /** Claims not Ready/addressRef missing/IPAddress missing or owned by another incarnation. */
  claimProblems: string[];
  /** IPAddresses of our pools without a live claim of the same name and uid. */
  orphans: string[];
  /** "pool: status {…} != recount {…}". */
  countMismatches: string[];
  recounts: Map<string, Counts>;
}

function big(v: number | bigint | undefined): bigint | undefined {
  return v === undefined ? undefined : BigInt(v);
}

/** The IPAddresses of our pools across `namespaces`, the claims, and the pools, read consistently. */
export async function checkInvariants(
  ipam: Ipam,
  namespaces: readonly string[],
  pools: readonly PoolRef[],
): Promise<InvariantReport> {
  const addresses: IPAddressWire[] = [];
  const claims: IPAddressClaimWire[] = [];
  for (const ns of namespaces) {
    addresses.push(...(await ipam.addresses.listAll({ namespace: ns })).items);
    claims.push(...(await ipam.claims.listAll({ namespace: ns })).items);
  }
  const report: InvariantReport = {
    duplicates: [],
    outsideLayout: [],
    claimProblems: [],
    orphans: [],
    countMismatches: [],
    recounts: new Map(),
  };
  const claimByKey = new Map(
    claims.map((c) => [`${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`, c]),
  );
  const addressByKey = new Map(
    addresses.map((a) => [`${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`, a]),
  );

  for (const p of pools) {
    const key = poolRefKey(p);
    const obj: Pool = await ipam
      .pools(p.kind)
      .get(p.namespace === undefined ? { name: p.name } : { namespace: p.namespace, name: p.name });
    const layout = buildPoolLayout(obj.spec as IPPoolSpec);
    if (!layout.ok) {
      report.outsideLayout.push(`${key}: layout error ${layout.error.message}`);
      continue;
    }
    const mine = addresses.filter(
      (a) =>
        a.spec.poolRef.apiGroup === IPAM_GROUP &&
        a.spec.poolRef.kind === p.kind &&
        a.spec.poolRef.name === p.name &&
        (p.namespace === undefined || a.metadata.namespace === p.namespace),
    );
    const holders = new Map<string, string[]>();
    const inRange = new Set<string>();
    const outRange = new Set<string>();
    for (const a of mine) {
      const who = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
      const parsed = parseAddr(a.spec.address);
      const canonical = parsed.ok
        ? `${parsed.value.family}:${parsed.value.value.toString()}`
        : `raw:${a.spec.address}`;
      holders.set(canonical, [...(holders.get(canonical) ?? []), who]);
      if (parsed.ok && layout.value.allocatable.contains(parsed.value)) inRange.add(canonical);
      else {
        outRange.add(canonical);
        report.outsideLayout.push(
          `${key}: ${a.spec.address} (IPAddress ${who}) is outside the pool's current layout`,
        );
      }
    }
    for (const [addr, list] of holders) {
      if (list.length > 1) report.duplicates.push(`${key}: ${addr} held by ${list.join(', ')}`);
    }
    const total = layout.value.allocatable.size();
    const recount: Counts = {
      total,
      used: BigInt(mine.length),
      free: total - BigInt(inRange.size),
      outOfRange: BigInt(outRange.size),
    };
    report.recounts.set(key, recount);
    const s = obj.status?.ipAddresses;
    const status = {
      total: big(s?.total),
      used: big(s?.used),
      free: big(s?.free),
      outOfRange: big(s?.outOfRange),
    };
    if (
      status.total !== recount.total ||
      status.used !== recount.used ||
      status.free !== recount.free ||
      status.outOfRange !== recount.outOfRange
    ) {
      const fmt = (c: Partial<Record<keyof Counts, bigint | undefined>>): string =>
        `{total ${String(c.total)}, used ${String(c.used)}, free ${String(c.free)}, outOfRange ${String(c.outOfRange)}}`;
      report.countMismatches.push(`${key}: status ${fmt(status)} != recount ${fmt(recount)}`);
    }
  }

  for (const c of claims) {
    const key = `${c.metadata.namespace ?? ''}/${c.metadata.name ?? ''}`;
    if (c.metadata.deletionTimestamp !== undefined) continue;
    const claim = claimFromWire(c);
    const ready = claim.conditions.find((x) => x.type === 'Ready');
    if (ready?.status !== 'True') {
      report.claimProblems.push(
        `${key}: Ready ${ready?.status ?? 'missing'} ${ready?.reason ?? ''} ${ready?.message ?? ''}`,
      );
      continue;
    }
    if (claim.addressName !== c.metadata.name) {
      report.claimProblems.push(`${key}: status.addressRef ${claim.addressName ?? 'missing'}`);
      continue;
    }
    const a = addressByKey.get(key);
    if (a === undefined) {
      report.claimProblems.push(`${key}: Ready but IPAddress missing`);
      continue;
    }
    const controller = (a.metadata.ownerReferences ?? []).find((o) => o.controller === true);
    if (controller?.uid !== c.metadata.uid) {
      report.claimProblems.push(
        `${key}: IPAddress controlled by uid ${controller?.uid ?? 'none'}, claim uid ${c.metadata.uid ?? ''}`,
      );
    }
    if (a.spec.poolRef.kind !== claim.poolRef.kind || a.spec.poolRef.name !== claim.poolRef.name) {
      report.claimProblems.push(
        `${key}: IPAddress in ${a.spec.poolRef.kind}/${a.spec.poolRef.name}, claim wants ${claim.poolRef.kind}/${claim.poolRef.name}`,
      );
    }
  }
  for (const a of addresses) {
    const key = `${a.metadata.namespace ?? ''}/${a.metadata.name ?? ''}`;
    const c = claimByKey.get(key);
    if (c === undefined) report.orphans.push(`${key} (${a.spec.address}): no claim`);
  }
  return report;
}

export function invariantFailures(r: InvariantReport): string[] {
  return [...r.duplicates, ...r.outsideLayout, ...r.claimProblems, ...r.orphans, ...r.countMismatches];
}
