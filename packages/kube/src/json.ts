// JSON at the wire, with integers beyond 2^53 kept exact as bigint (pool status counts of IPv6 pools
// go up to 2^63-1). Uses the source-text access of JSON.parse and JSON.rawJSON (V8, Node >= 21).
//
// The reviver costs a call (and a source string) per value, which is ~10x a plain JSON.parse on a
// list of thousands of objects. Every integer above 2^53 has at least 16 digits, so a text with no run
// of 16 digits outside strings cannot hold one: such texts (nearly all: lists of IPAddresses, watch
// events of claims) take plain JSON.parse. Only the rest pays for the reviver.

/** A JSON value as this package reads and writes it: big integers are bigint. */
export type JsonValue =
  null | boolean | number | bigint | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = Record<string, JsonValue>;

interface ReviverContext {
  source?: string;
}

interface JsonWithRaw {
  rawJSON(text: string): unknown;
}

const integerText = /^-?\d+$/;
/** Any run of 16 digits (cheap first test; may be inside a string). */
const longDigits = /\d{16}/;
/** Strings (skipped) or a run of 16 digits outside them (captured). */
const longDigitsOutsideStrings = /"(?:[^"\\]|\\.)*"|(\d{16})/g;

/** True when `text` may hold an integer a number cannot represent exactly (a 16-digit run outside strings). */
export function mayHoldBigInteger(text: string): boolean {
  if (!longDigits.test(text)) return false;
  longDigitsOutsideStrings.lastIndex = 0;
  for (let m = longDigitsOutsideStrings.exec(text); m !== null; m = longDigitsOutsideStrings.exec(text)) {
    if (m[1] !== undefined) return true;
  }
  return false;
}

function reviveBigIntegers(_key: string, value: unknown, context?: ReviverContext): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source !== undefined &&
    integerText.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/** Parses JSON; integers that a number cannot hold exactly become bigint. */
export function parseJson(text: string): unknown {
  return mayHoldBigInteger(text) ? JSON.parse(text, reviveBigIntegers) : JSON.parse(text);
}

const writeBigIntegers = (_key: string, v: unknown): unknown =>
  typeof v === 'bigint' ? (JSON as unknown as JsonWithRaw).rawJSON(v.toString()) : v;

/**
 * Serialises to JSON; bigint values are written as exact JSON numbers (never strings). A replacer
 * costs a call per value, so the plain JSON.stringify goes first: it throws a TypeError on a
 * bigint (nearly every body has none: claims' status, IPAddresses, finalizer patches).
 */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return JSON.stringify(value, writeBigIntegers);
  }
}
