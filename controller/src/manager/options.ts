// What startManager takes and returns, and the one place its unset options get their values: the
// flags' defaults (config/flags.ts), so an in-process manager runs as the binary does.
import { LEADER_ELECTION_ID, type Contract, type ContractVersion } from '@ipam-in-cluster/api';
import { FLAG_DEFAULTS, MANAGER_DEFAULTS, workersFor } from '../config/flags.js';
import type { KubeClient, KubeTransport } from '@ipam-in-cluster/kube';
import type { ControllerMetrics } from '../metrics/registry.js';
import type { Logger } from '../reconcilers/types.js';

/** The field manager of every write, and the component of every Event and of the User-Agent. */
export const FIELD_MANAGER = 'ipam-in-cluster-controller';
export const COMPONENT = 'ipam-in-cluster-controller';

export interface ManagerOptions {
  kubeconfig?: string | undefined;
  /**
   * Aborts the start (a SIGTERM while discovery still waits for an API server that is restarting):
   * startManager then rejects instead of retrying on.
   */
  startSignal?: AbortSignal | undefined;
  /**
   * Serve one namespace only: the claim, Cluster and namespaced-pool caches hold that namespace;
   * undefined = all namespaces. The IPAddress cache always holds every namespace: a global pool's
   * IPAddresses live in many, and its allocation state, counts and ProtectPool need all of them.
   */
  namespace?: string | undefined;
  /** Only claims and pools labelled cluster.x-k8s.io/watch-filter=<value>. */
  watchFilter?: string | undefined;
  /**
   * Which IPAddresses the cache holds: 'all' (default; safe whatever created them) or 'watch-filter'
   * (only those with the watch-filter label: the ones this controller created or adopted). The
   * narrow scope saves memory and start-up time on clusters with many foreign IPAddresses, but an
   * unlabelled IPAddress pointing at one of our pools would be invisible to allocation.
   */
  ipAddressScope?: 'all' | 'watch-filter';
  leaderElect?: boolean;
  leaderElectionNamespace?: string | undefined;
  leaderElectionId?: string;
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** Parallel claim reconciles (default: --concurrency's). */
  claimWorkers?: number;
  /**
   * Claims of one pool reconciled at a time (default: half of --concurrency's workers).
   * Allocations stay serialised per pool; 1 gives upstream's strict arrival order.
   */
  poolConcurrency?: number;
  poolWorkers?: number;
  highUtilizationPercent?: number;
  /** Delay that batches pool status updates after IPAddress events. */
  poolStatusDelayMs?: number;
  /** Shortest time between two status writes of one pool in a burst. */
  poolStatusIntervalMs?: number;
  /** Half-life of the pools' forecast allocation rate (default --forecast-half-life's). */
  forecastHalfLifeMs?: number;
  shutdownTimeoutMs?: number;
  log?: Logger;
  /** Default: a fresh registry (see Manager.metrics). */
  metrics?: ControllerMetrics;
  /** Identity in the Lease (default: hostname + random suffix). */
  identity?: string;
  /**
   * The pool-edit fence (docs/adr/0009): pending allocations written to the pool before each
   * IPAddress create (default true). false = upstream's behaviour (for measurements and tests).
   */
  allocationFence?: boolean;
  /**
   * The local wall clock, epoch ms, that the API server's clock is estimated against (default:
   * monotonic). Tests skew it to show the grace period follows the server's clock (ADR 0028).
   */
  wallClock?: () => number;
}

export interface Manager {
  readonly contract: Contract;
  readonly clusterVersion: ContractVersion | undefined;
  readonly identity: string;
  readonly metrics: ControllerMetrics;
  /** Caches synced and pool states built. */
  readonly synced: boolean;
  isLeader(): boolean;
  /** Leader election state for readiness: role, and when the Lease was last unreachable (performance.now()). */
  leadership(): { role: Role; lastErrorAt: number | undefined };
  /** Resolves when this instance leads and its workers run. */
  readonly leading: Promise<void>;
  /** Resolves when the manager has stopped (stop() called or leadership lost). */
  readonly done: Promise<void>;
  /** Why it stopped, once it did. */
  readonly stopReason: 'stopped' | 'leadership-lost' | undefined;
  stop(): Promise<void>;
  /** Counters for tests and /readyz. */
  queueDepth(): { claims: number; pools: number };
}

export type ResolvedOptions = ReturnType<typeof resolveOptions>;

/** Leader election as /readyz sees it. */
export type Role = 'disabled' | 'starting' | 'leading' | 'standby' | 'lost';

/** What the API server serves (discovery.ts). */
export interface Served {
  contract: Contract;
  clusterVersion: ContractVersion | undefined;
  streamingLists: boolean;
}

/** What the manager's parts are built from (controller-runtime's Manager handed to each part). */
export interface Wiring {
  o: ResolvedOptions;
  log: Logger;
  metrics: ControllerMetrics;
  transport: KubeTransport;
  client: KubeClient;
  served: Served;
  /** This process in the Lease and in Events. */
  identity: string;
  /** The Lease's namespace when none is given. */
  kubeconfigNamespace: string | undefined;
}

/** Every setting with a value: the caller's, else the flags' default. */
export function resolveOptions(o: ManagerOptions) {
  const workers = workersFor(FLAG_DEFAULTS.concurrency);
  const nonEmpty = (s: string | undefined): string | undefined => (s === '' ? undefined : s);
  return {
    namespace: nonEmpty(o.namespace),
    watchFilter: nonEmpty(o.watchFilter),
    ipAddressScope: o.ipAddressScope ?? 'all',
    leaderElect: o.leaderElect === true,
    leaderElectionNamespace: o.leaderElectionNamespace,
    leaderElectionId: o.leaderElectionId ?? LEADER_ELECTION_ID,
    leaseDurationMs: o.leaseDurationMs ?? FLAG_DEFAULTS.leaseDurationMs,
    renewDeadlineMs: o.renewDeadlineMs ?? FLAG_DEFAULTS.renewDeadlineMs,
    retryPeriodMs: o.retryPeriodMs ?? FLAG_DEFAULTS.retryPeriodMs,
    claimWorkers: o.claimWorkers ?? workers.claimWorkers,
    poolConcurrency: o.poolConcurrency ?? workers.poolConcurrency,
    poolWorkers: o.poolWorkers ?? workers.poolWorkers,
    highUtilizationPercent: o.highUtilizationPercent ?? FLAG_DEFAULTS.utilizationWarningThreshold,
    poolStatusDelayMs: o.poolStatusDelayMs ?? MANAGER_DEFAULTS.poolStatusDelayMs,
    poolStatusIntervalMs: o.poolStatusIntervalMs ?? MANAGER_DEFAULTS.poolStatusIntervalMs,
    shutdownTimeoutMs: o.shutdownTimeoutMs ?? MANAGER_DEFAULTS.shutdownTimeoutMs,
    allocationFence: o.allocationFence !== false,
    wallClock: o.wallClock,
    forecastHalfLifeMs: o.forecastHalfLifeMs ?? FLAG_DEFAULTS.forecastHalfLifeMs,
  } as const;
}
