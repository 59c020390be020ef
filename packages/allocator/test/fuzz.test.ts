import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  buildPoolLayout,
  buildPrefixPoolLayout,
  formatAddr,
  parseAddr,
  parseAddressEntry,
  parsePrefix,
  parseRange,
  validateIPPoolSpec,
  validatePrefixPoolSpec,
} from '../src/index.js';

// Strings biased towards the grammar's own characters, so the fuzzer reaches deep parser states.
const alphabet = '0123456789abcdefABCDEF.:/-%xyz \t\u00e9\u{1F600}';
const chars = Array.from(alphabet);
const arbGrammarish = fc.array(fc.constantFrom(...chars), { maxLength: 48 }).map((a) => a.join(''));
// Valid addresses, ranges and CIDRs with a few random edits: near-misses exercise every error path.
const arbValid = fc.oneof(
  fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255)).map((o) => o.join('.')),
  fc
    .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
    .map((g) => formatAddr({ family: 6, value: g.reduce((a, x) => (a << 16n) | BigInt(x), 0n) })),
);
const arbEntry = fc.oneof(
  arbValid,
  fc.tuple(arbValid, fc.nat(130)).map(([a, b]) => `${a}/${b}`),
  fc.tuple(arbValid, arbValid).map(([a, b]) => `${a}-${b}`),
);
const arbEdit = fc.tuple(
  fc.nat(60),
  fc.constantFrom('insert', 'delete', 'replace'),
  fc.constantFrom(...chars),
);
const arbMutated = fc.tuple(arbEntry, fc.array(arbEdit, { maxLength: 2 })).map(([s, edits]) =>
  edits.reduce((acc, [pos, kind, ch]) => {
    const i = pos % (acc.length + 1);
    if (kind === 'insert') return acc.slice(0, i) + ch + acc.slice(i);
    if (kind === 'delete') return acc.slice(0, i) + acc.slice(i + 1);
    return acc.slice(0, i) + ch + acc.slice(i + 1);
  }, s),
);
const arbString = fc.oneof(
  arbMutated,
  arbGrammarish,
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
);

describe('fuzz: 100 000 random strings through every parser', () => {
  it('never throws, and every accepted address re-parses to itself', () => {
    const inputs = fc.sample(arbString, { numRuns: 100_000, seed: 20261124 });
    let accepted = 0;
    let entries = 0;
    for (const s of inputs) {
      const a = parseAddr(s);
      if (a.ok) {
        accepted++;
        const again = parseAddr(formatAddr(a.value));
        assert.ok(
          again.ok && again.value.value === a.value.value && again.value.family === a.value.family,
          s,
        );
      } else assert.equal(typeof a.error.message, 'string');
      parsePrefix(s);
      parseRange(s);
      if (parseAddressEntry(s).ok) entries++;
    }
    // The generator must actually reach the accepting paths, or the test proves little.
    assert.ok(
      accepted > 2000 && entries > 5000,
      `only ${accepted} valid addresses / ${entries} valid entries generated`,
    );
  });
  it('pool builders and validators never throw on random specs', () => {
    fc.assert(
      fc.property(
        fc.array(arbString, { maxLength: 4 }),
        fc.integer({ min: -2, max: 200 }),
        fc.option(arbString, { nil: undefined }),
        fc.array(arbString, { maxLength: 3 }),
        fc.boolean(),
        (addresses, prefix, gateway, excluded, reserved) => {
          const spec = {
            addresses,
            prefix,
            gateway,
            excludedAddresses: excluded,
            allocateReservedIPAddresses: reserved,
          };
          buildPoolLayout(spec);
          validateIPPoolSpec(spec);
          const pspec = {
            prefixes: addresses,
            allocationPrefixLength: prefix,
            gateway,
            excludedPrefixes: excluded,
          };
          buildPrefixPoolLayout(pspec);
          validatePrefixPoolSpec(pspec);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
