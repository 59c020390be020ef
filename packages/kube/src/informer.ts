// A supervised list+watch cache. Our own loop rather than client-node's ListWatch, which: resolves
// start() even when the list failed; stops for good on any non-410 error; lets a throwing handler
// become an unhandledRejection; resurrects itself when an error handler restarts it after stop();
// requests neither bookmarks nor a server-side timeout; and has no indexes. Here:
//   - start() resolves once the first list succeeded (the synced gate), retrying with backoff;
//   - one loop per informer, so a restart is idempotent; stop() is final;
//   - 410 Gone (HTTP or ERROR event) relists, emitting deletes for objects that vanished;
//   - other errors re-watch from the last resourceVersion after exponential backoff (1 s -> 30 s);
//   - watches ask for bookmarks and a server-side timeout; a watchdog restarts a silent watch;
//   - handlers only enqueue: their errors are caught and reported, never thrown;
//   - lists are streamed (sendInitialEvents, when asked for and served) or paged (500 a page, like
//     client-go's reflector), and every object passes a transform before it is cached (default:
//     drop metadata.managedFields, as controller-runtime's cache does, and share equal short
//     strings and small objects between all cached objects of the process).
import { classifyApiError, KubeStatusError, type ClassifiedError } from './errors.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import { JsonInterner } from './intern.js';
import { copyWithout } from './literal-copy.js';
import { parseJson, stringifyJson } from './json.js';
import type { KubeObject } from './core-types.js';
import { ObjectClient } from './object-client.js';
import { resourcePath, type ResourceDescriptor } from './resources.js';
import type { StreamingListRefusal } from './streaming-list.js';
import { compareResourceVersions, IndexedStore, objectKey, type IndexFunc } from './store.js';
import type { KubeTransport } from './transport.js';

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
export type RestartReason = 'error' | 'stale' | 'requested';
export type RelistReason = 'initial' | 'gone';

/** Callbacks for metrics and logs; kube itself has no metrics dependency. */
export interface InformerHooks {
  /** A watch or list will be retried (after `delayMs`). */
  onRestart?(reason: RestartReason, delayMs: number, error?: ClassifiedError): void;
  /** A list completed: how many objects, how long it took, and whether it was a streaming list. */
  onRelist?(reason: RelistReason, objects: number, how: { streamed: boolean; durationMs: number }): void;
  /** The server refused a streaming list: this informer lists in pages from now on. */
  onStreamingRefused?(why: StreamingListRefusal): void;
  onEvent?(type: WatchEventType): void;
  /** Failures of list/watch calls, and exceptions from handlers or index functions. */
  onError?(error: ClassifiedError, phase: 'list' | 'watch' | 'handler' | 'index'): void;
}

export interface InformerOptions<T extends KubeObject> {
  transport: KubeTransport;
  resource: ResourceDescriptor;
  /** Watch one namespace only; unset = all namespaces (or a cluster-scoped kind). */
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  indexers?: Readonly<Record<string, IndexFunc<T>>>;
  /** List page size (default 500). */
  pageSize?: number;
  /**
   * List with a streaming list (a watch with sendInitialEvents: one object per line, see
   * streaming-list.ts) rather than pages; falls back to pages for good when the server refuses it.
   * Only for servers that know the parameter (serverKnowsStreamingLists). Default false.
   */
  streamingLists?: boolean;
  /**
   * Applied to every object before it is cached or handed to a handler (lists, watch events,
   * observe()): drop what no reader needs. It may change its argument: the informer only passes
   * objects it owns (parsed by itself; observe() passes a copy). Default: compactObject; pass
   * `(o) => o` to keep objects as the server sent them.
   */
  transform?: (object: T) => T;
  /** Server-side watch timeout; the actual value is randomised up to +50 % so watches spread out (default 300). */
  watchTimeoutSeconds?: number;
  /** No byte from the server for this long restarts the watch (default: watch timeout + 60 s). */
  staleAfterMs?: number;
  backoff?: BackoffOptions;
  hooks?: InformerHooks;
}

