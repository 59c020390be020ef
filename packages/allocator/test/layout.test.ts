import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AllocationIndex,
  IPSet,
  MAX_INT64,
  buildPoolLayout,
  capInt64,
  formatAddr,
  formatRange,
  toStatusCounts,
  type IPPoolSpec,
} from '../src/index.js';
import { addr, allocateN, layout, must, range } from './helpers.js';

function contains(spec: IPPoolSpec, a: string): boolean {
  return layout(spec).allocatable.contains(addr(a));
}

describe('pool layout: upstream PoolSpecToIPSet examples (§15.2)', () => {
  const cases: { name: string; spec: IPPoolSpec; total: bigint; in?: string[]; out?: string[] }[] = [
    {
      name: 'prefix /0 allowed',
      spec: { gateway: '192.168.0.1', prefix: 0, addresses: ['192.168.0.3-192.168.0.10'] },
      total: 8n,
      in: ['192.168.0.3', '192.168.0.7'],
    },
    {
      name: 'mixed entries',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.2', '192.168.0.3-192.168.0.4', '192.168.0.6/31'],
      },
      total: 5n,
      in: ['192.168.0.2', '192.168.0.3', '192.168.0.4', '192.168.0.6', '192.168.0.7'],
    },
    {
      name: 'network address excluded',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.0', '192.168.0.3-192.168.0.4', '192.168.0.6/31'],
      },
      total: 4n,
      out: ['192.168.0.0'],
    },
    {
      name: 'broadcast excluded with /16',
      spec: {
        gateway: '192.168.0.1',
        prefix: 16,
        addresses: [
          '192.168.1.0',
          '192.168.0.255',
          '192.168.0.3-192.168.0.4',
          '192.168.0.6/31',
          '192.168.255.255',
        ],
      },
      total: 6n,
      in: ['192.168.1.0', '192.168.0.255'],
      out: ['192.168.255.255'],
    },
    {
      name: 'gateway excluded',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.1', '192.168.0.3-192.168.0.4', '192.168.0.6/31'],
      },
      total: 4n,
      out: ['192.168.0.1'],
    },
    {
      name: 'allocateReservedIPAddresses keeps network and broadcast, not the gateway',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        allocateReservedIPAddresses: true,
        addresses: [
          '192.168.0.0',
          '192.168.0.1',
          '192.168.0.3-192.168.0.4',
          '192.168.0.6/31',
          '192.168.0.255',
        ],
      },
      total: 6n,
      in: ['192.168.0.0', '192.168.0.3', '192.168.0.4', '192.168.0.6', '192.168.0.7', '192.168.0.255'],
      out: ['192.168.0.1'],
    },
    {
      name: 'excluded single IPs',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.0-192.168.0.10'],
        excludedAddresses: ['192.168.0.5', '192.168.0.6', '192.168.0.7'],
      },
      total: 6n,
      in: ['192.168.0.2', '192.168.0.4', '192.168.0.8', '192.168.0.10'],
      out: ['192.168.0.5', '192.168.0.6', '192.168.0.7', '192.168.0.11'],
    },
    {
      name: 'excluded subnet /25',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.0/24'],
        excludedAddresses: ['192.168.0.128/25'],
      },
      total: 126n,
    },
    {
      name: 'excluded range',
      spec: {
        gateway: '192.168.0.1',
        prefix: 24,
        addresses: ['192.168.0.0/24'],
        excludedAddresses: ['192.168.0.2-192.168.0.20'],
      },
      total: 234n,
    },
    {
      name: 'IPv6 basic set',
      spec: { gateway: 'fd01::1', prefix: 120, addresses: ['fd01::2', 'fd01::3-fd01::4', 'fd01::6/127'] },
      total: 5n,
      in: ['fd01::2', 'fd01::3', 'fd01::4', 'fd01::6', 'fd01::7'],
    },
    {
      name: 'IPv6 anycast excluded',
      spec: { gateway: 'fd01::1', prefix: 120, addresses: ['fd01::0', 'fd01::3-fd01::4', 'fd01::6/127'] },
      total: 4n,
      out: ['fd01::'],
    },
    {
      name: 'IPv6 last addresses kept with /112',
      spec: {
        gateway: 'fd01::1',
        prefix: 112,
        addresses: ['fd01::ffff', 'fd01::1:0', 'fd01::3-fd01::4', 'fd01::6/127', 'fd01::ffff:ffff'],
      },
      total: 7n,
      in: ['fd01::1:0', 'fd01::ffff', 'fd01::ffff:ffff'],
    },
    {
      name: 'IPv6 gateway excluded',
      spec: { gateway: 'fd01::1', prefix: 120, addresses: ['fd01::1', 'fd01::3-fd01::4', 'fd01::6/127'] },
      total: 4n,
      out: ['fd01::1'],
    },
    {
      name: 'IPv6 allocateReserved includes anycast, excludes gateway',
      spec: {
        gateway: 'fd01::1',
        prefix: 120,
        allocateReservedIPAddresses: true,
        addresses: ['fd01::0', 'fd01::1', 'fd01::3-fd01::4', 'fd01::6/127', 'fd01::ffff:ffff'],
      },
      total: 6n,
      in: ['fd01::', 'fd01::3', 'fd01::ffff:ffff'],
      out: ['fd01::1'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const l = layout(c.spec);
      assert.equal(l.total, c.total);
      for (const a of c.in ?? []) assert.ok(contains(c.spec, a), `${a} should be allocatable`);
      for (const a of c.out ?? []) assert.ok(!contains(c.spec, a), `${a} should not be allocatable`);
    });
  }

  it('excluded subnet and range leave exactly the expected ranges', () => {
    const a = layout({
      gateway: '192.168.0.1',
      prefix: 24,
      addresses: ['192.168.0.0/24'],
      excludedAddresses: ['192.168.0.128/25'],
    });
    assert.ok(a.allocatable.containsRange(range('192.168.0.2-192.168.0.127')));
    assert.ok(!a.allocatable.overlapsRange(range('192.168.0.128-192.168.0.255')));
    const b = layout({
      gateway: '192.168.0.1',
      prefix: 24,
      addresses: ['192.168.0.0/24'],
      excludedAddresses: ['192.168.0.2-192.168.0.20'],
    });
    assert.ok(!b.allocatable.overlapsRange(range('192.168.0.2-192.168.0.20')));
    assert.ok(b.allocatable.containsRange(range('192.168.0.21-192.168.0.254')));
  });

  it('infers the subnet from the LOWEST address, not the first entry', () => {
    const l = layout({ addresses: ['10.0.1.3', '10.0.0.255', '10.0.1.0'], prefix: 24 });
    // Lowest is 10.0.0.255 → subnet 10.0.0.0/24 → .255 is its broadcast; 10.0.1.0 stays.
    assert.deepEqual(l.allocatable.ranges.map(formatRange), ['10.0.1.0-10.0.1.0', '10.0.1.3-10.0.1.3']);
  });

  it('IPv4 /31 and /32 and IPv6 /128 allocate nothing unless allocateReservedIPAddresses', () => {
    assert.equal(layout({ addresses: ['10.0.0.0/31'], prefix: 31 }).total, 0n);
    assert.equal(layout({ addresses: ['10.0.0.7'], prefix: 32 }).total, 0n);
    assert.equal(layout({ addresses: ['fd00::7'], prefix: 128 }).total, 0n);
    assert.equal(
      layout({ addresses: ['10.0.0.0/31'], prefix: 31, allocateReservedIPAddresses: true }).total,
      2n,
    );
  });

  it('prefix 0 removes 0.0.0.0 and 255.255.255.255 only if listed, and :: for IPv6', () => {
    const l = layout({ addresses: ['0.0.0.0-0.0.0.2', '255.255.255.254-255.255.255.255'], prefix: 0 });
    assert.deepEqual(l.allocatable.ranges.map(formatRange), [
      '0.0.0.1-0.0.0.2',
      '255.255.255.254-255.255.255.254',
    ]);
    assert.equal(layout({ addresses: ['::-::3'], prefix: 0 }).total, 3n);
  });

  it('fails as a value on a bad entry, gateway or prefix', () => {
    const a = buildPoolLayout({ addresses: ['10.0.0.1', 'nope'], prefix: 24 });
    assert.ok(!a.ok);
    assert.equal(a.error.path, 'spec.addresses[1]');
    const g = buildPoolLayout({ addresses: ['10.0.0.1'], prefix: 24, gateway: 'bad' });
    assert.ok(!g.ok);
    assert.equal(g.error.path, 'spec.gateway');
    assert.equal(g.error.message, 'ParseAddr("bad"): unable to parse IP');
    const p = buildPoolLayout({ addresses: ['10.0.0.1'], prefix: 33 });
    assert.ok(!p.ok);
    assert.equal(p.error.code, 'InvalidSpec');
    // With reserved addresses allocatable the prefix is not needed for the layout.
    assert.ok(buildPoolLayout({ addresses: ['10.0.0.1'], prefix: 33, allocateReservedIPAddresses: true }).ok);
    const e = buildPoolLayout({ addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['10.0.0.1-'] });
    assert.ok(!e.ok);
    assert.equal(e.error.path, 'spec.excludedAddresses[0]');
  });

  it('an empty addresses list is an empty layout, not a crash', () => {
    const l = layout({ addresses: [], prefix: 24 });
    assert.equal(l.total, 0n);
    assert.equal(l.family, undefined);
  });
});

