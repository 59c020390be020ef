import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  formatAddr,
  formatPrefix,
  formatRange,
  goQuote,
  isIPv4Mapped,
  parseAddr,
  parseAddressEntry,
  parseAddressList,
  parsePrefix,
  parseRange,
  type Addr,
} from '../src/index.js';
import { addr } from './helpers.js';

describe('parseAddr (Go netip.ParseAddr)', () => {
  const valid: [string, string][] = [
    ['192.168.1.2', '192.168.1.2'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::', '::'],
    ['::1', '::1'],
    ['1::', '1::'],
    ['FE80::1', 'fe80::1'],
    ['fe80::1%eth0', 'fe80::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'],
    ['2001:db8::0001', '2001:db8::1'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['1:0:0:0:0:0:0:0', '1::'],
    ['1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7:8'],
    ['1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'],
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['1:2:3:4:5:6:1.2.3.4', '1:2:3:4:5:6:102:304'],
    ['ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ];
  for (const [input, canonical] of valid) {
    it(`accepts ${input} as ${canonical}`, () => {
      const r = parseAddr(input);
      assert.ok(r.ok);
      assert.equal(formatAddr(r.value), canonical);
    });
  }

  // Messages checked against Go's net/netip (they surface verbatim as the gateway field error).
  const invalid: [string, string][] = [
    ['invalid', 'ParseAddr("invalid"): unable to parse IP'],
    ['', 'ParseAddr(""): unable to parse IP'],
    ['01.2.3.4', 'ParseAddr("01.2.3.4"): IPv4 field has octet with leading zero'],
    ['1.2.3', 'ParseAddr("1.2.3"): IPv4 address too short'],
    ['1.2.3.4.5', 'ParseAddr("1.2.3.4.5"): IPv4 address too long'],
    ['1.2.3.256', 'ParseAddr("1.2.3.256"): IPv4 field has value >255'],
    ['1..2.3', 'ParseAddr("1..2.3"): IPv4 field must have at least one digit (at ".2.3")'],
    ['1.2.3.4%eth0', 'ParseAddr("1.2.3.4%eth0"): unexpected character (at "%eth0")'],
    [
      'fe80::zzzz',
      'ParseAddr("fe80::zzzz"): each colon-separated field must have at least one digit (at "zzzz")',
    ],
    [
      '12345::',
      'ParseAddr("12345::"): each colon-separated field must have at most 4 hex digits (at "12345::")',
    ],
    ['1::2::3', 'ParseAddr("1::2::3"): multiple :: in address (at ":3")'],
    ['1:2:3:4:5:6:7', 'ParseAddr("1:2:3:4:5:6:7"): address string too short'],
    ['1:2:3:4:5:6:7:8:9', 'ParseAddr("1:2:3:4:5:6:7:8:9"): trailing garbage after address (at "9")'],
    ['1:2:3:4::5:6:7:8', 'ParseAddr("1:2:3:4::5:6:7:8"): the :: must expand to at least one field of zeros'],
    ['fe80::1%', 'ParseAddr("fe80::1%"): zone must be a non-empty string'],
    ['%eth0', 'ParseAddr("%eth0"): missing IPv6 address'],
    ['1:', 'ParseAddr("1:"): colon must be followed by more characters (at ":")'],
    [
      '1:2:3:4:5:6:7:1.2.3.4',
      'ParseAddr("1:2:3:4:5:6:7:1.2.3.4"): embedded IPv4 address must replace the final 2 fields of the address (at "1.2.3.4")',
    ],
    [
      '1:2:3:4:5:6:7:8::1.2.3.4',
      'ParseAddr("1:2:3:4:5:6:7:8::1.2.3.4"): trailing garbage after address (at "1.2.3.4")',
    ],
    ['1 .2.3.4', 'ParseAddr("1 .2.3.4"): unexpected character (at " .2.3.4")'],
    ['fe80::1x', 'ParseAddr("fe80::1x"): unexpected character, want colon (at "x")'],
    ['a"b\n', 'ParseAddr("a\\"b\\n"): unable to parse IP'],
  ];
  for (const [input, message] of invalid) {
    it(`rejects ${JSON.stringify(input)} with Go's message`, () => {
      const r = parseAddr(input);
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'InvalidAddress');
      assert.equal(r.error.message, message);
      assert.equal(r.error.input, input);
    });
  }

  it('treats IPv4-mapped IPv6 as IPv6', () => {
    const a = addr('::ffff:10.0.0.1');
    assert.equal(a.family, 6);
    assert.ok(isIPv4Mapped(a));
    assert.equal(a.value, (0xffffn << 32n) | 0x0a000001n);
  });
});

describe('parsePrefix (Go netip.ParsePrefix)', () => {
  it('keeps host bits and formats as written', () => {
    const p = parsePrefix('192.168.1.1/24');
    assert.ok(p.ok);
    assert.equal(formatPrefix(p.value), '192.168.1.1/24');
  });
  const bad: [string, string][] = [
    ['1.2.3.4', `netip.ParsePrefix("1.2.3.4"): no '/'`],
    ['1.2.3.4/33', 'netip.ParsePrefix("1.2.3.4/33"): prefix length out of range'],
    ['fe80::/129', 'netip.ParsePrefix("fe80::/129"): prefix length out of range'],
    ['1.2.3.4/024', 'netip.ParsePrefix("1.2.3.4/024"): bad bits after slash: "024"'],
    ['1.2.3.4/+8', 'netip.ParsePrefix("1.2.3.4/+8"): bad bits after slash: "+8"'],
    ['1.2.3.4/', 'netip.ParsePrefix("1.2.3.4/"): bad bits after slash: ""'],
    [
      '1.2.3.4/99999999999999999999',
      'netip.ParsePrefix("1.2.3.4/99999999999999999999"): bad bits after slash: "99999999999999999999"',
    ],
    [
      '1.2.3.4/9223372036854775807',
      'netip.ParsePrefix("1.2.3.4/9223372036854775807"): prefix length out of range',
    ],
    ['fe80::1%eth0/64', 'netip.ParsePrefix("fe80::1%eth0/64"): IPv6 zones cannot be present in a prefix'],
    ['1.2.3/8', 'netip.ParsePrefix("1.2.3/8"): ParseAddr("1.2.3"): IPv4 address too short'],
  ];
  for (const [input, message] of bad) {
    it(`rejects ${input}`, () => {
      const r = parsePrefix(input);
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'InvalidPrefix');
      assert.equal(r.error.message, message);
    });
  }
  it('accepts /0 and the family maximum', () => {
    assert.ok(parsePrefix('0.0.0.0/0').ok);
    assert.ok(parsePrefix('1.2.3.4/32').ok);
    assert.ok(parsePrefix('::/0').ok);
    assert.ok(parsePrefix('::1/128').ok);
  });
});

describe('parseRange (netipx.ParseIPRange)', () => {
  it('strips zones and keeps order', () => {
    const r = parseRange('fe80::1%eth0-fe80::3%eth1');
    assert.ok(r.ok);
    assert.equal(formatRange(r.value), 'fe80::1-fe80::3');
  });
  it('says which half failed', () => {
    const r = parseRange('192.168.1.4/21-192.168.1.2');
    assert.ok(!r.ok);
    assert.equal(r.error.message, 'invalid From IP "192.168.1.4/21" in range "192.168.1.4/21-192.168.1.2"');
    const t = parseRange('1.2.3.4-');
    assert.ok(!t.ok);
    assert.equal(t.error.message, 'invalid To IP "" in range "1.2.3.4-"');
  });
  it('rejects reversed and mixed-family ranges with distinct codes', () => {
    const rev = parseRange('10.0.0.10-10.0.0.5');
    assert.ok(!rev.ok);
    assert.equal(rev.error.code, 'InvalidRange');
    assert.match(rev.error.message, /^range 10\.0\.0\.10 to 10\.0\.0\.5 not valid/);
    const mixed = parseRange('10.0.0.1-::ffff:10.0.0.2');
    assert.ok(!mixed.ok);
    assert.equal(mixed.error.code, 'MixedFamily');
  });
});

describe('parseAddressEntry (§6 classification; upstream AddressStrParses / AddressesToIPSet)', () => {
  const valid: [string, string, string][] = [
    ['192.168.1.2', 'address', '192.168.1.2-192.168.1.2'],
    ['192.168.1.2-192.168.1.4', 'range', '192.168.1.2-192.168.1.4'],
    ['192.168.1.2/24', 'cidr', '192.168.1.0-192.168.1.255'],
    ['fe80::1', 'address', 'fe80::1-fe80::1'],
    ['fe80::1-fe80::3', 'range', 'fe80::1-fe80::3'],
    ['fe80::1/64', 'cidr', 'fe80::-fe80::ffff:ffff:ffff:ffff'],
    ['fe80::1%eth0', 'address', 'fe80::1-fe80::1'],
    ['192.168.2.16/30', 'cidr', '192.168.2.16-192.168.2.19'],
  ];
  for (const [input, kind, text] of valid) {
    it(`parses ${input}`, () => {
      const r = parseAddressEntry(input);
      assert.ok(r.ok);
      assert.equal(r.value.kind, kind);
      assert.equal(formatRange(r.value.range), text);
    });
  }
  const invalid: [string, string][] = [
    ['192.168.1.2.4', 'InvalidAddress'],
    ['192.168.1.4-192.168.1.1', 'InvalidRange'],
    ['192.168.1.2/33', 'InvalidPrefix'],
    ['fe80::zzzz', 'InvalidAddress'],
    ['fe80::3-fe80::1', 'InvalidRange'],
    ['fe80::1/129', 'InvalidPrefix'],
    ['192.168.1.2612', 'InvalidAddress'],
    ['192.168.1.2-192.168.1.4-', 'InvalidRange'],
    ['192.168.1.2-192.168.1.4-192.168.1.9', 'InvalidRange'],
    ['192.168.1.4/21-192.168.1.2', 'InvalidRange'],
    ['192.168.1.4/-192.168.1.2', 'InvalidRange'],
    ['10.0.0.1-fe80::1', 'MixedFamily'],
    ['fe80::1%eth0/64', 'InvalidPrefix'],
    ['010.0.0.1', 'InvalidAddress'],
    ['10.1', 'InvalidAddress'],
    [' 10.0.0.1', 'InvalidAddress'],
  ];
  for (const [input, code] of invalid) {
    it(`rejects ${JSON.stringify(input)} as ${code}`, () => {
      const r = parseAddressEntry(input);
      assert.ok(!r.ok);
      assert.equal(r.error.code, code);
      assert.equal(r.error.input, input);
    });
  }
  it('reports every bad entry of a list with its path', () => {
    const r = parseAddressList(['10.0.0.1', 'x', '10.0.0.5-10.0.0.1'], 'spec.addresses');
    assert.equal(r.entries.length, 1);
    assert.deepEqual(
      r.errors.map((e) => [e.path, e.code]),
      [
        ['spec.addresses[1]', 'InvalidAddress'],
        ['spec.addresses[2]', 'InvalidRange'],
      ],
    );
  });
});

describe('goQuote (strconv.Quote)', () => {
  it('escapes like Go', () => {
    assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
    assert.equal(goQuote('\t\x01\x7f'), '"\\t\\x01\\x7f"');
    assert.equal(goQuote('é✓'), '"é✓"');
    assert.equal(goQuote('\u200b'), '"\\u200b"');
  });
});

const arbV4: fc.Arbitrary<Addr> = fc
  .bigInt({ min: 0n, max: (1n << 32n) - 1n })
  .map((value) => ({ family: 4, value }));
// Bias IPv6 towards zero runs and mapped addresses, where the text forms are tricky.
const arbGroup = fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff }));
const arbV6: fc.Arbitrary<Addr> = fc.oneof(
  fc
    .array(arbGroup, { minLength: 8, maxLength: 8 })
    .map((g) => ({ family: 6 as const, value: g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n) })),
  fc
    .bigInt({ min: 0n, max: (1n << 32n) - 1n })
    .map((v) => ({ family: 6 as const, value: (0xffffn << 32n) | v })),
  fc.bigInt({ min: 0n, max: (1n << 128n) - 1n }).map((value) => ({ family: 6 as const, value })),
);
const arbAddr = fc.oneof(arbV4, arbV6);

