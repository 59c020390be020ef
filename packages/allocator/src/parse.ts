/**
 * Parsers for the upstream address grammar (upstream-behaviour §6), hand-written to follow Go's
 * net/netip (`ParseAddr`, `ParsePrefix`) and netipx (`ParseIPRange`) exactly, including their
 * error messages. They never throw: every input string yields a value or an error value.
 *
 * Why not ip-address: it parses at ~3 µs and accepts/rejects a slightly different grammar
 * (zones, forms); a pool with 10 000 entries must parse in a few ms and match Go byte for byte.
 */
import type { Addr, Family } from './address.js';
import { formatAddr, goQuote } from './format.js';
import type { Prefix } from './prefix.js';
import { rangeOfPrefix } from './prefix.js';
import type { IPRange } from './range.js';
import { allocatorError, err, ok, type AllocatorError, type Result } from './result.js';
import { joinWords } from './words.js';

/** Internal: an address plus whether a zone was written (zones are only meaningful to ParsePrefix). */
interface ZonedAddr {
  readonly addr: Addr;
  readonly zoned: boolean;
}

type AddrParse = { ok: true; addr: Addr; zoned: boolean } | { ok: false; message: string };

function addrError(input: string, msg: string, at?: string): AddrParse {
  const base = `ParseAddr(${goQuote(input)}): ${msg}`;
  // Go prints "(at …)" only for a non-empty remainder.
  return { ok: false, message: at === undefined || at === '' ? base : `${base} (at ${goQuote(at)})` };
}

const C_0 = 48;
const C_9 = 57;
const C_DOT = 46;
const C_COLON = 58;
const C_PERCENT = 37;

/**
 * Parses dotted-quad IPv4 in `s[start, end)` (netip's parseIPv4Fields): exactly four decimal
 * fields 0..255 without leading zeros. Returns the 32-bit value or an error message.
 */
function parseV4Fields(input: string, start: number, end: number): number | AddrParse {
  let val = 0;
  let digits = 0;
  let fields = 0;
  let acc = 0;
  for (let i = start; i < end; i++) {
    const c = input.charCodeAt(i);
    if (c >= C_0 && c <= C_9) {
      if (digits === 1 && val === 0) return addrError(input, 'IPv4 field has octet with leading zero');
      val = val * 10 + (c - C_0);
      digits++;
      if (val > 255) return addrError(input, 'IPv4 field has value >255');
    } else if (c === C_DOT) {
      if (i === start || i === end - 1 || input.charCodeAt(i - 1) === C_DOT) {
        return addrError(input, 'IPv4 field must have at least one digit', input.slice(i, end));
      }
      if (fields === 3) return addrError(input, 'IPv4 address too long');
      acc = acc * 256 + val;
      fields++;
      val = 0;
      digits = 0;
    } else {
      return addrError(input, 'unexpected character', input.slice(i, end));
    }
  }
  if (fields < 3) return addrError(input, 'IPv4 address too short');
  return acc * 256 + val;
}

