// Test-only helpers: "must" parsers throw, which is fine for hard-coded strings in tests.
import {
  AllocationIndex,
  buildPoolLayout,
  formatAddr,
  parseAddr,
  parseAddressEntry,
  type Addr,
  type IPPoolSpec,
  type IPRange,
  type PoolLayout,
  type Result,
} from '../src/index.js';

export function must<T>(r: Result<T>): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.code}: ${r.error.message}`);
  return r.value;
}

export function addr(s: string): Addr {
  return must(parseAddr(s));
}

export function range(s: string): IPRange {
  return must(parseAddressEntry(s)).range;
}

export function layout(spec: IPPoolSpec): PoolLayout {
  return must(buildPoolLayout(spec));
}

export function indexFor(spec: IPPoolSpec, used: readonly string[] = []): AllocationIndex {
  const idx = new AllocationIndex(layout(spec).allocatable);
  for (const u of used) idx.markUsed(addr(u));
  return idx;
}

/** Allocates n addresses in a row, returning their text. */
export function allocateN(idx: AllocationIndex, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = idx.allocateNext();
    if (!r.ok) break;
    out.push(formatAddr(r.value));
  }
  return out;
}
