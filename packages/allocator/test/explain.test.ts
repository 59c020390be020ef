import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  MAX_INT64,
  explainAddress,
  explainPool,
  occupancy,
  stringifyJson,
  toJsonValue,
  toStatusCounts,
  type IPPoolSpec,
} from '../src/index.js';
import { addr, allocateN, indexFor, layout, must } from './helpers.js';

const spec: IPPoolSpec = {
  addresses: ['10.0.0.0/25', '10.0.0.100-10.0.0.255', '10.0.0.5'],
  prefix: 24,
  gateway: '10.0.0.1',
  excludedAddresses: ['10.0.0.2-10.0.0.9', '10.0.0.8', '192.168.0.0/16'],
};

describe('explainAddress', () => {
  const l = layout(spec);
  const idx = indexFor(spec, ['10.0.0.10', '10.0.0.3', '8.8.8.8']);
  const cases: [string, string, string[]][] = [
    ['10.0.0.11', 'free', ['included']],
    ['10.0.0.10', 'allocated', ['included', 'allocated']],
    ['10.0.0.5', 'excluded', ['included', 'included', 'excluded']],
    ['10.0.0.8', 'excluded', ['included', 'excluded', 'excluded']],
    ['10.0.0.1', 'gateway', ['included', 'gateway']],
    ['10.0.0.0', 'reserved', ['included', 'reserved']],
    ['10.0.0.255', 'reserved', ['included', 'reserved']],
    ['10.0.1.1', 'outside-pool', ['outside-pool']],
    ['fd00::1', 'outside-pool', ['outside-pool']],
    ['10.0.0.3', 'out-of-range-allocation', ['included', 'excluded', 'out-of-range']],
    ['8.8.8.8', 'out-of-range-allocation', ['outside-pool', 'out-of-range']],
  ];
  for (const [a, verdict, codes] of cases) {
    it(`${a} is ${verdict} with every reason`, () => {
      const e = must(explainAddress(l, a, idx));
      assert.equal(e.verdict, verdict);
      assert.deepEqual(
        e.reasons.map((r) => r.code),
        codes,
      );
    });
  }
  it('names the entries and the subnet responsible', () => {
    const e = must(explainAddress(l, '10.0.0.8', idx));
    assert.deepEqual(
      e.includedBy.map((x) => x.path),
      ['spec.addresses[0]'],
    );
    assert.deepEqual(
      e.excludedBy.map((x) => `${x.path}=${x.input}`),
      ['spec.excludedAddresses[0]=10.0.0.2-10.0.0.9', 'spec.excludedAddresses[1]=10.0.0.8'],
    );
    const r = must(explainAddress(l, addr('10.0.0.255')));
    assert.deepEqual(r.reserved, { kind: 'broadcast', subnet: '10.0.0.0/24' });
    assert.equal(r.reasons.at(-1)?.message, 'reserved: broadcast address of 10.0.0.0/24');
    const v6 = must(explainAddress(layout({ addresses: ['fd00::/120'], prefix: 120 }), 'fd00::'));
    assert.deepEqual(v6.reserved, { kind: 'subnet-router-anycast', subnet: 'fd00::/120' });
  });
  it('returns a parse error as a value', () => {
    const r = explainAddress(l, 'nope');
    assert.ok(!r.ok);
    assert.equal(r.error.code, 'InvalidAddress');
  });
});

describe('explainPool', () => {
  it('attributes ranges to entries and reports usage, free ranges and fragmentation', () => {
    const l = layout(spec);
    const idx = indexFor(spec);
    allocateN(idx, 4); // .10 .11 .12 .13
    assert.ok(idx.release(addr('10.0.0.11')).ok);
    const p = explainPool(l, idx);
    assert.equal(p.subnet, '10.0.0.0/24');
    assert.deepEqual(
      p.addresses.map((r) => [r.from, r.to, r.size, r.entries.map((e) => e.path)]),
      // 10.0.0.0/25 and 10.0.0.100-255 overlap, so the three entries merge into one range.
      [['10.0.0.0', '10.0.0.255', 256n, ['spec.addresses[0]', 'spec.addresses[1]', 'spec.addresses[2]']]],
    );
    assert.deepEqual(
      p.excluded.map((r) => [r.from, r.to, r.inPool, r.entries.length]),
      [
        ['10.0.0.2', '10.0.0.9', 8n, 2],
        ['192.168.0.0', '192.168.255.255', 0n, 1],
      ],
    );
    assert.deepEqual(
      p.reserved.map((r) => `${r.address}:${r.kind}:${r.inPool}`),
      ['10.0.0.0:network:true', '10.0.0.255:broadcast:true'],
    );
    assert.deepEqual(p.gateway, { address: '10.0.0.1', input: '10.0.0.1', inPool: true });
    assert.deepEqual(p.counts, { total: 245n, used: 3n, allocated: 3n, free: 242n, outOfRange: 0n });
    assert.deepEqual(
      p.free.ranges.map((r) => `${r.from}-${r.to}`),
      ['10.0.0.11-10.0.0.11', '10.0.0.14-10.0.0.254'],
    );
    assert.equal(p.free.largest?.size, 241n);
    assert.equal(p.free.fragmentation, 1 - 241 / 242);
  });
  it('is JSON-serialisable with bigints as strings', () => {
    const json = JSON.stringify(toJsonValue(explainPool(layout({ addresses: ['fd00::/64'], prefix: 64 }))));
    const back = JSON.parse(json) as { counts: { total: string }; free: { fragmentation: number } };
    assert.equal(back.counts.total, '18446744073709551615');
    assert.equal(back.free.fragmentation, 0);
  });
});

