import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatAddr,
  holdingKey,
  poolModel,
  unlaidAssessment,
  unlaidCounts,
  type Holding,
  type IPPoolSpec,
  type NextAllocation,
  type PoolCounts,
  type PoolModel,
  type PoolTracker,
  type PrefixPoolSpec,
} from '../src/index.js';
import { must } from './helpers.js';

// Oracles: brute-force enumeration over a tiny universe, written from the spec's definition
// (upstream-behaviour §7.1 and §10), not from the layout code.

/** IPv4 universe 10.0.0.0/26, IPv6 universe fd00::/122: 64 addresses each. */
const V6_BASE = 0xfd00n << 112n;
const v6 = (o: number) => formatAddr({ family: 6, value: V6_BASE + BigInt(o) });
const UNIVERSE = { 4: { text: (o: number) => `10.0.0.${o}` }, 6: { text: v6 } } as const;

function ipAllocatableOracle(
  family: 4 | 6,
  offsets: {
    addresses: [number, number][];
    excluded: [number, number][];
    gateway: number | undefined;
    prefix: number;
    reserved: boolean;
  },
): Set<number> {
  const inAny = (o: number, rs: [number, number][]) =>
    rs.some(([a, b]) => o >= Math.min(a, b) && o <= Math.max(a, b));
  const members = [...Array(64).keys()].filter((o) => inAny(o, offsets.addresses));
  const out = new Set<number>();
  if (members.length === 0) return out;
  const lowest = Math.min(...members);
  const width = family === 4 ? 32 : 128;
  const hostBits = width - offsets.prefix; // the universe is aligned to /26 and /122, prefixes are at most that wide
  const size = 2 ** hostBits;
  const first = Math.floor(lowest / size) * size;
  const last = first + size - 1;
  for (const o of members) {
    if (inAny(o, offsets.excluded) || o === offsets.gateway) continue;
    if (!offsets.reserved && (o === first || (family === 4 && o === last))) continue;
    out.add(o);
  }
  return out;
}

/** A tracker fed the holdings one by one agrees with the counts and offers the lowest free one. */
function trackerAgrees(
  model: PoolModel,
  holdings: readonly Holding[],
  expected: PoolCounts,
  next: NextAllocation | undefined,
): PoolTracker {
  const tracker = model.tracker();
  for (const h of holdings) tracker.add(h);
  assert.deepEqual(tracker.counts(), expected);
  const r = tracker.next();
  if (next === undefined) assert.equal(r.ok ? 'ok' : r.error.code, 'PoolExhausted');
  else assert.deepEqual(r.ok ? r.value : r.error, next);
  return tracker;
}

const pair = fc.tuple(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 63 }));

const ipCase = fc.record({
  family: fc.constantFrom(4 as const, 6 as const),
  addresses: fc.array(pair, { minLength: 0, maxLength: 3 }),
  excluded: fc.array(pair, { maxLength: 2 }),
  gateway: fc.option(fc.integer({ min: 0, max: 63 }), { nil: undefined }),
  hostBits: fc.integer({ min: 0, max: 6 }),
  reserved: fc.boolean(),
  holdings: fc.array(fc.oneof(fc.integer({ min: 0, max: 70 }), fc.constant(-1)), { maxLength: 20 }),
});

