// Defaulting and validation of the four pool kinds (upstream-behaviour §11), on create, update and
// delete. Field problems are all reported at once (422 Invalid, causes with paths like
// `spec.addresses[2]`); an update that would strand allocated addresses and a delete while addresses
// are allocated are refused (400 BadRequest, upstream's messages). Addresses the controller is about
// to create (the pending-allocations fence, docs/adr/0009-pool-edit-race.md) count as allocated.
import {
  buildPoolLayout,
  buildPrefixPoolLayout,
  checkIPPoolUpdate,
  checkPrefixPoolUpdate,
  formatRangeList,
  ipPoolUpdateRejection,
  type IPSet,
} from '@ipam-in-cluster/allocator';
import {
  ANNOTATION_ALLOW_OVERLAP,
  ANNOTATION_SKIP_VALIDATE_DELETE,
  POOL_KIND_INFO,
  readPendingAllocations,
  validateIPPool,
  validatePrefixPool,
  type FieldError,
  type IPPoolSpec,
  type ObjectMeta,
  type PoolKind,
  type PrefixPoolSpec,
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

/** One IPAddress (or pending allocation) of a pool: `spec.address` and `spec.prefix`. */
export interface Allocation {
  address: string;
  prefix?: number | undefined;
  /** `namespace/name`, for messages. */
  name?: string | undefined;
}

/** A pool as the overlap check needs it. */
export interface PoolSummary {
  name: string;
  annotations: Record<string, string>;
  spec: unknown;
}

/** Reads from the cluster what the checks need; consistent (quorum) reads, never a stale cache. */
export interface PoolClusterReader {
  /** IPAddresses whose poolRef names this pool (group ipam.cluster.x-k8s.io or empty). */
  allocations(kind: PoolKind, namespace: string | undefined, name: string): Promise<Allocation[]>;
  /** Pools of this kind in the same scope (the namespace for namespaced kinds). */
  pools(kind: PoolKind, namespace: string | undefined): Promise<PoolSummary[]>;
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

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function shown(v: unknown): string {
  const json = JSON.stringify(v) as string | undefined;
  return json ?? String(v);
}

function typeError(path: string, value: unknown, expected: string): FieldError {
  return { path, value: cut(shown(value)), message: `must be ${expected}` };
}

/**
 * Most entries in one pool list (addresses, excludedAddresses, prefixes, excludedPrefixes). Checked
 * before any entry is parsed, so the cost of validating one request is bounded whatever it carries
 * (a request of 7 MiB could otherwise hold 700 000 entries): parsing runs on the event loop, about
 * 20 µs per fully written IPv6 range under the image's Node flags, so 2 × 2 000 entries keep one
 * validation step near 100 ms (docs/performance.md, npm run bench:webhook). Upstream has no limit;
 * ranges and CIDRs describe any set in far fewer entries.
 */
export const MAX_POOL_LIST_ENTRIES = 2_000;

/** Longest pool list entry: an IPv6 range of two fully written addresses with zones fits easily. */
export const MAX_POOL_ENTRY_LENGTH = 256;

/** A long value, cut for messages (the full text could be megabytes). */
function cut(v: string): string {
  return v.length <= 64 ? v : `${v.slice(0, 64)}... (${String(v.length)} characters)`;
}

function stringList(s: Record<string, unknown>, field: string, errors: FieldError[]): string[] | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    errors.push(typeError(`spec.${field}`, v, 'a list of strings'));
    return undefined;
  }
  if (v.length > MAX_POOL_LIST_ENTRIES) {
    errors.push({
      path: `spec.${field}`,
      value: v.length,
      message: `must have at most ${String(MAX_POOL_LIST_ENTRIES)} entries (use ranges or CIDRs)`,
    });
    return undefined;
  }
  const out: string[] = [];
  v.forEach((item: unknown, i) => {
    if (typeof item !== 'string') errors.push(typeError(`spec.${field}[${i}]`, item, 'a string'));
    else if (item.length > MAX_POOL_ENTRY_LENGTH)
      errors.push({
        path: `spec.${field}[${i}]`,
        value: cut(item),
        message: `must be at most ${String(MAX_POOL_ENTRY_LENGTH)} characters`,
      });
    else out.push(item);
  });
  return out;
}