describe('IPSetCount (§15.2), exact and capped', () => {
  const cases: [string, bigint, string[]][] = [
    ['no addresses', 0n, []],
    ['one address', 1n, ['192.168.1.1']],
    ['two addresses', 2n, ['192.168.1.1', '192.168.1.2']],
    ['range of addresses', 16n, ['192.168.1.1-192.168.1.10', '192.168.1.20-192.168.1.25']],
    ['overlapping ranges', 15n, ['192.168.1.1-192.168.1.10', '192.168.1.5-192.168.1.15']],
    ['ipv4 CIDRs', 258n, ['192.168.1.1/24', '192.168.2.1/31']],
    ['larger than uint64', 1n << 108n, ['fe80::1/20']],
    ['larger than int64, less than uint64', 1n << 63n, ['fe80::1/65']],
    ['ipv6 CIDR', 4n, ['fe80::1/126']],
  ];
  for (const [name, exact, entries] of cases) {
    it(name, () => {
      const set = IPSet.fromRanges(entries.map(range));
      assert.equal(set.size(), exact);
      const capped = capInt64(exact);
      assert.equal(capped, exact > MAX_INT64 ? MAX_INT64 : exact);
    });
  }
  it('the cap is 2^63−1 = 9223372036854775807', () => {
    assert.equal(MAX_INT64.toString(), '9223372036854775807');
    assert.equal(capInt64(1n << 63n), MAX_INT64);
    assert.equal(capInt64(MAX_INT64), MAX_INT64);
    assert.equal(capInt64(-5n), 0n);
  });
});

