// A typed client for one resource: plain JSON in and out, every write with an explicit content type,
// optimistic concurrency where it matters (replace, patch preconditions, finalizers).
import type { KubeObject } from './core-types.js';
import { classifyApiError } from './errors.js';
import { apiVersionOf, resourcePath, type ResourceDescriptor } from './resources.js';
import {
  streamList,
  type StreamingListOptions,
  type StreamingListOutcome,
  type StreamingListRefusal,
} from './streaming-list.js';
import { ContentType, type KubeTransport, type QueryValue } from './transport.js';

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata?: ListMeta;
  items: T[];
}

/** Where an object is: name, plus namespace for namespaced kinds. */
export interface ObjectRef {
  namespace?: string | undefined;
  name: string;
}

export interface ListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  limit?: number | undefined;
  continue?: string | undefined;
  /** "0" serves from the watch cache (may be stale); unset means a consistent read. */
  resourceVersion?: string | undefined;
  signal?: AbortSignal | undefined;
}

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  /** Precondition: the server rejects the patch with Conflict unless the object is at this version. */
  resourceVersion?: string;
}

export interface ApplyOptions {
  /** Required by server-side apply. */
  fieldManager: string;
  /** Take over fields owned by other managers (what a controller should do for fields it owns). */
  force?: boolean;
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface DeleteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: 'Foreground' | 'Background' | 'Orphan';
  gracePeriodSeconds?: number;
  dryRun?: boolean;
  signal?: AbortSignal;
}

