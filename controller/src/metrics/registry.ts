/**
 * The controller's Prometheus metrics, on a dedicated prom-client Registry (never the global one,
 * so tests and several managers in one process stay isolated).
 *
 * Naming follows the Prometheus conventions: one `capi_ipam_` prefix, base units in the name
 * (`_seconds`), `_total` only on counters, and counts of addresses in gauges named `_addresses`.
 * Pool series carry `pool_kind`, `pool_namespace` and `pool_name` labels rather than
 * `namespace`/`name`, which a ServiceMonitor would clash with its own target labels.
 *
 * Precision: Prometheus samples are float64. Pool counts are exact bigints (IPv6 pools exceed
 * 2^53, even 2^64); the gauges carry the nearest float (about 16 significant digits), which is
 * fine for dashboards and alerts. The exact values live in the pool's status.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueMetrics } from '../queue/work-queue.js';
import type { RunOutcome } from '../queue/workers.js';

/** A pool as the gauges label it (namespace '' for the cluster-scoped Global kinds). */
export interface PoolLabels {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
}

/** Exact pool usage as the pool controller computes it. */
export interface PoolUsage {
  readonly total: bigint;
  readonly used: bigint;
  readonly free: bigint;
  readonly outOfRange: bigint;
  /** IP pools: addresses held by IPAddressReservations (docs/adr/0030-reservations.md). */
  readonly reserved?: bigint;
}

/** Options of {@link ControllerMetrics}. */
export interface ControllerMetricsOptions {
  /** Metric name prefix; default `capi_ipam_`. */
  readonly prefix?: string;
  /** Also collect the Node.js process metrics (`process_*`, `nodejs_*`); default false. */
  readonly defaultMetrics?: boolean;
}

// Buckets: reconciles like controller-runtime's; queue times like client-go's (10 ns … 10 s, ×10);
// allocations are in-memory picks plus one create, so they start finer.
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];
const QUEUE_BUCKETS = Array.from({ length: 10 }, (_, i) => 1e-8 * 10 ** i);
const ALLOCATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The nearest float64 of an exact count (see the module comment). */
export function bigintToFloat(n: bigint): number {
  return Number(n);
}

/** used-in-range / total as a float in [0, 1], computed exactly before rounding; 0 for an empty pool. */
export function utilization(usage: PoolUsage): number {
  if (usage.total <= 0n) return 0;
  const inRange = usage.total - usage.free;
  const clamped = inRange < 0n ? 0n : inRange > usage.total ? usage.total : inRange;
  // Scale before dividing so ratios of 2^128-sized numbers keep their precision.
  return Number((clamped * 1_000_000_000n) / usage.total) / 1e9;
}

/**
 * ControllerMetrics owns the registry and every metric of the controller. Its methods are the
 * hooks the engine calls (queue, worker loop, allocation state, informers, leader election).
 */
export class ControllerMetrics {
  readonly registry: Registry;
  readonly prefix: string;

  readonly #reconcileTotal: Counter<'controller' | 'result'>;
  readonly #reconcileErrors: Counter<'controller'>;
  readonly #reconcileDuration: Histogram<'controller'>;
  readonly #queueDepth: Gauge<'name'>;
  readonly #queueAdds: Counter<'name'>;
  readonly #queueLatency: Histogram<'name'>;
  readonly #queueWork: Histogram<'name'>;
  readonly #queueRetries: Counter<'name'>;
  readonly #allocationDuration: Histogram<'pool_kind' | 'result'>;
  readonly #allocationFailures: Counter<'pool_kind' | 'reason'>;
  readonly #orphansReleased: Counter<'pool_kind'>;
  readonly #poolSize: Gauge<PoolLabelName>;
  readonly #poolUsed: Gauge<PoolLabelName>;
  readonly #poolFree: Gauge<PoolLabelName>;
  readonly #poolOutOfRange: Gauge<PoolLabelName>;
  readonly #poolUtilization: Gauge<PoolLabelName>;
  readonly #poolQuarantined: Gauge<PoolLabelName>;
  readonly #poolReserved: Gauge<PoolLabelName>;
  readonly #informerRestarts: Counter<'resource'>;
  readonly #informerEvents: Counter<'resource' | 'type'>;
  readonly #leaderStatus: Gauge<'name'>;
  readonly #webhookRequests: Counter<'webhook' | 'operation' | 'code'>;
  readonly #webhookConnectionsRefused: Counter<'reason'>;
  readonly #eventsDropped: Counter<'type' | 'reason' | 'limit'>;
  readonly #metricsAuthReviews: Counter<'review' | 'result'>;
  readonly #poolRate: Gauge<PoolLabelName>;
  readonly #poolDaysToExhaustion: Gauge<PoolLabelName>;