describe('worked allocation examples (§7.5)', () => {
  const cases: { name: string; spec: IPPoolSpec; expect: string[]; claims: number }[] = [
    {
      name: 'first of range, gateway inside',
      spec: { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24, gateway: '10.0.0.2' },
      claims: 1,
      expect: ['10.0.0.1'],
    },
    {
      name: 'network, gateway and broadcast leave one address',
      spec: {
        addresses: ['10.0.1.0', '10.0.1.1', '10.0.1.2', '10.0.1.255'],
        prefix: 24,
        gateway: '10.0.1.1',
      },
      claims: 2,
      expect: ['10.0.1.2'],
    },
    {
      name: 'excluded entries are skipped',
      spec: {
        addresses: ['10.1.1.0/24'],
        prefix: 24,
        gateway: '10.1.1.1',
        excludedAddresses: ['10.1.1.2-10.1.1.5', '10.1.1.7'],
      },
      claims: 3,
      expect: ['10.1.1.6', '10.1.1.8', '10.1.1.9'],
    },
    {
      name: 'list order is irrelevant',
      spec: { addresses: ['10.0.1.3', '10.0.1.2'], prefix: 24 },
      claims: 1,
      expect: ['10.0.1.2'],
    },
    {
      name: 'non-contiguous entries',
      spec: { addresses: ['10.0.0.50', '10.0.0.128'], prefix: 24 },
      claims: 2,
      expect: ['10.0.0.50', '10.0.0.128'],
    },
    {
      name: 'global pool, two claims',
      spec: { addresses: ['10.0.0.2-10.0.0.254'], prefix: 24, gateway: '10.0.0.1' },
      claims: 2,
      expect: ['10.0.0.2', '10.0.0.3'],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const idx = new AllocationIndex(layout(c.spec).allocatable);
      assert.deepEqual(allocateN(idx, c.claims), c.expect);
    });
  }
  it('a single-address pool: the second claim waits, then gets the released address', () => {
    const idx = new AllocationIndex(layout({ addresses: ['10.0.0.50'], prefix: 24 }).allocatable);
    assert.deepEqual(allocateN(idx, 1), ['10.0.0.50']);
    const second = idx.nextFree();
    assert.ok(!second.ok);
    assert.equal(second.error.code, 'PoolExhausted');
    assert.equal(second.error.message, 'no address available');
    assert.ok(idx.release(addr('10.0.0.50')).ok);
    assert.deepEqual(allocateN(idx, 1), ['10.0.0.50']);
  });
});