function hexValue(c: number): number {
  if (c >= C_0 && c <= C_9) return c - C_0;
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** Eight 16-bit groups to a 128-bit value, via four 32-bit words (few bigint operations). */
function groupsToBigint(g: readonly number[]): bigint {
  const w0 = (g[0] ?? 0) * 0x10000 + (g[1] ?? 0);
  const w1 = (g[2] ?? 0) * 0x10000 + (g[3] ?? 0);
  const w2 = (g[4] ?? 0) * 0x10000 + (g[5] ?? 0);
  const w3 = (g[6] ?? 0) * 0x10000 + (g[7] ?? 0);
  // Two 64-bit halves as bigints; a half below 2^53 converts directly.
  const hi = w0 < 0x200000 ? BigInt(w0 * 0x100000000 + w1) : (BigInt(w0) << 32n) | BigInt(w1);
  const lo = w2 < 0x200000 ? BigInt(w2 * 0x100000000 + w3) : (BigInt(w2) << 32n) | BigInt(w3);
  return (hi << 64n) | lo;
}

/** netip's parseIPv6: groups, one `::`, optional embedded IPv4 tail, optional non-empty zone. */
function parseV6(input: string): AddrParse {
  let end = input.length;
  let zoned = false;
  const pct = input.indexOf('%');
  if (pct !== -1) {
    if (pct === input.length - 1) return addrError(input, 'zone must be a non-empty string');
    end = pct;
    zoned = true;
  }
  // Sixteen bytes as eight 16-bit groups; `bytes` counts bytes filled, like netip's `i`.
  const groups = [0, 0, 0, 0, 0, 0, 0, 0];
  let bytes = 0;
  let ellipsis = -1;
  let pos = 0;
  if (end - pos >= 2 && input.charCodeAt(0) === C_COLON && input.charCodeAt(1) === C_COLON) {
    ellipsis = 0;
    pos = 2;
    if (pos === end) return { ok: true, addr: { family: 6, value: 0n }, zoned };
  }
  while (bytes < 16) {
    let off = 0;
    let acc = 0;
    for (; pos + off < end; off++) {
      const h = hexValue(input.charCodeAt(pos + off));
      if (h < 0) break;
      acc = acc * 16 + h;
      if (off > 3)
        return addrError(
          input,
          'each colon-separated field must have at most 4 hex digits',
          input.slice(pos, end),
        );
    }
    if (off === 0)
      return addrError(
        input,
        'each colon-separated field must have at least one digit',
        input.slice(pos, end),
      );
    if (pos + off < end && input.charCodeAt(pos + off) === C_DOT) {
      if (ellipsis < 0 && bytes !== 12) {
        return addrError(
          input,
          'embedded IPv4 address must replace the final 2 fields of the address',
          input.slice(pos, end),
        );
      }
      if (bytes + 4 > 16) {
        return addrError(
          input,
          'too many hex fields to fit an embedded IPv4 at the end of the address',
          input.slice(pos, end),
        );
      }
      const v4 = parseV4Fields(input, pos, end);
      if (typeof v4 !== 'number') return v4;
      groups[bytes / 2] = v4 >>> 16;
      groups[bytes / 2 + 1] = v4 & 0xffff;
      bytes += 4;
      pos = end;
      break;
    }
    groups[bytes / 2] = acc;
    bytes += 2;
    pos += off;
    if (pos === end) break;
    if (input.charCodeAt(pos) !== C_COLON)
      return addrError(input, 'unexpected character, want colon', input.slice(pos, end));
    if (pos + 1 === end)
      return addrError(input, 'colon must be followed by more characters', input.slice(pos, end));
    pos++;
    if (input.charCodeAt(pos) === C_COLON) {
      if (ellipsis >= 0) return addrError(input, 'multiple :: in address', input.slice(pos, end));
      ellipsis = bytes;
      pos++;
      if (pos === end) break;
    }
  }
  if (pos !== end) return addrError(input, 'trailing garbage after address', input.slice(pos, end));
  if (bytes < 16) {
    if (ellipsis < 0) return addrError(input, 'address string too short');
    // Shift the groups after the ellipsis to the end, zero-filling the gap.
    const shift = (16 - bytes) / 2;
    for (let g = bytes / 2 - 1; g >= ellipsis / 2; g--) groups[g + shift] = groups[g] ?? 0;
    for (let g = ellipsis / 2; g < ellipsis / 2 + shift; g++) groups[g] = 0;
  } else if (ellipsis >= 0) {
    return addrError(input, 'the :: must expand to at least one field of zeros', input.slice(pos, end));
  }
  return { ok: true, addr: { family: 6, value: groupsToBigint(groups) }, zoned };
}

/*
 * Fast path for the forms pools are written in: a dotted quad, or IPv6 hex groups with at most
 * one `::` (no zone, no embedded IPv4). It parses s[start, end) into scratch state and returns
 * the value, or undefined for ANY other input, valid or not; the strict parser above then
 * decides, with Go's messages. So the fast path only has to be right about what it accepts
 * (test/fast-paths.test.ts checks it against the strict parser on random and near-miss input).
 */

/** Family of the last value the fast path returned. */
let fastFamily: Family = 4;
/** Groups of the IPv6 address being parsed. */
const fastGroups = new Uint32Array(8);

function fastV6(s: string, start: number, end: number): bigint | undefined {
  const g = fastGroups;
  let n = 0;
  let ellipsis = -1;
  let i = start;
  if (s.charCodeAt(i) === C_COLON) {
    if (s.charCodeAt(i + 1) !== C_COLON) return undefined;
    ellipsis = 0;
    i += 2;
    if (i === end) return 0n;
  }
  for (;;) {
    let acc = 0;
    const first = i;
    for (; i < end; i++) {
      const h = hexValue(s.charCodeAt(i));
      if (h < 0) break;
      acc = acc * 16 + h;
    }
    if (i === first || i - first > 4 || n === 8) return undefined;
    g[n++] = acc;
    if (i === end) break;
    if (s.charCodeAt(i) !== C_COLON || ++i === end) return undefined;
    if (s.charCodeAt(i) === C_COLON) {
      if (ellipsis >= 0) return undefined;
      ellipsis = n;
      if (++i === end) break;
    }
  }
  if (ellipsis < 0) {
    if (n !== 8) return undefined;
  } else {
    if (n === 8) return undefined;
    // Move the groups after `::` to the end and zero the gap.
    const shift = 8 - n;
    for (let k = n - 1; k >= ellipsis; k--) g[k + shift] = g[k] ?? 0;
    g.fill(0, ellipsis, ellipsis + shift);
  }
  return joinWords(
    (g[0] ?? 0) * 0x10000 + (g[1] ?? 0),
    (g[2] ?? 0) * 0x10000 + (g[3] ?? 0),
    (g[4] ?? 0) * 0x10000 + (g[5] ?? 0),
    (g[6] ?? 0) * 0x10000 + (g[7] ?? 0),
  );
}

/** Fast path for one address in s[start, end); sets {@link fastFamily}. */
function fastValue(s: string, start: number, end: number): bigint | undefined {
  for (let i = start; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c === C_COLON) {
      const v = fastV6(s, start, end);
      fastFamily = 6;
      return v;
    }
    if (c === C_DOT) {
      const v = parseV4Fields(s, start, end);
      fastFamily = 4;
      return typeof v === 'number' ? BigInt(v) : undefined;
    }
  }
  return undefined;
}