describe('parse/format properties', () => {
  it('parse(format(a)) = a for every address', () => {
    fc.assert(
      fc.property(arbAddr, (a) => {
        const r = parseAddr(formatAddr(a));
        assert.ok(r.ok);
        assert.deepEqual(r.value, a);
      }),
      { numRuns: 5000 },
    );
  });
  it('formatting is canonical: format(parse(s)) is a fixed point', () => {
    fc.assert(
      fc.property(arbAddr, (a) => {
        const s = formatAddr(a);
        assert.equal(s, s.toLowerCase());
        assert.ok(!/(^|:)0[0-9a-f]/.test(s), `no leading zeros in ${s}`);
        assert.ok(s.split('::').length <= 2);
      }),
      { numRuns: 3000 },
    );
  });
  it('the uncompressed, uppercase, zero-padded form parses to the same address', () => {
    fc.assert(
      fc.property(arbV6, (a) => {
        const full = a.value.toString(16).padStart(32, '0').toUpperCase().match(/.{4}/g)?.join(':') ?? '';
        const r = parseAddr(full);
        assert.ok(r.ok);
        assert.deepEqual(r.value, a);
      }),
    );
  });
  it('prefix and range text round-trips', () => {
    fc.assert(
      fc.property(arbAddr, fc.integer({ min: 0, max: 128 }), arbAddr, (a, bits, b) => {
        const p = { family: a.family, value: a.value, bits: Math.min(bits, a.family === 4 ? 32 : 128) };
        const pr = parsePrefix(formatPrefix(p));
        assert.ok(pr.ok);
        assert.deepEqual(pr.value, p);
        if (a.family === b.family) {
          const [lo, hi] = a.value <= b.value ? [a, b] : [b, a];
          const text = `${formatAddr(lo)}-${formatAddr(hi)}`;
          const rr = parseRange(text);
          assert.ok(rr.ok);
          assert.equal(formatRange(rr.value), text);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
