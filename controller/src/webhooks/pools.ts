// Defaulting and validation of the four pool kinds (upstream-behaviour §11), on create, update and
// delete. Field problems are all reported at once (422 Invalid, causes with paths like
// `spec.addresses[2]`); an update that would strand allocated addresses and a delete while addresses
// are allocated are refused (400 BadRequest, upstream's messages). Addresses the controller is about
// to create (the pending-allocations fence, docs/adr/0009-pool-edit-race.md) count as allocated.
import {
  checkPrefixPoolUpdate,
  formatRangeList,
  ipPoolUpdateRejection,
  isRecord,
  outOfRangeAllocations,
  parseAddr,
  poolModel,
  type Addr,
  type Holding,
  type IPSet,
  type PoolModel,
  type Result,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_ALLOW_OVERLAP,
  ANNOTATION_SKIP_VALIDATE_DELETE,
  decodePoolSpec,
  POOL_KIND_INFO,
  readPendingAllocations,
  validatePoolSpec,
  type FieldError,
  type ObjectMeta,
  type PoolKind,
  type TypedPoolSpec,
} from '@ipam-in-cluster/api';
import { processFenceKey, verifyPending, type PendingVerdict } from '../allocation/fence-key.js';
import {
  allow,
  badRequest,
  internalError,
  invalid,
  type AdmissionRequest,
  type Verdict,
} from './admission.js';

/** A pool as the overlap check needs it: name, annotations and the spec as stored. */
export interface StoredPool {
  name: string;
  annotations: Record<string, string>;
  spec: unknown;
}

/** Reads from the cluster what the checks need; consistent (quorum) reads, never a stale cache. */
export interface PoolClusterReader {
  /** IPAddresses whose poolRef names this pool (group ipam.cluster.x-k8s.io or empty). */
  allocations(kind: PoolKind, namespace: string | undefined, name: string): Promise<Holding[]>;
  /** Pools of this kind in the same scope (the namespace for namespaced kinds). */
  pools(kind: PoolKind, namespace: string | undefined): Promise<StoredPool[]>;
}

export interface PoolWebhookOptions {
  reader: PoolClusterReader;
  /** Warn about overlaps with other pools of the same kind and scope (off by default). */
  overlapDetection?: boolean;
  /**
   * The key pending allocations are signed with (../allocation/fence-key.ts): the leader's, from the
   * Lease, with leader election; this process's without (the default). Read only when a pool has
   * pending entries; undefined makes every entry count as forged.
   */
  fenceKey?: () => Promise<string | undefined>;
  /** Wall clock (Unix ms) for the entries' age (default Date.now). */
  now?: () => number;
  /** Told about entries that were ignored (the webhook logs them). */
  onIgnoredPending?: (pool: string, ignored: { address: string; why: PendingVerdict }[]) => void;
}

export const DELETE_IN_USE_MESSAGE =
  'Pool has IPAddresses allocated. Cannot delete Pool until all IPAddresses have been removed.';

function metaOf(obj: unknown): ObjectMeta {
  return isRecord(obj) && isRecord(obj.metadata) ? obj.metadata : {};
}

function specOf(obj: unknown): unknown {
  return isRecord(obj) ? obj.spec : undefined;
}

/** Structural equality of JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isRecord(a) && isRecord(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

interface Checked {
  errors: FieldError[];
  warnings: string[];
  /** The decoded spec, when it has no errors. */
  input?: TypedPoolSpec;
}

/** Decodes and validates a spec, once per request. */
function checkSpec(kind: PoolKind, raw: unknown): Checked {
  const d = decodePoolSpec(kind, raw);
  if (d.errors.length > 0) return { errors: d.errors, warnings: [] };
  return { ...validatePoolSpec(d), input: d };
}

/** The model of a spec that passed {@link checkSpec} (laid out once per request). */
function modelOf(checked: Checked): Result<PoolModel> | undefined {
  return checked.input === undefined ? undefined : poolModel(checked.input);
}

/** `f`, computed at most once. */
function once<T>(f: () => T): () => T {
  let done = false;
  let value: T | undefined;
  return () => {
    if (!done) {
      value = f();
      done = true;
    }
    return value as T;
  };
}

/** The model of another pool's spec as stored (decoded, not validated). */
function layOut(kind: PoolKind, raw: unknown): Result<PoolModel> | undefined {
  const d = decodePoolSpec(kind, raw);
  return d.errors.length === 0 ? poolModel(d) : undefined;
}

