// Event filters shared by the watches (controller-runtime's predicates): which updates are worth
// a reconcile. Our own writes that the same reconcile already accounts for are not.
import {
  ANNOTATION_PENDING_ALLOCATIONS,
  FINALIZER_RELEASE_ADDRESS,
  type ObjectMeta,
} from '@ipam-in-cluster/api';

/** Metadata without our own fence annotation: a fence write is no reason to reconcile the pool. */
export function withoutFence(m: ObjectMeta): ObjectMeta {
  if (m.annotations?.[ANNOTATION_PENDING_ALLOCATIONS] === undefined) return m;
  const { [ANNOTATION_PENDING_ALLOCATIONS]: _fence, ...annotations } = m.annotations;
  return { ...m, annotations };
}

/** Generation, deletion, labels, annotations or finalizers changed (not only our finalizer added). */
export function metaChanged(a: ObjectMeta, b: ObjectMeta): boolean {
  const fa = a.finalizers ?? [];
  const fb = b.finalizers ?? [];
  // Our own finalizer being added is followed by the rest of that same reconcile: no new pass.
  const onlyOursAdded =
    fa.length === fb.length + 1 &&
    fa.includes(FINALIZER_RELEASE_ADDRESS) &&
    !fb.includes(FINALIZER_RELEASE_ADDRESS);
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    JSON.stringify(a.labels ?? {}) !== JSON.stringify(b.labels ?? {}) ||
    JSON.stringify(a.annotations ?? {}) !== JSON.stringify(b.annotations ?? {}) ||
    (!onlyOursAdded && JSON.stringify(fa) !== JSON.stringify(fb))
  );
}
