import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FINALIZER_RELEASE_ADDRESS, MAX_STATUS_COUNT, type Pool } from '@ipam-in-cluster/api';
import { toStatusCounts } from '@ipam-in-cluster/allocator';
import { PoolRegistry } from './pool-registry.js';
import { setPoolSpec } from './pool-registry.test-helper.js';
import {
  duplicatesMessage,
  findDuplicates,
  mayHaveDuplicates,
  poolConditions,
  quarantinedCount,
  sameCounts,
  utilisationAtLeast,
} from './pool-logic.js';

const counts = (total: bigint, free: bigint, used = total - free, outOfRange = 0n) => ({
  total,
  used,
  allocated: total - free,
  free,
  outOfRange,
});

describe('toStatusCounts', () => {
  it('caps every count at 2^63-1 exactly', () => {
    const huge = 1n << 72n;
    assert.deepEqual(toStatusCounts(counts(huge, huge - 1n, 1n)), {
      total: MAX_STATUS_COUNT,
      used: 1n,
      free: MAX_STATUS_COUNT,
      outOfRange: 0n,
    });
  });

  it('compares with numbers or bigints from the wire', () => {
    assert.equal(
      sameCounts(
        { total: 4, used: 1, free: 3, outOfRange: 0 },
        { total: 4n, used: 1n, free: 3n, outOfRange: 0n },
      ),
      true,
    );
    assert.equal(
      sameCounts(
        { total: MAX_STATUS_COUNT, used: 0, free: MAX_STATUS_COUNT, outOfRange: 0 },
        toStatusCounts(counts(1n << 70n, 1n << 70n, 0n)),
      ),
      true,
    );
    assert.equal(sameCounts(undefined, toStatusCounts(counts(1n, 1n, 0n))), false);
  });
});

describe('utilisationAtLeast', () => {
  it('uses in-range allocations against total, exactly', () => {
    assert.equal(utilisationAtLeast(counts(10n, 2n), 80), true);
    assert.equal(utilisationAtLeast(counts(10n, 3n), 80), false);
    assert.equal(utilisationAtLeast(counts(0n, 0n), 80), false);
    assert.equal(utilisationAtLeast(counts(1n << 100n, 1n), 100), false);
  });
});

describe('poolConditions', () => {
  const base = {
    deleting: false,
    references: 0,
    invalidAddresses: [],
    duplicates: [],
    thresholdPercent: 90,
    unit: 'address' as const,
    generation: 3,
  };
  it('Ready/Exhausted/HighUtilization/DuplicateAddresses for a valid pool', () => {
    const c = poolConditions({ ...base, specError: undefined, counts: counts(5n, 0n) });
    assert.deepEqual(
      c.map((x) => [x.type, x.status, x.reason, x.observedGeneration]),
      [
        ['Ready', 'True', 'Valid', 3],
        ['Exhausted', 'True', 'NoFreeAddresses', 3],
        ['HighUtilization', 'True', 'AboveThreshold', 3],
        ['DuplicateAddresses', 'False', 'NoDuplicates', 3],
      ],
    );
  });

  it('DuplicateAddresses True names each shared address and its IPAddresses', () => {
    const c = poolConditions({
      ...base,
      specError: undefined,
      counts: counts(5n, 4n, 2n),
      duplicates: [{ address: '10.0.0.1', holders: ['a/x', 'b/y'] }],
    });
    const dup = c.find((x) => x.type === 'DuplicateAddresses');
    assert.equal(dup?.status, 'True');
    assert.equal(dup.reason, 'DuplicatesFound');
    assert.match(
      dup.message,
      /^1 address\(es\) held by more than one IPAddress: 10\.0\.0\.1 held by IPAddresses a\/x, b\/y;/,
    );
    // Ready stays True: a duplicate does not stop the pool from serving its free addresses.
    assert.equal(c[0]?.status, 'True');
    // No counts (invalid spec, deleting): no count-based conditions at all.
    assert.equal(
      poolConditions({ ...base, specError: 'bad', counts: undefined }).some(
        (x) => x.type === 'DuplicateAddresses',
      ),
      false,
    );
  });

  it('InvalidSpec, Deleting, and unparsable IPAddresses in the Ready message', () => {
    assert.equal(poolConditions({ ...base, specError: 'bad', counts: undefined })[0]?.reason, 'InvalidSpec');
    assert.equal(
      poolConditions({ ...base, specError: undefined, deleting: true, references: 2, counts: undefined })[0]
        ?.reason,
      'Deleting',
    );
    const ready = poolConditions({
      ...base,
      specError: undefined,
      counts: counts(5n, 5n),
      invalidAddresses: ['ns/x'],
    })[0];
    assert.match(ready?.message ?? '', /ns\/x/);
  });
});