describe('pool status (§9)', () => {
  const cases: {
    addresses: string[];
    gateway?: string;
    prefix: number;
    total: bigint;
    after: [number, bigint, bigint][];
  }[] = [
    {
      addresses: ['10.0.0.10-10.0.0.20'],
      prefix: 24,
      total: 11n,
      after: [
        [1, 1n, 10n],
        [2, 2n, 9n],
      ],
    },
    {
      addresses: ['10.0.0.10-10.0.0.20'],
      prefix: 24,
      gateway: '10.0.0.10',
      total: 10n,
      after: [
        [1, 1n, 9n],
        [2, 2n, 8n],
      ],
    },
    {
      addresses: ['10.0.0.10-10.0.0.20'],
      prefix: 24,
      gateway: '10.0.0.1',
      total: 11n,
      after: [[1, 1n, 10n]],
    },
    { addresses: ['10.0.0.0-10.0.0.1'], prefix: 24, gateway: '10.0.0.2', total: 1n, after: [[1, 1n, 0n]] },
    {
      addresses: ['10.0.0.254-10.0.0.255'],
      prefix: 24,
      gateway: '10.0.0.1',
      total: 1n,
      after: [[1, 1n, 0n]],
    },
    { addresses: ['fe80::ffff'], prefix: 120, gateway: 'fe80::a', total: 1n, after: [[1, 1n, 0n]] },
  ];
  for (const c of cases) {
    it(`${c.addresses.join(',')} /${c.prefix} gw ${c.gateway ?? '-'} → total ${c.total}`, () => {
      const idx = new AllocationIndex(
        layout({ addresses: c.addresses, prefix: c.prefix, gateway: c.gateway }).allocatable,
      );
      assert.equal(toStatusCounts(idx.counts()).total, c.total);
      let claimed = 0;
      for (const [n, used, free] of c.after) {
        allocateN(idx, n - claimed);
        claimed = n;
        const s = toStatusCounts(idx.counts());
        assert.deepEqual([s.used, s.free, s.outOfRange], [used, free, 0n]);
      }
    });
  }

  const oor: { name: string; before: string[]; claimed: string[]; after: string[]; outOfRange: bigint }[] = [
    {
      name: 'shrinking the range',
      before: ['10.0.0.10-10.0.0.20'],
      claimed: ['10.0.0.10', '10.0.0.11', '10.0.0.12', '10.0.0.13', '10.0.0.14'],
      after: ['10.0.0.13-10.0.0.20'],
      outOfRange: 3n,
    },
    {
      name: 'network address becomes reserved',
      before: ['10.0.0.0-10.0.0.255'],
      claimed: ['10.0.0.0', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'],
      after: ['10.0.0.0', '10.0.0.2-10.0.0.255'],
      outOfRange: 1n,
    },
    {
      name: 'dropping the broadcast range end',
      before: ['10.0.0.251-10.0.0.255'],
      claimed: ['10.0.0.251', '10.0.0.252', '10.0.0.253', '10.0.0.254', '10.0.0.255'],
      after: ['10.0.0.251-10.0.0.254'],
      outOfRange: 1n,
    },
  ];
  for (const c of oor) {
    it(`outOfRange after update: ${c.name}`, () => {
      const before = new AllocationIndex(
        layout({ addresses: c.before, prefix: 24, gateway: '10.0.0.1', allocateReservedIPAddresses: true })
          .allocatable,
      );
      assert.deepEqual(allocateN(before, c.claimed.length), c.claimed);
      const after = before.rebase(
        layout({ addresses: c.after, prefix: 24, gateway: '10.0.0.1' }).allocatable,
      );
      const counts = after.counts();
      assert.equal(counts.outOfRange, c.outOfRange);
      assert.equal(counts.used, 5n);
      // Out-of-range allocations do not eat free slots.
      assert.equal(counts.free, counts.total - (5n - c.outOfRange));
    });
  }

  it('counts above 2^63 are capped in the status form, exact otherwise', () => {
    const idx = new AllocationIndex(layout({ addresses: ['fd00::/64'], prefix: 64 }).allocatable);
    allocateN(idx, 3);
    const exact = idx.counts();
    assert.equal(exact.total, (1n << 64n) - 1n);
    assert.equal(exact.free, (1n << 64n) - 4n);
    const s = toStatusCounts(exact);
    assert.deepEqual(s, { total: MAX_INT64, used: 3n, free: MAX_INT64, outOfRange: 0n });
  });

  it('the lowest address decides the subnet for a /16 with the broadcast listed', () => {
    const l = must(buildPoolLayout({ addresses: ['192.168.255.255', '192.168.0.3'], prefix: 16 }));
    assert.equal(formatAddr(l.allocatable.first() ?? addr('0.0.0.0')), '192.168.0.3');
    assert.equal(l.total, 1n);
  });
});
