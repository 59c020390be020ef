import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  IPSet,
  IPSetBuilder,
  formatPrefix,
  formatRange,
  rangeOfPrefix,
  rangeToPrefixes,
  type Addr,
  type IPRange,
} from '../src/index.js';
import { range } from './helpers.js';

// A tiny universe (0.0.0.0-0.0.0.63 plus ::-::63) keeps membership checks exhaustive.
const N = 64;
const arbRange: fc.Arbitrary<IPRange> = fc
  .tuple(fc.constantFrom<4 | 6>(4, 6), fc.integer({ min: 0, max: N - 1 }), fc.integer({ min: 0, max: N - 1 }))
  .map(([family, a, b]) => ({ family, from: BigInt(Math.min(a, b)), to: BigInt(Math.max(a, b)) }));
const arbRanges = fc.array(arbRange, { maxLength: 8 });
const universe: Addr[] = [4, 6].flatMap((family) =>
  Array.from({ length: N }, (_, i) => ({ family: family as 4 | 6, value: BigInt(i) })),
);

function member(ranges: readonly IPRange[], a: Addr): boolean {
  return ranges.some((r) => r.family === a.family && r.from <= a.value && a.value <= r.to);
}

function assertNormalized(s: IPSet): void {
  const rs = s.ranges;
  for (let i = 0; i < rs.length; i++) {
    const r = rs[i] as IPRange;
    assert.ok(r.from <= r.to);
    const p = rs[i - 1];
    if (p !== undefined)
      assert.ok(
        p.family < r.family || (p.family === r.family && p.to + 1n < r.from),
        'sorted, disjoint, non-adjacent',
      );
  }
}

describe('IPSet normalisation and algebra (against membership)', () => {
  it('fromRanges is normalised and has exactly the members of its inputs', () => {
    fc.assert(
      fc.property(arbRanges, (rs) => {
        const s = IPSet.fromRanges(rs);
        assertNormalized(s);
        for (const a of universe) assert.equal(s.contains(a), member(rs, a));
        assert.equal(s.size(), BigInt(universe.filter((a) => member(rs, a)).length));
      }),
      { numRuns: 500 },
    );
  });
  it('union, difference and intersection agree with membership', () => {
    fc.assert(
      fc.property(arbRanges, arbRanges, (x, y) => {
        const a = IPSet.fromRanges(x);
        const b = IPSet.fromRanges(y);
        const u = a.union(b);
        const d = a.difference(b);
        const i = a.intersection(b);
        for (const s of [u, d, i]) assertNormalized(s);
        for (const p of universe) {
          assert.equal(u.contains(p), a.contains(p) || b.contains(p));
          assert.equal(d.contains(p), a.contains(p) && !b.contains(p));
          assert.equal(i.contains(p), a.contains(p) && b.contains(p));
        }
        assert.equal(u.size() + i.size(), a.size() + b.size());
        assert.ok(d.union(i).equals(a));
      }),
      { numRuns: 500 },
    );
  });
  it('the builder applies adds and removes in call order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), arbRange), { maxLength: 12 }), (ops) => {
        const b = new IPSetBuilder();
        const oracle = new Map(universe.map((a) => [`${a.family}/${a.value}`, false]));
        for (const [add, r] of ops) {
          if (add) b.addRange(r);
          else b.removeRange(r);
          for (let v = r.from; v <= r.to; v++) oracle.set(`${r.family}/${v}`, add);
        }
        const s = b.build();
        assertNormalized(s);
        for (const a of universe) assert.equal(s.contains(a), oracle.get(`${a.family}/${a.value}`));
      }),
      { numRuns: 500 },
    );
  });
  it('containsRange / overlapsRange agree with membership', () => {
    fc.assert(
      fc.property(arbRanges, arbRange, (rs, q) => {
        const s = IPSet.fromRanges(rs);
        const inside: boolean[] = [];
        for (let v = q.from; v <= q.to; v++) inside.push(s.contains({ family: q.family, value: v }));
        assert.equal(s.containsRange(q), inside.every(Boolean));
        assert.equal(s.overlapsRange(q), inside.some(Boolean));
      }),
      { numRuns: 500 },
    );
  });
  it('prefixes() is the minimal exact CIDR cover', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }),
        fc.bigInt({ min: 0n, max: 1n << 70n }),
        (from, len) => {
          const to = from + len > (1n << 128n) - 1n ? (1n << 128n) - 1n : from + len;
          const ps = rangeToPrefixes({ family: 6, from, to });
          let next = from;
          for (const p of ps) {
            const r = rangeOfPrefix(p);
            assert.equal(r.from, next, 'contiguous');
            assert.equal(p.value, r.from, 'aligned');
            next = r.to + 1n;
          }
          assert.equal(next - 1n, to);
          assert.ok(ps.length <= 2 * 128);
        },
      ),
    );
    assert.deepEqual(rangeToPrefixes(range('10.0.0.1-10.0.0.10')).map(formatPrefix), [
      '10.0.0.1/32',
      '10.0.0.2/31',
      '10.0.0.4/30',
      '10.0.0.8/31',
      '10.0.0.10/32',
    ]);
    assert.deepEqual(
      IPSet.fromRanges([range('::/0')])
        .prefixes()
        .map(formatPrefix),
      ['::/0'],
    );
    assert.deepEqual(
      IPSet.fromRanges([range('0.0.0.0/0')])
        .prefixes()
        .map(formatPrefix),
      ['0.0.0.0/0'],
    );
  });
  it('never merges the families and orders IPv4 first', () => {
    const s = IPSet.fromRanges([range('::-::5'), range('255.255.255.250-255.255.255.255')]);
    assert.deepEqual(s.ranges.map(formatRange), ['255.255.255.250-255.255.255.255', '::-::5']);
  });
  it('refuses a non-normalised list on the fast path (a caller bug)', () => {
    assert.throws(
      () => IPSet.fromNormalized([range('10.0.0.5'), range('10.0.0.6')]),
      /not sorted, disjoint and non-adjacent/,
    );
  });
});
