import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  AllocationIndex,
  IPSet,
  IPV6_MAX,
  formatAddr,
  formatRange,
  type Addr,
  type IPPoolSpec,
} from '../src/index.js';
import { addr, allocateN, indexFor, layout, range } from './helpers.js';

function setOf(...ranges: string[]): IPSet {
  return IPSet.fromRanges(ranges.map(range));
}

function next(idx: AllocationIndex): string {
  const r = idx.nextFree();
  return r.ok ? formatAddr(r.value) : r.error.code;
}

describe('nextFree (upstream FindFreeAddress, §15.2)', () => {
  const cases: [string, string[], string[], string][] = [
    ['first of a single range', ['10.0.0.10-10.0.0.20'], [], '10.0.0.10'],
    ['skips claimed addresses', ['10.0.0.10-10.0.0.20'], ['10.0.0.10', '10.0.0.11'], '10.0.0.12'],
    ['only the last is free', ['10.0.0.10-10.0.0.20'], ['10.0.0.10-10.0.0.19'], '10.0.0.20'],
    ['exhausted', ['10.0.0.10-10.0.0.20'], ['10.0.0.10-10.0.0.20'], 'PoolExhausted'],
    ['single-IP range', ['10.0.1.10'], [], '10.0.1.10'],
    ['single-IP range exhausted', ['10.0.1.10'], ['10.0.1.10'], 'PoolExhausted'],
    [
      'falls through to the next range',
      ['10.0.0.10-10.0.0.15', '10.0.0.20'],
      ['10.0.0.10-10.0.0.15'],
      '10.0.0.20',
    ],
    [
      'multi-range exhausted',
      ['10.0.0.10-10.0.0.15', '10.0.0.20'],
      ['10.0.0.10-10.0.0.15', '10.0.0.20'],
      'PoolExhausted',
    ],
    ['a gap in the middle', ['10.0.0.1-10.0.0.9'], ['10.0.0.1-10.0.0.4', '10.0.0.6-10.0.0.9'], '10.0.0.5'],
  ];
  for (const [name, pool, used, expected] of cases) {
    it(name, () => {
      const idx = new AllocationIndex(setOf(...pool));
      for (const u of used) {
        const r = range(u);
        for (let v = r.from; v <= r.to; v++) idx.markUsed({ family: r.family, value: v });
      }
      assert.equal(next(idx), expected);
    });
  }
  it('orders IPv4 before IPv6 in a mixed set', () => {
    const idx = new AllocationIndex(setOf('fd00::1', '10.0.0.1'));
    assert.deepEqual(allocateN(idx, 3), ['10.0.0.1', 'fd00::1']);
  });
});

