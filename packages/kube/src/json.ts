// JSON at the wire, with integers beyond 2^53 kept exact as bigint (pool status counts of IPv6 pools
// go up to 2^63-1). Uses the source-text access of JSON.parse and JSON.rawJSON (V8, Node >= 21).

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

/** Parses JSON; integers that a number cannot hold exactly become bigint. */
export function parseJson(text: string): unknown {
  return JSON.parse(text, (_key: string, value: unknown, context?: ReviverContext) => {
    if (
      typeof value === 'number' &&
      !Number.isSafeInteger(value) &&
      context?.source !== undefined &&
      integerText.test(context.source)
    ) {
      return BigInt(context.source);
    }
    return value;
  });
}

/** Serialises to JSON; bigint values are written as exact JSON numbers (never strings). */
export function stringifyJson(value: unknown): string {
  const raw = JSON as unknown as JsonWithRaw;
  return JSON.stringify(value, (_key: string, v: unknown) =>
    typeof v === 'bigint' ? raw.rawJSON(v.toString()) : v,
  );
}
