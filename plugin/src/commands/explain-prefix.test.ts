import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildInventory } from '../data/snapshot.js';
import { address, prefixPool } from '../testing/wire-objects.js';
import { explainPrefixAddress } from './explain.js';

function pool() {
  const inv = buildInventory({
    pools: [prefixPool('a', 'pfx', { prefixes: ['fd00:aa::/48'], allocationPrefixLength: 64 })],
    claims: [],
    addresses: [
      address('a', 'p3', 'fd00:aa:0:3::', 64, 'InClusterPrefixPool', 'pfx'),
      address('a', 'wide', 'fd00:aa:0:10::', 62, 'InClusterPrefixPool', 'pfx'),
    ],
  });
  return inv.pools[0] ?? assert.fail('no pool');
}

describe('explain POOL PREFIX on a prefix pool', () => {
  it('an address inside an allocated prefix names that prefix and its holder (issue 16.5)', () => {
    const text = explainPrefixAddress(pool(), 'fd00:aa:0:3::5/64');
    assert.match(text, /^fd00:aa:0:3::5 is inside fd00:aa:0:3::\/64, which is allocated in a\/pfx\n/);
    assert.match(text, /fd00:aa:0:3::\/64 held by IPAddress a\/p3/);
    assert.match(
      explainPrefixAddress(pool(), 'fd00:aa:0:3::5'),
      /is inside fd00:aa:0:3::\/64, which is allocated/,
    );
  });

  it('the allocated prefix itself, a free one, and one that only overlaps a wider allocation', () => {
    assert.match(
      explainPrefixAddress(pool(), 'fd00:aa:0:3::/64'),
      /^fd00:aa:0:3::\/64 is allocated in a\/pfx/,
    );
    const free = explainPrefixAddress(pool(), 'fd00:aa:0:4::/64');
    assert.match(free, /^fd00:aa:0:4::\/64 is free in a\/pfx\n$/);
    const overlapped = explainPrefixAddress(pool(), 'fd00:aa:0:11::/64');
    assert.match(overlapped, /^fd00:aa:0:11::\/64 overlaps an allocation in a\/pfx/);
    assert.match(overlapped, /fd00:aa:0:10::\/62 held by IPAddress a\/wide/);
  });
});