describe('AllocationIndex bookkeeping', () => {
  const spec: IPPoolSpec = { addresses: ['10.0.0.0/24'], prefix: 24, gateway: '10.0.0.1' };

  it('counts a duplicate once and keeps it until its last holder goes', () => {
    const idx = indexFor(spec);
    assert.equal(idx.markUsed(addr('10.0.0.7')), 'allocated');
    assert.equal(idx.markUsed(addr('10.0.0.7')), 'duplicate');
    assert.deepEqual(idx.counts(), { total: 253n, used: 2n, allocated: 1n, free: 252n, outOfRange: 0n });
    const r1 = idx.release(addr('10.0.0.7'));
    assert.ok(r1.ok && r1.value === 'still-held');
    assert.equal(idx.holders(addr('10.0.0.7')), 1);
    assert.ok(!idx.checkAllocatable(addr('10.0.0.7')).ok);
    const r2 = idx.release(addr('10.0.0.7'));
    assert.ok(r2.ok && r2.value === 'freed');
    assert.ok(idx.checkAllocatable(addr('10.0.0.7')).ok);
    assert.deepEqual(idx.counts(), { total: 253n, used: 0n, allocated: 0n, free: 253n, outOfRange: 0n });
  });

  it('tracks out-of-range holders (gateway, outside, other family) without eating free slots', () => {
    const idx = indexFor(spec);
    assert.equal(idx.markUsed(addr('10.0.0.1')), 'out-of-range');
    assert.equal(idx.markUsed(addr('192.168.0.1')), 'out-of-range');
    assert.equal(idx.markUsed(addr('192.168.0.1')), 'out-of-range');
    assert.equal(idx.markUsed(addr('fd00::1')), 'out-of-range');
    assert.deepEqual(idx.counts(), { total: 253n, used: 4n, allocated: 0n, free: 253n, outOfRange: 3n });
    assert.deepEqual(
      idx.outOfRange().map((o) => [formatAddr(o.addr), o.holders]),
      [
        ['10.0.0.1', 1],
        ['192.168.0.1', 2],
        ['fd00::1', 1],
      ],
    );
    assert.equal(next(idx), '10.0.0.2');
    const r = idx.release(addr('192.168.0.1'));
    assert.ok(r.ok && r.value === 'still-held');
    assert.equal(idx.counts().outOfRange, 3n);
  });

  it('refuses to release what is not held, as a value', () => {
    const idx = indexFor(spec);
    for (const a of ['10.0.0.9', '10.0.0.1', '8.8.8.8']) {
      const r = idx.release(addr(a));
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'NotAllocated');
    }
    assert.deepEqual(idx.counts().used, 0n);
  });

  it('checkAllocatable names the reason', () => {
    const idx = indexFor(spec, ['10.0.0.5']);
    const a = idx.checkAllocatable(addr('10.0.0.5'));
    assert.ok(!a.ok);
    assert.equal(a.error.code, 'AlreadyAllocated');
    const b = idx.checkAllocatable(addr('10.0.0.255'));
    assert.ok(!b.ok);
    assert.equal(b.error.code, 'NotInPool');
    assert.ok(idx.checkAllocatable(addr('10.0.0.6')).ok);
  });

  it('reuses the lowest released address first', () => {
    const idx = indexFor(spec);
    allocateN(idx, 10);
    assert.ok(idx.release(addr('10.0.0.5')).ok);
    assert.ok(idx.release(addr('10.0.0.3')).ok);
    assert.deepEqual(allocateN(idx, 3), ['10.0.0.3', '10.0.0.5', '10.0.0.12']);
  });

  it('merges released neighbours back into one free range', () => {
    const idx = indexFor({ addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 });
    allocateN(idx, 11);
    assert.equal(idx.freeRangeCount, 0);
    for (const a of ['10.0.0.12', '10.0.0.14', '10.0.0.13', '10.0.0.20', '10.0.0.10', '10.0.0.11'])
      assert.ok(idx.release(addr(a)).ok);
    assert.deepEqual([...idx.freeRanges()].map(formatRange), ['10.0.0.10-10.0.0.14', '10.0.0.20-10.0.0.20']);
  });

  it('lists used addresses with holders, in order, and rebases onto a new layout', () => {
    const idx = indexFor(spec, ['10.0.0.9', '10.0.0.3', '10.0.0.3', '10.0.0.255', '9.9.9.9']);
    assert.deepEqual(
      [...idx.used()].map((u) => `${formatAddr(u.addr)}x${u.holders}`),
      ['9.9.9.9x1', '10.0.0.3x2', '10.0.0.9x1', '10.0.0.255x1'],
    );
    const moved = idx.rebase(
      layout({
        addresses: ['10.0.0.0/24'],
        prefix: 24,
        allocateReservedIPAddresses: true,
        gateway: '10.0.0.9',
      }).allocatable,
    );
    assert.deepEqual(moved.counts(), { total: 255n, used: 5n, allocated: 2n, free: 253n, outOfRange: 2n });
    assert.deepEqual(
      moved.outOfRange().map((o) => formatAddr(o.addr)),
      ['9.9.9.9', '10.0.0.9'],
    );
  });
});

