/**
 * Immutable IP set (netipx.IPSet): a sorted list of disjoint, non-adjacent inclusive ranges,
 * IPv4 before IPv6. Build one with {@link IPSetBuilder}; set algebra returns new sets.
 *
 * All operations are sweeps over sorted range lists: O(n + m) for algebra, O(log n) for
 * membership, O(n log n) only where unsorted input is normalised.
 */
import { IPV6_MAX, type Addr } from './address.js';
import type { Prefix } from './prefix.js';
import { rangeOfPrefix, rangeToPrefixes } from './prefix.js';
import { compareRange, rangeOfAddr, type IPRange } from './range.js';
import { invariant } from './result.js';
import { splitWords, word } from './words.js';

/**
 * Sorts and merges ranges into the canonical form. Overlapping or touching ranges of one family
 * merge; the families never merge with each other:
 *
 *   [a----b]               [a----b]          [a----b]
 *        [c----d]  ->  [a------d]       [a--b][c--d] (c = b+1) -> [a------d]
 */
function normalize(input: readonly IPRange[]): IPRange[] {
  if (input.length <= 1) return input.slice();
  const sorted = sortRanges(input);
  const out: IPRange[] = [];
  let cur = sorted[0] as IPRange;
  for (let i = 1; i < sorted.length; i++) {
    const r = sorted[i] as IPRange;
    if (r.family === cur.family && r.from <= cur.to + 1n) {
      if (r.to > cur.to) cur = { family: cur.family, from: cur.from, to: r.to };
    } else {
      out.push(cur);
      cur = r;
    }
  }
  out.push(cur);
  return out;
}

/** Spans {@link IPSet.size} sums as numbers. */
const SMALL_SPAN = 1n << 52n;

/** Below this many ranges the plain comparator sort is cheaper than building keys. */
const KEYED_SORT_MIN = 32;

/**
 * Ranges in {@link compareRange} order (stable). A comparator sort calls back into JS and
 * compares bigints ~n·log n times; instead each start is split once into four 32-bit words (one
 * `>> 64n` per range, see words.ts) and an LSD radix sort orders an index permutation by (family,
 * start) a byte at a time, skipping bytes where all starts agree. LSD radix sorting is stable, so
 * runs of equal starts keep input order and are then ordered by end with a small stable sort.
 * Lists with a value outside 0 .. 2^128−1 or an unknown family (caller bugs) keep the comparator
 * sort, whose order they define.
 */
function sortRanges(input: readonly IPRange[]): IPRange[] {
  const n = input.length;
  if (n < KEYED_SORT_MIN) return input.slice().sort(compareRange);
  const v6 = new Uint8Array(n);
  const keys = new Uint32Array(4 * n);
  for (let i = 0; i < n; i++) {
    const r = input[i] as IPRange;
    const f: number = r.family;
    if ((f !== 4 && f !== 6) || r.from < 0n || r.from > IPV6_MAX) return input.slice().sort(compareRange);
    v6[i] = f === 6 ? 1 : 0;
    splitWords(r.from);
    keys[4 * i] = word(0);
    keys[4 * i + 1] = word(1);
    keys[4 * i + 2] = word(2);
    keys[4 * i + 3] = word(3);
  }
  // Bits in which some start differs from the first: bytes without any are already "sorted".
  const diff = [0, 0, 0, 0];
  let mixed = false;
  for (let i = 1; i < n; i++) {
    for (let k = 0; k < 4; k++) diff[k] = (diff[k] ?? 0) | ((keys[4 * i + k] ?? 0) ^ (keys[k] ?? 0));
    if (v6[i] !== v6[0]) mixed = true;
  }
  let order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  let next = new Int32Array(n);
  const count = new Int32Array(257);
  const pass = (digit: (i: number) => number): void => {
    count.fill(0);
    for (let i = 0; i < n; i++) {
      const d = digit(i) + 1;
      count[d] = (count[d] ?? 0) + 1;
    }
    for (let d = 1; d <= 256; d++) count[d] = (count[d] ?? 0) + (count[d - 1] ?? 0);
    for (let j = 0; j < n; j++) {
      const i = order[j] ?? 0;
      const d = digit(i);
      const at = count[d] ?? 0;
      count[d] = at + 1;
      next[at] = i;
    }
    [order, next] = [next, order];
  };
  for (let k = 3; k >= 0; k--) {
    const d = diff[k] ?? 0;
    for (let shift = 0; shift < 32; shift += 8) {
      if (((d >>> shift) & 255) !== 0) pass((i) => ((keys[4 * i + k] ?? 0) >>> shift) & 255);
    }
  }
  if (mixed) pass((i) => v6[i] ?? 0);

  const out: IPRange[] = [];
  for (let j = 0; j < n; j++) out.push(input[order[j] ?? 0] as IPRange);
  // Equal (family, start): order by end, stably.
  for (let j = 0; j < n;) {
    const a = order[j] ?? 0;
    let e = j + 1;
    while (e < n && sameStart(a, order[e] ?? 0, keys, v6)) e++;
    if (e - j > 1) {
      const run = out.slice(j, e).sort(compareRange);
      for (let x = j; x < e; x++) out[x] = run[x - j] as IPRange;
    }
    j = e;
  }
  return out;
}

