import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dryRunAdvice } from '../commands/release.js';
import {
  CoverageRecorder,
  EVERYWHERE,
  NOWHERE,
  coverageWarning,
  covers,
  inNamespace,
  merged,
  poolAddressesCovered,
  poolKindCovered,
} from './coverage.js';
import { audit, makeReport, releasableFromReport } from './doctor.js';
import type { ReadCoverage } from './model.js';
import { address, claim, ipPool, withControllerStatus } from '../testing/wire-objects.js';
import { planRelease, releaseTargetOf } from './release.js';
import { buildInventory } from './snapshot.js';

const NOW = new Date('2026-01-02T00:00:00Z');
const liveLease = { found: true, live: true, unknown: false, holder: 'ctrl-0' } as const;

/** What a user who may read everything in namespace `a` and nothing cluster-wide sees. */
const namespaceOnly: ReadCoverage = {
  pools: { InClusterIPPool: inNamespace('a'), GlobalInClusterIPPool: NOWHERE },
  addresses: inNamespace('a'),
  claims: inNamespace('a'),
  skipped: ['globalinclusterippools', 'ipaddresses in all namespaces (read in a only)'],
};

function wire() {
  return {
    pools: [
      withControllerStatus(
        ipPool('InClusterIPPool', 'a', 'nodes', { addresses: ['10.0.0.10-10.0.0.12'], prefix: 24 }),
        { total: 3, used: 1, free: 2, outOfRange: 0 },
      ),
      withControllerStatus(
        ipPool('GlobalInClusterIPPool', undefined, 'shared', {
          addresses: ['10.9.0.1-10.9.0.4'],
          prefix: 24,
        }),
        { total: 4, used: 2, free: 2, outOfRange: 0 },
      ),
    ],
    claims: [claim('a', 'c1', 'InClusterIPPool', 'nodes', { addressName: 'c1' })],
    addresses: [
      address('a', 'c1', '10.0.0.10', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'g1', '10.9.0.1', 24, 'GlobalInClusterIPPool', 'shared'),
      address('a', 'lost', '10.0.0.11', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'elsewhere', '10.0.0.12', 24, 'InClusterPrefixPool', 'gone'),
    ],
    readAt: NOW,
  };
}

/** IPAddress orphan-1 of a/nodes for a claim of another name (created by hand, not by the controller). */
function orphanOf(claimName: string) {
  const w = address('a', 'orphan-1', '10.0.0.11', 24, 'InClusterIPPool', 'nodes');
  (w.spec as { claimRef: { name: string } }).claimRef = { name: claimName };
  return w;
}

