// The claim finalizer webhook (docs/adr/0037-claim-finalizer-at-admission.md): adds
// `ReleaseAddress` to a claim of ours as it is created, so the controller does not write it
// afterwards. It only ever adds our finalizer, never refuses a claim, and is registered with
// failurePolicy Ignore: when it cannot be reached the claim is created without the finalizer and
// the controller adds it, as it always has.
//
// It must never add the finalizer to a claim this controller will not reconcile (nothing would
// remove it, and the claim could not be deleted), so it applies the controller's own filters:
// the pool reference (poolIdFromRef's test), --namespace, --watch-filter, and the claim's own
// paused annotation (a paused claim gets its finalizer when it is resumed, as upstream's does).
import { isRecord } from '@ipam-in-cluster/allocator';
import { ANNOTATION_PAUSED, FINALIZER_RELEASE_ADDRESS, LABEL_WATCH_FILTER } from '@ipam-in-cluster/api';
import { poolIdFromRef } from '../reconcilers/keys.js';
import { allow, type AdmissionRequest, type Verdict } from './admission.js';

/** What the controller's caches are narrowed to (its --namespace and --watch-filter flags). */
export interface ClaimScope {
  namespace?: string | undefined;
  watchFilter?: string | undefined;
}

export class ClaimFinalizerWebhook {
  readonly #scope: ClaimScope;

  constructor(scope: ClaimScope = {}) {
    this.#scope = scope;
  }

  /** The mutation for one AdmissionRequest: allowed always, with the finalizer's JSON patch or none. */
  default(request: AdmissionRequest): Verdict {
    if (request.operation !== 'CREATE') return allow();
    const claim = request.object;
    // The object has not been validated yet (mutation comes first): read it defensively, and leave
    // anything malformed to the API server's validation.
    if (!isRecord(claim) || !isRecord(claim.metadata) || !isRecord(claim.spec)) return allow();
    const { metadata, spec } = claim;
    if (!isOurPoolRef(spec.poolRef)) return allow();
    const namespace = request.namespace ?? metadata.namespace;
    if (this.#scope.namespace !== undefined && namespace !== this.#scope.namespace) return allow();
    if (this.#scope.watchFilter !== undefined) {
      const labels = isRecord(metadata.labels) ? metadata.labels : {};
      if (labels[LABEL_WATCH_FILTER] !== this.#scope.watchFilter) return allow();
    }
    if (isRecord(metadata.annotations) && ANNOTATION_PAUSED in metadata.annotations) return allow();
    const finalizers = metadata.finalizers;
    if (finalizers === undefined || finalizers === null)
      return allow([], [{ op: 'add', path: '/metadata/finalizers', value: [FINALIZER_RELEASE_ADDRESS] }]);
    if (!Array.isArray(finalizers) || finalizers.includes(FINALIZER_RELEASE_ADDRESS)) return allow();
    return allow([], [{ op: 'add', path: '/metadata/finalizers/-', value: FINALIZER_RELEASE_ADDRESS }]);
  }
}

/** Exactly the claims the controller reconciles: its own test (our group, an empty one is not; one of our kinds). */
function isOurPoolRef(ref: unknown): boolean {
  return (
    isRecord(ref) &&
    typeof ref.apiGroup === 'string' &&
    typeof ref.kind === 'string' &&
    poolIdFromRef({ apiGroup: ref.apiGroup, kind: ref.kind, name: '' }, undefined) !== undefined
  );
}