function sameStart(a: number, b: number, keys: Uint32Array, v6: Uint8Array): boolean {
  return (
    v6[a] === v6[b] &&
    keys[4 * a] === keys[4 * b] &&
    keys[4 * a + 1] === keys[4 * b + 1] &&
    keys[4 * a + 2] === keys[4 * b + 2] &&
    keys[4 * a + 3] === keys[4 * b + 3]
  );
}

/** Family-aware "a is before b" for range starts. */
function before(fa: number, va: bigint, fb: number, vb: bigint): boolean {
  return fa < fb || (fa === fb && va < vb);
}

/**
 * A \ B for two normalised lists. Each range of A is cut by the ranges of B that overlap it:
 *
 *   A  [------------------]
 *   B       [---]    [--------]
 *   =  [---]     [--]
 */
function subtract(a: readonly IPRange[], b: readonly IPRange[]): IPRange[] {
  const out: IPRange[] = [];
  let j = 0;
  for (const r of a) {
    let from = r.from;
    // Skip removals entirely before this range.
    while (j < b.length) {
      const x = b[j] as IPRange;
      if (before(x.family, x.to, r.family, from)) j++;
      else break;
    }
    let k = j;
    let alive = true;
    while (k < b.length) {
      const x = b[k] as IPRange;
      if (x.family !== r.family || x.from > r.to) break;
      if (x.from > from) out.push({ family: r.family, from, to: x.from - 1n });
      if (x.to >= r.to) {
        alive = false;
        break;
      }
      from = x.to + 1n;
      k++;
    }
    if (alive) out.push({ family: r.family, from, to: r.to });
    j = k;
  }
  return out;
}

/** A ∩ B for two normalised lists (two-pointer sweep). */
function intersect(a: readonly IPRange[], b: readonly IPRange[]): IPRange[] {
  const out: IPRange[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as IPRange;
    const y = b[j] as IPRange;
    if (x.family !== y.family) {
      if (x.family < y.family) i++;
      else j++;
      continue;
    }
    const from = x.from > y.from ? x.from : y.from;
    const to = x.to < y.to ? x.to : y.to;
    if (from <= to) out.push({ family: x.family, from, to });
    if (x.to < y.to) i++;
    else j++;
  }
  return out;
}

/** Index of the first range ending at or after (family, value); `ranges.length` if none. */
function firstEndingFrom(ranges: readonly IPRange[], family: number, value: bigint): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges[mid] as IPRange;
    if (before(r.family, r.to, family, value)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** True when the list is sorted, disjoint and non-adjacent, with valid bounds. */
function isNormalized(ranges: readonly IPRange[]): boolean {
  for (let i = 0; i < ranges.length; i++) {
    const r = ranges[i] as IPRange;
    if (r.from > r.to) return false;
    const p = ranges[i - 1];
    if (p !== undefined && !(p.family < r.family || (p.family === r.family && p.to + 1n < r.from)))
      return false;
  }
  return true;
}

/** Index of the range containing (family, value), or -1. Binary search. Internal export (explain). */
export function findRange(ranges: readonly IPRange[], family: number, value: bigint): number {
  let lo = 0;
  let hi = ranges.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const r = ranges[mid] as IPRange;
    if (before(family, value, r.family, r.from)) hi = mid - 1;
    else if (before(r.family, r.to, family, value)) lo = mid + 1;
    else return mid;
  }
  return -1;
}

export class IPSet {
  /** The empty set. */
  static readonly EMPTY = new IPSet([]);

  readonly #ranges: readonly IPRange[];
  #size: bigint | undefined;

  /** Internal: `ranges` must already be normalised. Use {@link IPSetBuilder} or {@link IPSet.fromRanges}. */
  private constructor(ranges: readonly IPRange[]) {
    this.#ranges = Object.freeze(ranges);
  }

  /** A set of any ranges (unsorted, overlapping allowed). */
  static fromRanges(ranges: readonly IPRange[]): IPSet {
    return new IPSet(normalize(ranges));
  }

  /** Fast path for lists already in canonical form (checked in O(n); a violation is a bug). */
  static fromNormalized(ranges: readonly IPRange[]): IPSet {
    invariant(isNormalized(ranges), 'IPSet.fromNormalized: ranges are not sorted, disjoint and non-adjacent');
    return new IPSet(ranges);
  }

  /** Minimal sorted list of disjoint, non-adjacent ranges. */
  get ranges(): readonly IPRange[] {
    return this.#ranges;
  }