export type AddHandler<T> = (object: T) => unknown;
export type UpdateHandler<T> = (object: T, old: T) => unknown;
export type DeleteHandler<T> = (object: T) => unknown;

interface WatchEvent<T> {
  type: WatchEventType;
  object: T;
}

/**
 * The object without `metadata.managedFields` (server-side apply bookkeeping: 40-60 % of a small
 * object's JSON, never read by a controller). A new object; the argument is not changed.
 */
export function stripManagedFields<T extends KubeObject>(object: T): T {
  const metadata: (KubeObject['metadata'] & { managedFields?: unknown }) | undefined = object.metadata;
  if (metadata?.managedFields === undefined) return object;
  return { ...object, metadata: copyWithout(metadata, 'managedFields') };
}

const sharedInterner = new JsonInterner();

/**
 * The informers' default transform: stripManagedFields, then its short strings and small objects
 * shared with every other object cached in this process (apiVersion, kind, timestamps, owner uids;
 * finalizer lists, pool references, pool owner references, label sets: see intern.ts). Shared
 * objects are frozen. Changes the argument (metadata and shared sub-objects are replaced): for
 * objects the caller owns.
 */
export function compactObject<T extends KubeObject>(object: T): T {
  return sharedInterner.internInPlace(stripManagedFields(object));
}

/**
 * Empties compactObject's tables. Call once the caches have listed: the tables did their main work
 * there (sharing between the thousands of objects listed at once), and whatever they hold then is
 * kept for nothing (between 0 and 65 536 strings, up to ~2 MB, depending on where the last reset
 * fell). Shared values stay shared; later objects fill the tables again.
 */
export function releaseSharedValueTables(): void {
  sharedInterner.clear();
}

class StoppedError extends Error {
  constructor() {
    super('informer stopped');
    this.name = 'StoppedError';
  }
}

export class Informer<T extends KubeObject> {
  readonly resource: ResourceDescriptor;
  private readonly options: InformerOptions<T>;
  private readonly hooks: InformerHooks;
  private readonly client: ObjectClient<T>;
  private readonly store: IndexedStore<T>;
  private readonly backoff: Backoff;
  private readonly transform: (object: T) => T;
  private readonly addHandlers = new Set<AddHandler<T>>();
  private readonly updateHandlers = new Set<UpdateHandler<T>>();
  private readonly deleteHandlers = new Set<DeleteHandler<T>>();

  private loop: Promise<void> | undefined;
  private stopped = false;
  private synced = false;
  /** Streaming lists asked for and not (yet) refused by the server. */
  private streaming: boolean;
  private resourceVersion: string | undefined;
  private listRequestedAt: number | undefined;
  private current: AbortController | undefined;
  private restartReason: RestartReason | undefined;
  private lastActivity = Date.now();
  private watchdog: NodeJS.Timeout | undefined;
  private wake: (() => void) | undefined;
  private readonly syncedPromise: Promise<void>;
  private resolveSynced!: () => void;
  private rejectSynced!: (error: Error) => void;

  constructor(options: InformerOptions<T>) {
    this.options = options;
    this.resource = options.resource;
    this.hooks = options.hooks ?? {};
    this.client = new ObjectClient<T>(options.transport, options.resource);
    this.store = new IndexedStore<T>(options.indexers ?? {}, (_index, error) => {
      this.report(classifyApiError(error), 'index');
    });
    this.backoff = new Backoff(options.backoff);
    this.transform = options.transform ?? compactObject;
    this.streaming = options.streamingLists ?? false;
    this.syncedPromise = new Promise<void>((resolve, reject) => {
      this.resolveSynced = resolve;
      this.rejectSynced = reject;
    });
    // Nobody may be awaiting start() when stop() rejects it.
    this.syncedPromise.catch(() => undefined);
  }

