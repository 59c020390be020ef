// The optimised paths (table-driven IPv6 formatter, fast IPv6 parser, keyed range sort) against
// straightforward reference implementations, on inputs biased towards their edge cases.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AllocationIndex,
  IPSet,
  buildPoolLayout,
  explainPool,
  formatAddr,
  parseAddressList,
  type Addr,
  type IPRange,
} from '../src/index.js';
import { fastParseAddr, fastParseEntry, parseAddrStrict, parseAddressEntryStrict } from '../src/parse.js';
import { referenceFormatAddr, referenceNormalize } from './reference.js';

/** 16-bit groups that are often zero (runs of `::`), small, or 0xffff (mapped addresses). */
const arbGroup = fc.oneof(
  fc.constant(0),
  fc.constant(0),
  fc.constant(0xffff),
  fc.nat(0xf),
  fc.nat(0xfff),
  fc.nat(0xffff),
);
const arbV6Value = fc
  .array(arbGroup, { minLength: 8, maxLength: 8 })
  .map((g) => g.reduce((a, x) => (a << 16n) | BigInt(x), 0n));
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

describe('explainPool reuse of allocatable texts', () => {
  // Without an index the free ranges are the allocatable ranges and reuse their texts; an empty
  // index walks its own free tree and formats every range itself. Both must print the same.
  const arbV4Entry = fc.oneof(
    fc.nat(255).map((h) => `10.0.0.${h}`),
    fc.tuple(fc.nat(255), fc.nat(40)).map(([h, n]) => `10.0.0.${h}-10.0.0.${Math.min(255, h + n)}`),
    fc.tuple(fc.nat(255), fc.integer({ min: 26, max: 32 })).map(([h, b]) => `10.0.0.${h}/${b}`),
  );
  const arbV6Entry = fc
    .tuple(fc.nat(0xffff), fc.nat(300))
    .map(([h, n]) => `fd00::${h.toString(16)}-fd00::${Math.min(0xffff, h + n).toString(16)}`);
  it('gives the same explanation as an unused index', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 1, max: 40 }),
        fc.array(arbV4Entry, { maxLength: 30 }),
        fc.array(arbV6Entry, { maxLength: 30 }),
        (v6, limit, ex4, ex6) => {
          const spec = v6
            ? { addresses: ['fd00::/112'], prefix: 112, gateway: 'fd00::1', excludedAddresses: ex6 }
            : { addresses: ['10.0.0.0/24'], prefix: 24, gateway: '10.0.0.1', excludedAddresses: ex4 };
          const layout = buildPoolLayout(spec);
          if (!layout.ok) return false;
          const plain = explainPool(layout.value, undefined, { limit });
          const indexed = explainPool(layout.value, new AllocationIndex(layout.value.allocatable), { limit });
          assert.deepEqual(plain, indexed);
          assert.ok(plain.free.largest === undefined || !plain.free.ranges.includes(plain.free.largest));
          return true;
        },
      ),
      { numRuns: 2000 },
    );
  });
});

/** IPv6 text in the forms people write: canonical, full, leading zeros, upper case, mixed. */
const arbV6Text = fc
  .tuple(arbV6Value, fc.constantFrom('canonical', 'full', 'padded', 'upper'))
  .map(([value, form]) => {
    const canonical = formatAddr({ family: 6, value });
    const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
    if (form === 'full') return groups.map((g) => g.toString(16)).join(':');
    if (form === 'padded') return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
    if (form === 'upper') return canonical.toUpperCase();
    return canonical;
  });
const arbV4Text = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.'));
const arbAddrText = fc.oneof(arbV6Text, arbV4Text);
const arbEntryText = fc.oneof(
  arbAddrText,
  fc.tuple(arbAddrText, fc.nat(130)).map(([a, b]) => `${a}/${b}`),
  fc.tuple(arbAddrText, arbAddrText).map(([a, b]) => `${a}-${b}`),
);
/** Near misses: random edits with the grammar's own characters (zones, dots, extra colons...). */
const editChars = Array.from('0123456789abcdefABCDEF.:/-%xz ');
const arbNearMiss = fc
  .tuple(
    arbEntryText,
    fc.array(
      fc.tuple(fc.nat(60), fc.constantFrom('insert', 'delete', 'replace'), fc.constantFrom(...editChars)),
      { maxLength: 3 },
    ),
  )
  .map(([text, edits]) =>
    edits.reduce((acc, [pos, kind, ch]) => {
      const i = pos % (acc.length + 1);
      if (kind === 'insert') return acc.slice(0, i) + ch + acc.slice(i);
      if (kind === 'delete') return acc.slice(0, i) + acc.slice(i + 1);
      return acc.slice(0, i) + ch + acc.slice(i + 1);
    }, text),
  );