  get isEmpty(): boolean {
    return this.#ranges.length === 0;
  }

  /** Exact number of addresses (may exceed 2^64 for IPv6). Cached. */
  size(): bigint {
    if (this.#size === undefined) {
      // Spans below 2^52 add up exactly as numbers (flushed before 2^53): one bigint op per range.
      let big = 0n;
      let small = 0;
      for (const r of this.#ranges) {
        const span = r.to - r.from;
        if (span >= 0n && span < SMALL_SPAN) {
          small += Number(span);
          if (small >= 2 ** 52) {
            big += BigInt(small);
            small = 0;
          }
        } else big += span;
      }
      this.#size = big + BigInt(small) + BigInt(this.#ranges.length);
    }
    return this.#size;
  }

  contains(a: Addr): boolean {
    return findRange(this.#ranges, a.family, a.value) >= 0;
  }

  /** The range of this set that contains the address, if any. */
  rangeContaining(a: Addr): IPRange | undefined {
    const i = findRange(this.#ranges, a.family, a.value);
    return i < 0 ? undefined : this.#ranges[i];
  }

  /** True when every address of `r` is in the set (it must then lie within one range). */
  containsRange(r: IPRange): boolean {
    const i = findRange(this.#ranges, r.family, r.from);
    return i >= 0 && (this.#ranges[i] as IPRange).to >= r.to;
  }

  containsPrefix(p: Prefix): boolean {
    return this.containsRange(rangeOfPrefix(p));
  }

  /** True when at least one address of `r` is in the set. */
  overlapsRange(r: IPRange): boolean {
    const x = this.#ranges[firstEndingFrom(this.#ranges, r.family, r.from)];
    return x !== undefined && x.family === r.family && x.from <= r.to;
  }

  overlapsPrefix(p: Prefix): boolean {
    return this.overlapsRange(rangeOfPrefix(p));
  }

  union(other: IPSet): IPSet {
    if (other.isEmpty) return this;
    if (this.isEmpty) return other;
    return new IPSet(normalize([...this.#ranges, ...other.#ranges]));
  }

  difference(other: IPSet): IPSet {
    if (other.isEmpty || this.isEmpty) return this;
    return new IPSet(subtract(this.#ranges, other.#ranges));
  }

  intersection(other: IPSet): IPSet {
    return new IPSet(intersect(this.#ranges, other.#ranges));
  }

  equals(other: IPSet): boolean {
    const a = this.#ranges;
    const b = other.#ranges;
    if (a.length !== b.length) return false;
    return a.every((r, i) => compareRange(r, b[i] as IPRange) === 0);
  }

  /** The minimal list of CIDR prefixes covering the set, ascending (netipx `Prefixes`). */
  prefixes(): Prefix[] {
    return this.#ranges.flatMap(rangeToPrefixes);
  }

  /** Lowest address, if any. */
  first(): Addr | undefined {
    const r = this.#ranges[0];
    return r === undefined ? undefined : { family: r.family, value: r.from };
  }
}

/**
 * Mutable builder (netipx.IPSetBuilder). Operations apply in call order; work is batched so a
 * long run of adds followed by a long run of removes costs one sort each, not one per call.
 */
export class IPSetBuilder {
  #base: IPRange[] = [];
  #adds: IPRange[] = [];
  #removes: IPRange[] = [];

  /** Applies pending removals so that later adds are not removed by earlier removes. */
  #flush(): void {
    if (this.#adds.length > 0) {
      this.#base = normalize(this.#base.concat(this.#adds));
      this.#adds = [];
    }
    if (this.#removes.length > 0) {
      this.#base = subtract(this.#base, normalize(this.#removes));
      this.#removes = [];
    }
  }

  addRange(r: IPRange): this {
    if (this.#removes.length > 0) this.#flush();
    this.#adds.push(r);
    return this;
  }

  add(a: Addr): this {
    return this.addRange(rangeOfAddr(a));
  }

  addPrefix(p: Prefix): this {
    return this.addRange(rangeOfPrefix(p));
  }

  addSet(s: IPSet): this {
    if (this.#removes.length > 0) this.#flush();
    for (const r of s.ranges) this.#adds.push(r);
    return this;
  }

  removeRange(r: IPRange): this {
    this.#removes.push(r);
    return this;
  }

  remove(a: Addr): this {
    return this.removeRange(rangeOfAddr(a));
  }

  removePrefix(p: Prefix): this {
    return this.removeRange(rangeOfPrefix(p));
  }

  removeSet(s: IPSet): this {
    for (const r of s.ranges) this.#removes.push(r);
    return this;
  }

  /** The current contents as an immutable set; the builder stays usable. */
  build(): IPSet {
    this.#flush();
    return IPSet.fromNormalized(this.#base.slice());
  }
}