describe('read coverage (forbidden lists are skipped, never guessed)', () => {
  it('covers, merges and names what was skipped in one line', () => {
    assert.equal(covers(EVERYWHERE, undefined), true);
    assert.equal(covers(inNamespace('a'), 'a'), true);
    assert.equal(covers(inNamespace('a'), 'b'), false);
    assert.equal(covers(inNamespace('a'), undefined), false);
    assert.deepEqual(merged([inNamespace('b'), NOWHERE, inNamespace('a')]), {
      all: false,
      namespaces: ['a', 'b'],
    });
    assert.equal(poolKindCovered(namespaceOnly, 'GlobalInClusterIPPool', undefined), false);
    assert.equal(poolKindCovered(namespaceOnly, 'InClusterIPPool', 'a'), true);
    assert.equal(poolKindCovered(namespaceOnly, 'InClusterPrefixPool', 'a'), true, 'absent: read in full');
    assert.equal(poolAddressesCovered(namespaceOnly, undefined), false);
    assert.equal(poolAddressesCovered(namespaceOnly, 'a'), true);
    assert.equal(
      coverageWarning(namespaceOnly),
      'not allowed to list globalinclusterippools; ipaddresses in all namespaces (read in a only): showing what you may see (counts and checks that need the rest are marked or left out)',
    );
    const rec = new CoverageRecorder();
    rec.skip('x');
    rec.skip('x');
    assert.deepEqual(rec.result().skipped, ['x']);
    assert.equal(coverageWarning(new CoverageRecorder().result()), undefined);
  });

  it('a global pool counted from one namespace is partial and not compared with its status', () => {
    const full = buildInventory(wire());
    const g = full.pools.find((p) => p.id === 'global/shared');
    assert.equal(g?.partial, undefined);
    assert.deepEqual(g?.statusMismatch, ['used', 'free'], 'complete data: the status disagrees');
    const inv = buildInventory({ ...wire(), coverage: namespaceOnly });
    const partial = inv.pools.find((p) => p.id === 'global/shared');
    assert.equal(partial?.partial, true);
    assert.deepEqual(partial.statusMismatch, [], 'partial counts prove no status wrong');
    assert.equal(inv.pools.find((p) => p.id === 'a/nodes')?.partial, undefined);
  });

  it('doctor reports no finding computed from data it could not read', () => {
    const facts = { factsFor: () => ({ lease: liveLease, now: NOW }), now: NOW, minAgeSeconds: 30 };
    const checks = (cov: ReadCoverage | undefined): string[] =>
      audit(buildInventory({ ...wire(), ...(cov === undefined ? {} : { coverage: cov }) }), facts).map(
        (f) => `${f.check} ${f.object.name}`,
      );
    const full = checks(undefined);
    assert.ok(full.includes('orphaned-address lost'));
    assert.ok(full.includes('address-pool-missing elsewhere'));
    assert.ok(full.includes('status-mismatch shared'));
    const noClaims = checks({
      ...namespaceOnly,
      claims: NOWHERE,
      pools: { ...namespaceOnly.pools, InClusterPrefixPool: NOWHERE },
    });
    assert.ok(!noClaims.some((c) => c.startsWith('orphaned-address')), noClaims.join(', '));
    assert.ok(!noClaims.includes('address-pool-missing elsewhere'));
    assert.ok(!noClaims.includes('status-mismatch shared'));
  });

  it('a doctor report names the claim, which --from-report re-checks (not the IPAddress name)', () => {
    const inv = buildInventory({
      ...wire(),
      addresses: [orphanOf('gone-claim')],
    });
    const report = makeReport(
      audit(inv, { factsFor: () => ({ lease: liveLease, now: NOW }), now: NOW, minAgeSeconds: 30 }),
      { now: NOW, context: 'c', namespace: 'a', allNamespaces: false },
    );
    const items = releasableFromReport(JSON.parse(JSON.stringify(report)));
    assert.deepEqual(
      items.map((i) => [i.object.name, i.claim]),
      [['orphan-1', 'gone-claim']],
    );
    // A report written before `claim` existed falls back to the IPAddress name.
    const old = JSON.parse(JSON.stringify(report)) as { findings: Record<string, unknown>[] };
    for (const f of old.findings) delete f.claim;
    assert.equal(releasableFromReport(old)[0]?.claim, 'orphan-1');
  });

  it('a refused dry run says --force --yes; a mixed one says both', () => {
    const inv = buildInventory(wire());
    const live = inv.addresses.find((a) => a.name === 'c1') ?? assert.fail();
    const orphan = inv.addresses.find((a) => a.name === 'lost') ?? assert.fail();
    const refused = planRelease(releaseTargetOf(live), { force: false });
    const free = planRelease(releaseTargetOf(orphan), { force: false });
    assert.match(dryRunAdvice([refused], false), /^Re-run with --force --yes to release anyway/);
    assert.equal(dryRunAdvice([free], false), 'Re-run with --yes to release.');
    assert.equal(
      dryRunAdvice([free, refused], false),
      'Re-run with --yes to release the 1 without a claim, or with --force --yes to release all 2.',
    );
    assert.equal(
      dryRunAdvice([planRelease(releaseTargetOf(live), { force: true })], true),
      'Re-run with --force --yes to release.',
    );
  });
});
