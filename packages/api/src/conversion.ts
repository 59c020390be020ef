// v1alpha1 <-> v1alpha2 conversion of the IP pools (upstream-behaviour §12). Pure functions: the
// conversion webhook (controller/src/webhooks) only decodes a ConversionReview and calls these.
//
// v1alpha2 is the hub (storage). Up (v1alpha1 -> v1alpha2) turns subnet/start/end into one more
// `addresses` entry and keeps the whole v1alpha1 object as JSON in the `cluster.x-k8s.io/conversion-data`
// annotation of the hub; down (v1alpha2 -> v1alpha1) gives back that original spec when it still
// describes the same pool. Upstream's wire format exactly, so objects written by either provider
// convert the same way in the other.
//
// Two deliberate differences from upstream, both about not losing data:
// - GlobalInClusterIPPool restores the stored v1alpha1 spec only when it still matches the hub, like
//   InClusterIPPool (upstream restores it unconditionally, showing a stale spec after a v1alpha2 edit).
// - Down-conversion keeps the v1alpha2-only fields (excludedAddresses, allocateReservedIPAddresses,
//   addressReuseGracePeriodSeconds) as JSON in the same annotation on the v1alpha1 object, and
//   up-conversion puts them back when addresses, prefix and gateway are unchanged, so a v1alpha1
//   client's read-modify-write (`kubectl edit`) no longer drops them.
import {
  formatAddr,
  isRecord,
  nextAddr,
  parsePrefix,
  prevAddr,
  rangeOfPrefix,
  type Addr,
} from '@ipam-in-cluster/allocator';
import { ANNOTATION_CONVERSION_DATA, IPAM_GROUP, POOL_API_VERSION } from './constants.js';
import type { FieldError } from './validation.js';
import type { IPPoolSpec, ObjectMeta, PoolStatus } from './types.js';

export const POOL_VERSION_V1ALPHA1 = 'v1alpha1';
export const POOL_API_VERSION_V1ALPHA1 = `${IPAM_GROUP}/${POOL_VERSION_V1ALPHA1}`;

/** Kinds that have a v1alpha1 version (prefix pools exist only as v1alpha2). */
export const CONVERTIBLE_KINDS = ['InClusterIPPool', 'GlobalInClusterIPPool'] as const;
export type ConvertibleKind = (typeof CONVERTIBLE_KINDS)[number];

export function isConvertibleKind(kind: unknown): kind is ConvertibleKind {
  return kind === 'InClusterIPPool' || kind === 'GlobalInClusterIPPool';
}

/** v1alpha1 IP pool spec (JSON names; Go's First/Last are `start`/`end`). All optional (omitempty). */
export interface IPPoolSpecV1Alpha1 {
  subnet?: string;
  start?: string;
  end?: string;
  prefix?: number;
  gateway?: string;
  addresses?: string[];
}

export interface IPPoolV1Alpha1 {
  apiVersion: typeof POOL_API_VERSION_V1ALPHA1;
  kind: ConvertibleKind;
  metadata: ObjectMeta;
  spec: IPPoolSpecV1Alpha1;
  status?: PoolStatus;
}

export interface IPPoolV1Alpha2 {
  apiVersion: typeof POOL_API_VERSION;
  kind: ConvertibleKind;
  metadata: ObjectMeta;
  spec: IPPoolSpec;
  status?: PoolStatus;
}

export type ConversionResult<T> = { ok: true; value: T } | { ok: false; error: FieldError };

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

function strList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined;
}

function int(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isInteger(v) && v !== 0 ? v : undefined;
}

/** Go's netip.Addr.String() of a zero Addr, which is what Next()/Prev() return past the ends. */
const GO_INVALID_IP = 'invalid IP';

function formatOrInvalid(a: Addr | undefined): string {
  return a === undefined ? GO_INVALID_IP : formatAddr(a);
}

/** Reads a v1alpha1 spec from JSON, keeping only its fields (omitempty: empty values dropped). */
export function readSpecV1Alpha1(raw: unknown): IPPoolSpecV1Alpha1 {
  const s = isRecord(raw) ? raw : {};
  const out: IPPoolSpecV1Alpha1 = {};
  const subnet = str(s.subnet);
  const start = str(s.start);
  const end = str(s.end);
  const prefix = int(s.prefix);
  const gateway = str(s.gateway);
  const addresses = strList(s.addresses);
  if (subnet !== undefined) out.subnet = subnet;
  if (start !== undefined) out.start = start;
  if (end !== undefined) out.end = end;
  if (prefix !== undefined) out.prefix = prefix;
  if (gateway !== undefined) out.gateway = gateway;
  if (addresses !== undefined && addresses.length > 0) out.addresses = addresses;
  return out;
}

/**
 * Fills the defaults derived from `subnet` (start = network + 1, end = last - 1, prefix = subnet bits
 * when 0), as upstream does to the source object before storing it. Fails on an unparsable subnet.
 */
