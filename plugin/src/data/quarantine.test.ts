// The quarantine as kubectl ipam explains it (ADR 0028): `explain POOL ADDRESS` and `explain claim`
// say "quarantined until T (grace period N s, claim ns/name deleted at T0)" from the claim's
// deletionTimestamp and the pool's grace, with no clock of their own.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainAddress, parseAddr } from '@ipam-in-cluster/allocator';
import { renderAddressExplanation, renderClaimDiagnosis } from '../commands/explain.js';
import { palette } from '../output/colour.js';
import { address, claim, ipPool } from '../testing/wire-objects.js';
import { diagnoseClaim } from './diagnose.js';
import { buildInventory } from './snapshot.js';

const LINE =
  'quarantined until 2026-01-02T00:00:30Z (grace period 60 s, claim a/gone deleted at 2026-01-01T23:59:30Z)';
const lease = { found: true, live: true, unknown: false, holder: 'ctrl-0' } as const;

function inventory(grace: number | undefined) {
  const gone = claim('a', 'gone', 'InClusterIPPool', 'nodes', { addressName: 'gone' });
  gone.metadata.deletionTimestamp = '2026-01-01T23:59:30Z';
  return buildInventory({
    pools: [
      ipPool('InClusterIPPool', 'a', 'nodes', {
        addresses: ['10.0.0.10-10.0.0.12'],
        prefix: 24,
        ...(grace === undefined ? {} : { addressReuseGracePeriodSeconds: grace }),
      }),
    ],
    claims: [gone],
    addresses: [address('a', 'gone', '10.0.0.10', 24, 'InClusterIPPool', 'nodes')],
  });
}

function explainGone(grace: number | undefined, now: Date): { address: string; claim: string } {
  const inv = inventory(grace);
  const pool = inv.pools[0] ?? assert.fail('pool');
  const addr = parseAddr('10.0.0.10');
  assert.ok(addr.ok && pool.layout !== undefined && pool.index !== undefined);
  const e = explainAddress(pool.layout, addr.value, pool.index);
  assert.ok(e.ok);
  const pal = palette(false);
  const gone = inv.claims[0] ?? assert.fail('claim');
  return {
    address: renderAddressExplanation(pool, e.value, pool.addresses, new Map(), undefined, pal, now),
    claim: renderClaimDiagnosis(diagnoseClaim(inv, gone, { lease, now }), [], pal, now),
  };
}

describe('quarantine in explain', () => {
  it('explain POOL ADDRESS and explain claim say until when, and since when', () => {
    const out = explainGone(60, new Date('2026-01-02T00:00:00Z'));
    assert.match(out.address, /held by IPAddress a\/gone for claim a\/gone \(being deleted\)/);
    assert.ok(out.address.includes(`  ${LINE}\n`), out.address);
    assert.ok(
      out.claim.startsWith(`Claim a/gone is being deleted; held: 10.0.0.10 is ${LINE}.\n`),
      out.claim,
    );
  });

  it('past the grace: still held, and said to be released by the controller', () => {
    const out = explainGone(60, new Date('2026-01-02T00:01:00Z'));
    assert.match(
      out.claim,
      /is quarantined until .* — over since 2026-01-02T00:00:30Z, the controller releases it\./,
    );
  });

  it('no grace period: no quarantine line', () => {
    const out = explainGone(undefined, new Date('2026-01-02T00:00:00Z'));
    assert.doesNotMatch(out.address, /quarantined/);
    assert.doesNotMatch(out.claim, /quarantined/);
  });
});
