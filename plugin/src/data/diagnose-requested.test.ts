import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_REQUESTED_ADDRESS, ClaimReadyReason } from '@ipam-in-cluster/api';
import { renderClaimDiagnosis } from '../commands/explain.js';
import { palette } from '../output/colour.js';
import { address, claim, ipPool, prefixPool } from '../testing/wire-objects.js';
import { diagnoseClaim } from './diagnose.js';
import { buildInventory } from './snapshot.js';

const NOW = new Date('2026-01-02T00:00:00Z');
const PLAIN = palette(false);
const lease = { found: true, live: true, unknown: false, holder: 'ctrl-0' } as const;

function asking(c: ReturnType<typeof claim>, value: string): ReturnType<typeof claim> {
  c.metadata.annotations = { [ANNOTATION_REQUESTED_ADDRESS]: value };
  return c;
}

const RESERVATION_REFUSAL =
  'requested address 10.0.0.60 is taken by IPAddressReservation a/lb in InClusterIPPool a/nodes';

/** Ready=False as the controller writes it when a reservation, which this view cannot see, holds the address. */
function refusedByController(c: ReturnType<typeof claim>): ReturnType<typeof claim> {
  c.status = {
    conditions: [
      {
        type: 'Ready',
        status: 'False',
        reason: ClaimReadyReason.RequestedAddressTaken,
        message: RESERVATION_REFUSAL,
        lastTransitionTime: '2026-01-01T00:00:00Z',
      },
    ],
  };
  return c;
}

function diagnose(name: string) {
  const inv = buildInventory({
    pools: [
      ipPool('InClusterIPPool', 'a', 'nodes', {
        addresses: ['10.0.0.0/24'],
        excludedAddresses: ['10.0.0.50'],
        gateway: '10.0.0.1',
        prefix: 24,
      }),
      prefixPool('a', 'pp', { prefixes: ['fd00::/48'], allocationPrefixLength: 64 }),
    ],
    claims: [
      claim('a', 'holder', 'InClusterIPPool', 'nodes', { addressName: 'holder' }),
      asking(claim('a', 'got', 'InClusterIPPool', 'nodes', { addressName: 'got' }), '10.0.0.7'),
      asking(claim('a', 'late', 'InClusterIPPool', 'nodes', { addressName: 'late' }), '10.0.0.9'),
      asking(claim('a', 'taken', 'InClusterIPPool', 'nodes'), '10.0.0.2'),
      asking(claim('a', 'excluded', 'InClusterIPPool', 'nodes'), '10.0.0.50'),
      asking(claim('a', 'free', 'InClusterIPPool', 'nodes'), '10.0.0.99'),
      refusedByController(asking(claim('a', 'held-by-reservation', 'InClusterIPPool', 'nodes'), '10.0.0.60')),
      asking(claim('a', 'bad', 'InClusterIPPool', 'nodes'), 'ten'),
      asking(claim('a', 'prefix', 'InClusterPrefixPool', 'pp'), 'fd00::'),
      claim('a', 'plain', 'InClusterIPPool', 'nodes'),
    ],
    addresses: [
      address('a', 'holder', '10.0.0.2', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'got', '10.0.0.7', 24, 'InClusterIPPool', 'nodes'),
      address('a', 'late', '10.0.0.3', 24, 'InClusterIPPool', 'nodes'),
    ],
    readAt: NOW,
  });
  const c = inv.claims.find((x) => x.name === name) ?? assert.fail(name);
  return diagnoseClaim(inv, c, { lease, now: NOW });
}

describe('explain claim: requested address', () => {
  it('says why a claim holds its address: requested, or the lowest free', () => {
    const got = diagnose('got');
    assert.deepEqual(
      [got.state, got.requested?.state, got.requested?.address],
      ['bound', 'held', '10.0.0.7'],
    );
    const text = renderClaimDiagnosis(got, [], PLAIN, NOW);
    assert.match(
      text,
      /why this address: the claim requested it \(annotation ipam-in-cluster\.dev\/requested-address=10\.0\.0\.7\)/,
    );
    assert.equal(diagnose('plain').requested, undefined);
  });

  it('says when the annotation differs from the address held (no re-allocation)', () => {
    const late = diagnose('late');
    assert.equal(late.requested?.state, 'differs');
    assert.match(
      renderClaimDiagnosis(late, [], PLAIN, NOW),
      /requested address \(ipam-in-cluster\.dev\/requested-address\): 10\.0\.0\.9, but the claim holds 10\.0\.0\.3: the annotation came after the allocation/,
    );
  });

  it('names the holder of a taken address and the reason of a refused one, as the controller does', () => {
    const taken = diagnose('taken');
    assert.equal(taken.state, 'pending');
    assert.deepEqual(
      [taken.requested?.state, taken.requested?.reason],
      ['refused', ClaimReadyReason.RequestedAddressTaken],
    );
    assert.match(
      taken.requested?.message ?? '',
      /requested address 10\.0\.0\.2 is taken by IPAddressClaim a\/holder in InClusterIPPool a\/nodes/,
    );
    const excluded = diagnose('excluded');
    assert.equal(excluded.requested?.reason, ClaimReadyReason.RequestedAddressExcluded);
    assert.match(
      renderClaimDiagnosis(excluded, [], PLAIN, NOW),
      /\n {2}✗ requested address 10\.0\.0\.50 is excluded by spec\.excludedAddresses\[0\] \(10\.0\.0\.50\)/,
    );
    assert.equal(diagnose('bad').requested?.reason, ClaimReadyReason.RequestedAddressInvalid);
    assert.equal(diagnose('prefix').requested?.reason, ClaimReadyReason.RequestedAddressUnsupported);
  });

  it("takes the controller's refusal when a holder it cannot see (a reservation) holds the address", () => {
    const held = diagnose('held-by-reservation');
    assert.deepEqual(
      [held.requested?.state, held.requested?.reason, held.requested?.message],
      ['refused', ClaimReadyReason.RequestedAddressTaken, RESERVATION_REFUSAL],
    );
  });

  it('says a free requested address is the one the controller allocates', () => {
    const free = diagnose('free');
    assert.deepEqual([free.requested?.state, free.requested?.address], ['free', '10.0.0.99']);
  });
});