describe('occupancy', () => {
  it('splits a pool into blocks whose classes add up', () => {
    const l = layout(spec);
    const idx = indexFor(spec, ['10.0.0.10', '10.0.0.200', '10.0.0.200', '10.0.0.3']);
    const m = must(occupancy(l, idx, { blockPrefixLength: 26 }));
    assert.equal(m.blockSize, 64n);
    assert.deepEqual(
      m.blocks.map((b) => [
        b.start,
        b.inPool,
        b.used,
        b.free,
        b.excluded,
        b.gateway,
        b.reserved,
        b.outOfRange,
      ]),
      [
        ['10.0.0.0', 64n, 1n, 53n, 8n, 1n, 1n, 1n],
        ['10.0.0.64', 64n, 0n, 64n, 0n, 0n, 0n, 0n],
        ['10.0.0.128', 64n, 0n, 64n, 0n, 0n, 0n, 0n],
        ['10.0.0.192', 64n, 1n, 62n, 0n, 0n, 1n, 0n],
      ],
    );
  });
  it('lists only populated blocks of a huge IPv6 pool and truncates', () => {
    const s: IPPoolSpec = { addresses: ['fd00::/48'], prefix: 48 };
    const idx = indexFor(s, ['fd00::5', 'fd00:0:0:7::9', 'fd99::1']);
    const m = must(occupancy(layout(s), idx, { blockPrefixLength: 64, maxBlocks: 3 }));
    assert.equal(m.truncated, true);
    assert.deepEqual(
      m.blocks.map((b) => b.start),
      ['fd00::', 'fd00:0:0:1::', 'fd00:0:0:2::'],
    );
    assert.equal(m.blocks[0]?.used, 1n);
    const sparse = must(
      occupancy(layout({ addresses: ['fd00::1', 'fd00:0:0:9::1'], prefix: 48 }), undefined, {
        blockPrefixLength: 64,
      }),
    );
    assert.deepEqual(
      sparse.blocks.map((b) => b.start),
      ['fd00::', 'fd00:0:0:9::'],
    );
  });
  it('rejects nonsense block sizes as values', () => {
    assert.ok(!occupancy(layout(spec), undefined, { blockPrefixLength: 33 }).ok);
    assert.ok(!occupancy(layout(spec), undefined, { blockSize: 0n }).ok);
  });
  it('block classes always add up (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 30 }),
        fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 100 }),
        (excluded, used, size) => {
          const s: IPPoolSpec = {
            addresses: ['10.0.0.0/24'],
            prefix: 24,
            gateway: '10.0.0.1',
            excludedAddresses: excluded.map((x) => `10.0.0.${x}`),
          };
          const idx = indexFor(
            s,
            used.map((x) => `10.0.0.${x}`),
          );
          const m = must(occupancy(layout(s), idx, { blockSize: BigInt(size) }));
          let free = 0n;
          let oor = 0n;
          for (const b of m.blocks) {
            assert.equal(b.inPool, b.used + b.free + b.excluded + b.gateway + b.reserved);
            free += b.free;
            oor += b.outOfRange;
          }
          assert.equal(free, idx.counts().free);
          assert.equal(oor, idx.counts().outOfRange);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('JSON helpers', () => {
  it('stringifyJson writes bigints as bare integers, exactly', () => {
    const status = toStatusCounts({
      total: 1n << 100n,
      used: 2n,
      allocated: 2n,
      free: 1n << 70n,
      outOfRange: 0n,
    });
    assert.equal(stringifyJson(status), `{"total":${MAX_INT64},"used":2,"free":${MAX_INT64},"outOfRange":0}`);
    assert.equal(
      stringifyJson({ a: [1n, 'x', undefined, null], b: undefined, c: true }),
      '{"a":[1,"x",null,null],"c":true}',
    );
    assert.equal(stringifyJson({ a: { b: 1n } }, 2), '{\n  "a": {\n    "b": 1\n  }\n}');
  });
  it('matches JSON.stringify for bigint-free values (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        assert.equal(stringifyJson(v), JSON.stringify(v));
        assert.equal(stringifyJson(v, 2), JSON.stringify(v, null, 2));
      }),
    );
  });
  it('toJsonValue turns bigints into strings and survives JSON', () => {
    assert.deepEqual(toJsonValue({ n: 5n, list: [1n], s: 'x', u: undefined }), {
      n: '5',
      list: ['1'],
      s: 'x',
    });
  });
});
