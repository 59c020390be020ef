import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, ExitCode } from '../errors/cli-error.js';
import { LEADER_ELECTION_ID } from '@ipam-in-cluster/api';
import { diagnoseClaim, leaseState } from './diagnose.js';
import { audit } from './doctor.js';
import { address, claim, ipPool } from '../testing/wire-objects.js';
import { planRelease, releaseTargetOf } from './release.js';
import { findAddresses, resolvePool } from './resolve.js';
import { buildInventory, severityOf } from './snapshot.js';

const NOW = new Date('2026-01-02T00:00:00Z');
const liveLease = { found: true, live: true, unknown: false, holder: 'ctrl-0' } as const;

function inventory() {
  return buildInventory({
    pools: [
      ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.10-10.0.0.12'], prefix: 24 }),
      ipPool('InClusterIPPool', 'b', 'nodes', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
      ipPool('GlobalInClusterIPPool', undefined, 'shared', { addresses: ['10.9.0.1'], prefix: 24 }),
      ipPool('InClusterIPPool', 'a', 'broken', { addresses: ['nope'], prefix: 24 }),
    ],
    claims: [
      claim('a', 'c1', 'InClusterIPPool', 'nodes', { addressName: 'c1' }),
      claim('a', 'c2', 'InClusterIPPool', 'nodes', { addressName: 'c2' }),
      claim('a', 'c3', 'InClusterIPPool', 'nodes'),
      claim('a', 'g1', 'GlobalInClusterIPPool', 'shared', { addressName: 'g1' }),
      claim('a', 'fresh', 'InClusterIPPool', 'missing', {
        finalizers: [],
        createdAt: '2026-01-01T23:59:50Z',
      }),
      claim('a', 'unseen', 'InClusterIPPool', 'missing', { finalizers: [] }),
    ],
    addresses: [
      address('a', 'c1', '10.0.0.10', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'c2', '10.0.0.10', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'old', '10.0.0.99', 24, 'InClusterIPPool', 'nodes', []),
      address('b', 'x', '10.0.0.10', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'g1', '10.9.0.1', 24, 'GlobalInClusterIPPool', 'shared'),
    ],
    readAt: NOW,
  });
}

describe('buildInventory', () => {
  it('computes counts and per-address state with the allocator', () => {
    const inv = inventory();
    const a = inv.pools.find((p) => p.id === 'a/nodes');
    assert.ok(a);
    assert.deepEqual(a.counts, { total: 3n, used: 3n, allocated: 1n, free: 2n, outOfRange: 1n });
    assert.deepEqual(
      a.addresses.map((x) => [x.name, x.state]),
      [
        ['c1', 'duplicate'],
        ['c2', 'duplicate'],
        ['old', 'out-of-range'],
      ],
    );
    assert.equal(inv.pools.find((p) => p.id === 'global/shared')?.severity, 'full');
    assert.match(inv.pools.find((p) => p.id === 'a/broken')?.error ?? '', /nope/);
    assert.deepEqual(
      inv.pools.map((p) => p.id),
      ['a/broken', 'a/nodes', 'b/nodes', 'global/shared'],
    );
  });
  it('severity thresholds: 75 % warning, 90 % critical, full, empty', () => {
    const c = (total: bigint, free: bigint) => ({
      total,
      used: total - free,
      allocated: total - free,
      free,
      outOfRange: 0n,
    });
    assert.equal(severityOf(c(100n, 26n), false), 'ok');
    assert.equal(severityOf(c(100n, 25n), false), 'warning');
    assert.equal(severityOf(c(100n, 10n), false), 'critical');
    assert.equal(severityOf(c(100n, 0n), false), 'full');
    assert.equal(severityOf(c(0n, 0n), false), 'empty');
    assert.equal(severityOf(c(100n, 0n), true), 'invalid');
  });
});

describe('naming pools and addresses', () => {
  const base = { global: false, kind: undefined, namespace: 'a', allNamespaces: false };
  it('resolves NAME, NAMESPACE/NAME, global/NAME and --global', () => {
    const inv = inventory();
    assert.equal(resolvePool(inv, { ...base, text: 'nodes' }).id, 'a/nodes');
    assert.equal(resolvePool(inv, { ...base, text: 'b/nodes' }).id, 'b/nodes');
    assert.equal(resolvePool(inv, { ...base, text: 'global/shared' }).id, 'global/shared');
    assert.equal(resolvePool(inv, { ...base, text: 'shared', global: true }).id, 'global/shared');
    assert.equal(resolvePool(inv, { ...base, text: 'shared' }).id, 'global/shared');
  });
  it('refuses ambiguous and unknown names with usage / not-found exit codes', () => {
    const inv = inventory();
    assert.throws(
      () => resolvePool(inv, { ...base, text: 'nodes', allNamespaces: true }),
      (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.Usage && /ambiguous/.test(e.message),
    );
    assert.throws(
      () => resolvePool(inv, { ...base, text: 'nope' }),
      (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.NotFound,
    );
    assert.throws(
      () => resolvePool(inv, { ...base, text: 'a/b/c' }),
      (e: unknown) => e instanceof CliError && e.exitCode === ExitCode.Usage,
    );
  });
  it('finds addresses by IP (canonically) or by name', () => {
    const inv = inventory();
    assert.deepEqual(
      findAddresses(inv, '10.0.0.10', { namespace: 'a', allNamespaces: true }).map(
        (x) => `${x.namespace}/${x.name}`,
      ),
      ['a/c1', 'a/c2', 'b/x'],
    );
    assert.deepEqual(
      findAddresses(inv, 'g1', { namespace: 'a', allNamespaces: false }).map((x) => x.address),
      ['10.9.0.1'],
    );
  });
});

describe('claims, doctor, release plans', () => {
  it('diagnoses pending claims in the controller’s order', () => {
    const inv = inventory();
    const get = (n: string) => inv.claims.find((c) => c.name === n) ?? assert.fail(n);
    const c3 = diagnoseClaim(inv, get('c3'), { lease: liveLease, now: NOW });
    assert.equal(c3.state, 'pending');
    const unseen = diagnoseClaim(inv, get('unseen'), { lease: liveLease, now: NOW });
    assert.deepEqual(
      unseen.blockers.map((b) => b.code),
      ['pool-missing'],
    );
    const noCtl = diagnoseClaim(inv, get('fresh'), {
      lease: { found: false, live: false, unknown: false },
      now: NOW,
    });
    // No Lease proves nothing (a controller run without leader election leaves none): a note, not a blocker.
    assert.deepEqual(
      noCtl.blockers.map((b) => b.code),
      ['pool-missing'],
    );
    assert.ok(
      noCtl.notes.some((n) =>
        /^cannot tell whether a controller is running: no leader-election Lease/.test(n),
      ),
    );
    // A Lease of namespace sys that is not live: released (no holder) or stale (a holder).
    const stopped = (lease: { holder: string; renewedAt?: Date; expiresAt?: Date }) =>
      diagnoseClaim(inv, get('fresh'), {
        lease: { found: true, namespace: 'sys', live: false, unknown: false, ...lease },
        now: NOW,
      }).blockers.find((b) => b.code === 'controller-not-running')?.message;
    assert.equal(
      stopped({ holder: '', renewedAt: new Date('2026-01-01T10:00:00Z') }),
      `the controller stopped at 2026-01-01T10:00:00Z: it released its leader Lease sys/${LEADER_ELECTION_ID} and no controller holds it now`,
    );
    assert.equal(
      stopped({ holder: 'pod-1', expiresAt: new Date('2026-01-01T10:00:15Z') }),
      `the controller's leader Lease sys/${LEADER_ELECTION_ID} is not renewed (expired 2026-01-01T10:00:15Z); holder pod-1: the controller stopped or hangs`,
    );
    assert.equal(leaseState({ found: false, live: false, unknown: true }).state, 'unknown');
    assert.equal(leaseState(liveLease).state, 'live');
    const g1 = diagnoseClaim(inv, get('g1'), { lease: liveLease, now: NOW });
    assert.equal(g1.state, 'bound');
    assert.equal(g1.address?.address, '10.9.0.1');
  });
  it('a claim whose same-named IPAddress the controller refused is pending, with the reason and the way out', () => {
    const refusedClaim = claim('a', 'c3', 'InClusterIPPool', 'nodes');
    const message =
      'IPAddress a/c3 holds 192.168.1.1/24, which InClusterIPPool a/nodes cannot hand out: it is not adopted; delete it';
    refusedClaim.status = {
      conditions: [
        {
          type: 'Ready',
          status: 'False',
          reason: 'AddressConflict',
          message,
          lastTransitionTime: '2026-01-01T00:00:00Z',
        },
      ],
    };
    const inv = buildInventory({
      pools: [ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.10-10.0.0.12'], prefix: 24 })],
      claims: [refusedClaim],
      addresses: [address('a', 'c3', '192.168.1.1', 24, 'InClusterIPPool', 'nodes', [])],
    });
    const d = diagnoseClaim(inv, inv.claims[0] ?? assert.fail(), { lease: liveLease, now: NOW });
    assert.equal(d.state, 'pending');
    assert.deepEqual(
      d.blockers.map((b) => b.message),
      [`condition Ready=False AddressConflict: ${message}`],
    );
  });
  it('doctor reports orphans (releasable), duplicates, out of range, overlaps, missing finalizers', () => {
    const inv = inventory();
    const f = audit(inv, { now: NOW, minAgeSeconds: 30, factsFor: () => ({ lease: liveLease, now: NOW }) });
    const got = f.map(
      (x) =>
        `${x.severity} ${x.check} ${x.object.namespace ?? ''}/${x.object.name}${x.releasable ? ' R' : ''}`,
    );
    assert.ok(got.includes('error orphaned-address a/old R'));
    assert.ok(got.includes('error duplicate-address a/c1'));
    assert.ok(got.includes('warning address-out-of-range a/old'));
    assert.ok(got.includes('warning duplicate-across-pools b/x'));
    assert.ok(got.includes('warning missing-finalizer a/old'));
    assert.ok(got.includes('error invalid-pool a/broken'));
    assert.ok(got.includes('warning pending-claim a/unseen'));
    assert.ok(!got.some((g) => g.includes('a/fresh')), 'younger than --min-age');
  });
  it('release plans refuse a live claim unless forced, and always warn about the machine', () => {
    const inv = inventory();
    const c1 = inv.addresses.find((a) => a.name === 'c1') ?? assert.fail();
    const refused = planRelease(releaseTargetOf(c1), { force: false });
    assert.match(refused.refused ?? '', /claim a\/c1 still exists/);
    const forced = planRelease(releaseTargetOf(c1), { force: true });
    assert.equal(forced.refused, undefined);
    assert.match(
      forced.steps[0] ?? '',
      /PATCH ipaddresses\/c1 -n a .*test resourceVersion=3.*remove finalizer ipam\.cluster\.x-k8s\.io\/ProtectAddress/,
    );
    assert.match(forced.steps[1] ?? '', /DELETE ipaddresses\/c1 -n a \(preconditions uid=uid-addr-c1\)/);
    assert.ok(forced.warnings.some((w) => /a machine may still be using 10\.0\.0\.10/.test(w)));
  });
});
