// The informer's cache: objects by namespace/name plus secondary indexes. Pure, no I/O.
import type { KubeObject } from './object-client.js';

/** Values an object is indexed under (e.g. its pool reference); an empty list leaves it out. */
export type IndexFunc<T> = (object: T) => readonly string[];

export function objectKey(object: KubeObject): string {
  return keyOf(object.metadata?.namespace, object.metadata?.name ?? '');
}

/**
 * `namespace/name`. Built with join, which makes one flat string: a template literal makes a rope
 * (a cons string holding "namespace/" and the name), which the cache keeps for as long as the
 * object: 20 000 keys held 20 000 copies of "bench/" besides themselves.
 */
export function keyOf(namespace: string | undefined, name: string): string {
  return namespace === undefined || namespace === '' ? name : [namespace, name].join('/');
}

/**
 * Orders two resourceVersions when both are integers (etcd revisions, which is what every real API
 * server returns); undefined when either is opaque, in which case callers must not compare.
 */
export function compareResourceVersions(a: string | undefined, b: string | undefined): number | undefined {
  if (a === undefined || b === undefined || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return undefined;
  const x = BigInt(a);
  const y = BigInt(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

const NONE: readonly string[] = Object.freeze([]);

export class IndexedStore<T extends KubeObject> {
  private readonly objects = new Map<string, T>();
  /** The index functions by name, in a fixed order: `filed` holds values by position in it. */
  private readonly indexers: readonly (readonly [string, IndexFunc<T>])[];
  /**
   * index name -> value -> keys, and the value's one instance: the index functions build a new
   * string per object (e.g. "group/Kind/name" for 5 000 claims of one pool), `filed` keeps this one.
   */
  private readonly indices = new Map<string, Map<string, { value: string; keys: Set<string> }>>();
  /**
   * key -> the values it is filed under, by indexer position (to unfile on update/delete). Plain
   * arrays, not a Map per object: with 20 000 objects a small Map each was ~8 MB of heap. Objects
   * filed under nothing have no entry.
   */
  private readonly filed = new Map<string, (readonly string[])[]>();
  private readonly onIndexError: (index: string, error: unknown) => void;

  constructor(
    indexers: Readonly<Record<string, IndexFunc<T>>> = {},
    onIndexError: (index: string, error: unknown) => void = () => undefined,
  ) {
    this.indexers = Object.entries(indexers);
    for (const [name] of this.indexers) this.indices.set(name, new Map());
    this.onIndexError = onIndexError;
  }

  get size(): number {
    return this.objects.size;
  }

  get(key: string): T | undefined {
    return this.objects.get(key);
  }

  keys(): string[] {
    return [...this.objects.keys()];
  }

  list(namespace?: string): T[] {
    const all = [...this.objects.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata?.namespace === namespace);
  }

  /** Objects filed under `value` in `index`, optionally only those in one namespace. */
  byIndex(index: string, value: string, namespace?: string): T[] {
    const idx = this.indices.get(index);
    if (idx === undefined) throw new Error(`no index named ${index}`);
    const keys = idx.get(value)?.keys;
    if (keys === undefined) return [];
    return [...keys].flatMap((k) => {
      const o = this.objects.get(k);
      if (o === undefined || (namespace !== undefined && o.metadata?.namespace !== namespace)) return [];
      return [o];
    });
  }

  /** Stores the object and returns the one it replaced. */
  set(object: T): T | undefined {
    const key = objectKey(object);
    const old = this.objects.get(key);
    this.unfile(key);
    this.objects.set(key, object);
    this.file(key, object);
    return old;
  }

  delete(key: string): T | undefined {
    const old = this.objects.get(key);
    if (old === undefined) return undefined;
    this.unfile(key);
    this.objects.delete(key);
    return old;
  }

  private file(key: string, object: T): void {
    // Exact-size arrays (map, not push: a pushed-to empty array reserves 17 slots, 184 bytes for one
    // value; with 40 000 cached objects that was 7 MB of empty slots).
    const values = this.indexers.map(([name, fn]): readonly string[] => {
      let vs: readonly string[] = [];
      try {
        vs = fn(object);
      } catch (error) {
        this.onIndexError(name, error);
      }
      const idx = this.indices.get(name);
      if (idx === undefined || vs.length === 0) return NONE;
      return vs.map((v) => {
        let entry = idx.get(v);
        if (entry === undefined) idx.set(v, (entry = { value: v, keys: new Set() }));
        entry.keys.add(key);
        return entry.value;
      });
    });
    if (values.some((v) => v.length > 0)) this.filed.set(key, values);
  }

  private unfile(key: string): void {
    const values = this.filed.get(key);
    if (values === undefined) return;
    this.indexers.forEach(([name], i) => {
      const idx = this.indices.get(name);
      for (const v of values[i] ?? []) {
        const entry = idx?.get(v);
        entry?.keys.delete(key);
        if (entry?.keys.size === 0) idx?.delete(v);
      }
    });
    this.filed.delete(key);
  }
}
