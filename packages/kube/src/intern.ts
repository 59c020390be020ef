// Sharing equal values between cached objects. JSON.parse gives every value its own copy, and a
// cache of thousands of claims and IPAddresses holds the same apiVersion, kinds, finalizer names,
// pool uids, finalizer lists and pool references thousands of times (the figures: ADR 0011's
// amendments and docs/performance.md, "Interning").
//
// A StringInterner keeps one copy of each short string. A JsonInterner also replaces every small
// object or array whose entries are all shared (short strings, numbers, booleans, null, or small
// objects shared the same way) with one frozen canonical instance, found by its JSON text (small
// objects only, so the key stays small). Both tables are bounded: unique values pass through them
// too, and a full table is emptied and refilled; values already shared stay shared, and a common
// value met after a reset just gets one more canonical copy. The string table is large enough that
// a claim's name is usually still there when its IPAddress (listed after all claims) is parsed.
// Timestamps are interned (a burst writes thousands of equal ones); resourceVersions and condition
// messages are not (nearly always unique).
//
// Which objects: a generic rule rather than a list of known fields, so that labels, other kinds and
// new fields are covered too. Values that almost never repeat would only churn the table, so an
// object is not shared when it holds `name` equal to the cached object's own metadata.name (1:1
// references: a claim's status.addressRef, an IPAddress's spec.claimRef and controller owner
// reference) or a non-empty resourceVersion or message. (Not "skip controller: true": a
// ReplicaSet's pods share one controller reference, and the own-name rule shares it.)
//
// Canonical instances are frozen: cached objects are read-only by contract, and with sharing a write
// into one would change every object holding it; frozen, it throws a TypeError instead (modules are
// strict code).

export interface StringInternerOptions {
  /** Entries before the table is emptied (default 65 536). */
  maxEntries?: number;
  /** Longer strings (messages, annotations holding JSON) are left alone (default 64). */
  maxLength?: number;
}

export interface JsonInternerOptions extends StringInternerOptions {
  /** Shared small objects before their table is emptied (default 4 096); 0 shares strings only. */
  maxObjects?: number;
  /** Objects with more keys (arrays with more elements) are never shared (default 8). */
  maxObjectSize?: number;
}

/**
 * Keys whose values (almost) never repeat between objects: not worth a table entry, and an object
 * holding one (non-empty) is not shared. uids do repeat (owner references), names and addresses do (a
 * claim's and its IPAddress's), so they stay.
 */
const uniqueValueKeys: ReadonlySet<string> = new Set(['resourceVersion', 'message']);

export class StringInterner {
  private readonly table = new Map<string, string>();
  private readonly maxEntries: number;
  readonly maxLength: number;

  constructor(options: StringInternerOptions = {}) {
    this.maxEntries = options.maxEntries ?? 65_536;
    this.maxLength = options.maxLength ?? 64;
  }

  get size(): number {
    return this.table.size;
  }

  /** Empties the table: strings already shared stay shared; the next of each becomes canonical. */
  clear(): void {
    this.table.clear();
  }

  /** The canonical instance of `s` (itself, the first time). */
  intern(s: string): string {
    if (s.length > this.maxLength) return s;
    const found = this.table.get(s);
    if (found !== undefined) return found;
    if (this.table.size >= this.maxEntries) this.table.clear();
    this.table.set(s, s);
    return s;
  }
}

export class JsonInterner {
  readonly strings: StringInterner;
  /** JSON text -> the frozen canonical instance. */
  private readonly objects = new Map<string, object>();
  private readonly maxObjects: number;
  private readonly maxObjectSize: number;

  constructor(options: JsonInternerOptions = {}) {
    this.strings = new StringInterner(options);
    this.maxObjects = options.maxObjects ?? 4_096;
    this.maxObjectSize = options.maxObjectSize ?? 8;
  }

  /** Shared small objects in the table now. */
  get objectCount(): number {
    return this.objects.size;
  }

  /** Empties both tables (see {@link StringInterner.clear}); shared instances stay frozen and shared. */
  clear(): void {
    this.strings.clear();
    this.objects.clear();
  }

  /**
   * Shares the short strings and small objects of a JSON value (plain objects, arrays, primitives)
   * **in place** and returns it: its properties are replaced by canonical (frozen) instances; the
   * value itself is never replaced or frozen. In place on purpose: objects from JSON.parse keep their
   * compact layout (a copy built key by key spills properties into separate backing stores: 20 000
   * IPAddresses took 17.8 MB copied, 14.4 MB interned in place). Object keys need nothing: V8
   * already shares property names.
   */
  internInPlace<T>(value: T): T {
    if (typeof value === 'object' && value !== null) {
      const metadata = (value as { metadata?: { name?: unknown } }).metadata;
      const name = metadata?.name;
      this.visitEntries(value, typeof name === 'string' ? name : undefined);
    }
    return value;
  }

  /**
   * Interns the entries of `container` (object or array) in place; true when it may be shared: small,
   * and every entry shared (short string, exact number, boolean, null, frozen object) and none unique
   * to its object.
   */
  private visitEntries(container: object, ownName: string | undefined): boolean {
    const record = container as Record<string, unknown>;
    // An array's keys are its indexes ("0", "1", ...): never a unique key nor "name".
    const keys = Object.keys(record);
    let shareable = keys.length <= this.maxObjectSize;
    for (const k of keys) {
      const v = record[k];
      if (typeof v === 'string') {
        if (uniqueValueKeys.has(k)) {
          if (v !== '') shareable = false;
        } else if (v.length > this.strings.maxLength) {
          shareable = false;
        } else {
          record[k] = this.strings.intern(v);
          // A reference carrying the object's own name (claimRef, addressRef, an IPAddress's owner
          // claim) belongs to this object alone.
          if (k === 'name' && v === ownName) shareable = false;
        }
      } else if (typeof v === 'object' && v !== null) {
        const shared = this.visit(v, ownName);
        if (shared !== v) record[k] = shared;
        else if (!Object.isFrozen(v)) shareable = false;
      } else if (
        v !== null &&
        typeof v !== 'boolean' &&
        !(typeof v === 'number' && Number.isFinite(v) && !Object.is(v, -0))
      ) {
        // bigint (JSON.stringify throws), undefined (dropped: {a: undefined} is not {}), and numbers
        // JSON would misstate (-0 as 0, NaN and Infinity as null).
        shareable = false;
      }
    }
    return shareable;
  }

  /** `value` interned in place, or its canonical instance when it may be shared. */
  private visit(value: object, ownName: string | undefined): object {
    if (Object.isFrozen(value)) return value;
    if (!this.visitEntries(value, ownName) || this.maxObjects === 0) return value;
    const key = JSON.stringify(value);
    const found = this.objects.get(key);
    if (found !== undefined) return found;
    if (this.objects.size >= this.maxObjects) this.objects.clear();
    this.objects.set(key, Object.freeze(value));
    return value;
  }
}
