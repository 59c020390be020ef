// AdmissionReview wire types and the responses controller-runtime would send: field errors become a
// 422 Invalid Status whose causes carry the field paths, in-use refusals a 400 BadRequest, failures
// to read the cluster a 500 InternalError. The API server passes the Status through to the client
// (prefixed "admission webhook ... denied the request: ").
import { goQuote, isRecord } from '@ipam-in-cluster/allocator';
import { IPAM_GROUP, type FieldError } from '@ipam-in-cluster/api';

export type Operation = 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  resource?: { group: string; version: string; resource: string };
  name?: string;
  namespace?: string;
  operation: Operation;
  object?: unknown;
  oldObject?: unknown;
  dryRun?: boolean;
}

export interface StatusCause {
  reason: string;
  message: string;
  field: string;
}

/** metav1.Status as returned in an admission response. */
export interface Status {
  apiVersion?: 'v1';
  kind?: 'Status';
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  code: number;
  details?: { name?: string; group?: string; kind?: string; causes?: StatusCause[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: Status;
  warnings?: string[];
  patchType?: 'JSONPatch';
  /** base64 of a JSON Patch. */
  patch?: string;
}

export interface AdmissionReview {
  apiVersion: string;
  kind: 'AdmissionReview';
  request?: AdmissionRequest;
  response?: AdmissionResponse;
}

/** What a handler decides, before it is wrapped into a response with the request's uid. */
export type Verdict =
  | { allowed: true; warnings?: string[]; patch?: JsonPatchOp[] }
  | { allowed: false; status: Status; warnings?: string[] };

export type JsonPatchOp =
  { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

export function allow(warnings: string[] = [], patch?: JsonPatchOp[]): Verdict {
  const v: Verdict = { allowed: true };
  if (warnings.length > 0) v.warnings = warnings;
  if (patch !== undefined && patch.length > 0) v.patch = patch;
  return v;
}

/** Go's `%v`-ish rendering of a field value, as k8s.io/apimachinery field.Error does. */
export function formatFieldValue(value: FieldError['value']): string {
  if (typeof value === 'string') return goQuote(value);
  if (typeof value === 'number') return String(value);
  // A list is shown whole up to LIST_SHOWN entries; a longer one (thousands of entries) is cut.
  const shown = value.slice(0, LIST_SHOWN).map(goQuote);
  if (value.length > LIST_SHOWN) shown.push(`... (${String(value.length - LIST_SHOWN)} more)`);
  return `[]string{${shown.join(', ')}}`;
}

const LIST_SHOWN = 20;

/** `spec.x: Invalid value: "v": message` (field.Error.Error()). */
export function formatFieldError(e: FieldError): string {
  return `${e.path}: ${causeMessage(e)}`;
}

function causeMessage(e: FieldError): string {
  return `Invalid value: ${formatFieldValue(e.value)}: ${e.message}`;
}

/** apierrors.NewInvalid: 422 with every field error as a cause. */
export function invalid(
  kind: string,
  name: string,
  errors: readonly FieldError[],
  group: string = IPAM_GROUP,
): Verdict {
  const list = errors.map(formatFieldError);
  const joined = list.length === 1 ? (list[0] ?? '') : `[${list.join(', ')}]`;
  return {
    allowed: false,
    status: {
      status: 'Failure',
      message: `${kind}.${group} ${goQuote(name)} is invalid: ${joined}`,
      reason: 'Invalid',
      code: 422,
      details: {
        name,
        group,
        kind,
        causes: errors.map((e) => ({ reason: 'FieldValueInvalid', message: causeMessage(e), field: e.path })),
      },
    },
  };
}

/** apierrors.NewBadRequest. */
export function badRequest(message: string): Verdict {
  return { allowed: false, status: { status: 'Failure', message, reason: 'BadRequest', code: 400 } };
}

/** apierrors.NewInternalError. */
export function internalError(message: string): Verdict {
  return {
    allowed: false,
    status: {
      status: 'Failure',
      message: `Internal error occurred: ${message}`,
      reason: 'InternalError',
      code: 500,
    },
  };
}

export function toResponse(uid: string, verdict: Verdict): AdmissionResponse {
  const response: AdmissionResponse = { uid, allowed: verdict.allowed };
  if (verdict.warnings !== undefined && verdict.warnings.length > 0) response.warnings = verdict.warnings;
  if (verdict.allowed) {
    if (verdict.patch !== undefined && verdict.patch.length > 0) {
      response.patchType = 'JSONPatch';
      response.patch = Buffer.from(JSON.stringify(verdict.patch)).toString('base64');
    }
  } else {
    response.status = verdict.status;
  }
  return response;
}

/** Checks the envelope of an AdmissionReview; returns the request or why it is unusable. */
export function readAdmissionReview(
  body: unknown,
): { ok: true; apiVersion: string; request: AdmissionRequest } | { ok: false; message: string } {
  if (!isRecord(body) || body.kind !== 'AdmissionReview')
    return { ok: false, message: 'body is not an AdmissionReview' };
  const apiVersion = body.apiVersion;
  if (apiVersion !== 'admission.k8s.io/v1' && apiVersion !== 'admission.k8s.io/v1beta1') {
    return { ok: false, message: `unsupported AdmissionReview apiVersion ${JSON.stringify(apiVersion)}` };
  }
  const request = body.request;
  if (
    !isRecord(request) ||
    typeof request.uid !== 'string' ||
    typeof request.operation !== 'string' ||
    !isRecord(request.kind)
  ) {
    return { ok: false, message: 'AdmissionReview has no valid request' };
  }
  return { ok: true, apiVersion, request: request as unknown as AdmissionRequest };
}
