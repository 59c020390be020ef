// Runs the manager as the binary does: diagnostics (the engine's /metrics, /healthz, /readyz
// server) first, so probes answer during start-up, then the manager. Readiness: caches synced and,
// with leader election, leading or a healthy standby (no Lease error for one lease duration).
import type { ControllerConfig } from '../config/flags.js';
import { cachesSyncedCheck, HealthChecks, startDiagnostics, type Diagnostics } from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { ControllerMetrics } from '../metrics/registry.js';
import { startManager, type Manager, type ManagerOptions } from './manager.js';

export interface Running {
  manager: Manager;
  diagnostics: Diagnostics;
  readonly done: Promise<void>;
  readonly stopReason: Manager['stopReason'];
  stop(): Promise<void>;
}

/** ManagerOptions from the parsed flags. */
export function managerOptions(
  config: ControllerConfig,
  log: Logger,
  metrics: ControllerMetrics,
): ManagerOptions {
  return {
    kubeconfig: config.kubeconfig,
    namespace: config.namespace,
    watchFilter: config.watchFilter,
    leaderElect: config.leaderElection.enabled,
    leaderElectionNamespace: config.leaderElection.namespace,
    leaderElectionId: config.leaderElection.id,
    leaseDurationMs: config.leaderElection.leaseDurationMs,
    renewDeadlineMs: config.leaderElection.renewDeadlineMs,
    retryPeriodMs: config.leaderElection.retryPeriodMs,
    claimWorkers: config.concurrency,
    poolWorkers: Math.max(1, Math.min(4, config.concurrency)),
    highUtilizationPercent: config.utilizationWarningThreshold,
    log,
    metrics,
  };
}

export async function runFromConfig(config: ControllerConfig, log: Logger): Promise<Running> {
  let manager: Manager | undefined;
  const metrics = new ControllerMetrics({ defaultMetrics: true });
  const checks = new HealthChecks();
  checks.addReadyz(
    'informer-sync',
    cachesSyncedCheck(() => manager?.synced === true),
  );
  if (config.leaderElection.enabled) {
    checks.addReadyz('leader-election', () => {
      const state = manager?.leadership();
      if (state === undefined) return { ok: false, reason: 'starting' };
      if (state.role === 'leading') return { ok: true };
      if (state.role === 'lost') return { ok: false, reason: 'leadership lost' };
      const sinceError = state.lastErrorAt === undefined ? Infinity : performance.now() - state.lastErrorAt;
      return sinceError > config.leaderElection.leaseDurationMs
        ? { ok: true }
        : { ok: false, reason: 'cannot reach the Lease' };
    });
  }
  const diagnostics = await startDiagnostics({
    probeAddress: config.healthProbeBindAddress,
    metricsAddress: config.metricsBindAddress,
    checks,
    metrics: () => metrics.render(),
    log,
  });
  try {
    manager = await startManager(managerOptions(config, log, metrics));
  } catch (error) {
    await diagnostics.close(0);
    throw error;
  }
  const mgr = manager;
  const done = mgr.done.then(() => diagnostics.close());
  return {
    manager: mgr,
    diagnostics,
    done,
    get stopReason() {
      return mgr.stopReason;
    },
    stop: async () => {
      await mgr.stop();
      await done;
    },
  };
}
