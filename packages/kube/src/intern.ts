// Sharing equal strings between cached objects. JSON.parse gives every string value its own copy:
// 20 000 IPAddresses and their claims held 66 000 copies of "ipam.cluster.x-k8s.io/v1beta2", 61 000
// of "InClusterIPPool", 22 000 of each finalizer name, 5 500 of each pool's uid (owner references)
// — 25 MB of a 44 MB string heap were duplicates (heap snapshot, docs/performance.md). Interning
// keeps one copy of each short value.
//
// The table is bounded: unique values (names, addresses) pass through it too, and when it is full it
// is emptied and refilled. Strings already shared stay shared; a common value met after a reset just
// gets one more canonical copy. Cost: at most `maxEntries` short strings kept alive. 65 536 entries,
// so that a claim's name met again in its IPAddress (listed after all claims) is usually still there.
// Timestamps are interned: a burst writes thousands of equal ones (80 000 copies, 3 MB, with 20 000
// claims); resourceVersions and condition messages are not (nearly always unique).
// (Sharing equal small objects — finalizer lists, owner references — as frozen instances was tried:
// 20 000 claims and IPAddresses took 48 MB instead of 31 MB, twice the CPU. Not done.)

export interface StringInternerOptions {
  /** Entries before the table is emptied (default 65 536). */
  maxEntries?: number;
  /** Longer strings (messages, annotations holding JSON) are left alone (default 64). */
  maxLength?: number;
}

/**
 * Keys whose values (almost) never repeat between objects: not worth a table entry. uids do repeat
 * (owner references), names and addresses do (a claim's and its IPAddress's), so they stay.
 */
const uniqueValueKeys: ReadonlySet<string> = new Set(['resourceVersion', 'message']);

export class StringInterner {
  private readonly table = new Map<string, string>();
  private readonly maxEntries: number;
  private readonly maxLength: number;

  constructor(options: StringInternerOptions = {}) {
    this.maxEntries = options.maxEntries ?? 65_536;
    this.maxLength = options.maxLength ?? 64;
  }

  get size(): number {
    return this.table.size;
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

  /**
   * Interns the short strings of a JSON value (plain objects, arrays, primitives) **in place** and
   * returns it. In place on purpose: objects from JSON.parse keep their compact layout (a copy built
   * key by key spills properties into separate backing stores: 20 000 IPAddresses took 17.8 MB
   * copied, 14.4 MB interned in place). Object keys need nothing: V8 already shares property names.
   */
  internInPlace<T>(value: T): T {
    this.visit(value, '');
    return value;
  }

  private visit(value: unknown, key: string): void {
    if (typeof value !== 'object' || value === null) return;
    if (Array.isArray(value)) {
      const list = value as unknown[];
      for (let i = 0; i < list.length; i++) {
        const v = list[i];
        if (typeof v === 'string') list[i] = this.intern(v);
        else this.visit(v, key);
      }
      return;
    }
    const record = value as Record<string, unknown>;
    for (const k of Object.keys(record)) {
      const v = record[k];
      if (typeof v === 'string') {
        if (!uniqueValueKeys.has(k)) record[k] = this.intern(v);
      } else this.visit(v, k);
    }
  }
}