export function defaultSpecV1Alpha1(spec: IPPoolSpecV1Alpha1): ConversionResult<IPPoolSpecV1Alpha1> {
  if (spec.subnet === undefined) return { ok: true, value: { ...spec } };
  const p = parsePrefix(spec.subnet);
  if (!p.ok)
    return { ok: false, error: { path: 'spec.subnet', value: spec.subnet, message: p.error.message } };
  const range = rangeOfPrefix(p.value);
  const out: IPPoolSpecV1Alpha1 = { ...spec };
  out.start ??= formatOrInvalid(nextAddr({ family: range.family, value: range.from }));
  out.end ??= formatOrInvalid(prevAddr({ family: range.family, value: range.to }));
  if (out.prefix === undefined && p.value.bits !== 0) out.prefix = p.value.bits;
  return { ok: true, value: out };
}

/** The v1alpha2 spec a (defaulted) v1alpha1 spec stands for. */
function hubSpecOf(spec: IPPoolSpecV1Alpha1): IPPoolSpec {
  const addresses = [...(spec.addresses ?? [])];
  if (spec.start !== undefined && spec.end !== undefined) addresses.push(`${spec.start}-${spec.end}`);
  const out: IPPoolSpec = { addresses, prefix: spec.prefix ?? 0 };
  if (spec.gateway !== undefined) out.gateway = spec.gateway;
  return out;
}

/** v1alpha1 spec -> v1alpha2 spec (upstream's Convert_v1alpha1_InClusterIPPoolSpec_To_v1alpha2). */
export function specToV1Alpha2(spec: IPPoolSpecV1Alpha1): ConversionResult<IPPoolSpec> {
  const d = defaultSpecV1Alpha1(spec);
  return d.ok ? { ok: true, value: hubSpecOf(d.value) } : d;
}