function optString(s: Record<string, unknown>, field: string, errors: FieldError[]): string | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') {
    errors.push(typeError(`spec.${field}`, v, 'a string'));
    return undefined;
  }
  if (v.length > MAX_POOL_ENTRY_LENGTH) {
    errors.push({
      path: `spec.${field}`,
      value: cut(v),
      message: `must be at most ${String(MAX_POOL_ENTRY_LENGTH)} characters`,
    });
    return undefined;
  }
  return v;
}

function optInt(s: Record<string, unknown>, field: string, errors: FieldError[]): number | undefined {
  const v = s[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) {
    errors.push(typeError(`spec.${field}`, v, 'an integer'));
    return undefined;
  }
  return v;
}

/** Decodes an IP pool spec from JSON; wrong types become field errors (the schema normally stops them first). */
export function decodeIPPoolSpec(raw: unknown): { spec: IPPoolSpec; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (raw !== undefined && !isRecord(raw)) errors.push(typeError('spec', raw, 'an object'));
  const s = isRecord(raw) ? raw : {};
  const spec: IPPoolSpec = {
    addresses: stringList(s, 'addresses', errors) ?? [],
    prefix: optInt(s, 'prefix', errors) ?? 0,
  };
  const gateway = optString(s, 'gateway', errors);
  if (gateway !== undefined) spec.gateway = gateway;
  const excluded = stringList(s, 'excludedAddresses', errors);
  if (excluded !== undefined) spec.excludedAddresses = excluded;
  const reserved = s.allocateReservedIPAddresses;
  if (reserved !== undefined && reserved !== null) {
    if (typeof reserved === 'boolean') spec.allocateReservedIPAddresses = reserved;
    else errors.push(typeError('spec.allocateReservedIPAddresses', reserved, 'a boolean'));
  }
  const grace = optInt(s, 'addressReuseGracePeriodSeconds', errors);
  if (grace !== undefined) spec.addressReuseGracePeriodSeconds = grace;
  return { spec, errors };
}

/** Decodes a prefix pool spec from JSON, like decodeIPPoolSpec. */
export function decodePrefixPoolSpec(raw: unknown): { spec: PrefixPoolSpec; errors: FieldError[] } {
  const errors: FieldError[] = [];
  if (raw !== undefined && !isRecord(raw)) errors.push(typeError('spec', raw, 'an object'));
  const s = isRecord(raw) ? raw : {};
  const spec: PrefixPoolSpec = { prefixes: stringList(s, 'prefixes', errors) ?? [] };
  const len = optInt(s, 'allocationPrefixLength', errors);
  if (len !== undefined) spec.allocationPrefixLength = len;
  const gateway = optString(s, 'gateway', errors);
  if (gateway !== undefined) spec.gateway = gateway;
  const excluded = stringList(s, 'excludedPrefixes', errors);
  if (excluded !== undefined) spec.excludedPrefixes = excluded;
  return { spec, errors };
}

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
}

function validateSpec(kind: PoolKind, raw: unknown): Checked & { ip?: IPPoolSpec; prefix?: PrefixPoolSpec } {
  if (POOL_KIND_INFO[kind].family === 'ip') {
    const d = decodeIPPoolSpec(raw);
    if (d.errors.length > 0) return { errors: d.errors, warnings: [] };
    return { ...validateIPPool(d.spec), ip: d.spec };
  }
  const d = decodePrefixPoolSpec(raw);
  if (d.errors.length > 0) return { errors: d.errors, warnings: [] };
  return { ...validatePrefixPool(d.spec), prefix: d.spec };
}

