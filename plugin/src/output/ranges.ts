// Range text for explanations: a single address, a CIDR when the range is exactly one, else from–to.
import { parseAddr, rangeToPrefixes, formatPrefix, type RangeInfo } from '@ipam-in-cluster/allocator';

export function rangeText(r: RangeInfo): string {
  if (r.from === r.to) return r.from;
  const a = parseAddr(r.from);
  const b = parseAddr(r.to);
  if (a.ok && b.ok) {
    const prefixes = rangeToPrefixes({ family: a.value.family, from: a.value.value, to: b.value.value });
    if (prefixes.length === 1 && prefixes[0] !== undefined) return formatPrefix(prefixes[0]);
  }
  return `${r.from}–${r.to}`;
}
