// Cells shared by `pools` and `explain`: family, kind, utilisation with severity colour and markers.
import type { PoolSummary, Severity } from '../data/model.js';
import { bar } from './bar.js';
import type { Palette, Token } from './colour.js';
import { compactCount, exactCount, percentText } from './counts.js';
import { toAscii, truncate } from './terminal.js';

/** The bar's width where there is room (and always in `-o wide`). */
export const BAR_WIDTH = 20;
/** A narrower bar says too little: below this the table drops it (the percentage stays). */
export const MIN_BAR_WIDTH = 5;

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

/** The markers as their symbols only (`! ≠`), for a narrow table; plugin/README.md has the legend. */
export function markerSymbols(p: PoolSummary): string[] {
  return markers(p).map((m) => m.split(' ')[0] ?? m);
}

/** Columns the markers of a pool take after the percentage, with their gap (0 without markers). */
export function markersWidth(p: PoolSummary, symbols = false, ascii = false): number {
  const text = (symbols ? markerSymbols(p) : markers(p)).join(' ');
  return text === '' ? 0 : 2 + Array.from(ascii ? toAscii(text) : text).length;
}

export interface MarkerFit {
  /** Symbols only (`! ≠`) instead of words. */
  readonly symbols?: boolean;
  /** Columns the markers may take with their two-space gap; cut with `…` beyond. */
  readonly room?: number;
  /** The table will be ASCII: cut the markers' ASCII form (`≠` is `!=`). */
  readonly ascii?: boolean;
}

/**
 * Bar (`width` cells; none when 0), percentage and markers, fitted by `fit`: the whole story is in
 * `-o wide` and `explain`.
 */
export function utilisationCell(
  p: PoolSummary,
  pal: Palette,
  width = BAR_WIDTH,
  fit: MarkerFit = {},
): string {
  const token = severityToken(p.severity);
  const full = p.severity === 'full';
  const pct = percentText(p.utilisation, full).padStart(4);
  const words = (fit.symbols === true ? markerSymbols(p) : markers(p)).join(' ');
  const mk = fit.ascii === true ? toAscii(words) : words;
  const markerRoom = fit.room ?? Number.POSITIVE_INFINITY;
  const text =
    width > 0
      ? `${pal.paint(token, bar(p.utilisation, width, full))}  ${pal.paint(token, pct)}`
      : pal.paint(token, pct);
  const room = markerRoom - 2;
  if (mk === '' || room < 1) return text;
  return `${text}  ${pal.paint(token === 'ok' || token === 'muted' ? 'warning' : token, truncate(mk, room, fit.ascii === true ? '...' : '…'))}`;
}

export function count(n: bigint, exact: boolean): string {
  return exact ? exactCount(n) : compactCount(n);
}
