// Runs the manager as the binary does: diagnostics (the engine's /metrics, /healthz, /readyz
// server) first, so probes answer during start-up, then the webhook server (on every replica,
// independent of leader election, like controller-runtime), then the manager. Readiness: caches
// synced and, with leader election, leading or a healthy standby (no Lease error for one lease
// duration). Shutdown: the manager stops first, then the webhook server, then diagnostics.
import { ANNOTATION_FENCE_KEY } from '@ipam-in-cluster/api';
import { KubeClient, KubeTransport, loadKubeConfig, reviewAccess, reviewToken } from '@ipam-in-cluster/kube';
import { FileCertificateSource } from '../certs/file-source.js';
import { InMemoryCertificateSource } from '../certs/in-memory.js';
import { workersFor, type ControllerConfig } from '../config/flags.js';
import { MetricsAuth, type MetricsReviewer } from '../http/metrics-auth.js';
import {
  cachesSyncedCheck,
  HealthChecks,
  startDiagnostics,
  type Diagnostics,
  type SecureServing,
} from '../http/server.js';
import type { Logger } from '../log/logger.js';
import { ControllerMetrics } from '../metrics/registry.js';
import { startWebhookServer, type WebhookServerHandle } from '../webhooks/index.js';
import { COMPONENT, startManager, type Manager, type ManagerOptions } from './manager.js';

export interface Running {
  manager: Manager;
  diagnostics: Diagnostics;
  /** Undefined when webhooks are disabled (--webhook-port 0). */
  webhooks: WebhookServerHandle | undefined;
  readonly done: Promise<void>;
  readonly stopReason: Manager['stopReason'];
  stop(): Promise<void>;
}

/** ManagerOptions from the parsed flags. */
export function managerOptions(
  config: ControllerConfig,
  log: Logger,
  metrics: ControllerMetrics,
  startSignal?: AbortSignal,
): ManagerOptions {
  return {
    kubeconfig: config.kubeconfig,
    startSignal,
    namespace: config.namespace,
    watchFilter: config.watchFilter,
    leaderElect: config.leaderElection.enabled,
    leaderElectionNamespace: config.leaderElection.namespace ?? podNamespace(),
    leaderElectionId: config.leaderElection.id,
    leaseDurationMs: config.leaderElection.leaseDurationMs,
    renewDeadlineMs: config.leaderElection.renewDeadlineMs,
    retryPeriodMs: config.leaderElection.retryPeriodMs,
    ...workersFor(config.concurrency),
    highUtilizationPercent: config.utilizationWarningThreshold,
    forecastHalfLifeMs: config.forecastHalfLifeMs,
    log,
    metrics,
  };
}

/** The pod's namespace (POD_NAMESPACE, set by the chart from the downward API), if known. */
function podNamespace(): string | undefined {
  const ns = process.env.POD_NAMESPACE;
  return ns === undefined || ns === '' ? undefined : ns;
}

/**
 * Starts the webhook server for the flags (undefined with --webhook-port 0). It has its own client:
 * it serves on every replica, from before leader election until after the manager stopped. Every
 * admission answer is counted in `capi_ipam_webhook_requests_total`.
 */
export async function startWebhooks(
  config: ControllerConfig,
  log: Logger,
  metrics: ControllerMetrics,
): Promise<WebhookServerHandle | undefined> {
  const w = config.webhook;
  if (w.port === undefined) return undefined;
  const loaded = loadKubeConfig(config.kubeconfig === undefined ? {} : { kubeconfig: config.kubeconfig });
  const client = new KubeClient(new KubeTransport(loaded.kubeConfig, { userAgent: `${COMPONENT}-webhooks` }));
  let selfManaged: Parameters<typeof startWebhookServer>[0]['selfManaged'];
  if (w.certMode === 'self-managed') {
    const namespace = podNamespace() ?? loaded.namespace;
    if (namespace === undefined) {
      throw new Error(
        '--webhook-cert-mode=self-managed needs the pod namespace (POD_NAMESPACE) for the certificate Secret',
      );
    }
    selfManaged = {
      namespace,
      secretName: w.certSecret ?? '',
      serviceName: w.serviceName ?? '',
      extraDnsNames: [...w.certHosts.dnsNames],
      ipAddresses: [...w.certHosts.ipAddresses],
      ...(w.configName === undefined ? { crdNames: [] } : { webhookConfigNames: [w.configName] }),
    };
  }
  const webhookLog = log.child({ component: 'webhooks' });
  // With leader election the pending allocations on pools are the leader's: verify them with the
  // key it publishes on the Lease (a consistent read, only when a pool has pending entries).
  const lease = config.leaderElection;
  const leaseNamespace = lease.namespace ?? podNamespace() ?? loaded.namespace ?? 'default';
  const fenceKey = lease.enabled
    ? async () =>
        (await client.leases().find({ namespace: leaseNamespace, name: lease.id }))?.metadata.annotations?.[
          ANNOTATION_FENCE_KEY
        ]
    : undefined;
  const server = await startWebhookServer({
    client,
    port: w.port,
    ...(w.host === undefined ? {} : { host: w.host }),
    certDir: w.certDir,
    certName: w.certName,
    keyName: w.keyName,
    ...(selfManaged === undefined ? {} : { selfManaged }),
    overlapDetection: w.poolOverlapDetection,
    claimScope: { namespace: config.namespace, watchFilter: config.watchFilter },
    ...(fenceKey === undefined ? {} : { fenceKey }),
    tlsMinVersion: w.tlsMinVersion,
    log: webhookLog,
    onAdmission: metrics.admissionHook(),
    onConnectionRefused: (reason) => {
      metrics.webhookConnectionRefused(reason);
    },
  });
  log.info('webhook certificates', {
    mode: w.certMode,
    ...(selfManaged === undefined
      ? { certDir: w.certDir }
      : { secret: `${selfManaged.namespace}/${selfManaged.secretName}` }),
  });
  return server;
}

