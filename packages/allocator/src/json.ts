/**
 * JSON for values holding bigints. A JS number cannot hold 2^63−1 (the status cap) or IPv6
 * counts, so:
 *   - {@link stringifyJson} writes bigints as bare integers, exactly (for status patches);
 *   - {@link toJsonValue} turns bigints into decimal strings (for `-o json`, safe for any reader).
 */

export type JsonValue =
  null | boolean | number | string | readonly JsonValue[] | { readonly [k: string]: JsonValue };

/** A JSON object (not null, not an array): the one shape test every package uses. */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Deep copy with bigints as decimal strings; undefined members dropped (as JSON.stringify does). */
export function toJsonValue(value: unknown): JsonValue {
  if (typeof value === 'bigint') return value.toString();
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map((v: unknown) => (v === undefined ? null : toJsonValue(v)));
  if (isRecord(value)) {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined && typeof v !== 'function' && typeof v !== 'symbol') out[k] = toJsonValue(v);
    }
    return out;
  }
  return null;
}

function write(value: unknown, indent: string, step: string): string | undefined {
  if (typeof value === 'bigint') return value.toString();
  if (value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'null';
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') return undefined;
  const inner = indent + step;
  const nl = step === '' ? '' : `\n${inner}`;
  const close = step === '' ? '' : `\n${indent}`;
  const colon = step === '' ? ':' : ': ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v: unknown) => write(v, inner, step) ?? 'null');
    return `[${nl}${items.join(`,${nl}`)}${close}]`;
  }
  if (isRecord(value)) {
    const parts: string[] = [];
    for (const [k, v] of Object.entries(value)) {
      const w = write(v, inner, step);
      if (w !== undefined) parts.push(`${JSON.stringify(k)}${colon}${w}`);
    }
    if (parts.length === 0) return '{}';
    return `{${nl}${parts.join(`,${nl}`)}${close}}`;
  }
  return undefined;
}

/**
 * JSON.stringify that writes bigints as bare integers, e.g. `{"total":9223372036854775807}`.
 * `space` indents like JSON.stringify's numeric argument.
 */
export function stringifyJson(value: unknown, space = 0): string {
  return write(value, '', ' '.repeat(Math.min(10, Math.max(0, space)))) ?? 'null';
}