describe('128-bit edges', () => {
  it('allocates the very last IPv6 addresses and then reports exhaustion', () => {
    const idx = new AllocationIndex(
      setOf('ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'),
    );
    assert.deepEqual(allocateN(idx, 3), [
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe',
      'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff',
    ]);
    assert.ok(idx.release({ family: 6, value: IPV6_MAX }).ok);
    assert.equal(next(idx), 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff');
  });
  it('allocates :: when reserved addresses are allowed, and not otherwise', () => {
    assert.deepEqual(
      allocateN(indexFor({ addresses: ['::/126'], prefix: 126, allocateReservedIPAddresses: true }), 1),
      ['::'],
    );
    assert.deepEqual(allocateN(indexFor({ addresses: ['::/126'], prefix: 126 }), 1), ['::1']);
  });
  it('keeps exact counts for the whole IPv6 space and IPv4 space', () => {
    const all6 = indexFor({ addresses: ['::/0'], prefix: 0 });
    assert.equal(all6.counts().total, (1n << 128n) - 1n);
    assert.deepEqual(allocateN(all6, 2), ['::1', '::2']);
    assert.equal(all6.counts().free, (1n << 128n) - 3n);
    const all4 = indexFor({ addresses: ['0.0.0.0/0'], prefix: 0 });
    assert.equal(all4.counts().total, (1n << 32n) - 2n);
  });
  it('counts above 2^53 and 2^64 exactly', () => {
    const idx = indexFor({ addresses: ['fd00::/56'], prefix: 56 });
    const total = (1n << 72n) - 1n;
    assert.equal(idx.counts().total, total);
    idx.markUsed(addr('fd00::ff:ffff:ffff:ffff:ffff'));
    idx.markUsed(addr('fd00::1234'));
    assert.equal(idx.counts().free, total - 2n);
    assert.ok(idx.counts().free > 1n << 64n);
    assert.equal(idx.counts().free.toString(), '4722366482869645213693');
  });
});

// ---------- properties ----------

/** A random pool over 10.0.0.0/24 described by an oracle-friendly recipe. */
interface Recipe {
  entries: [number, number][];
  excluded: number[];
  gateway: number | undefined;
  allocateReserved: boolean;
}

const arbRecipe: fc.Arbitrary<Recipe> = fc.record({
  entries: fc.array(
    fc
      .tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: 0, max: 255 }))
      .map(([a, b]): [number, number] => (a <= b ? [a, b] : [b, a])),
    { minLength: 1, maxLength: 4 },
  ),
  excluded: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 20 }),
  gateway: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
  allocateReserved: fc.boolean(),
});

function specOf(r: Recipe): IPPoolSpec {
  return {
    addresses: r.entries.map(([a, b]) => (a === b ? `10.0.0.${a}` : `10.0.0.${a}-10.0.0.${b}`)),
    prefix: 24,
    gateway: r.gateway === undefined ? undefined : `10.0.0.${r.gateway}`,
    excludedAddresses: r.excluded.map((x) => `10.0.0.${x}`),
    allocateReservedIPAddresses: r.allocateReserved,
  };
}

/** The 256-entry oracle of what is allocatable, computed from the recipe, not from the layout. */
function oraclePool(r: Recipe): boolean[] {
  const pool = new Array<boolean>(256).fill(false);
  for (const [a, b] of r.entries) for (let i = a; i <= b; i++) pool[i] = true;
  for (const x of r.excluded) pool[x] = false;
  if (r.gateway !== undefined) pool[r.gateway] = false;
  if (!r.allocateReserved) {
    pool[0] = false;
    pool[255] = false;
  }
  return pool;
}

const base = 0x0a000000n;
const v4 = (i: number): Addr => ({ family: 4, value: base + BigInt(i) });
const low = (a: Addr): number => Number(a.value - base);