  constructor(options: ControllerMetricsOptions = {}) {
    const p = options.prefix ?? 'capi_ipam_';
    this.prefix = p;
    const registers = [(this.registry = new Registry())];
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry });

    this.#reconcileTotal = new Counter({
      name: `${p}reconcile_total`,
      help: 'Reconciles per controller and result (success, requeue_after, error, terminal_error).',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.#reconcileErrors = new Counter({
      name: `${p}reconcile_errors_total`,
      help: 'Reconciles that returned an error (retried or terminal), per controller.',
      labelNames: ['controller'],
      registers,
    });
    this.#reconcileDuration = new Histogram({
      name: `${p}reconcile_duration_seconds`,
      help: 'Time per reconcile, per controller.',
      labelNames: ['controller'],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.#queueDepth = new Gauge({
      name: `${p}workqueue_depth`,
      help: 'Keys waiting in the work queue.',
      labelNames: ['name'],
      registers,
    });
    this.#queueAdds = new Counter({
      name: `${p}workqueue_adds_total`,
      help: 'Adds handled by the work queue (de-duplicated ones included).',
      labelNames: ['name'],
      registers,
    });
    this.#queueLatency = new Histogram({
      name: `${p}workqueue_queue_duration_seconds`,
      help: 'How long a key waits in the work queue before a worker takes it.',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#queueWork = new Histogram({
      name: `${p}workqueue_work_duration_seconds`,
      help: 'How long a worker holds a key.',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS,
      registers,
    });
    this.#queueRetries = new Counter({
      name: `${p}workqueue_retries_total`,
      help: 'Rate-limited re-queues (retries after errors).',
      labelNames: ['name'],
      registers,
    });
    this.#allocationDuration = new Histogram({
      name: `${p}allocation_duration_seconds`,
      help: 'Time to allocate an address for a claim, from asking the pool state to the IPAddress create answer.',
      labelNames: ['pool_kind', 'result'],
      buckets: ALLOCATION_BUCKETS,
      registers,
    });
    this.#allocationFailures = new Counter({
      name: `${p}allocation_failures_total`,
      help: 'Failed allocations by pool kind and reason (PoolExhausted, PoolNotReady, PoolNotFound, AllocationFailed, ApiError, ...).',
      labelNames: ['pool_kind', 'reason'],
      registers,
    });
    this.#orphansReleased = new Counter({
      name: `${p}orphaned_addresses_released_total`,
      help: 'IPAddresses of our pools released because their claim no longer existed (a claim deleted while its address was being created).',
      labelNames: ['pool_kind'],
      registers,
    });
    const poolGauge = (suffix: string, help: string): Gauge<PoolLabelName> =>
      new Gauge({
        name: `${p}pool_${suffix}`,
        help: `${help} Float64: exact below 2^53, nearest float above.`,
        labelNames: POOL_LABELS,
        registers,
      });
    this.#poolSize = poolGauge(
      'size_addresses',
      'Allocatable addresses (or prefixes) of the pool (status total).',
    );
    this.#poolUsed = poolGauge('used_addresses', 'IPAddresses referencing the pool (status used).');
    this.#poolFree = poolGauge('free_addresses', 'Allocatable addresses not in use (status free).');
    this.#poolOutOfRange = poolGauge(
      'out_of_range_addresses',
      'Addresses in use that the current pool spec no longer covers (status outOfRange).',
    );
    this.#poolReserved = poolGauge(
      'reserved_addresses',
      'Allocatable addresses held by IPAddressReservations and not allocated (status reserved; IP pools).',
    );
    this.#poolUtilization = poolGauge(
      'utilization_ratio',
      'Share of the allocatable addresses in use, 0..1.',
    );
    this.#poolQuarantined = poolGauge(
      'quarantined_addresses',
      "IPAddresses held for the IP pool's reuse grace period after their claim's deletion (status quarantined).",
    );
    this.#informerRestarts = new Counter({
      name: `${p}informer_restarts_total`,
      help: 'Informer (list+watch) restarts after errors or staleness, per resource.',
      labelNames: ['resource'],
      registers,
    });
    this.#informerEvents = new Counter({
      name: `${p}informer_events_total`,
      help: 'Informer events per resource and type (add, update, delete, relist).',
      labelNames: ['resource', 'type'],
      registers,
    });
    this.#leaderStatus = new Gauge({
      name: `${p}leader_election_status`,
      help: '1 while this replica holds the leader Lease, else 0.',
      labelNames: ['name'],
      registers,
    });
    this.#webhookRequests = new Counter({
      name: `${p}webhook_requests_total`,
      help: 'Admission requests answered by the webhook server, per path, operation and code (200 allowed; 400, 422, 500 denied).',
      labelNames: ['webhook', 'operation', 'code'],
      registers,
    });
    this.#webhookConnectionsRefused = new Counter({
      name: `${p}webhook_connections_refused_total`,
      help: 'Connections to the webhook port closed on arrival, per limit reached (total: every slot taken; peer: the most one remote address may hold).',
      labelNames: ['reason'],
      registers,
    });
    this.#eventsDropped = new Counter({
      name: `${p}events_dropped_total`,
      help: 'Kubernetes Events not written, per type, reason and limit (object: the per-object spam filter; budget: the shared budget for Normal events).',
      labelNames: ['type', 'reason', 'limit'],
      registers,
    });
    this.#metricsAuthReviews = new Counter({
      name: `${p}metrics_auth_reviews_total`,
      help: 'TokenReviews (review="token": authenticated, unauthenticated, error) and SubjectAccessReviews (review="access": allowed, denied, error) sent for scrapes of the HTTPS diagnostics endpoint; cached answers are not counted.',
      labelNames: ['review', 'result'],
      registers,
    });
    this.#poolRate = new Gauge({
      name: `${p}pool_allocation_rate_per_hour`,
      help: 'Net allocations (allocations minus releases) per hour, exponentially weighted (status forecast.netAllocationsPerHour, decayed to now).',
      labelNames: POOL_LABELS,
      registers,
    });
    this.#poolDaysToExhaustion = new Gauge({
      name: `${p}pool_days_to_exhaustion`,
      help: 'Days until the pool has no free address at the current rate; no series while the rate is not positive.',
      labelNames: POOL_LABELS,
      registers,
    });
  }

  /** Records one reconcile (the worker loop's onResult hook). */
  reconcile(controller: string, outcome: RunOutcome, seconds: number): void {
    this.#reconcileTotal.inc({ controller, result: outcome });
    if (outcome === 'error' || outcome === 'terminal_error') this.#reconcileErrors.inc({ controller });
    this.#reconcileDuration.observe({ controller }, seconds);
  }

  /** The hooks object for a {@link WorkQueue} named `name`. */
  queueMetrics(name: string): QueueMetrics {
    return {
      depth: (n) => {
        this.#queueDepth.set({ name }, n);
      },
      add: () => {
        this.#queueAdds.inc({ name });
      },
      latency: (s) => {
        this.#queueLatency.observe({ name }, s);
      },
      workDuration: (s) => {
        this.#queueWork.observe({ name }, s);
      },
      retry: () => {
        this.#queueRetries.inc({ name });
      },
    };
  }

  /** An allocation attempt finished after `seconds`. */
  allocation(poolKind: string, seconds: number, outcome: 'success' | 'failure'): void {
    this.#allocationDuration.observe({ pool_kind: poolKind, result: outcome }, seconds);
  }

  /** An allocation failed for `reason` (a claim Ready reason or ApiError). */
  allocationFailure(poolKind: string, reason: string): void {
    this.#allocationFailures.inc({ pool_kind: poolKind, reason });
  }

  /** An IPAddress whose claim was gone was released by the orphan repair. */
  orphanReleased(poolKind: string): void {
    this.#orphansReleased.inc({ pool_kind: poolKind });
  }

  /** Sets the pool gauges from exact counts. */
  poolUsage(pool: PoolLabels, usage: PoolUsage): void {
    const labels = poolLabels(pool);
    this.#poolSize.set(labels, bigintToFloat(usage.total));
    this.#poolUsed.set(labels, bigintToFloat(usage.used));
    this.#poolFree.set(labels, bigintToFloat(usage.free));
    this.#poolOutOfRange.set(labels, bigintToFloat(usage.outOfRange));
    this.#poolUtilization.set(labels, utilization(usage));
    if (usage.reserved !== undefined) this.#poolReserved.set(labels, bigintToFloat(usage.reserved));
  }

  /** Drops a deleted pool's series, so dashboards do not show ghosts. */
  poolRemoved(pool: PoolLabels): void {
    const labels = poolLabels(pool);
    for (const g of [
      this.#poolSize,
      this.#poolUsed,
      this.#poolFree,
      this.#poolOutOfRange,
      this.#poolUtilization,
      this.#poolQuarantined,
      this.#poolRate,
      this.#poolDaysToExhaustion,
      this.#poolReserved,
    ])
      g.remove(labels);
  }

  /** IP pools: how many of the pool's IPAddresses are quarantined (status quarantined). */
  poolQuarantined(pool: PoolLabels, count: number): void {
    this.#poolQuarantined.set(poolLabels(pool), count);
  }

  /** Sets the forecast gauges; the days series exists only while the pool is filling up. */
  poolForecast(
    pool: PoolLabels,
    forecast: { netAllocationsPerHour: number; daysToExhaustion?: number },
  ): void {
    const labels = poolLabels(pool);
    this.#poolRate.set(labels, forecast.netAllocationsPerHour);
    if (forecast.daysToExhaustion === undefined) this.#poolDaysToExhaustion.remove(labels);
    else this.#poolDaysToExhaustion.set(labels, forecast.daysToExhaustion);
  }

  informerRestart(resource: string): void {
    this.#informerRestarts.inc({ resource });
  }

  informerEvent(resource: string, type: 'add' | 'update' | 'delete' | 'relist'): void {
    this.#informerEvents.inc({ resource, type });
  }

  /** Leader election state changes (`name` is the Lease name). */
  leaderStatus(name: string, leading: boolean): void {
    this.#leaderStatus.set({ name }, leading ? 1 : 0);
  }

  /** The webhook server's `onAdmission` hook: counts each admission answer by path, operation and code. */
  admissionHook(): (answer: { path: string; operation: string; code: number }) => void {
    return ({ path, operation, code }) => {
      this.#webhookRequests.inc({ webhook: path, operation, code: String(code) });
    };
  }

  /** A connection to the webhook port closed on arrival (the server's onConnectionRefused hook). */
  webhookConnectionRefused(reason: 'total' | 'peer'): void {
    this.#webhookConnectionsRefused.inc({ reason });
  }

  /** An Event was not written because of a rate limit (the EventRecorder's onDropped hook). */
  eventDropped(type: string, reason: string, limit: string): void {
    this.#eventsDropped.inc({ type, reason, limit });
  }

  /** A review sent for a scrape of the HTTPS diagnostics endpoint (MetricsAuth's onReview hook). */
  metricsAuthReview(review: string, result: string): void {
    this.#metricsAuthReviews.inc({ review, result });
  }

  /** The exposition text and its content type, for /metrics. */
  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

type PoolLabelName = 'pool_kind' | 'pool_namespace' | 'pool_name';
const POOL_LABELS: PoolLabelName[] = ['pool_kind', 'pool_namespace', 'pool_name'];

function poolLabels(pool: PoolLabels): Record<PoolLabelName, string> {
  return { pool_kind: pool.kind, pool_namespace: pool.namespace, pool_name: pool.name };
}
