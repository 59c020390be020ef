// Cells shared by `pools` and `explain`: family, kind, utilisation with severity colour and markers.
import type { PoolSummary, Severity } from '../data/model.js';
import { bar } from './bar.js';
import type { Palette, Token } from './colour.js';
import { compactCount, exactCount, percentText } from './counts.js';

export const BAR_WIDTH = 20;

export function severityToken(s: Severity): Token {
  switch (s) {
    case 'ok':
      return 'ok';
    case 'warning':
      return 'warning';
    case 'critical':
    case 'full':
    case 'invalid':
      return 'critical';
    case 'empty':
      return 'muted';
  }
}

/** Family text: IPv4, IPv6, or for prefix pools the size handed out (IPv6/64). */
export function familyText(p: PoolSummary): string {
  if (p.type === 'prefix')
    return p.allocationPrefixLength === undefined ? 'IPv6' : `IPv6/${p.allocationPrefixLength}`;
  return p.family === undefined ? '-' : `IPv${p.family}`;
}

/** Markers that survive NO_COLOR: what a colour alone would otherwise say. */
export function markers(p: PoolSummary): string[] {
  const m: string[] = [];
  if (p.error !== undefined) m.push('! invalid spec');
  else if (p.severity === 'full') m.push('■ full');
  else if (p.severity === 'critical') m.push('▲ nearly full');
  if (p.counts.outOfRange > 0n) m.push('! out of range');
  if (p.paused) m.push('⏸ paused');
  if (p.deleting) m.push('✗ deleting');
  if (p.statusMismatch.length > 0) m.push('≠ status');
  if (p.partial === true) m.push('? partial');
  return m;
}

export function utilisationCell(p: PoolSummary, pal: Palette, width = BAR_WIDTH): string {
  const token = severityToken(p.severity);
  const full = p.severity === 'full';
  const pct = percentText(p.utilisation, full).padStart(4);
  const mk = markers(p);
  const text = `${pal.paint(token, bar(p.utilisation, width, full))}  ${pal.paint(token, pct)}`;
  return mk.length === 0
    ? text
    : `${text}  ${pal.paint(token === 'ok' || token === 'muted' ? 'warning' : token, mk.join(' '))}`;
}

export function count(n: bigint, exact: boolean): string {
  return exact ? exactCount(n) : compactCount(n);
}
