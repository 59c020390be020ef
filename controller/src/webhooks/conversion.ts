// The CRD conversion webhook (`/convert`): a ConversionReview (apiextensions.k8s.io/v1) in, every
// object converted by the pure functions of @ipam-in-cluster/api out. One failure fails the review,
// as the API server requires (it then fails the client's request with the message).
import { isRecord } from '@ipam-in-cluster/allocator';
import { convertPoolObject } from '@ipam-in-cluster/api';

export interface ConversionReview {
  apiVersion: 'apiextensions.k8s.io/v1';
  kind: 'ConversionReview';
  request?: { uid: string; desiredAPIVersion: string; objects: unknown[] };
  response?: {
    uid: string;
    convertedObjects: unknown[];
    result: { status: 'Success' | 'Failure'; message?: string };
  };
}

/** Handles one ConversionReview body; `undefined` when the body is not a ConversionReview at all. */
export function handleConversionReview(body: unknown): ConversionReview | undefined {
  if (!isRecord(body) || body.kind !== 'ConversionReview' || body.apiVersion !== 'apiextensions.k8s.io/v1')
    return undefined;
  const request = body.request;
  if (
    !isRecord(request) ||
    typeof request.uid !== 'string' ||
    typeof request.desiredAPIVersion !== 'string' ||
    !Array.isArray(request.objects)
  ) {
    return undefined;
  }
  const { uid, desiredAPIVersion } = request;
  const converted: unknown[] = [];
  for (const object of request.objects as unknown[]) {
    const r = convertPoolObject(object, desiredAPIVersion);
    if (!r.ok) {
      return {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'ConversionReview',
        response: { uid, convertedObjects: [], result: { status: 'Failure', message: r.message } },
      };
    }
    converted.push(r.value);
  }
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'ConversionReview',
    response: { uid, convertedObjects: converted, result: { status: 'Success' } },
  };
}
