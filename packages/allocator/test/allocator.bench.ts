// Allocator benchmark (prints numbers; not a test). Run: npm run bench:allocator [-- --json]
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import {
  AllocationIndex,
  buildPoolLayout,
  explainAddress,
  explainPool,
  occupancy,
  stringifyJson,
  toStatusCounts,
  type Addr,
  type PoolLayout,
} from '../src/index.js';

interface Row {
  name: string;
  median_us: number;
  p99_us: number;
  samples: number;
  note?: string;
}

const rows: Row[] = [];
let peakRss = 0;
let peakHeap = 0;

function sampleMemory(): void {
  const m = process.memoryUsage();
  peakRss = Math.max(peakRss, m.rss);
  peakHeap = Math.max(peakHeap, m.heapUsed);
}

/** Times `fn` once per sample; returns median and p99 in microseconds. */
function measure(name: string, samples: number, fn: (i: number) => void, note?: string): Row {
  for (let i = 0; i < Math.min(200, samples); i++) fn(i); // warm-up
  const t: number[] = [];
  for (let i = 0; i < samples; i++) {
    const s = performance.now();
    fn(i);
    t.push((performance.now() - s) * 1000);
  }
  t.sort((a, b) => a - b);
  const row: Row = {
    name,
    median_us: t[Math.floor(t.length / 2)] ?? 0,
    p99_us: t[Math.floor(t.length * 0.99)] ?? 0,
    samples,
  };
  if (note !== undefined) row.note = note;
  rows.push(row);
  sampleMemory();
  return row;
}

/** Deterministic PRNG (mulberry32) so runs are comparable. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function must<T>(r: { ok: true; value: T } | { ok: false; error: { message: string } }): T {
  if (!r.ok) throw new Error(r.error.message);
  return r.value;
}

const v4Layout: PoolLayout = must(
  buildPoolLayout({ addresses: ['10.0.0.0/12'], prefix: 12, gateway: '10.0.0.1' }),
);
const base = 10n << 24n;

for (const used of [1_000, 100_000, 1_000_000]) {
  const idx = new AllocationIndex(v4Layout.allocatable);
  const fill = performance.now();
  for (let i = 0; i < used; i++) idx.allocateNext();
  const fillMs = performance.now() - fill;
  sampleMemory();
  const label = used.toLocaleString('en-US');
  measure(
    `nextFree, ${label} used (sequential)`,
    20_000,
    () => idx.nextFree(),
    `fill ${fillMs.toFixed(0)} ms`,
  );
  measure(`allocate+release, ${label} used (sequential)`, 20_000, () => {
    const a = must(idx.allocateNext());
    idx.release(a);
  });

  // Fragment: release a random 10% of the used addresses, leaving ~used/10 free intervals.
  const r = rng(used);
  let released = 0;
  for (let i = 0; i < used / 10; i++) {
    const a: Addr = { family: 4, value: base + 2n + BigInt(Math.floor(r() * used)) };
    if (idx.release(a).ok) released++;
  }
  sampleMemory();
  measure(
    `nextFree, ${label} used (fragmented)`,
    20_000,
    () => idx.nextFree(),
    `${released} released, ${idx.freeRangeCount} free ranges`,
  );
  measure(`allocate+release, ${label} used (fragmented)`, 20_000, () => {
    const a = must(idx.allocateNext());
    idx.release(a);
  });
  const rr = rng(7);
  measure(`markUsed+release random, ${label} used`, 20_000, () => {
    const a: Addr = { family: 4, value: base + 2n + BigInt(Math.floor(rr() * used)) };
    idx.markUsed(a);
    idx.release(a);
  });
  if (used === 1_000_000) {
    measure('counts + status + JSON, 1,000,000 used', 20_000, () =>
      stringifyJson(toStatusCounts(idx.counts())),
    );
    const re = rng(11);
    measure('explainAddress, 1,000,000 used', 5_000, () => {
      explainAddress(v4Layout, { family: 4, value: base + BigInt(Math.floor(re() * 1_048_576)) }, idx);
    });
    measure(
      'explainPool (free ranges capped at 10,000), 1,000,000 used',
      20,
      () => explainPool(v4Layout, idx),
      `${idx.freeRangeCount} free ranges walked`,
    );
    measure('occupancy per /24 (4,096 blocks), 1,000,000 used', 20, () =>
      must(occupancy(v4Layout, idx, { blockPrefixLength: 24 })),
    );
  }
}

// Layout of an IPv6 /48 with 10 000 exclusions spread over it: a third single addresses, a third
// short ranges, a third small CIDRs, all as text (parsing is part of the cost).
const r6 = rng(48);
const hex = (n: number) => Math.floor(n).toString(16);
const validExcluded: string[] = [];
for (let i = 0; i < 10_000; i++) {
  const net = `fd00:0:0:${hex(r6() * 0x10000)}`;
  const host = Math.floor(r6() * 0xff00);
  const kind = i % 3;
  validExcluded.push(
    kind === 0
      ? `${net}::${hex(host)}`
      : kind === 1
        ? `${net}::${hex(host)}-${net}::${hex(host + 1 + r6() * 200)}`
        : `${net}::${hex(host & 0xff00)}/${120 + Math.floor(r6() * 9)}`,
  );
}
measure(`layout: IPv6 /48 with ${validExcluded.length.toLocaleString('en-US')} exclusions`, 30, () =>
  must(
    buildPoolLayout({
      addresses: ['fd00::/48'],
      prefix: 48,
      gateway: 'fd00::1',
      excludedAddresses: validExcluded,
    }),
  ),
);
const big = must(
  buildPoolLayout({
    addresses: ['fd00::/48'],
    prefix: 48,
    gateway: 'fd00::1',
    excludedAddresses: validExcluded,
  }),
);
measure(
  'index build over that layout',
  30,
  () => new AllocationIndex(big.allocatable),
  `${big.allocatable.ranges.length} ranges`,
);
measure('explainPool of that layout (no index)', 30, () => explainPool(big));

sampleMemory();
const memory = {
  peak_rss_mb: +(peakRss / 2 ** 20).toFixed(1),
  peak_heap_mb: +(peakHeap / 2 ** 20).toFixed(1),
};

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ node: process.version, rows, memory })}\n`);
} else {
  const w = Math.max(...rows.map((r) => r.name.length));
  const line = (a: string, b: string, c: string, d: string) =>
    `${a.padEnd(w)}  ${b.padStart(12)}  ${c.padStart(12)}  ${d}`;
  process.stdout.write(`${line('benchmark', 'median µs', 'p99 µs', 'note')}\n`);
  for (const r of rows)
    process.stdout.write(`${line(r.name, r.median_us.toFixed(2), r.p99_us.toFixed(2), r.note ?? '')}\n`);
  process.stdout.write(
    `\npeak RSS ${memory.peak_rss_mb} MiB, peak heap ${memory.peak_heap_mb} MiB (Node ${process.version})\n`,
  );
}