/** Asks the API server (10 s per review, as controller-runtime's filter). */
export function kubeMetricsReviewer(transport: KubeTransport): MetricsReviewer {
  return {
    reviewToken: async (token) => {
      const r = await reviewToken(transport, token, { timeoutMs: 10_000 });
      return r.authenticated ? { authenticated: true, user: r.user } : { authenticated: false };
    },
    reviewAccess: async (user, verb, path) => {
      const r = await reviewAccess(transport, user, { nonResource: { verb, path } }, { timeoutMs: 10_000 });
      return { allowed: r.allowed, reason: r.reason };
    },
  };
}

/**
 * HTTPS for `--diagnostics-address` (undefined with `--insecure-diagnostics` or no address): the
 * certificate from `--diagnostics-cert-dir` or made in memory, and a client of its own for the
 * TokenReviews and SubjectAccessReviews.
 */
export async function secureServing(
  config: ControllerConfig,
  log: Logger,
  metrics: ControllerMetrics,
): Promise<(SecureServing & { stop(): void }) | undefined> {
  const d = config.diagnostics;
  if (d.address === undefined || !d.secure) return undefined;
  const certLog = log.child({ component: 'diagnostics' });
  let certificates: FileCertificateSource | InMemoryCertificateSource;
  if (d.certDir === undefined) {
    certificates = InMemoryCertificateSource.start();
  } else {
    const files = new FileCertificateSource({
      dir: d.certDir,
      onError: (error) => {
        certLog.error('diagnostics certificate read failed', { error });
      },
    });
    await files.start();
    certificates = files;
  }
  const loaded = loadKubeConfig(config.kubeconfig === undefined ? {} : { kubeconfig: config.kubeconfig });
  const transport = new KubeTransport(loaded.kubeConfig, { userAgent: `${COMPONENT}-metrics-auth` });
  const auth = new MetricsAuth({
    reviewer: kubeMetricsReviewer(transport),
    onReview: (review, result) => {
      metrics.metricsAuthReview(review, result);
    },
  });
  log.info('diagnostics certificate', { source: d.certDir ?? 'self-signed in memory' });
  return {
    certificates,
    auth,
    tlsMinVersion: d.tlsMinVersion,
    stop: () => {
      certificates.stop();
    },
  };
}

export async function runFromConfig(
  config: ControllerConfig,
  log: Logger,
  startSignal?: AbortSignal,
): Promise<Running> {
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
  const secure = await secureServing(config, log, metrics);
  let diagnostics: Diagnostics;
  try {
    diagnostics = await startDiagnostics({
      probeAddress: config.healthProbeBindAddress,
      metricsAddress: config.metricsBindAddress,
      diagnosticsAddress: config.diagnostics.address,
      secure,
      checks,
      metrics: () => metrics.render(),
      log,
    });
  } catch (error) {
    secure?.stop();
    throw error;
  }
  let webhooks: WebhookServerHandle | undefined;
  try {
    webhooks = await startWebhooks(config, log, metrics);
    manager = await startManager(managerOptions(config, log, metrics, startSignal));
  } catch (error) {
    await webhooks?.stop(0);
    await diagnostics.close(0);
    secure?.stop();
    throw error;
  }
  const mgr = manager;
  const done = mgr.done
    .then(() => webhooks?.stop())
    .then(() => diagnostics.close())
    .then(() => secure?.stop());
  return {
    manager: mgr,
    diagnostics,
    webhooks,
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