/** v1alpha2 spec -> v1alpha1 spec: addresses, prefix, gateway; the v1alpha2-only fields are dropped. */
export function specToV1Alpha1(spec: IPPoolSpec): IPPoolSpecV1Alpha1 {
  const out: IPPoolSpecV1Alpha1 = {};
  const prefix = int(spec.prefix);
  if (prefix !== undefined) out.prefix = prefix;
  if (str(spec.gateway) !== undefined) out.gateway = spec.gateway;
  if (spec.addresses.length > 0) out.addresses = [...spec.addresses];
  return out;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Addresses (same order), prefix and gateway equal: the two specs describe the same pool. */
function samePool(a: IPPoolSpec, b: IPPoolSpec): boolean {
  return (
    sameList(a.addresses, b.addresses) && a.prefix === b.prefix && (a.gateway ?? '') === (b.gateway ?? '')
  );
}

function parseAnnotation(meta: ObjectMeta): Record<string, unknown> | undefined {
  const raw = meta.annotations?.[ANNOTATION_CONVERSION_DATA];
  if (raw === undefined) return undefined;
  try {
    const v: unknown = JSON.parse(raw);
    return isRecord(v) ? v : undefined;
  } catch {
    return undefined;
  }
}

function withoutAnnotation(meta: ObjectMeta): ObjectMeta {
  const out: ObjectMeta = { ...meta };
  if (meta.annotations !== undefined) {
    const { [ANNOTATION_CONVERSION_DATA]: _dropped, ...rest } = meta.annotations;
    if (Object.keys(rest).length > 0) out.annotations = rest;
    else delete out.annotations;
  }
  return out;
}

function withAnnotation(meta: ObjectMeta, value: string): ObjectMeta {
  return { ...meta, annotations: { ...(meta.annotations ?? {}), [ANNOTATION_CONVERSION_DATA]: value } };
}

/** The v1alpha2-only fields of a hub spec, for the stash on a v1alpha1 object. */
function hubOnlyFields(spec: IPPoolSpec): Partial<IPPoolSpec> {
  const out: Partial<IPPoolSpec> = {};
  if (spec.allocateReservedIPAddresses !== undefined)
    out.allocateReservedIPAddresses = spec.allocateReservedIPAddresses;
  if (spec.excludedAddresses !== undefined) out.excludedAddresses = [...spec.excludedAddresses];
  if (spec.addressReuseGracePeriodSeconds !== undefined)
    out.addressReuseGracePeriodSeconds = spec.addressReuseGracePeriodSeconds;
  return out;
}

/** Reads a v1alpha2 IP pool spec from JSON (what the conversion needs; unknown fields dropped). */
export function readSpecV1Alpha2(raw: unknown): IPPoolSpec {
  const s = isRecord(raw) ? raw : {};
  const out: IPPoolSpec = {
    addresses: strList(s.addresses) ?? [],
    prefix: typeof s.prefix === 'number' ? s.prefix : 0,
  };
  if (typeof s.gateway === 'string') out.gateway = s.gateway;
  if (typeof s.allocateReservedIPAddresses === 'boolean')
    out.allocateReservedIPAddresses = s.allocateReservedIPAddresses;
  const excluded = strList(s.excludedAddresses);
  if (excluded !== undefined) out.excludedAddresses = excluded;
  if (typeof s.addressReuseGracePeriodSeconds === 'number')
    out.addressReuseGracePeriodSeconds = s.addressReuseGracePeriodSeconds;
  return out;
}

/**
 * v1alpha1 -> v1alpha2. The defaulted v1alpha1 object (minus metadata) is stored in the hub's
 * conversion-data annotation, as upstream does; a v1alpha2 stash on the source restores the
 * v1alpha2-only fields when the pool is otherwise unchanged.
 */
export function ipPoolToV1Alpha2(src: IPPoolV1Alpha1): ConversionResult<IPPoolV1Alpha2> {
  const defaulted = defaultSpecV1Alpha1(readSpecV1Alpha1(src.spec));
  if (!defaulted.ok) return defaulted;
  const spec = hubSpecOf(defaulted.value);
  const stash = parseAnnotation(src.metadata);
  if (stash?.apiVersion === POOL_API_VERSION) {
    const stashed = readSpecV1Alpha2(stash.spec);
    if (samePool(stashed, spec)) Object.assign(spec, hubOnlyFields(stashed));
  }
  const data: Record<string, unknown> = {
    apiVersion: POOL_API_VERSION_V1ALPHA1,
    kind: src.kind,
    spec: defaulted.value,
  };
  if (src.status !== undefined) data.status = src.status;
  const out: IPPoolV1Alpha2 = {
    apiVersion: POOL_API_VERSION,
    kind: src.kind,
    metadata: withAnnotation(withoutAnnotation(src.metadata), JSON.stringify(data)),
    spec,
  };
  if (src.status !== undefined) out.status = src.status;
  return { ok: true, value: out };
}

/**
 * v1alpha2 -> v1alpha1. Restores the original v1alpha1 spec from the annotation when converting it
 * again gives the hub's addresses (same order), prefix and gateway; keeps v1alpha2-only fields in
 * the annotation of the result (see the module comment).
 */
export function ipPoolToV1Alpha1(src: IPPoolV1Alpha2): IPPoolV1Alpha1 {
  const hub = readSpecV1Alpha2(src.spec);
  let spec = specToV1Alpha1(hub);
  const data = parseAnnotation(src.metadata);
  if (data?.apiVersion === POOL_API_VERSION_V1ALPHA1) {
    const restored = defaultSpecV1Alpha1(readSpecV1Alpha1(data.spec));
    if (restored.ok && samePool(hubSpecOf(restored.value), hub)) spec = restored.value;
  }
  let metadata = withoutAnnotation(src.metadata);
  const extra = hubOnlyFields(hub);
  if (Object.keys(extra).length > 0) {
    metadata = withAnnotation(
      metadata,
      JSON.stringify({ apiVersion: POOL_API_VERSION, kind: src.kind, spec: hub }),
    );
  }
  const out: IPPoolV1Alpha1 = { apiVersion: POOL_API_VERSION_V1ALPHA1, kind: src.kind, metadata, spec };
  if (src.status !== undefined) out.status = src.status;
  return out;
}

/**
 * Converts one object as a ConversionReview asks: our IP pools between v1alpha1 and v1alpha2 (same
 * version: unchanged). Metadata is kept except the conversion-data annotation; spec fields the
 * version does not define are dropped. Fails with a message for anything else (the API server then
 * fails the request).
 */
export function convertPoolObject(
  object: unknown,
  desiredAPIVersion: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; message: string } {
  if (!isRecord(object)) return { ok: false, message: 'object is not a JSON object' };
  const { apiVersion, kind } = object;
  if (!isConvertibleKind(kind)) return { ok: false, message: `unsupported kind ${JSON.stringify(kind)}` };
  const known = [POOL_API_VERSION, POOL_API_VERSION_V1ALPHA1];
  if (typeof apiVersion !== 'string' || !known.includes(apiVersion)) {
    return { ok: false, message: `unsupported apiVersion ${JSON.stringify(apiVersion)} for ${kind}` };
  }
  if (!known.includes(desiredAPIVersion))
    return { ok: false, message: `unsupported desiredAPIVersion ${JSON.stringify(desiredAPIVersion)}` };
  if (apiVersion === desiredAPIVersion) return { ok: true, value: object };
  const metadata = (isRecord(object.metadata) ? object.metadata : {}) as ObjectMeta;
  const status = isRecord(object.status) ? (object.status as PoolStatus) : undefined;
  const base = status === undefined ? {} : { status };
  if (desiredAPIVersion === POOL_API_VERSION) {
    const r = ipPoolToV1Alpha2({
      apiVersion: POOL_API_VERSION_V1ALPHA1,
      kind,
      metadata,
      spec: readSpecV1Alpha1(object.spec),
      ...base,
    });
    if (!r.ok)
      return {
        ok: false,
        message: `${r.error.path}: Invalid value: ${JSON.stringify(r.error.value)}: ${r.error.message}`,
      };
    return { ok: true, value: { ...r.value } };
  }
  const down = ipPoolToV1Alpha1({
    apiVersion: POOL_API_VERSION,
    kind,
    metadata,
    spec: readSpecV1Alpha2(object.spec),
    ...base,
  });
  return { ok: true, value: { ...down } };
}