  onAdd(handler: AddHandler<T>): () => void {
    this.addHandlers.add(handler);
    return () => this.addHandlers.delete(handler);
  }

  onUpdate(handler: UpdateHandler<T>): () => void {
    this.updateHandlers.add(handler);
    return () => this.updateHandlers.delete(handler);
  }

  onDelete(handler: DeleteHandler<T>): () => void {
    this.deleteHandlers.add(handler);
    return () => this.deleteHandlers.delete(handler);
  }

  /** Starts (once) and resolves when the first list is in the cache; rejects if stopped before that. */
  start(): Promise<void> {
    if (this.stopped) return Promise.reject(new StoppedError());
    if (this.loop === undefined) {
      this.loop = this.run();
      const staleAfter = this.staleAfterMs();
      this.watchdog = setInterval(
        () => {
          if (Date.now() - this.lastActivity > staleAfter) this.restart('stale');
        },
        Math.min(10_000, Math.max(100, staleAfter / 4)),
      );
      this.watchdog.unref();
    }
    return this.syncedPromise;
  }

  /** Stops for good: a stopped informer never restarts (create a new one instead). */
  async stop(): Promise<void> {
    if (this.stopped) return this.loop;
    this.stopped = true;
    clearInterval(this.watchdog);
    this.current?.abort(new StoppedError());
    this.wake?.();
    if (!this.synced) this.rejectSynced(new StoppedError());
    return this.loop;
  }