describe('duplicate addresses', () => {
  it('finds addresses held by more than one IPAddress, in canonical form, ignoring unparsable ones', () => {
    assert.deepEqual(
      findDuplicates(
        [
          { key: 'ns/a', address: '10.0.0.5', prefix: 24 },
          { key: 'ns/b', address: '10.0.0.6', prefix: 24 },
          { key: 'other/c', address: '10.0.0.5', prefix: 24 },
          { key: 'ns/d', address: 'fd00:0::1', prefix: 64 },
          { key: 'ns/e', address: 'fd00::1', prefix: 64 },
          { key: 'ns/f', address: 'fd00::0:1', prefix: 64 },
          { key: 'ns/g', address: 'nonsense', prefix: 24 },
          { key: 'ns/h', address: 'nonsense', prefix: 24 },
        ],
        'ip',
      ),
      [
        { address: '10.0.0.5', holders: ['ns/a', 'other/c'] },
        { address: 'fd00::1', holders: ['ns/d', 'ns/e', 'ns/f'] },
      ],
    );
    assert.deepEqual(findDuplicates([{ key: 'ns/a', address: '10.0.0.5', prefix: 24 }], 'ip'), []);
  });

  it('compares masked prefixes in prefix pools; different lengths are not duplicates', () => {
    assert.deepEqual(
      findDuplicates(
        [
          { key: 'ns/a', address: 'fd00::', prefix: 64 },
          { key: 'ns/b', address: 'fd00::1', prefix: 64 },
          { key: 'ns/c', address: 'fd00::', prefix: 56 },
          { key: 'ns/d', address: 'fd00::', prefix: undefined },
        ],
        'prefix',
      ),
      [{ address: 'fd00::/64', holders: ['ns/a', 'ns/b'] }],
    );
  });

  it('lists at most five addresses and five holders each', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({
      address: `10.0.0.${i}`,
      holders: Array.from({ length: 7 }, (_, j) => `ns/a${i}${j}`),
    }));
    const m = duplicatesMessage(many, 'address');
    assert.match(m, /^7 address\(es\)/);
    assert.match(m, /ns\/a00, ns\/a01, ns\/a02, ns\/a03, ns\/a04, \.\.\. \(2 more\)/);
    assert.match(m, /; \.\.\. \(2 more\);/);
    assert.doesNotMatch(m, /10\.0\.0\.5/);
    assert.equal(duplicatesMessage([], 'address'), '');
  });

  it('the counts of a real pool index flag duplicates exactly (IP pools), and the address is never handed out', async () => {
    const indexes = new PoolRegistry();
    const key = 'InClusterIPPool/ns/p';
    assert.equal(
      setPoolSpec(indexes, key, { type: 'ip', spec: { addresses: ['10.0.0.1-10.0.0.3'], prefix: 24 } }).ok,
      true,
    );
    const flagged = (): boolean => {
      const c = indexes.counts(key);
      assert.ok(c);
      return mayHaveDuplicates(c, 'ip');
    };
    indexes.hold(key, 'ns/a', '10.0.0.1', 24);
    indexes.hold(key, 'ns/out', '192.168.0.1', 24); // out of range, held once
    indexes.hold(key, 'ns/bad', 'nonsense', 24); // unparsable, counted in used
    assert.equal(flagged(), false);
    indexes.hold(key, 'ns/b', '10.0.0.1', 24);
    assert.equal(flagged(), true);
    // used counts both IPAddresses; free counts 10.0.0.1 once (2 of 3 left).
    const c = indexes.counts(key);
    assert.deepEqual([c?.used, c?.free, c?.outOfRange], [4n, 2n, 1n]);
    // A shared out-of-range address is a duplicate too.
    indexes.release(key, 'ns/b');
    assert.equal(flagged(), false);
    indexes.hold(key, 'ns/out2', '192.168.0.1', 24);
    assert.equal(flagged(), true);
    indexes.release(key, 'ns/out2');
    // One holder of a shared address gone: the other still holds it; the allocator skips it.
    indexes.hold(key, 'ns/b', '10.0.0.1', 24);
    indexes.release(key, 'ns/a');
    const r = await indexes.allocate(key, 'ns/new');
    assert.equal(r.ok ? r.reservation.address : r.reason, '10.0.0.2');
    assert.equal(flagged(), false);
  });

  it('prefix pools always scan (their out-of-range holders are not distinct in the counts)', () => {
    const c = { total: 4n, used: 2n, allocated: 0n, free: 4n, outOfRange: 2n, invalid: [] };
    assert.equal(mayHaveDuplicates(c, 'prefix'), true);
    assert.equal(mayHaveDuplicates({ ...c, used: 1n, outOfRange: 1n }, 'prefix'), false);
  });
});

describe('quarantinedCount', () => {
  const pool = (grace: number | undefined): Pool => ({
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: { name: 'p', namespace: 'ns' },
    spec: {
      addresses: ['10.0.0.0/24'],
      prefix: 24,
      ...(grace === undefined ? {} : { addressReuseGracePeriodSeconds: grace }),
    },
  });
  const claim = (name: string, deleting: boolean, finalizer = true) => ({
    metadata: {
      namespace: 'ns',
      name,
      ...(deleting ? { deletionTimestamp: '2026-12-07T09:00:00Z' } : {}),
      finalizers: finalizer ? [FINALIZER_RELEASE_ADDRESS] : [],
    },
  });
  const claims = [
    claim('a', true),
    claim('b', false),
    claim('c', true, false),
    claim('d', true),
    claim('e', true),
  ];
  const withAddress = new Set(['a', 'b', 'c', 'd']);

  it('counts deleted claims still holding their IPAddress, only with a grace period', () => {
    const has = (_ns: string, name: string): boolean => withAddress.has(name);
    assert.equal(
      quarantinedCount(pool(30), () => claims, has),
      2n,
    );
    let read = false;
    const noClaims = () => {
      read = true;
      return claims;
    };
    assert.equal(quarantinedCount(pool(undefined), noClaims, has), 0n);
    assert.equal(quarantinedCount(pool(0), noClaims, has), 0n);
    assert.equal(read, false, 'no grace period: the claims are not even read');
  });

  it('status counts compare quarantined too (absent on the wire = not written yet)', () => {
    const c = { total: 4n, used: 1n, free: 3n, outOfRange: 0n };
    assert.equal(sameCounts({ total: 4, used: 1, free: 3, outOfRange: 0 }, { ...c, quarantined: 0n }), false);
    assert.equal(
      sameCounts({ total: 4, used: 1, free: 3, outOfRange: 0, quarantined: 1 }, { ...c, quarantined: 1n }),
      true,
    );
    assert.equal(sameCounts({ total: 4, used: 1, free: 3, outOfRange: 0 }, c), true);
  });
});
