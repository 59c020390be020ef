// The optimised paths (table-driven IPv6 formatter, fast IPv6 parser, keyed range sort) against
// straightforward reference implementations, on inputs biased towards their edge cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { formatAddr, type Addr } from '../src/index.js';
import { referenceFormatAddr } from './reference.js';

/** 16-bit groups that are often zero (runs of `::`), small, or 0xffff (mapped addresses). */
const arbGroup = fc.oneof(fc.constant(0), fc.constant(0), fc.constant(0xffff), fc.nat(0xf), fc.nat(0xfff), fc.nat(0xffff));
const arbV6Value = fc.array(arbGroup, { minLength: 8, maxLength: 8 }).map((g) => g.reduce((a, x) => (a << 16n) | BigInt(x), 0n));
const arbMapped = fc.nat(0xffffffff).map((v) => (0xffffn << 32n) | BigInt(v));
export const arbAddr: fc.Arbitrary<Addr> = fc.oneof(
  arbV6Value.map((value): Addr => ({ family: 6, value })),
  arbMapped.map((value): Addr => ({ family: 6, value })),
  fc.bigInt(0n, (1n << 128n) - 1n).map((value): Addr => ({ family: 6, value })),
  fc.bigInt(0n, (1n << 32n) - 1n).map((value): Addr => ({ family: 4, value })),
);

describe('formatAddr fast path', () => {
  it('agrees with the reference formatter', () => {
    fc.assert(
      fc.property(arbAddr, (a) => formatAddr(a) === referenceFormatAddr(a)),
      { numRuns: 20_000 },
    );
  });
  it('agrees on every zero-run layout (all 256 zero/non-zero group patterns)', () => {
    for (let mask = 0; mask < 256; mask++) {
      for (const fill of [1, 0xabc, 0xffff]) {
        let value = 0n;
        for (let i = 0; i < 8; i++) value = (value << 16n) | BigInt((mask >> (7 - i)) & 1 ? fill : 0);
        const a: Addr = { family: 6, value };
        assert.equal(formatAddr(a), referenceFormatAddr(a));
      }
    }
  });
});
