// Utilisation bars drawn with eighth blocks: `██████████████▋░░░░░`.
const PARTIALS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'] as const;

/** A bar `width` cells wide for a ratio in [0, 1]; never shows full unless `full`, never empty unless 0. */
export function bar(ratio: number, width: number, full = ratio >= 1): string {
  const r = Math.max(0, Math.min(1, ratio));
  let eighths = full ? width * 8 : Math.floor(r * width * 8);
  if (!full && eighths >= width * 8) eighths = width * 8 - 1;
  if (r > 0 && eighths === 0) eighths = 1;
  const whole = Math.floor(eighths / 8);
  const part = PARTIALS[eighths % 8] ?? '';
  const used = '█'.repeat(whole) + part;
  return used + '░'.repeat(width - whole - (part === '' ? 0 : 1));
}