/** RFC 6902 operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: unknown }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

const maxConflictRetries = 5;

export class ObjectClient<T extends KubeObject> {
  readonly resource: ResourceDescriptor;
  private readonly transport: KubeTransport;

  constructor(transport: KubeTransport, resource: ResourceDescriptor) {
    this.transport = transport;
    this.resource = resource;
  }

  get apiVersion(): string {
    return apiVersionOf(this.resource);
  }

  async get(ref: ObjectRef, signal?: AbortSignal): Promise<T> {
    return this.transport.request<T>({ method: 'GET', path: this.path(ref), signal });
  }

  /** get(), with NotFound as undefined. */
  async find(ref: ObjectRef, signal?: AbortSignal): Promise<T | undefined> {
    try {
      return await this.get(ref, signal);
    } catch (error) {
      if (classifyApiError(error).kind === 'NotFound') return undefined;
      throw error;
    }
  }

  /** One page. Pass `limit` and the returned `metadata.continue` to page. */
  async list(options: ListOptions = {}): Promise<KubeList<T>> {
    const list = await this.transport.request<KubeList<T> | undefined>({
      method: 'GET',
      path: resourcePath(this.resource, { namespace: options.namespace }),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
      },
      signal: options.signal,
    });
    return { ...list, items: list?.items ?? [] };
  }

  /**
   * The pages of a list, one request each (`limit` per page, default 500), the way client-go's
   * reflector lists: no single response holds the whole collection. Every page is from the same
   * snapshot; its `metadata.resourceVersion` is the snapshot's.
   */
  async *pages(options: Omit<ListOptions, 'continue'> = {}): AsyncGenerator<KubeList<T>, void, undefined> {
    let token: string | undefined;
    do {
      const page = await this.list({ ...options, limit: options.limit ?? 500, continue: token });
      yield page;
      token = page.metadata?.continue === '' ? undefined : page.metadata?.continue;
    } while (token !== undefined);
  }

  /**
   * A consistent snapshot as a stream of single objects (sendInitialEvents; see streaming-list.ts):
   * `onItem` for each, then the snapshot's resourceVersion, or a refusal (list in pages instead).
   */
  async streamList(options: StreamingListOptions, onItem: (item: T) => void): Promise<StreamingListOutcome> {
    // The server's JSON is this resource's objects, as request<T>() assumes for get and list.
    return streamList(this.transport, this.resource, options, onItem as (item: KubeObject) => void);
  }

  /**
   * Every object of one consistent snapshot, one at a time: a streaming list when `streaming`, else
   * (or when the server refuses it: `onRefused` is called first, and what the stream handed over
   * may be incomplete) pages of `limit`. Returns the snapshot's resourceVersion and how it was read.
   */
  async snapshot(
    options: Omit<ListOptions, 'continue' | 'resourceVersion'> & { streaming: boolean },
    onItem: (item: T) => void,
    onRefused?: (why: StreamingListRefusal) => void,
  ): Promise<{ resourceVersion: string | undefined; streamed: boolean }> {
    const { streaming, limit, ...selection } = options;
    if (streaming) {
      const outcome = await this.streamList(selection, onItem);
      if (!('refused' in outcome)) return { resourceVersion: outcome.resourceVersion, streamed: true };
      onRefused?.(outcome.refused);
    }
    let resourceVersion: string | undefined;
    for await (const page of this.pages({ ...selection, limit })) {
      for (const item of page.items) onItem(item);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    }
    return { resourceVersion, streamed: false };
  }

  /** Every page; resourceVersion is the list's (a consistent snapshot to watch from). */
  async listAll(
    options: Omit<ListOptions, 'continue'> = {},
  ): Promise<{ items: T[]; resourceVersion: string | undefined }> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    for await (const page of this.pages(options)) {
      items.push(...page.items);
      resourceVersion = page.metadata?.resourceVersion ?? resourceVersion;
    }
    return { items, resourceVersion };
  }

  async create(object: T, options: WriteOptions = {}): Promise<T> {
    return this.transport.request<T>({
      method: 'POST',
      path: resourcePath(this.resource, { namespace: object.metadata?.namespace }),
      query: writeQuery(options),
      body: this.withTypeMeta(object),
      contentType: ContentType.Json,
      signal: options.signal,
    });
  }

  /** PUT. With metadata.resourceVersion set, a stale object fails with Conflict. */
  async replace(object: T, options: WriteOptions = {}): Promise<T> {
    return this.put(object, undefined, options);
  }

  /** PUT on the status subresource (only status changes; resourceVersion checked as for replace). */
  async replaceStatus(object: T, options: WriteOptions = {}): Promise<T> {
    return this.put(object, 'status', options);
  }

  /** JSON merge patch (RFC 7386): lists are replaced whole, null deletes a key. */
  async mergePatch(ref: ObjectRef, patch: object, options: PatchOptions = {}): Promise<T> {
    return this.merge(ref, patch, undefined, options);
  }

  async mergePatchStatus(ref: ObjectRef, patch: object, options: PatchOptions = {}): Promise<T> {
    return this.merge(ref, patch, 'status', options);
  }

  /** Server-side apply of the full intent for the fields this manager owns. */
  async apply(object: T, options: ApplyOptions): Promise<T> {
    return this.ssa(object, undefined, options);
  }

  async applyStatus(object: T, options: ApplyOptions): Promise<T> {
    return this.ssa(object, 'status', options);
  }

  /** JSON patch; with `resourceVersion`, a leading `test` op makes it conditional (fails Invalid). */
  async jsonPatch(
    ref: ObjectRef,
    operations: readonly JsonPatchOperation[],
    options: PatchOptions & { subresource?: 'status' } = {},
  ): Promise<T> {
    const ops: JsonPatchOperation[] =
      options.resourceVersion === undefined
        ? [...operations]
        : [{ op: 'test', path: '/metadata/resourceVersion', value: options.resourceVersion }, ...operations];
    return this.transport.request<T>({
      method: 'PATCH',
      path: this.path(ref, options.subresource),
      query: writeQuery(options),
      body: ops,
      contentType: ContentType.JsonPatch,
      signal: options.signal,
    });
  }

  /** Deletes; preconditions make it fail with Conflict if the object was replaced or changed. */
  async delete(ref: ObjectRef, options: DeleteOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { apiVersion: 'v1', kind: 'DeleteOptions' };
    if (options.preconditions !== undefined) body.preconditions = options.preconditions;
    if (options.propagationPolicy !== undefined) body.propagationPolicy = options.propagationPolicy;
    if (options.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = options.gracePeriodSeconds;
    if (options.dryRun === true) body.dryRun = ['All'];
    await this.transport.request({
      method: 'DELETE',
      path: this.path(ref),
      body,
      contentType: ContentType.Json,
      signal: options.signal,
    });
  }

  /** Adds a finalizer if absent. Idempotent; safe against concurrent writers (resourceVersion + retry). */
  async addFinalizer(ref: ObjectRef, finalizer: string, current?: T): Promise<T> {
    const result = await this.addFinalizerIfExists(ref, finalizer, current);
    if (result === undefined) throw new Error(`${this.resource.kind} ${describe(ref)} not found`);
    return result;
  }

  /** As addFinalizer, but undefined when the object is gone (a caller for whom that is no error). */
  async addFinalizerIfExists(ref: ObjectRef, finalizer: string, current?: T): Promise<T | undefined> {
    return this.updateFinalizers(ref, current, (list) =>
      list.includes(finalizer) ? undefined : [...list, finalizer],
    );
  }

  /** Removes a finalizer if present; undefined when the object is already gone. */
  async removeFinalizer(ref: ObjectRef, finalizer: string, current?: T): Promise<T | undefined> {
    return this.updateFinalizers(ref, current, (list) =>
      list.includes(finalizer) ? list.filter((f) => f !== finalizer) : undefined,
    );
  }

  private async updateFinalizers(
    ref: ObjectRef,
    current: T | undefined,
    change: (finalizers: string[]) => string[] | undefined,
  ): Promise<T | undefined> {
    let object = current;
    for (let attempt = 0; ; attempt++) {
      object ??= await this.find(ref);
      if (object === undefined) return undefined;
      const next = change(object.metadata?.finalizers ?? []);
      if (next === undefined) return object;
      try {
        // A merge patch replaces the whole list, so it must be conditional on the version we read.
        return await this.mergePatch(
          ref,
          { metadata: { finalizers: next } },
          {
            resourceVersion: object.metadata?.resourceVersion,
          },
        );
      } catch (error) {
        const kind = classifyApiError(error).kind;
        if (kind === 'NotFound') return undefined;
        if (kind !== 'Conflict' || attempt >= maxConflictRetries) throw error;
        object = undefined;
      }
    }
  }

  private path(ref: ObjectRef, subresource?: 'status'): string {
    if (this.resource.namespaced && (ref.namespace === undefined || ref.namespace === '')) {
      throw new Error(`${this.resource.kind} ${ref.name}: namespace is required`);
    }
    return resourcePath(this.resource, { namespace: ref.namespace, name: ref.name, subresource });
  }

  private async put(object: T, subresource: 'status' | undefined, options: WriteOptions): Promise<T> {
    return this.transport.request<T>({
      method: 'PUT',
      path: this.path(refOf(object), subresource),
      query: writeQuery(options),
      body: this.withTypeMeta(object),
      contentType: ContentType.Json,
      signal: options.signal,
    });
  }

  private async merge(
    ref: ObjectRef,
    patch: object,
    subresource: 'status' | undefined,
    options: PatchOptions,
  ): Promise<T> {
    let body: object = patch;
    if (options.resourceVersion !== undefined) {
      const withMeta = patch as { metadata?: object };
      body = { ...patch, metadata: { ...withMeta.metadata, resourceVersion: options.resourceVersion } };
    }
    return this.transport.request<T>({
      method: 'PATCH',
      path: this.path(ref, subresource),
      query: writeQuery(options),
      body,
      contentType: ContentType.MergePatch,
      signal: options.signal,
    });
  }

  private async ssa(object: T, subresource: 'status' | undefined, options: ApplyOptions): Promise<T> {
    return this.transport.request<T>({
      method: 'PATCH',
      path: this.path(refOf(object), subresource),
      query: {
        fieldManager: options.fieldManager,
        force: options.force,
        dryRun: options.dryRun === true ? 'All' : undefined,
      },
      body: this.withTypeMeta(object),
      contentType: ContentType.ApplyPatch,
      signal: options.signal,
    });
  }

  /** apiVersion/kind are required on create and apply; fill them from the descriptor when missing. */
  private withTypeMeta(object: T): T {
    return {
      ...object,
      apiVersion: object.apiVersion ?? this.apiVersion,
      kind: object.kind ?? this.resource.kind,
    };
  }
}

function refOf(object: KubeObject): ObjectRef {
  const name = object.metadata?.name;
  if (name === undefined || name === '') throw new Error('object has no metadata.name');
  return { namespace: object.metadata?.namespace, name };
}

function describe(ref: ObjectRef): string {
  return ref.namespace === undefined ? ref.name : `${ref.namespace}/${ref.name}`;
}

function writeQuery(options: WriteOptions): Record<string, QueryValue> {
  return { fieldManager: options.fieldManager, dryRun: options.dryRun === true ? 'All' : undefined };
}
