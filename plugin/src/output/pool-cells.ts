// The `pools` table's utilisation cell: bar, percentage and markers as output/present.ts computes
// them, painted with the CLI palette and fitted to the room the table has.
import type { PoolSummary } from '../data/model.js';
import { bar } from './bar.js';
import type { Palette } from './colour.js';
import { markersText, markersTone, presentPool, type PresentablePool } from './present.js';
import { toAscii, truncate } from './terminal.js';

export { countText as count, familyText } from './present.js';

/** The bar's width where there is room (and always in `-o wide`). */
export const BAR_WIDTH = 20;
/** A narrower bar says too little: below this the table drops it (the percentage stays). */
export const MIN_BAR_WIDTH = 5;

/** Columns the markers of a pool take after the percentage, with their gap (0 without markers). */
export function markersWidth(p: PresentablePool, symbols = false, ascii = false): number {
  const text = markersText(p, symbols);
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
  const shown = presentPool(p);
  const pct = shown.percent.padStart(4);
  const words = markersText(p, fit.symbols === true);
  const mk = fit.ascii === true ? toAscii(words) : words;
  const markerRoom = fit.room ?? Number.POSITIVE_INFINITY;
  const text =
    width > 0
      ? `${pal.paint(shown.tone, bar(shown.ratio, width, shown.full))}  ${pal.paint(shown.tone, pct)}`
      : pal.paint(shown.tone, pct);
  const room = markerRoom - 2;
  if (mk === '' || room < 1) return text;
  return `${text}  ${pal.paint(markersTone(p), truncate(mk, room, fit.ascii === true ? '...' : '…'))}`;
}
