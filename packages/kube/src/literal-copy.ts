// A copy of a plain object without one of its keys, built by an object literal compiled once per
// key list. A copy made by a spread or rest (`const { dropped, ...rest } = o`) starts from an empty
// object, which V8 lays out with room for four properties: the rest spill into a separate property
// array (40-64 bytes more per copy). A literal lays out every property it names inside the object,
// as JSON.parse does. The informers copy the metadata of every object they cache (to drop
// managedFields): 40 000 cached claims and IPAddresses held 0.9 MB of spilled properties.
//
// Few key lists occur (the metadata of a kind mostly has the same keys), so the compiled literals
// are cached; past MAX_SHAPES distinct lists, or for a key a literal cannot name as an own data
// property (`__proto__`), the copy falls back to a spread.

type Copier = (source: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** Distinct key lists with a compiled literal; more are copied by a spread. */
export const MAX_SHAPES = 256;

const copiers = new Map<string, Copier>();

function compile(keys: readonly string[]): Copier {
  // JSON.stringify makes each key a valid, fully escaped string literal: nothing in a key can
  // break out of it.
  const body = keys.map((k) => `${JSON.stringify(k)}: s[${JSON.stringify(k)}]`).join(', ');
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- a literal per key list is the point (see above)
  return new Function('s', `return { ${body} };`) as Copier;
}

function spreadCopy<T extends object>(source: T, dropped: string): T {
  const { [dropped]: _dropped, ...rest } = source as Record<string, unknown>;
  return rest as T;
}

/** `source` without its own key `dropped` (a new object; `source` is not changed). */
export function copyWithout<T extends object>(source: T, dropped: string): T {
  const keys = Object.keys(source).filter((k) => k !== dropped);
  const id = JSON.stringify(keys);
  let copier = copiers.get(id);
  if (copier === undefined) {
    if (copiers.size >= MAX_SHAPES || keys.includes('__proto__')) return spreadCopy(source, dropped);
    copier = compile(keys);
    copiers.set(id, copier);
  }
  return copier(source as Readonly<Record<string, unknown>>) as T;
}

/** Compiled key lists (for tests). */
export function shapeCount(): number {
  return copiers.size;
}