const arbAnyText = fc.oneof(
  arbEntryText,
  arbNearMiss,
  arbNearMiss,
  fc.array(fc.constantFrom(...editChars), { maxLength: 45 }).map((a) => a.join('')),
);

describe('fast parser', () => {
  it('accepts only what the strict parser accepts, with the same value', () => {
    fc.assert(
      fc.property(arbAnyText, (text) => {
        const fast = fastParseAddr(text);
        const strict = parseAddrStrict(text);
        if (fast !== undefined) assert.deepEqual(strict, { ok: true, value: fast }, text);
        const fastEntry = fastParseEntry(text);
        const strictEntry = parseAddressEntryStrict(text);
        if (fastEntry !== undefined) assert.deepEqual(strictEntry, { ok: true, value: fastEntry }, text);
      }),
      { numRuns: 50_000 },
    );
  });
  it('takes every address, CIDR and range in the common forms', () => {
    fc.assert(
      fc.property(arbEntryText, (text) => {
        const strict = parseAddressEntryStrict(text);
        // Valid common-form entries never need the strict parser (zones and embedded IPv4 do).
        const embeddedV4 = /:[^-/]*\./.test(text);
        if (strict.ok && !embeddedV4) assert.notEqual(fastParseEntry(text), undefined, text);
      }),
      { numRuns: 20_000 },
    );
  });
  it('leaves zones, embedded IPv4 and every error to the strict parser', () => {
    for (const text of [
      'fe80::1%eth0',
      '::ffff:1.2.3.4',
      '1:2:3:4:5:6:1.2.3.4',
      '1:2:3:4::5:6:7:8',
      '1::2::3',
      ':1::',
      '1:',
      '12345::',
      '::/129',
      '10.0.0.0/08',
      '10.0.0.0/',
      'fd00::2-fd00::1',
      '10.0.0.1-fd00::1',
      '',
    ]) {
      assert.equal(fastParseEntry(text), undefined, text);
    }
  });
  it('parseAddressList gives what the strict parser gives, errors included', () => {
    fc.assert(
      fc.property(fc.array(arbAnyText, { maxLength: 20 }), (inputs) => {
        const list = parseAddressList(inputs, 'spec.x');
        const entries = [];
        const errors = [];
        for (const [index, input] of inputs.entries()) {
          const r = parseAddressEntryStrict(input);
          if (r.ok) entries.push({ ...r.value, index, path: `spec.x[${index}]` });
          else errors.push({ ...r.error, path: `spec.x[${index}]` });
        }
        assert.deepEqual(list, { entries, errors });
      }),
      { numRuns: 2000 },
    );
  });
});

describe('keyed range sort', () => {
  // Starts and ends from a small pool so that equal starts, duplicates and adjacency are common.
  const arbBound = fc.oneof(
    fc.bigInt(0n, 40n),
    fc.bigInt((1n << 64n) - 20n, (1n << 64n) + 20n),
    fc.bigInt(0n, (1n << 128n) - 1n),
  );
  const arbRange = fc
    .tuple(fc.constantFrom<4 | 6>(4, 6, 6), arbBound, fc.bigInt(0n, 50n))
    .map(([family, from, len]): IPRange => {
      const max = family === 4 ? (1n << 32n) - 1n : (1n << 128n) - 1n;
      const f = from > max ? from & max : from;
      return { family, from: f, to: f + len > max ? max : f + len };
    });
  it('normalises like a plain sort and merge', () => {
    fc.assert(
      fc.property(fc.array(arbRange, { minLength: 32, maxLength: 300 }), (ranges) => {
        assert.deepEqual(IPSet.fromRanges(ranges).ranges, referenceNormalize(ranges));
      }),
      { numRuns: 1000 },
    );
  });
  it('keeps the input objects of unmerged ranges, as before', () => {
    const ranges: IPRange[] = Array.from({ length: 100 }, (_, i) => ({
      family: 6,
      from: BigInt(1000 - 10 * i),
      to: BigInt(1000 - 10 * i + 1),
    }));
    const set = IPSet.fromRanges(ranges);
    assert.equal(set.ranges[0], ranges[99]);
    assert.equal(set.ranges[99], ranges[0]);
  });
  it('orders out-of-range values (a caller bug) exactly as the plain sort does', () => {
    const ranges: IPRange[] = Array.from({ length: 40 }, (_, i) => ({
      family: 6,
      from: BigInt(i % 2 ? -i : i) << 100n,
      to: BigInt(i % 2 ? -i : i) << 100n,
    }));
    assert.deepEqual(IPSet.fromRanges(ranges).ranges, referenceNormalize(ranges));
  });
});