/** Fast path for an address in the whole string (internal; exported for tests). */
export function fastParseAddr(input: string): Addr | undefined {
  const v = fastValue(input, 0, input.length);
  return v === undefined ? undefined : { family: fastFamily, value: v };
}

/**
 * Fast path for a pool entry by the §6 rule (range, else CIDR, else address); undefined sends
 * the entry to the strict parser. Internal; exported for tests.
 */
export function fastParseEntry(input: string): AddressEntry | undefined {
  const end = input.length;
  const dash = input.indexOf('-');
  if (dash >= 0) {
    const from = fastValue(input, 0, dash);
    if (from === undefined) return undefined;
    const family = fastFamily;
    const to = fastValue(input, dash + 1, end);
    if (to === undefined || fastFamily !== family || from > to) return undefined;
    return { input, kind: 'range', range: { family, from, to } };
  }
  const slash = input.lastIndexOf('/');
  if (slash >= 0) {
    // Prefix length: 1-3 digits, no leading zero, within the family.
    const digits = end - slash - 1;
    if (digits < 1 || digits > 3) return undefined;
    let bits = 0;
    for (let i = slash + 1; i < end; i++) {
      const c = input.charCodeAt(i);
      if (c < C_0 || c > C_9) return undefined;
      bits = bits * 10 + (c - C_0);
    }
    if (digits > 1 && input.charCodeAt(slash + 1) === C_0) return undefined;
    const value = fastValue(input, 0, slash);
    if (value === undefined || bits > (fastFamily === 4 ? 32 : 128)) return undefined;
    return { input, kind: 'cidr', range: rangeOfPrefix({ family: fastFamily, value, bits }) };
  }
  const value = fastValue(input, 0, end);
  return value === undefined
    ? undefined
    : { input, kind: 'address', range: { family: fastFamily, from: value, to: value } };
}

