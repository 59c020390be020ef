import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_INT64,
  buildPrefixPoolLayout,
  checkPrefixAllocatable,
  formatPrefix,
  nextFreePrefix,
  parsePrefix,
  parsePrefixInUse,
  prefixIsAllocatable,
  prefixPoolCounts,
  toStatusCounts,
  type PrefixInUse,
  type PrefixPoolLayout,
  type PrefixPoolSpec,
} from '../src/index.js';
import { must } from './helpers.js';

function pl(spec: PrefixPoolSpec): PrefixPoolLayout {
  return must(buildPrefixPoolLayout(spec));
}

/** Allocates n child prefixes in a row, as the controller would (each becomes in-use). */
function allocate(spec: PrefixPoolSpec, n: number, inUse: PrefixInUse[] = []): string[] {
  const l = pl(spec);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = nextFreePrefix(l, inUse);
    if (!r.ok) {
      out.push(r.error.message);
      break;
    }
    out.push(formatPrefix(r.value));
    inUse.push({ address: formatPrefix(r.value).split('/')[0] ?? '', prefix: r.value.bits });
  }
  return out;
}

describe('prefix pool allocation (§10 examples)', () => {
  it('fd00::/62 → fd00::/64, then fd00:0:0:1::/64', () => {
    assert.deepEqual(allocate({ prefixes: ['fd00::/62'] }, 2), ['fd00::/64', 'fd00:0:0:1::/64']);
  });
  it('fd06::/48 at /56 → fd06::/56, then fd06:0:0:100::/56', () => {
    assert.deepEqual(allocate({ prefixes: ['fd06::/48'], allocationPrefixLength: 56 }, 2), [
      'fd06::/56',
      'fd06:0:0:100::/56',
    ]);
  });
  it('lowest aggregate first across entries', () => {
    assert.deepEqual(allocate({ prefixes: ['fd10::/48', 'fd00:0:0:1::/64'] }, 2), [
      'fd00:0:0:1::/64',
      'fd10::/64',
    ]);
  });
  it('fd01::/63 gives fd01:: then fd01:0:0:1::, then none', () => {
    assert.deepEqual(allocate({ prefixes: ['fd01::/63'] }, 3), [
      'fd01::/64',
      'fd01:0:0:1::/64',
      'no prefix available',
    ]);
  });
  it('overlapping entries merge into 8 slots; with the four of fd00::/62 used the next is fd00:0:0:8::/64', () => {
    const spec: PrefixPoolSpec = { prefixes: ['fd00::/63', 'fd00::/62', 'fd00:0:0:8::/62'] };
    assert.equal(pl(spec).total, 8n);
    assert.deepEqual(allocate(spec, 1), ['fd00::/64']);
    const used = ['fd00::', 'fd00:0:0:1::', 'fd00:0:0:2::', 'fd00:0:0:3::'].map((address) => ({
      address,
      prefix: 64,
    }));
    assert.equal(formatPrefix(must(nextFreePrefix(pl(spec), used))), 'fd00:0:0:8::/64');
  });
  it('excluded prefixes are skipped and the gateway blocks nothing', () => {
    const spec: PrefixPoolSpec = {
      prefixes: ['fd00::/62'],
      excludedPrefixes: ['fd00:0:0:1::/64'],
      gateway: 'fd00::1',
    };
    assert.deepEqual(allocate(spec, 2), ['fd00::/64', 'fd00:0:0:2::/64']);
  });
  it('skips an existing allocation', () => {
    assert.equal(
      formatPrefix(
        must(nextFreePrefix(pl({ prefixes: ['fd00::/62'] }), [{ address: 'fd00::', prefix: 64 }])),
      ),
      'fd00:0:0:1::/64',
    );
  });
  it('an excluded range touching a slot blocks the whole slot', () => {
    const spec: PrefixPoolSpec = { prefixes: ['fd00::/62'], excludedPrefixes: ['fd00::ffff-fd00:0:0:1::1'] };
    assert.deepEqual(allocate(spec, 1), ['fd00:0:0:2::/64']);
    assert.equal(pl(spec).total, 2n);
  });
  it('an allocation of another length blocks every slot it touches', () => {
    const l = pl({ prefixes: ['fd00::/62'] });
    assert.equal(
      formatPrefix(must(nextFreePrefix(l, [{ address: 'fd00::', prefix: 63 }]))),
      'fd00:0:0:2::/64',
    );
    assert.equal(
      formatPrefix(must(nextFreePrefix(l, [{ address: 'fd00::1234', prefix: 80 }]))),
      'fd00:0:0:1::/64',
    );
  });
  it('fails as a value when an allocation lacks a prefix or does not parse', () => {
    const l = pl({ prefixes: ['fd00::/62'] });
    const a = nextFreePrefix(l, [{ address: 'fd00::', name: 'ns/a' }]);
    assert.ok(!a.ok);
    assert.equal(a.error.message, 'address ns/a has no prefix set');
    const b = nextFreePrefix(l, [{ address: 'zz', prefix: 64, name: 'ns/b' }]);
    assert.ok(!b.ok);
    assert.match(b.error.message, /^failed parsing address ns\/b as prefix: /);
  });
  it('first fit equals a brute-force scan of aligned children (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 6 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 10 }),
        fc.array(fc.integer({ min: 0, max: 63 }), { maxLength: 20 }),
        (poolSlots4, excludedLow, used) => {
          // Pool: some /62s inside fd00::/56 (slots of 4 /64s); allocLen 64; excluded single addresses in slot space.
          const prefixes = poolSlots4.map((s) => `fd00:0:0:${(s * 4).toString(16)}::/62`);
          if (prefixes.length === 0) return;
          const excludedPrefixes = excludedLow.map(
            (s) => `fd00:0:0:${s.toString(16)}::${(s * 7).toString(16)}`,
          );
          const spec: PrefixPoolSpec = { prefixes, excludedPrefixes };
          const inUse = used.map((u) => ({ address: `fd00:0:0:${u.toString(16)}::`, prefix: 64 }));
          const inPool = new Set(poolSlots4.flatMap((s) => [s * 4, s * 4 + 1, s * 4 + 2, s * 4 + 3]));
          const blocked = new Set([...excludedLow, ...used]);
          const candidates = [...inPool].filter((s) => !blocked.has(s)).sort((a, b) => a - b);
          const r = nextFreePrefix(pl(spec), inUse);
          if (candidates.length === 0) assert.ok(!r.ok && r.error.code === 'PoolExhausted');
          else
            assert.equal(
              formatPrefix(must(r)),
              `fd00:0:0:${(candidates[0] ?? 0).toString(16)}::/64`.replace('fd00:0:0:0::', 'fd00::'),
            );
          const allocatable = [...inPool].filter((s) => !excludedLow.includes(s));
          assert.equal(pl(spec).total, BigInt(allocatable.length));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('prefix pool counts (§9) and helpers (§15.2)', () => {
  it('fd00::/62 → total 4, free 4; one claim → used 1, free 3', () => {
    const l = pl({ prefixes: ['fd00::/62'] });
    assert.deepEqual(toStatusCounts(prefixPoolCounts(l, [])), {
      total: 4n,
      used: 0n,
      free: 4n,
      outOfRange: 0n,
    });
    assert.deepEqual(toStatusCounts(prefixPoolCounts(l, [{ address: 'fd00::', prefix: 64 }])), {
      total: 4n,
      used: 1n,
      free: 3n,
      outOfRange: 0n,
    });
  });
  it('fd40::/48 at /56 → total 256, free 255 after one claim; first is fd00-style ::/56', () => {
    const l = pl({ prefixes: ['fd40::/48'], allocationPrefixLength: 56 });
    assert.equal(l.total, 256n);
    assert.equal(prefixPoolCounts(l, [{ address: 'fd40::', prefix: 56 }]).free, 255n);
    assert.equal(
      formatPrefix(must(nextFreePrefix(pl({ prefixes: ['fd00::/48'], allocationPrefixLength: 56 }), []))),
      'fd00::/56',
    );
  });
  it('fd07::/64 with one claim → total 1, used 1, free 0', () => {
    const l = pl({ prefixes: ['fd07::/64'] });
    const inUse = [{ address: 'fd07::', prefix: 64 }];
    assert.deepEqual(toStatusCounts(prefixPoolCounts(l, inUse)), {
      total: 1n,
      used: 1n,
      free: 0n,
      outOfRange: 0n,
    });
    assert.ok(!nextFreePrefix(l, inUse).ok);
  });
  it('shrinking fd01::/62 to fd01:0:0:1::/64 with fd01::/64 allocated → outOfRange 1', () => {
    const c = prefixPoolCounts(pl({ prefixes: ['fd01:0:0:1::/64'] }), [{ address: 'fd01::', prefix: 64 }]);
    assert.deepEqual(toStatusCounts(c), { total: 1n, used: 1n, free: 1n, outOfRange: 1n });
  });
  it('excluding fd03::/64 over an allocation → outOfRange 1', () => {
    const c = prefixPoolCounts(pl({ prefixes: ['fd03::/62'], excludedPrefixes: ['fd03::/64'] }), [
      { address: 'fd03::', prefix: 64 },
    ]);
    assert.equal(c.outOfRange, 1n);
    assert.equal(c.total, 3n);
    assert.equal(c.free, 3n);
  });
  it('caps huge counts at 2^63−1', () => {
    const l = pl({ prefixes: ['fd00::/8'], allocationPrefixLength: 128 });
    assert.equal(l.total, 1n << 120n);
    assert.equal(toStatusCounts(prefixPoolCounts(l, [])).total, MAX_INT64);
  });
  it('derives fd00:0:0:5::/64 from fd00:0:0:5::1234 with prefix 64', () => {
    assert.equal(
      formatPrefix(must(parsePrefixInUse({ address: 'fd00:0:0:5::1234', prefix: 64 }))),
      'fd00:0:0:5::/64',
    );
  });
  it('rejects invalid configuration as values', () => {
    const a = buildPrefixPoolLayout({ prefixes: ['fd00::/48'], allocationPrefixLength: -1 });
    assert.ok(!a.ok);
    assert.equal(a.error.message, 'invalid prefix length -1');
    const b = buildPrefixPoolLayout({ prefixes: ['not-a-cidr'] });
    assert.ok(!b.ok);
    assert.equal(b.error.code, 'InvalidPrefix');
    assert.match(b.error.message, /^invalid pool CIDR "not-a-cidr": /);
    const c = buildPrefixPoolLayout({ prefixes: ['fd00::1/64'] });
    assert.ok(!c.ok);
    assert.equal(c.error.message, 'pool CIDR "fd00::1/64" is not network aligned');
    const d = buildPrefixPoolLayout({ prefixes: ['10.0.0.0/8'] });
    assert.ok(!d.ok);
    assert.equal(d.error.code, 'UnsupportedFamily');
    assert.ok(buildPrefixPoolLayout({ prefixes: ['fd00::/48'], allocationPrefixLength: 0 }).ok, '0 means 64');
  });
  it('allocLen 64 boundary: a /64 pool has exactly one child', () => {
    assert.equal(pl({ prefixes: ['fd00::/64'] }).total, 1n);
    assert.equal(pl({ prefixes: ['fd00::/65'] }).total, 0n);
  });
  it('prefixIsAllocatable: true inside, false when excluded, wrong length or outside', () => {
    const spec: PrefixPoolSpec = { prefixes: ['fd00::/62'], excludedPrefixes: ['fd00:0:0:1::/64'] };
    const p = (s: string) => must(parsePrefix(s));
    assert.equal(prefixIsAllocatable(spec, p('fd00::/64')), true);
    assert.equal(prefixIsAllocatable(spec, p('fd00::1/64')), true, 'masked first');
    assert.equal(prefixIsAllocatable(spec, p('fd00:0:0:1::/64')), false);
    assert.equal(prefixIsAllocatable(spec, p('fd00::/63')), false);
    assert.equal(prefixIsAllocatable(spec, p('fd00:0:0:4::/64')), false);
    assert.equal(prefixIsAllocatable(spec, { address: 'fd00:0:0:2::', prefix: 64 }), true);
    assert.equal(prefixIsAllocatable({ prefixes: ['bad'] }, p('fd00::/64')), false);
  });
  it('checkPrefixAllocatable also considers allocations', () => {
    const l = pl({ prefixes: ['fd00::/62'] });
    const inUse = [{ address: 'fd00::', prefix: 64 }];
    const a = checkPrefixAllocatable(l, must(parsePrefix('fd00::/64')), inUse);
    assert.ok(!a.ok && a.error.code === 'AlreadyAllocated');
    const b = checkPrefixAllocatable(l, must(parsePrefix('fd00:0:0:9::/64')), inUse);
    assert.ok(!b.ok && b.error.code === 'NotInPool');
    assert.ok(checkPrefixAllocatable(l, must(parsePrefix('fd00:0:0:1::/64')), inUse).ok);
  });
});