describe('poolModel counts (IP pools) against brute-force enumeration', () => {
  it('total, used, allocated, free and outOfRange agree for IPv4 and IPv6', () => {
    fc.assert(
      fc.property(ipCase, (c) => {
        const u = UNIVERSE[c.family];
        const text = (o: number) => (o >= 64 ? (c.family === 4 ? `10.0.1.${o}` : `fd00::1:${o}`) : u.text(o));
        const rangeText = ([a, b]: [number, number]) => `${u.text(Math.min(a, b))}-${u.text(Math.max(a, b))}`;
        const prefix = (c.family === 4 ? 32 : 128) - c.hostBits;
        const spec: IPPoolSpec = {
          addresses: c.addresses.map(rangeText),
          prefix,
          excludedAddresses: c.excluded.map(rangeText),
          allocateReservedIPAddresses: c.reserved,
          ...(c.gateway === undefined ? {} : { gateway: u.text(c.gateway) }),
        };
        const model = must(poolModel({ type: 'ip', spec }));
        const holdings: Holding[] = c.holdings.map((o) => ({ address: o < 0 ? 'not-an-ip' : text(o) }));
        const allocatable = ipAllocatableOracle(c.family, {
          addresses: c.addresses,
          excluded: c.excluded,
          gateway: c.gateway,
          prefix,
          reserved: c.reserved,
        });
        const parsable = c.holdings.filter((o) => o >= 0);
        const distinct = new Set(parsable);
        const allocated = [...distinct].filter((o) => allocatable.has(o)).length;
        const expected: PoolCounts = {
          total: BigInt(allocatable.size),
          used: BigInt(c.holdings.length),
          allocated: BigInt(allocated),
          free: BigInt(allocatable.size - allocated),
          outOfRange: BigInt(distinct.size - allocated),
        };
        assert.deepEqual(model.counts(holdings), expected);
        assert.equal(model.total, expected.total);
        const assessed = model.assess(holdings);
        assert.deepEqual(assessed.counts, expected);
        const held = (o: number) => c.holdings.filter((x) => x === o).length;
        assert.deepEqual(
          assessed.states,
          c.holdings.map((o) =>
            o < 0
              ? 'invalid'
              : !allocatable.has(o)
                ? 'out-of-range'
                : held(o) > 1
                  ? 'duplicate'
                  : 'allocated',
          ),
        );

        // The tracker, fed the same holdings one by one, agrees and offers the lowest free address.
        const free = [...allocatable].filter((o) => !distinct.has(o)).sort((a, b) => a - b);
        const tracker = trackerAgrees(
          model,
          holdings,
          expected,
          free[0] === undefined ? undefined : { address: u.text(free[0]), prefix },
        );

        // Removing every holding again leaves an empty pool.
        for (const h of holdings) tracker.remove(h);
        assert.deepEqual(tracker.counts(), {
          total: expected.total,
          used: 0n,
          allocated: 0n,
          free: expected.total,
          outOfRange: 0n,
        });
        for (const h of holdings)
          assert.equal(
            model.covers(h),
            h.address !== 'not-an-ip' && allocatable.has(c.holdings[holdings.indexOf(h)] as number),
          );
      }),
      { numRuns: 400 },
    );
  });
});

/** Prefix pools: universe fd00::/120, children of 124..128 bits. */
const prefixCase = fc.record({
  allocLen: fc.integer({ min: 124, max: 128 }),
  prefixes: fc.array(fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 122, max: 128 })), {
    minLength: 1,
    maxLength: 3,
  }),
  excluded: fc.array(pair, { maxLength: 2 }),
  holdings: fc.array(
    fc.oneof(
      fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 120, max: 128 })),
      fc.constant(undefined),
    ),
    { maxLength: 12 },
  ),
});

describe('poolModel counts (prefix pools) against brute-force enumeration', () => {
  it('total, used, allocated, free and outOfRange agree', () => {
    fc.assert(
      fc.property(prefixCase, (c) => {
        const hex = v6;
        // Masked prefixes only: the layout refuses unaligned pool CIDRs.
        const pools = c.prefixes.map(([o, bits]) => {
          const size = 2 ** (128 - Math.min(bits, c.allocLen));
          return {
            from: Math.floor(o / size) * size,
            to: Math.floor(o / size) * size + size - 1,
            bits: Math.min(bits, c.allocLen),
          };
        });
        const spec: PrefixPoolSpec = {
          prefixes: pools.map((p) => `${hex(p.from)}/${p.bits}`),
          allocationPrefixLength: c.allocLen,
          excludedPrefixes: c.excluded.map(
            ([a, b]) => `${hex(Math.min(a, b) * 4)}-${hex(Math.max(a, b) * 4)}`,
          ),
        };
        const model = must(poolModel({ type: 'prefix', spec }));
        const slot = 2 ** (128 - c.allocLen);
        const inPool = (o: number) => pools.some((p) => o >= p.from && o <= p.to);
        const excluded = (o: number) =>
          c.excluded.some(([a, b]) => o >= Math.min(a, b) * 4 && o <= Math.max(a, b) * 4);
        const slots: number[] = [];
        for (let s = 0; s < 256; s += slot) {
          const members = [...Array(slot).keys()].map((i) => s + i);
          if (members.every(inPool) && !members.some(excluded)) slots.push(s);
        }
        const holdings: Holding[] = c.holdings.map((h) =>
          h === undefined ? { address: 'fd00::zz', prefix: 64 } : { address: hex(h[0]), prefix: h[1] },
        );
        const masked = c.holdings.map((h) => {
          if (h === undefined) return undefined;
          const size = 2 ** (128 - h[1]);
          return { from: Math.floor(h[0] / size) * size, size, bits: h[1] };
        });
        const allocatedSlots = new Set<number>();
        let outOfRange = 0;
        for (const m of masked) {
          if (m !== undefined && m.bits === c.allocLen && slots.includes(m.from)) allocatedSlots.add(m.from);
          else outOfRange++;
        }
        const touched = (s: number) =>
          masked.some((m) => m !== undefined && m.from < s + slot && s < m.from + m.size);
        const free = slots.filter((s) => !touched(s));
        const expected: PoolCounts = {
          total: BigInt(slots.length),
          used: BigInt(holdings.length),
          allocated: BigInt(allocatedSlots.size),
          free: BigInt(free.length),
          outOfRange: BigInt(outOfRange),
        };
        assert.deepEqual(model.counts(holdings), expected);
        const assessed = model.assess(holdings);
        assert.deepEqual(assessed.counts, expected);
        const same = (x: { from: number; bits: number }) =>
          masked.filter((m) => m !== undefined && m.from === x.from && m.bits === x.bits).length;
        assert.deepEqual(
          assessed.states,
          masked.map((m) =>
            m === undefined
              ? 'invalid'
              : m.bits !== c.allocLen || !slots.includes(m.from)
                ? 'out-of-range'
                : same(m) > 1
                  ? 'duplicate'
                  : 'allocated',
          ),
        );
        const tracker = trackerAgrees(
          model,
          holdings,
          expected,
          free[0] === undefined ? undefined : { address: hex(free[0]), prefix: c.allocLen },
        );
        for (const h of holdings) tracker.remove(h);
        assert.equal(tracker.counts().used, 0n);
      }),
      { numRuns: 400 },
    );
  });
});