  /** Drops the current watch and opens a new one from the last resourceVersion. Idempotent. */
  restart(reason: RestartReason = 'requested'): void {
    if (this.stopped || this.restartReason !== undefined) return;
    this.restartReason = reason;
    this.current?.abort(new Error(`informer restart: ${reason}`));
    this.wake?.();
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * When (performance.now()) the list the cache was last built from was requested; undefined before
   * the first. A list is a consistent snapshot, so the cache holds every write that was committed
   * before then.
   */
  get lastListRequestedAt(): number | undefined {
    return this.listRequestedAt;
  }

  /** The resourceVersion of the newest list, event or bookmark seen. */
  get latestResourceVersion(): string | undefined {
    return this.resourceVersion;
  }

  /**
   * Cached objects are shared: treat them as read-only (with the default transform their small
   * sub-objects are frozen instances shared between objects: writing into one throws). Copy first.
   */
  get(namespace: string | undefined, name: string): T | undefined {
    return this.store.get(namespace, name);
  }

  list(namespace?: string): T[] {
    return this.store.list(namespace);
  }

  byIndex(index: string, value: string, namespace?: string): T[] {
    return this.store.byIndex(index, value, namespace);
  }

  get size(): number {
    return this.store.size;
  }

  /**
   * Puts an object this process just wrote (create/update response) into the cache at once, so the next
   * read does not miss it. The watch event for the same resourceVersion is then a no-op, and an older
   * event never overwrites it. Handlers see it as add/update.
   */
  observe(object: T): void {
    if (this.stopped) return;
    // Already cached at this resourceVersion (e.g. a re-list of what the watch delivered): nothing to
    // copy. upsert() would drop the copy anyway; checking first saves the copy and the transform.
    const version = object.metadata?.resourceVersion;
    if (version !== undefined && this.cachedOf(object)?.metadata?.resourceVersion === version) return;
    // The caller keeps its object; the transform may change the one it gets.
    this.upsert(this.transform(parseJson(stringifyJson(object)) as T));
  }

  /** Removes an object this process just deleted for good (no finalizers left). */
  observeDeleted(object: T): void {
    if (this.stopped) return;
    const old = this.uncache(object);
    if (old !== undefined) this.emitDelete(old);
  }

  /** The cached object with `object`'s namespace and name (read by its own strings, no key built). */
  private cachedOf(object: T): T | undefined {
    return this.store.get(object.metadata?.namespace, object.metadata?.name ?? '');
  }

  /** Removes the cached object with `object`'s namespace and name; returns it. */
  private uncache(object: T): T | undefined {
    return this.store.delete(object.metadata?.namespace, object.metadata?.name ?? '');
  }

  private staleAfterMs(): number {
    return this.options.staleAfterMs ?? (this.options.watchTimeoutSeconds ?? 300) * 1500 + 60_000;
  }

  private async run(): Promise<void> {
    let needList = true;
    let listReason: RelistReason = 'initial';
    while (!this.stopped) {
      let phase: 'list' | 'watch' = 'list';
      try {
        if (needList) {
          await this.relist(listReason);
          needList = false;
        }
        phase = 'watch';
        const started = Date.now();
        const outcome = await this.watchOnce();
        if (outcome === 'gone') {
          needList = true;
          listReason = 'gone';
          continue;
        }
        // A watch the server closes at once, again and again, must not become a hot loop.
        if (Date.now() - started < 1_000) await this.sleep(this.backoff.next());
        else this.backoff.reset();
      } catch (error) {
        if (this.isStopped()) break;
        const requested = this.takeRestartReason();
        if (requested !== undefined) {
          this.hooks.onRestart?.(requested, 0);
          continue;
        }
        const classified = classifyApiError(error);
        this.report(classified, phase);
        if (classified.kind === 'Gone') {
          needList = true;
          listReason = 'gone';
          continue;
        }
        const delay = Math.max(this.backoff.next(), (classified.retryAfterSeconds ?? 0) * 1000);
        this.hooks.onRestart?.('error', delay, classified);
        await this.sleep(delay);
      }
      // A restart requested while we were not watching (e.g. during a sleep) is satisfied by looping.
      this.takeRestartReason();
    }
  }

  private takeRestartReason(): RestartReason | undefined {
    const reason = this.restartReason;
    this.restartReason = undefined;
    return reason;
  }

  private async relist(reason: RelistReason): Promise<void> {
    const controller = this.newRequest();
    const started = performance.now();
    // Object by object (streaming) or page by page, each transformed at once: nothing untransformed
    // outlives its line or page. Cached only after the snapshot is complete, so the cache never shows
    // half a relist.
    const items: T[] = [];
    const { resourceVersion, streamed } = await this.client.snapshot(
      {
        namespace: this.options.namespace,
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
        limit: this.options.pageSize ?? 500,
        signal: controller.signal,
        streaming: this.streaming,
      },
      (item) => items.push(this.transform(item)),
      (why) => {
        // Not served here (gate off, or sendInitialEvents ignored): pages from now on.
        this.streaming = false;
        this.hooks.onStreamingRefused?.(why);
        items.length = 0;
      },
    );
    if (this.isStopped()) return;
    // With an empty cache (the first list) nothing can have vanished: no key set. Building one cost
    // 20 000 key strings and a Set at start-up, all garbage a moment later.
    const listed = this.store.size === 0 ? undefined : new Set<string>();
    for (const item of items) {
      listed?.add(objectKey(item));
      this.upsert(item);
    }
    if (listed !== undefined) {
      for (const cached of this.store.list()) {
        if (listed.has(objectKey(cached))) continue;
        // An object we observed after the list's snapshot is not "vanished".
        if ((compareResourceVersions(cached.metadata?.resourceVersion, resourceVersion) ?? -1) > 0) continue;
        const old = this.uncache(cached);
        if (old !== undefined) this.emitDelete(old);
      }
    }
    this.resourceVersion = resourceVersion;
    this.listRequestedAt = started;
    this.backoff.reset();
    this.hooks.onRelist?.(reason, items.length, { streamed, durationMs: performance.now() - started });
    if (!this.synced) {
      this.synced = true;
      this.resolveSynced();
    }
  }

  private async watchOnce(): Promise<'closed' | 'gone'> {
    const controller = this.newRequest();
    const base = this.options.watchTimeoutSeconds ?? 300;
    const stream = await this.options.transport.stream({
      method: 'GET',
      path: resourcePath(this.resource, { namespace: this.options.namespace }),
      query: {
        watch: true,
        resourceVersion: this.resourceVersion,
        allowWatchBookmarks: true,
        timeoutSeconds: Math.round(base * (1 + Math.random() * 0.5)),
        labelSelector: this.options.labelSelector,
        fieldSelector: this.options.fieldSelector,
      },
      signal: controller.signal,
    });
    for await (const line of stream.lines) {
      this.lastActivity = Date.now();
      if (this.isStopped()) break;
      const event = parseJson(line) as WatchEvent<T>;
      this.hooks.onEvent?.(event.type);
      if ((event.type === 'ADDED' || event.type === 'MODIFIED') && this.holdsAtLeast(event.object)) {
        // The echo of this process's own write (observe()d already), or older: nothing to transform.
        const rv = event.object.metadata?.resourceVersion;
        if (rv !== undefined) this.resourceVersion = rv;
        continue;
      }
      if (event.type === 'ADDED' || event.type === 'MODIFIED' || event.type === 'DELETED') {
        event.object = this.transform(event.object);
      }
      if (event.type === 'ERROR') {
        const status = classifyApiError(event.object);
        if (status.kind === 'Gone') return 'gone';
        throw new KubeStatusError(status);
      }
      const rv = event.object.metadata?.resourceVersion;
      if (event.type === 'BOOKMARK') {
        if (rv !== undefined) this.resourceVersion = rv;
        continue;
      }
      if (event.type === 'DELETED') {
        // Only what we had: after observeDeleted() the watch's DELETED is not a second delete.
        const old = this.uncache(event.object);
        if (old !== undefined) this.emitDelete(event.object);
      } else {
        this.upsert(event.object);
      }
      if (rv !== undefined) this.resourceVersion = rv;
    }
    return 'closed';
  }

  private newRequest(): AbortController {
    // stop() may land between two requests: never open a new one afterwards.
    if (this.stopped) throw new StoppedError();
    const controller = new AbortController();
    this.current = controller;
    this.lastActivity = Date.now();
    return controller;
  }

  /** True when the cache holds `object` at its resourceVersion or a newer one. */
  private holdsAtLeast(object: T): boolean {
    const cached = this.cachedOf(object);
    if (cached === undefined) return false;
    const version = object.metadata?.resourceVersion;
    const order = compareResourceVersions(version, cached.metadata?.resourceVersion);
    return order === undefined ? version === cached.metadata?.resourceVersion : order <= 0;
  }

  /** Newest wins: never replace a cached object with an older resourceVersion of itself. */
  private upsert(object: T): void {
    if (this.holdsAtLeast(object)) return;
    const old = this.store.set(object);
    if (old === undefined) this.emit(this.addHandlers, (h) => h(object));
    else this.emit(this.updateHandlers, (h) => h(object, old));
  }

  private emitDelete(object: T): void {
    this.emit(this.deleteHandlers, (h) => h(object));
  }

  private emit<H>(handlers: Set<H>, call: (handler: H) => unknown): void {
    for (const handler of handlers) {
      try {
        const result = call(handler);
        if (result instanceof Promise) {
          result.catch((error: unknown) => {
            this.report(classifyApiError(error), 'handler');
          });
        }
      } catch (error) {
        this.report(classifyApiError(error), 'handler');
      }
    }
  }

  private report(error: ClassifiedError, phase: 'list' | 'watch' | 'handler' | 'index'): void {
    try {
      this.hooks.onError?.(error, phase);
    } catch {
      // A failing metrics hook must not take the informer down.
    }
  }

  /** Not a field read, so flow analysis does not assume it unchanged across an await. */
  private isStopped(): boolean {
    return this.stopped;
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    // Waiting out a backoff is not silence: keep the watchdog from cutting the wait short.
    this.lastActivity = Date.now() + ms;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        done();
      };
    });
  }
}