/** netip.ParseAddr: the first `.`, `:` or `%` decides the family. */
function parseAddrInternal(input: string): AddrParse {
  for (let i = 0; i < input.length; i++) {
    const c = input.charCodeAt(i);
    if (c === C_DOT) {
      const v = parseV4Fields(input, 0, input.length);
      return typeof v === 'number' ? { ok: true, addr: { family: 4, value: BigInt(v) }, zoned: false } : v;
    }
    if (c === C_COLON) return parseV6(input);
    if (c === C_PERCENT) return addrError(input, 'missing IPv6 address');
  }
  return addrError(input, 'unable to parse IP');
}

/**
 * Parses one IP address with Go `netip.ParseAddr` semantics; a zone (`fe80::1%eth0`) is accepted
 * and stripped. The error message is Go's, e.g. `ParseAddr("invalid"): unable to parse IP`.
 */
export function parseAddr(input: string): Result<Addr> {
  const fast = fastParseAddr(input);
  if (fast !== undefined) return ok(fast);
  return parseAddrStrict(input);
}

/** {@link parseAddr} without the fast path (internal; the oracle of the fast-path tests). */
export function parseAddrStrict(input: string): Result<Addr> {
  const r = parseAddrInternal(input);
  return r.ok ? ok(r.addr) : err(allocatorError('InvalidAddress', r.message, { input }));
}

function parseZoned(input: string): Result<ZonedAddr, string> {
  const r = parseAddrInternal(input);
  return r.ok ? ok({ addr: r.addr, zoned: r.zoned }) : err(r.message);
}

function prefixError(input: string, msg: string): Result<Prefix> {
  return err(allocatorError('InvalidPrefix', `netip.ParsePrefix(${goQuote(input)}): ${msg}`, { input }));
}

/**
 * Parses `ADDR/BITS` with Go `netip.ParsePrefix` semantics: host bits allowed (kept), no zone,
 * BITS decimal without sign or leading zeros, within 0..32 or 0..128.
 */
export function parsePrefix(input: string): Result<Prefix> {
  const slash = input.lastIndexOf('/');
  if (slash < 0) return prefixError(input, "no '/'");
  const a = parseZoned(input.slice(0, slash));
  if (!a.ok) return prefixError(input, a.error);
  if (a.value.zoned) return prefixError(input, 'IPv6 zones cannot be present in a prefix');
  const bitsStr = input.slice(slash + 1);
  // strconv.Atoi fails (-> "bad bits") on signs, leading zeros and beyond int64; below that,
  // out-of-range is its own message.
  if (
    bitsStr.length === 0 ||
    !/^[0-9]+$/.test(bitsStr) ||
    (bitsStr.length > 1 && bitsStr.charCodeAt(0) === C_0) ||
    (bitsStr.length >= 19 && BigInt(bitsStr) > 0x7fffffffffffffffn)
  ) {
    return prefixError(input, `bad bits after slash: ${goQuote(bitsStr)}`);
  }
  const family: Family = a.value.addr.family;
  const max = family === 4 ? 32 : 128;
  const bits = bitsStr.length > 3 ? Infinity : Number(bitsStr);
  if (bits > max) return prefixError(input, 'prefix length out of range');
  return ok({ family, value: a.value.addr.value, bits });
}

/**
 * Parses `FROM-TO` with netipx.ParseIPRange semantics: split at the first `-`, both halves
 * netip addresses (zones stripped, no trimming), same family, FROM <= TO.
 */