/** Allocated addresses that parse (upstream ignores the others in the update check). */
/** Appended when only pending allocations stand in the way of a pool edit. */
export const PENDING_ONLY_HINT = '(being allocated right now: try again in a few seconds)';

function parsedAddresses(inUse: readonly Holding[]): Addr[] {
  const out: Addr[] = [];
  for (const a of inUse) {
    const p = parseAddr(a.address);
    if (p.ok) out.push(p.value);
  }
  return out;
}

/** The set a pool can hand out, for the overlap check; undefined when the spec is invalid. */
function allocatableSet(model: Result<PoolModel> | undefined): IPSet | undefined {
  return model?.ok === true ? model.value.allocatable : undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export class PoolWebhooks {
  private readonly reader: PoolClusterReader;
  private readonly overlapDetection: boolean;
  private readonly options: PoolWebhookOptions;

  constructor(options: PoolWebhookOptions) {
    this.reader = options.reader;
    this.overlapDetection = options.overlapDetection ?? false;
    this.options = options;
  }

  /** The mutating webhook: prefix pools get allocationPrefixLength 64 when unset or 0; IP pools are left alone. */
  default(kind: PoolKind, request: AdmissionRequest): Verdict {
    const wrong = wrongKind(kind, request);
    if (wrong !== undefined) return wrong;
    if (POOL_KIND_INFO[kind].family === 'ip') return allow();
    const spec = specOf(request.object);
    if (!isRecord(spec)) return allow();
    const len = spec.allocationPrefixLength;
    if (len === undefined || len === null)
      return allow([], [{ op: 'add', path: '/spec/allocationPrefixLength', value: 64 }]);
    if (len === 0) return allow([], [{ op: 'replace', path: '/spec/allocationPrefixLength', value: 64 }]);
    return allow();
  }

  /** The validating webhook: create, update and delete. */
  async validate(kind: PoolKind, request: AdmissionRequest): Promise<Verdict> {
    const wrong = wrongKind(kind, request);
    if (wrong !== undefined) return wrong;
    try {
      switch (request.operation) {
        case 'CREATE':
          return await this.validateCreate(kind, request);
        case 'UPDATE':
          return await this.validateUpdate(kind, request);
        case 'DELETE':
          return await this.validateDelete(kind, request);
        default:
          return allow();
      }
    } catch (error) {
      return internalError(errorMessage(error));
    }
  }

  private async validateCreate(kind: PoolKind, request: AdmissionRequest): Promise<Verdict> {
    const meta = metaOf(request.object);
    const name = meta.name ?? request.name ?? '';
    const checked = checkSpec(kind, specOf(request.object));
    if (checked.errors.length > 0) return invalid(kind, name, checked.errors);
    return allow([
      ...checked.warnings,
      ...(await this.overlapWarnings(kind, request.namespace, name, meta, () => modelOf(checked))),
    ]);
  }

  private async validateUpdate(kind: PoolKind, request: AdmissionRequest): Promise<Verdict> {
    const meta = metaOf(request.object);
    const name = meta.name ?? request.name ?? '';
    const newSpec = specOf(request.object);
    const oldSpec = specOf(request.oldObject);
    // Metadata/status-only updates (finalizers, the controller's fence, labels) are never blocked:
    // with the spec unchanged nothing can become invalid or stranded.
    if (jsonEqual(newSpec, oldSpec)) return allow();
    const checked = checkSpec(kind, newSpec);
    if (checked.errors.length > 0) return invalid(kind, name, checked.errors);
    const oldMeta = metaOf(request.oldObject);
    const listed = await this.listed(kind, request.namespace ?? oldMeta.namespace, oldMeta.name ?? name);
    const inUse = [...listed, ...(await this.authenticPending(oldMeta))];
    // The spec was validated already: let probes and other requests in before it is laid out
    // (each step stays short; together they could not starve the loop).
    await new Promise((resolve) => setImmediate(resolve));
    const model = once(() => modelOf(checked));
    const input = checked.input;
    if (input?.type === 'ip' && inUse.length > 0) {
      const m = model();
      if (m === undefined || !m.ok) return internalError(m?.error.message ?? 'no spec');
      if (m.value.type !== 'ip') return internalError(`expected an IP pool model for ${kind}`);
      const outside = outOfRangeAllocations(m.value.layout, parsedAddresses(inUse));
      if (outside.length > 0) {
        // Only addresses the controller is allocating right now (the fence, with its spares): a
        // retry a few seconds later goes through unless they were handed out meanwhile.
        const allocated = outOfRangeAllocations(m.value.layout, parsedAddresses(listed));
        const message = ipPoolUpdateRejection(outside);
        return badRequest(allocated.length > 0 ? message : `${message} ${PENDING_ONLY_HINT}`);
      }
    } else if (input?.type === 'prefix') {
      const old = decodePoolSpec(kind, oldSpec);
      const m = model();
      const newer = m?.ok === true && m.value.type === 'prefix' ? m.value.layout : input.spec;
      const result = checkPrefixPoolUpdate(old.type === 'prefix' ? old.spec : input.spec, newer, inUse);
      if (result.rejection !== undefined) return badRequest(result.rejection);
    }
    return allow([
      ...checked.warnings,
      ...(await this.overlapWarnings(kind, request.namespace, name, meta, model)),
    ]);
  }

  private async validateDelete(kind: PoolKind, request: AdmissionRequest): Promise<Verdict> {
    const meta = metaOf(request.oldObject);
    if (meta.annotations?.[ANNOTATION_SKIP_VALIDATE_DELETE] !== undefined) return allow();
    const name = meta.name ?? request.name ?? '';
    const listed = await this.listed(kind, request.namespace ?? meta.namespace, name);
    if (listed.length > 0) return badRequest(DELETE_IN_USE_MESSAGE);
    // No IPAddress, but addresses being allocated right now (the fence and its spares).
    const pending = await this.authenticPending(meta);
    return pending.length > 0 ? badRequest(`${DELETE_IN_USE_MESSAGE} ${PENDING_ONLY_HINT}`) : allow();
  }

  /** The pool's IPAddresses, by a consistent read (a namespaced pool's in its namespace only). */
  private listed(kind: PoolKind, namespace: string | undefined, name: string): Promise<Holding[]> {
    return this.reader.allocations(kind, POOL_KIND_INFO[kind].namespaced ? namespace : undefined, name);
  }

  /** The pool's pending allocations that the controller wrote (verified) and that are recent. */
  private async authenticPending(meta: ObjectMeta): Promise<Holding[]> {
    const entries = readPendingAllocations(meta);
    if (entries.length === 0) return [];
    const key = await (this.options.fenceKey ?? (() => Promise.resolve(processFenceKey())))();
    const now = (this.options.now ?? Date.now)();
    const kept: Holding[] = [];
    const ignored: { address: string; why: PendingVerdict }[] = [];
    for (const e of entries) {
      const why = verifyPending(key, meta.uid ?? '', e, now);
      if (why === 'ok') kept.push({ address: e.address, prefix: e.prefix, name: e.claim });
      else ignored.push({ address: e.address, why });
    }
    if (ignored.length > 0)
      this.options.onIgnoredPending?.(`${meta.namespace ?? ''}/${meta.name ?? ''}`, ignored);
    return kept;
  }

  private async overlapWarnings(
    kind: PoolKind,
    namespace: string | undefined,
    name: string,
    meta: ObjectMeta,
    model: () => Result<PoolModel> | undefined,
  ): Promise<string[]> {
    if (!this.overlapDetection || meta.annotations?.[ANNOTATION_ALLOW_OVERLAP] !== undefined) return [];
    const mine = allocatableSet(model());
    if (mine === undefined || mine.isEmpty) return [];
    let others: StoredPool[];
    try {
      others = await this.reader.pools(kind, POOL_KIND_INFO[kind].namespaced ? namespace : undefined);
    } catch {
      return []; // an optional check never blocks admission
    }
    const warnings: string[] = [];
    for (const other of others.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (other.name === name || other.annotations[ANNOTATION_ALLOW_OVERLAP] !== undefined) continue;
      const theirs = allocatableSet(layOut(kind, other.spec));
      if (theirs === undefined) continue;
      const common = mine.intersection(theirs);
      if (common.isEmpty) continue;
      warnings.push(
        `${kind} "${name}" overlaps ${kind} "${other.name}" in ${formatRangeList(common.ranges)}: both may hand out the same addresses ` +
          `(annotate a pool with ${ANNOTATION_ALLOW_OVERLAP} if this is intended)`,
      );
    }
    return warnings;
  }
}

function wrongKind(kind: PoolKind, request: AdmissionRequest): Verdict | undefined {
  return request.kind.kind === kind
    ? undefined
    : badRequest(`expected a ${kind} but got a ${request.kind.kind}`);
}
