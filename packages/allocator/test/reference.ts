// Reference implementations the optimised code must agree with: the straightforward versions
// the allocator shipped before its fast paths (kept here as test oracles only).
import type { Addr, IPRange } from '../src/index.js';

function formatV4(v: number): string {
  return `${(v >>> 24) & 255}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}

function formatV6(value: bigint): string {
  const w = [
    Number(value >> 96n),
    Number((value >> 64n) & 0xffffffffn),
    Number((value >> 32n) & 0xffffffffn),
    Number(value & 0xffffffffn),
  ];
  const g: number[] = [];
  for (const word of w) g.push(word >>> 16, word & 0xffff);
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += '::';
      i += bestLen - 1;
      continue;
    }
    if (out !== '' && !out.endsWith(':')) out += ':';
    out += (g[i] ?? 0).toString(16);
  }
  return out;
}

/** RFC 5952 / dotted quad / `::ffff:a.b.c.d`, character by character. */
export function referenceFormatAddr(a: Addr): string {
  if (a.family === 4) return formatV4(Number(a.value));
  if (a.value >> 32n === 0xffffn) return `::ffff:${formatV4(Number(a.value & 0xffffffffn))}`;
  return formatV6(a.value);
}

/** Sort by (family, from, to) and merge overlapping or touching ranges of one family. */
export function referenceNormalize(input: readonly IPRange[]): IPRange[] {
  const sorted = input.slice().sort((a, b) => {
    if (a.family !== b.family) return a.family - b.family;
    if (a.from !== b.from) return a.from < b.from ? -1 : 1;
    if (a.to !== b.to) return a.to < b.to ? -1 : 1;
    return 0;
  });
  const out: IPRange[] = [];
  for (const r of sorted) {
    const cur = out[out.length - 1];
    if (cur !== undefined && cur.family === r.family && r.from <= cur.to + 1n) {
      if (r.to > cur.to) out[out.length - 1] = { family: cur.family, from: cur.from, to: r.to };
    } else out.push(r);
  }
  return out;
}