export function parseRange(input: string): Result<IPRange> {
  const h = input.indexOf('-');
  if (h < 0) return err(allocatorError('InvalidRange', `no hyphen in range ${goQuote(input)}`, { input }));
  const fromStr = input.slice(0, h);
  const toStr = input.slice(h + 1);
  const from = parseAddrInternal(fromStr);
  if (!from.ok) {
    return err(
      allocatorError('InvalidRange', `invalid From IP ${goQuote(fromStr)} in range ${goQuote(input)}`, {
        input,
      }),
    );
  }
  const to = parseAddrInternal(toStr);
  if (!to.ok)
    return err(
      allocatorError('InvalidRange', `invalid To IP ${goQuote(toStr)} in range ${goQuote(input)}`, { input }),
    );
  if (from.addr.family !== to.addr.family) {
    return err(
      allocatorError(
        'MixedFamily',
        `range ${formatAddr(from.addr)} to ${formatAddr(to.addr)} not valid: IPv${from.addr.family} and IPv${to.addr.family} in one range`,
        {
          input,
        },
      ),
    );
  }
  if (from.addr.value > to.addr.value) {
    return err(
      allocatorError(
        'InvalidRange',
        `range ${formatAddr(from.addr)} to ${formatAddr(to.addr)} not valid: start is after end`,
        { input },
      ),
    );
  }
  return ok({ family: from.addr.family, from: from.addr.value, to: to.addr.value });
}

/** How a pool entry was written. */
export type EntryKind = 'address' | 'cidr' | 'range';

/** One parsed pool entry: what was written, how, and the inclusive range it covers. */
export interface AddressEntry {
  readonly input: string;
  readonly kind: EntryKind;
  readonly range: IPRange;
}

/**
 * Parses one `addresses` / `excludedAddresses` / `excludedPrefixes` entry by the §6 rule:
 * contains `-` → range; else contains `/` → CIDR (masked to its network); else a single address.
 */
export function parseAddressEntry(input: string): Result<AddressEntry> {
  const fast = fastParseEntry(input);
  return fast === undefined ? parseAddressEntryStrict(input) : ok(fast);
}

/** {@link parseAddressEntry} without the fast path (internal; the oracle of the fast-path tests). */
export function parseAddressEntryStrict(input: string): Result<AddressEntry> {
  if (input.includes('-')) {
    const r = parseRange(input);
    return r.ok ? ok({ input, kind: 'range', range: r.value }) : r;
  }
  if (input.includes('/')) {
    const p = parsePrefix(input);
    return p.ok ? ok({ input, kind: 'cidr', range: rangeOfPrefix(p.value) }) : p;
  }
  const a = parseAddrInternal(input);
  if (!a.ok) return err(allocatorError('InvalidAddress', a.message, { input }));
  return ok({
    input,
    kind: 'address',
    range: { family: a.addr.family, from: a.addr.value, to: a.addr.value },
  });
}

/** An entry of a list, with its index and field path, parsed or failed. */
export interface IndexedEntry extends AddressEntry {
  readonly index: number;
  readonly path: string;
}

/** Result of parsing a whole list: every valid entry and every error (each with its path). */
export interface ParsedEntryList {
  readonly entries: readonly IndexedEntry[];
  readonly errors: readonly AllocatorError[];
}

/** Parses every entry of a list; `field` names the list for paths (e.g. `spec.addresses`). */
export function parseAddressList(inputs: readonly string[], field: string): ParsedEntryList {
  const entries: IndexedEntry[] = [];
  const errors: AllocatorError[] = [];
  for (let index = 0; index < inputs.length; index++) {
    const input = inputs[index] ?? '';
    const path = `${field}[${index}]`;
    const fast = fastParseEntry(input);
    if (fast !== undefined) {
      entries.push({ input, kind: fast.kind, range: fast.range, index, path });
      continue;
    }
    const r = parseAddressEntryStrict(input);
    if (r.ok) entries.push({ input, kind: r.value.kind, range: r.value.range, index, path });
    else errors.push({ ...r.error, path });
  }
  return { entries, errors };
}