/** The set a pool can hand out, for the overlap check; undefined when the spec is invalid. */
function allocatableSet(kind: PoolKind, raw: unknown): IPSet | undefined {
  if (POOL_KIND_INFO[kind].family === 'ip') {
    const d = decodeIPPoolSpec(raw);
    const layout = d.errors.length === 0 ? buildPoolLayout(d.spec) : undefined;
    return layout?.ok === true ? layout.value.allocatable : undefined;
  }
  const d = decodePrefixPoolSpec(raw);
  const layout = d.errors.length === 0 ? buildPrefixPoolLayout(d.spec) : undefined;
  return layout?.ok === true ? layout.value.pool.difference(layout.value.excluded) : undefined;
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
    const checked = validateSpec(kind, specOf(request.object));
    if (checked.errors.length > 0) return invalid(kind, name, checked.errors);
    return allow([
      ...checked.warnings,
      ...(await this.overlapWarnings(kind, request.namespace, name, meta, specOf(request.object))),
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
    const checked = validateSpec(kind, newSpec);
    if (checked.errors.length > 0) return invalid(kind, name, checked.errors);
    const oldMeta = metaOf(request.oldObject);
    const inUse = await this.inUse(
      kind,
      request.namespace ?? oldMeta.namespace,
      oldMeta.name ?? name,
      oldMeta,
    );
    // The spec was parsed once already: let probes and other requests in before the update check
    // parses it again (each step stays short; together they could not starve the loop).
    await new Promise((resolve) => setImmediate(resolve));
    if (checked.ip !== undefined && inUse.length > 0) {
      const outside = checkIPPoolUpdate(
        checked.ip,
        inUse.map((a) => a.address),
      );
      if (!outside.ok) return internalError(outside.error.message);
      if (outside.value.length > 0) return badRequest(ipPoolUpdateRejection(outside.value));
    } else if (checked.prefix !== undefined) {
      const old = decodePrefixPoolSpec(oldSpec).spec;
      const result = checkPrefixPoolUpdate(old, checked.prefix, inUse);
      if (result.rejection !== undefined) return badRequest(result.rejection);
    }
    return allow([
      ...checked.warnings,
      ...(await this.overlapWarnings(kind, request.namespace, name, meta, newSpec)),
    ]);
  }

  private async validateDelete(kind: PoolKind, request: AdmissionRequest): Promise<Verdict> {
    const meta = metaOf(request.oldObject);
    if (meta.annotations?.[ANNOTATION_SKIP_VALIDATE_DELETE] !== undefined) return allow();
    const name = meta.name ?? request.name ?? '';
    const inUse = await this.inUse(kind, request.namespace ?? meta.namespace, name, meta);
    return inUse.length > 0 ? badRequest(DELETE_IN_USE_MESSAGE) : allow();
  }

  /** IPAddresses of the pool (consistent read) plus the controller's pending allocations on it. */
  private async inUse(
    kind: PoolKind,
    namespace: string | undefined,
    name: string,
    meta: ObjectMeta,
  ): Promise<Allocation[]> {
    const listed = await this.reader.allocations(
      kind,
      POOL_KIND_INFO[kind].namespaced ? namespace : undefined,
      name,
    );
    return [...listed, ...(await this.authenticPending(meta))];
  }

  /** The pool's pending allocations that the controller wrote (verified) and that are recent. */
  private async authenticPending(meta: ObjectMeta): Promise<Allocation[]> {
    const entries = readPendingAllocations(meta);
    if (entries.length === 0) return [];
    const key = await (this.options.fenceKey ?? (() => Promise.resolve(processFenceKey())))();
    const now = (this.options.now ?? Date.now)();
    const kept: Allocation[] = [];
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
    spec: unknown,
  ): Promise<string[]> {
    if (!this.overlapDetection || meta.annotations?.[ANNOTATION_ALLOW_OVERLAP] !== undefined) return [];
    const mine = allocatableSet(kind, spec);
    if (mine === undefined || mine.isEmpty) return [];
    let others: PoolSummary[];
    try {
      others = await this.reader.pools(kind, POOL_KIND_INFO[kind].namespaced ? namespace : undefined);
    } catch {
      return []; // an optional check never blocks admission
    }
    const warnings: string[] = [];
    for (const other of others.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (other.name === name || other.annotations[ANNOTATION_ALLOW_OVERLAP] !== undefined) continue;
      const theirs = allocatableSet(kind, other.spec);
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
