// What the reconcilers need from the manager, as narrow interfaces: caches (the kube informers satisfy
// them), a logger, an event sink, metrics hooks. Keeps the reconcilers testable and the wiring in one
// place (manager/).
import type { ObjectMeta } from '@ipam-in-cluster/api';

/** Read side of an informer cache (kube's Informer implements it). Cached objects are read-only. */
export interface Cache<T> {
  get(namespace: string | undefined, name: string): T | undefined;
  list(namespace?: string): T[];
  byIndex(index: string, value: string, namespace?: string): T[];
  /** Puts an object this process just wrote into the cache at once (observe-own-write). */
  observe(object: T): void;
}

/** The controller's one structured logger (log/logger.ts), named here with the other needs. */
export type { Fields, Logger } from '../log/logger.js';

export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: Pick<ObjectMeta, 'name' | 'namespace' | 'uid' | 'resourceVersion'>;
}

/** Kubernetes Events (kube's EventRecorder implements it). Never throws, never blocks. */
export interface EventSink {
  normal(involved: InvolvedObject, reason: string, message: string): void;
  warning(involved: InvolvedObject, reason: string, message: string): void;
}

/** Reconciler-level measurements (the metrics registry implements it). */
export interface ReconcilerMetrics {
  /** An allocation attempt finished: seconds spent picking and creating the IPAddress. */
  allocation(poolKind: string, seconds: number, outcome: 'success' | 'failure'): void;
  /** An allocation failed for a reason (PoolExhausted, PoolNotReady, PoolNotFound, AllocationFailed, ApiError). */
  allocationFailure(poolKind: string, reason: string): void;
  /** Per-pool gauges (values capped to what a float holds; exact values are in the pool status). */
  poolUsage(
    pool: { kind: string; namespace: string; name: string },
    usage: { total: bigint; used: bigint; free: bigint; outOfRange: bigint; reserved?: bigint },
  ): void;
  poolRemoved(pool: { kind: string; namespace: string; name: string }): void;
  /** IP pools: IPAddresses held for the reuse grace period (status quarantined). */
  poolQuarantined(pool: { kind: string; namespace: string; name: string }, count: number): void;
  /** Per-pool forecast gauges; no days series unless daysToExhaustion is given. */
  poolForecast(
    pool: { kind: string; namespace: string; name: string },
    forecast: { netAllocationsPerHour: number; daysToExhaustion?: number },
  ): void;
}

export const noopMetrics: ReconcilerMetrics = {
  allocation: () => undefined,
  allocationFailure: () => undefined,
  poolUsage: () => undefined,
  poolRemoved: () => undefined,
  poolQuarantined: () => undefined,
  poolForecast: () => undefined,
};

export const noopEvents: EventSink = {
  normal: () => undefined,
  warning: () => undefined,
};