describe('poolModel', () => {
  it('fails with the layout error for a spec that does not lay out', () => {
    const r = poolModel({ type: 'ip', spec: { addresses: ['10.0.0.1-10.0.0.x'], prefix: 24 } });
    assert.equal(r.ok, false);
    const p = poolModel({ type: 'prefix', spec: { prefixes: ['10.0.0.0/24'] } });
    assert.deepEqual(p.ok ? undefined : p.error.code, 'UnsupportedFamily');
  });

  it('exposes the address space each type hands out from (prefix pools: prefixes minus exclusions)', () => {
    const ip = must(poolModel({ type: 'ip', spec: { addresses: ['10.0.0.0/30'], prefix: 30 } }));
    assert.deepEqual(
      ip.allocatable.ranges.map(
        (r) => `${formatAddr({ family: 4, value: r.from })}-${formatAddr({ family: 4, value: r.to })}`,
      ),
      ['10.0.0.1-10.0.0.2'],
    );
    const px = must(
      poolModel({
        type: 'prefix',
        spec: { prefixes: ['fd00::/64'], allocationPrefixLength: 66, excludedPrefixes: ['fd00::/66'] },
      }),
    );
    assert.equal(px.total, 3n);
    assert.equal(px.allocationPrefixLength, 66);
    assert.equal(px.allocatable.first()?.value, (0xfd00n << 112n) + (1n << 62n));
  });
});

describe('holdingKey', () => {
  it('names what a holding holds in canonical text: spellings of one address or prefix share a key', () => {
    assert.equal(holdingKey('ip', { address: 'fd00:0:0::0001' }), holdingKey('ip', { address: 'fd00::1' }));
    assert.equal(holdingKey('ip', { address: 'FD00:0::1' }), 'fd00::1');
    assert.equal(holdingKey('prefix', { address: 'fd00:0:0:0::', prefix: 64 }), 'fd00::/64');
    assert.notEqual(
      holdingKey('prefix', { address: 'fd00::', prefix: 64 }),
      holdingKey('prefix', { address: 'fd00::', prefix: 56 }),
    );
  });

  it('is undefined for what does not parse (a prefix holding without its length)', () => {
    assert.equal(holdingKey('ip', { address: 'banana' }), undefined);
    assert.equal(holdingKey('prefix', { address: 'fd00::' }), undefined);
  });
});

describe('unlaidAssessment', () => {
  it('marks what parses out of range and the rest invalid, with unlaidCounts', () => {
    const held: Holding[] = [{ address: '10.0.0.5' }, { address: 'x' }];
    assert.deepEqual(unlaidAssessment('ip', held), {
      counts: { total: 0n, used: 2n, allocated: 0n, free: 0n, outOfRange: 1n },
      states: ['out-of-range', 'invalid'],
      index: undefined,
    });
    assert.deepEqual(
      unlaidAssessment('prefix', [{ address: 'fd00::' }, { address: 'fd00::', prefix: 64 }]).states,
      ['invalid', 'out-of-range'],
    );
  });
});

describe('unlaidCounts', () => {
  it('counts every holding of a pool without layout as used and out of range, never 0 used', () => {
    const held: Holding[] = [
      { address: '10.0.0.5' },
      { address: '10.0.0.5' },
      { address: '10.0.0.9' },
      { address: 'x' },
    ];
    assert.deepEqual(unlaidCounts('ip', held), {
      total: 0n,
      used: 4n,
      allocated: 0n,
      free: 0n,
      outOfRange: 2n,
    });
    assert.deepEqual(unlaidCounts('prefix', [{ address: 'fd00::', prefix: 64 }]), {
      total: 0n,
      used: 1n,
      allocated: 0n,
      free: 0n,
      outOfRange: 1n,
    });
    assert.deepEqual(unlaidCounts('ip', []), {
      total: 0n,
      used: 0n,
      allocated: 0n,
      free: 0n,
      outOfRange: 0n,
    });
  });
});