describe('allocator properties', () => {
  it('layout matches the oracle, address by address', () => {
    fc.assert(
      fc.property(arbRecipe, (r) => {
        const l = layout(specOf(r));
        const pool = oraclePool(r);
        for (let i = 0; i < 256; i++) assert.equal(l.allocatable.contains(v4(i)), pool[i], `10.0.0.${i}`);
        assert.equal(l.total, BigInt(pool.filter(Boolean).length));
      }),
      { numRuns: 300 },
    );
  });

  it('never allocates outside the pool, or an excluded, gateway or reserved address, and never twice', () => {
    fc.assert(
      fc.property(
        arbRecipe,
        fc.array(fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 255 })), { maxLength: 300 }),
        (r, ops) => {
          const pool = oraclePool(r);
          const idx = new AllocationIndex(layout(specOf(r)).allocatable);
          const held = new Set<number>();
          for (const op of ops) {
            if (op === -1) {
              const a = idx.allocateNext();
              if (!a.ok) {
                assert.equal(
                  held.size,
                  pool.filter(Boolean).length,
                  'exhausted only when every slot is held',
                );
                continue;
              }
              const i = low(a.value);
              assert.ok(pool[i], `allocated 10.0.0.${i} which is not allocatable`);
              assert.ok(!held.has(i), `allocated 10.0.0.${i} twice`);
              held.add(i);
            } else if (held.has(op)) {
              assert.ok(idx.release(v4(op)).ok);
              held.delete(op);
            }
            const c = idx.counts();
            assert.equal(c.total, c.allocated + c.free);
            assert.equal(c.allocated, BigInt(held.size));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

// ---------- model-based test against a 256-entry oracle (netipx's trick) ----------

interface Model {
  pool: boolean[];
  holders: number[];
}

type Cmd = fc.Command<Model, AllocationIndex>;

class AllocateCmd implements Cmd {
  check(): boolean {
    return true;
  }
  run(m: Model, real: AllocationIndex): void {
    const expected = m.pool.findIndex((p, i) => p && m.holders[i] === 0);
    const r = real.allocateNext();
    if (expected < 0) {
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'PoolExhausted');
      return;
    }
    assert.ok(r.ok);
    assert.equal(low(r.value), expected);
    m.holders[expected] = 1;
  }
  toString(): string {
    return 'allocate';
  }
}

class AllocateSpecificCmd implements Cmd {
  constructor(readonly i: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, real: AllocationIndex): void {
    const r = real.checkAllocatable(v4(this.i));
    const expected = m.pool[this.i] === true && m.holders[this.i] === 0;
    assert.equal(r.ok, expected);
    if (!r.ok) assert.equal(r.error.code, m.pool[this.i] === true ? 'AlreadyAllocated' : 'NotInPool');
    else {
      assert.equal(real.markUsed(r.value), 'allocated');
      m.holders[this.i] = 1;
    }
  }
  toString(): string {
    return `allocateSpecific(${this.i})`;
  }
}

/** An IPAddress appearing with any address: duplicates and out-of-range included. */
class MarkCmd implements Cmd {
  constructor(readonly i: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, real: AllocationIndex): void {
    const before = m.holders[this.i] ?? 0;
    const outcome = real.markUsed(v4(this.i));
    assert.equal(
      outcome,
      m.pool[this.i] !== true ? 'out-of-range' : before === 0 ? 'allocated' : 'duplicate',
    );
    m.holders[this.i] = before + 1;
  }
  toString(): string {
    return `mark(${this.i})`;
  }
}

class ReleaseCmd implements Cmd {
  constructor(readonly i: number) {}
  check(): boolean {
    return true;
  }
  run(m: Model, real: AllocationIndex): void {
    const before = m.holders[this.i] ?? 0;
    const r = real.release(v4(this.i));
    if (before === 0) {
      assert.ok(!r.ok);
      assert.equal(r.error.code, 'NotAllocated');
      return;
    }
    assert.ok(r.ok);
    assert.equal(r.value, before === 1 ? 'freed' : 'still-held');
    m.holders[this.i] = before - 1;
  }
  toString(): string {
    return `release(${this.i})`;
  }
}

function checkCounts(m: Model, real: AllocationIndex): void {
  const total = m.pool.filter(Boolean).length;
  const allocated = m.pool.filter((p, i) => p && (m.holders[i] ?? 0) > 0).length;
  const outOfRange = m.pool.filter((p, i) => !p && (m.holders[i] ?? 0) > 0).length;
  const used = m.holders.reduce((a, b) => a + b, 0);
  assert.deepEqual(real.counts(), {
    total: BigInt(total),
    used: BigInt(used),
    allocated: BigInt(allocated),
    free: BigInt(total - allocated),
    outOfRange: BigInt(outOfRange),
  });
  for (let i = 0; i < 256; i++) assert.equal(real.holders(v4(i)), m.holders[i] ?? 0);
}

describe('model-based: AllocationIndex vs a 256-entry oracle over 10.0.0.0/24', () => {
  it('agrees on every step of random allocate / allocate-specific / mark / release sequences', () => {
    const addrIdx = fc.integer({ min: 0, max: 255 });
    const cmds = fc.commands(
      [
        fc.constant(new AllocateCmd()),
        addrIdx.map((i) => new AllocateSpecificCmd(i)),
        addrIdx.map((i) => new MarkCmd(i)),
        addrIdx.map((i) => new ReleaseCmd(i)),
      ],
      { maxCommands: 400 },
    );
    fc.assert(
      fc.property(arbRecipe, cmds, (r, commands) => {
        const model: Model = { pool: oraclePool(r), holders: new Array<number>(256).fill(0) };
        const real = new AllocationIndex(layout(specOf(r)).allocatable);
        fc.modelRun(() => ({ model, real }), commands);
        checkCounts(model, real);
      }),
      { numRuns: 200 },
    );
  });
});
