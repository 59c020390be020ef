/**
 * The controller's command line: upstream-compatible names and defaults (upstream v1.1 / v1.0,
 * controller-runtime, CAPI providers), parsed into a typed, validated {@link ControllerConfig}.
 * Every problem is reported at once, each naming the flag and the value it got.
 *
 * Compatibility notes:
 * - Metrics as upstream v1.1 (CAPI's `flags.AddManagerOptions`): `--diagnostics-address` (default
 *   `:8443`) serves /metrics over HTTPS, every scrape checked with a TokenReview and a
 *   SubjectAccessReview (`get` on `/metrics`); `--insecure-diagnostics` serves it there over plain
 *   HTTP without checks. `--diagnostics-cert-dir` (ours; upstream always self-signs) serves
 *   tls.crt/tls.key from a directory instead of a self-signed certificate made in memory.
 * - `--metrics-bind-address` (upstream v1.0) serves /metrics over plain HTTP without checks. Given
 *   alone it replaces the diagnostics endpoint (v1.0 arguments keep v1.0 behaviour); given with
 *   `--diagnostics-address` both are served.
 * - Boolean flags take Go's forms too: `--leader-elect`, `--leader-elect=true|false`.
 * - `-v`/`--v` is klog's verbosity (0 info, ≥ 1 debug); `--log-level` wins when both are given.
 */
import { isIP } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LEADER_ELECTION_ID } from '@ipam-in-cluster/api';
import { Command, CommanderError, Option } from 'commander';
import { isLogFormat, isLogLevel, levelFromVerbosity, type LogFormat, type LogLevel } from '../log/logger.js';
import { parseBindAddress, type BindAddress } from './bind-address.js';
import { formatGoDuration, parseGoDuration } from './duration.js';

/** Leader election over a coordination.k8s.io Lease. */
export interface LeaderElectionConfig {
  readonly enabled: boolean;
  /** Lease name; upstream's ID so an upstream replica and ours never lead at the same time. */
  readonly id: string;
  /** Lease namespace; undefined means the pod's namespace (in-cluster) or the kubeconfig's. */
  readonly namespace: string | undefined;
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

export interface WebhookConfig {
  /** undefined when webhooks are disabled (`--webhook-port 0`, `--webhook-bind-address 0`). */
  readonly port: number | undefined;
  /** Listen address of the webhook server; undefined means every interface. */
  readonly host: string | undefined;
  readonly certDir: string;
  readonly certName: string;
  readonly keyName: string;
  /** Minimum TLS version of the webhook server. */
  readonly tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
  /**
   * Where the serving certificate comes from: `files` (certDir/certName/keyName, reloaded on
   * change) or `self-managed` (a CA and certificate the controller keeps in a Secret, with every
   * caBundle kept current; see docs/adr/0008).
   */
  readonly certMode: 'files' | 'self-managed';
  /** Self-managed: the Secret (in the pod namespace) holding the CA and serving certificate. */
  readonly certSecret: string | undefined;
  /** Self-managed: the webhook Service; SANs NAME.NS.svc and NAME.NS.svc.cluster.local. */
  readonly serviceName: string | undefined;
  /** Self-managed: the Validating/MutatingWebhookConfiguration name whose caBundle is kept current. */
  readonly configName: string | undefined;
  /** Self-managed: extra SANs (IP addresses and DNS names), e.g. for a controller outside the cluster. */
  readonly certHosts: { readonly ipAddresses: readonly string[]; readonly dnsNames: readonly string[] };
  /** Admission warnings when a pool overlaps another pool of the same kind and scope. */
  readonly poolOverlapDetection: boolean;
}

/** /metrics on the diagnostics address (upstream v1.1). */
export interface DiagnosticsConfig {
  /** `--diagnostics-address`; undefined when disabled. */
  readonly address: BindAddress | undefined;
  /** HTTPS with TokenReview + SubjectAccessReview; false with `--insecure-diagnostics`. */
  readonly secure: boolean;
  /** tls.crt and tls.key in this directory (reloaded on change); undefined: self-signed in memory. */
  readonly certDir: string | undefined;
  /** Minimum TLS version (`--tls-min-version`, shared with the webhook server). */
  readonly tlsMinVersion: 'TLSv1.2' | 'TLSv1.3';
}

/** Everything the flags decide, validated. */
export interface ControllerConfig {
  readonly kubeconfig: string | undefined;
  /** Watch only this namespace; undefined means all namespaces. */
  readonly namespace: string | undefined;
  /** Only objects labelled cluster.x-k8s.io/watch-filter=<value>; undefined means no filter. */
  readonly watchFilter: string | undefined;
  readonly leaderElection: LeaderElectionConfig;
  /** /healthz and /readyz; undefined when disabled. */
  readonly healthProbeBindAddress: BindAddress | undefined;
  /** /metrics over plain HTTP without checks (`--metrics-bind-address`); undefined when not given. */
  readonly metricsBindAddress: BindAddress | undefined;
  /** /metrics on `--diagnostics-address`. */
  readonly diagnostics: DiagnosticsConfig;
  readonly webhook: WebhookConfig;
  /** Parallel reconciles per controller (claims of one pool are still allocated in order). */
  readonly concurrency: number;
  /** Percent of a pool in use from which the pool gets a warning condition and Event. */
  readonly utilizationWarningThreshold: number;
  readonly log: { readonly level: LogLevel; readonly format: LogFormat };
  /** Half-life of the pools' forecast allocation rate (docs/adr/0031). */
  readonly forecastHalfLifeMs: number;
}

export type FlagParseResult =
  | { readonly ok: true; readonly config: ControllerConfig }
  /** exitCode 0 with no errors: --help was printed. */
  | { readonly ok: false; readonly exitCode: number; readonly errors: readonly string[] };

/** Defaults, in one place (also shown by --help). */
export const FLAG_DEFAULTS = {
  healthProbeBindAddress: ':8081',
  diagnosticsAddress: ':8443',
  webhookPort: 9443,
  webhookCertDir: join(tmpdir(), 'k8s-webhook-server', 'serving-certs'),
  webhookCertName: 'tls.crt',
  webhookKeyName: 'tls.key',
  webhookCertMode: 'files',
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
  concurrency: 32,
  utilizationWarningThreshold: 90,
  logLevel: 'info',
  logFormat: 'json',
  forecastHalfLifeMs: 6 * 3_600_000,
} as const;

/** The manager's settings that have no flag (in-process managers and the binary alike). */
export const MANAGER_DEFAULTS = {
  /** 500 ms: a pool's status is written half a second after a change in a quiet pool. */
  poolStatusDelayMs: 500,
  /** 2 s: in a burst, one status write per pool every two seconds (docs/performance.md, session 15). */
  poolStatusIntervalMs: 2000,
  /** Bound on draining in-flight reconciles at shutdown. */
  shutdownTimeoutMs: 10_000,
  /** Longest pause between attempts of the new leader's consistent IPAddress read. */
  leaderReadMaxRetryMs: 5_000,
} as const;

/**
 * The workers `--concurrency` gives: that many claim workers, half of them allowed on one pool
 * (a burst on one pool still overlaps its API calls and the other half stays free for other
 * pools), and up to 4 pool workers.
 */
export function workersFor(concurrency: number): {
  claimWorkers: number;
  poolConcurrency: number;
  poolWorkers: number;
} {
  return {
    claimWorkers: concurrency,
    poolConcurrency: Math.max(1, Math.ceil(concurrency / 2)),
    poolWorkers: Math.max(1, Math.min(4, concurrency)),
  };
}

/** Output sinks for --help and commander's own messages (injectable for tests). */
export interface FlagOutput {
  readonly writeOut: (s: string) => void;
  readonly writeErr: (s: string) => void;
}

/** The commander definition (no parsing); exported for --help rendering and docs. */
export function flagsCommand(output?: FlagOutput): Command {
  const d = FLAG_DEFAULTS;
  const cmd = new Command('ipam-controller')
    .description(
      'Cluster API IPAM provider for in-cluster IP pools (drop-in for cluster-api-ipam-provider-in-cluster).',
    )
    .helpOption('-h, --help', 'show this help')
    .option(
      '--kubeconfig <path>',
      'kubeconfig file; only for running outside the cluster (default: KUBECONFIG, in-cluster config, ~/.kube/config)',
    )
    .option(
      '--namespace <name>',
      'serve only claims and pools of this namespace; IPAddresses are still watched in every namespace, as global pools span them (default: all namespaces)',
    )
    .option(
      '--watch-filter <value>',
      'only reconcile objects labelled cluster.x-k8s.io/watch-filter=<value> (default: no filter)',
    )
    .option(
      '--leader-elect [bool]',
      'elect a leader over a Lease so one replica allocates at a time (true|false)',
    )
    .option(
      '--leader-elect-namespace <name>',
      "namespace of the leader election Lease (default: the pod's namespace)",
    )
    .addOption(
      new Option('--leader-election-namespace <name>', 'alias of --leader-elect-namespace').hideHelp(),
    )
    .option(
      '--leader-elect-lease-duration <duration>',
      'how long followers wait before taking over a Lease that is not renewed',
      formatGoDuration(d.leaseDurationMs),
    )
    .option(
      '--leader-elect-renew-deadline <duration>',
      'how long the leader keeps retrying to renew before it gives up leadership',
      formatGoDuration(d.renewDeadlineMs),
    )
    .option(
      '--leader-elect-retry-period <duration>',
      'interval between leader election attempts',
      formatGoDuration(d.retryPeriodMs),
    )
    .option(
      '--health-probe-bind-address <addr>',
      'address of /healthz and /readyz ("0" disables)',
      d.healthProbeBindAddress,
    )
    .option(
      '--diagnostics-address <addr>',
      `address of /metrics over HTTPS; every scrape needs a bearer token allowed to "get" the non-resource URL /metrics (TokenReview + SubjectAccessReview) ("0" disables) (default: "${d.diagnosticsAddress}", or none when only --metrics-bind-address is given)`,
    )
    .option(
      '--insecure-diagnostics [bool]',
      'serve --diagnostics-address over plain HTTP without authentication or authorisation (true|false)',
    )
    .option(
      '--diagnostics-cert-dir <dir>',
      'directory with tls.crt and tls.key for --diagnostics-address (reloaded on change) (default: a self-signed certificate made in memory)',
    )
    .option(
      '--metrics-bind-address <addr>',
      'address of /metrics over plain HTTP without checks (upstream v1.0); given alone it replaces --diagnostics-address ("0" disables)',
    )
    .option(
      '--webhook-port <port>',
      'port of the admission and conversion webhook server, served on every replica ("0" disables webhooks)',
      String(d.webhookPort),
    )
    .option(
      '--webhook-bind-address <addr>',
      'address of the webhook server, host:port (e.g. the pod IP, [$(POD_IP)]:9443); its port wins over --webhook-port ("0" disables webhooks; default: every interface, --webhook-port)',
    )
    .option(
      '--webhook-cert-dir <dir>',
      'directory with the webhook serving certificate (files mode; reloaded on change)',
      d.webhookCertDir,
    )
    .option('--webhook-cert-name <file>', 'certificate file name in --webhook-cert-dir', d.webhookCertName)
    .option('--webhook-key-name <file>', 'key file name in --webhook-cert-dir', d.webhookKeyName)
    .option(
      '--webhook-cert-mode <mode>',
      'files (certificate from --webhook-cert-dir) or self-managed (the controller keeps a CA and certificate in --webhook-cert-secret and every caBundle current)',
      d.webhookCertMode,
    )
    .option(
      '--webhook-cert-secret <name>',
      'self-managed: Secret in the pod namespace (POD_NAMESPACE) holding the CA and serving certificate',
    )
    .option(
      '--webhook-service-name <name>',
      'self-managed: the webhook Service; the certificate covers NAME.NS.svc and NAME.NS.svc.cluster.local',
    )
    .option(
      '--webhook-config-name <name>',
      "self-managed: name of the Validating/MutatingWebhookConfiguration whose caBundle is kept current (the IP pool CRDs' conversion webhook too)",
    )
    .option(
      '--webhook-cert-hosts <hosts>',
      'self-managed: extra comma-separated SANs, IP addresses or DNS names (a controller outside the cluster reached by URL)',
    )
    .option(
      '--pool-overlap-detection [bool]',
      'warn (admission warning) when a pool overlaps another pool of the same kind and scope (true|false)',
    )
    .option(
      '--tls-min-version <version>',
      'minimum TLS version of the webhook server and the HTTPS diagnostics endpoint (VersionTLS12|VersionTLS13)',
      'VersionTLS12',
    )
    .option(
      '--concurrency <n>',
      'parallel reconciles per controller; claims of one pool are still allocated one at a time, in order',
      String(d.concurrency),
    )
    .option(
      '--utilization-warning-threshold <percent>',
      'pool usage (percent of total) from which a warning condition and Event are raised',
      String(d.utilizationWarningThreshold),
    )
    .option('--log-level <level>', 'error|warn|info|debug (overrides -v)')
    .option('-v, --v <level>', 'klog-style verbosity: 0 = info, 1 or more = debug', '0')
    .option('--log-format <format>', 'json (one object per line) or text (for humans)', d.logFormat)
    .option(
      '--forecast-half-life <duration>',
      "half-life of the pools' allocation rate behind status.forecast (days to exhaustion)",
      formatGoDuration(d.forecastHalfLifeMs),
    )
    .exitOverride()
    .allowExcessArguments(false);
  if (output !== undefined) cmd.configureOutput({ writeOut: output.writeOut, writeErr: output.writeErr });
  return cmd;
}

type Raw = Readonly<Record<string, string | boolean | undefined>>;

/** Collects problems instead of stopping at the first. */
class Problems {
  readonly list: string[] = [];

  add(flag: string, value: string, why: string): void {
    this.list.push(`invalid value ${JSON.stringify(value)} for --${flag}: ${why}`);
  }
}

function str(raw: Raw, key: string): string | undefined {
  const v = raw[key];
  return typeof v === 'string' ? v : undefined;
}

function bool(raw: Raw, key: string, flag: string, p: Problems): boolean {
  const v = raw[key];
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  // Go's strconv.ParseBool forms.
  if (['1', 't', 'T', 'true', 'TRUE', 'True'].includes(v)) return true;
  if (['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v)) return false;
  p.add(flag, v, 'must be true or false');
  return false;
}

function int(raw: Raw, key: string, flag: string, min: number, max: number, p: Problems): number {
  const v = str(raw, key) ?? '';
  const text = v.startsWith('=') ? v.slice(1) : v; // `-v=2` reaches us as "=2"
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    p.add(flag, v, `must be a whole number between ${String(min)} and ${String(max)}`);
    return min;
  }
  return Number(text);
}

function duration(raw: Raw, key: string, flag: string, p: Problems): number {
  const v = str(raw, key) ?? '';
  const ms = parseGoDuration(v);
  if (ms === undefined || ms <= 0) {
    p.add(flag, v, 'must be a positive duration such as 15s, 1m30s or 500ms');
    return 1;
  }
  return ms;
}

function bind(raw: Raw, key: string, flag: string, p: Problems): BindAddress | undefined {
  const v = str(raw, key) ?? '';
  const r = parseBindAddress(v);
  if (!r.ok) {
    p.add(flag, v, r.error);
    return undefined;
  }
  return r.value;
}

function nonEmpty(raw: Raw, key: string): string | undefined {
  const v = str(raw, key);
  return v === undefined || v === '' ? undefined : v;
}

/** Checks and converts the raw option values; returns the config or every problem. */
export function configFromOptions(raw: Raw): FlagParseResult {
  const p = new Problems();

  const nsA = nonEmpty(raw, 'leaderElectNamespace');
  const nsB = nonEmpty(raw, 'leaderElectionNamespace');
  if (nsA !== undefined && nsB !== undefined && nsA !== nsB)
    p.add('leader-election-namespace', nsB, `conflicts with --leader-elect-namespace ${JSON.stringify(nsA)}`);
  const leaderElection: LeaderElectionConfig = {
    enabled: bool(raw, 'leaderElect', 'leader-elect', p),
    id: LEADER_ELECTION_ID,
    namespace: nsA ?? nsB,
    leaseDurationMs: duration(raw, 'leaderElectLeaseDuration', 'leader-elect-lease-duration', p),
    renewDeadlineMs: duration(raw, 'leaderElectRenewDeadline', 'leader-elect-renew-deadline', p),
    retryPeriodMs: duration(raw, 'leaderElectRetryPeriod', 'leader-elect-retry-period', p),
  };
  // client-go's rules: leaseDuration > renewDeadline > retryPeriod × 1.2 (its jitter factor).
  if (p.list.length === 0 && leaderElection.leaseDurationMs <= leaderElection.renewDeadlineMs) {
    p.add(
      'leader-elect-lease-duration',
      formatGoDuration(leaderElection.leaseDurationMs),
      'must be greater than --leader-elect-renew-deadline',
    );
  }
  if (p.list.length === 0 && leaderElection.renewDeadlineMs <= leaderElection.retryPeriodMs * 1.2) {
    p.add(
      'leader-elect-renew-deadline',
      formatGoDuration(leaderElection.renewDeadlineMs),
      'must be greater than 1.2 × --leader-elect-retry-period',
    );
  }

  // Metrics: --diagnostics-address (default :8443) unless only --metrics-bind-address is given.
  const diagnosticsRaw = str(raw, 'diagnosticsAddress');
  const metricsRaw = str(raw, 'metricsBindAddress');
  const metricsBindAddress =
    metricsRaw === undefined ? undefined : bind(raw, 'metricsBindAddress', 'metrics-bind-address', p);
  const diagnosticsAddress =
    diagnosticsRaw === undefined && metricsRaw !== undefined
      ? undefined
      : bind({ d: diagnosticsRaw ?? FLAG_DEFAULTS.diagnosticsAddress }, 'd', 'diagnostics-address', p);
  if (
    diagnosticsAddress !== undefined &&
    metricsBindAddress !== undefined &&
    diagnosticsAddress.port !== 0 &&
    diagnosticsAddress.port === metricsBindAddress.port &&
    diagnosticsAddress.host === metricsBindAddress.host
  ) {
    p.add(
      'metrics-bind-address',
      metricsRaw ?? '',
      `is the same address as --diagnostics-address ${JSON.stringify(diagnosticsRaw ?? FLAG_DEFAULTS.diagnosticsAddress)}; give one of them`,
    );
  }
  const insecureDiagnostics = bool(raw, 'insecureDiagnostics', 'insecure-diagnostics', p);
  const diagnosticsCertDir = nonEmpty(raw, 'diagnosticsCertDir');
  const probeRaw = str(raw, 'healthProbeBindAddress') ?? '';
  const probe = parseBindAddress(probeRaw);
  if (
    !insecureDiagnostics &&
    probe.ok &&
    probe.value !== undefined &&
    diagnosticsAddress !== undefined &&
    probe.value.port !== 0 &&
    probe.value.port === diagnosticsAddress.port &&
    probe.value.host === diagnosticsAddress.host
  ) {
    p.add(
      'diagnostics-address',
      diagnosticsRaw ?? FLAG_DEFAULTS.diagnosticsAddress,
      `serves HTTPS and cannot share --health-probe-bind-address ${JSON.stringify(probeRaw)} (plain HTTP)`,
    );
  }

  let webhookPort = int(raw, 'webhookPort', 'webhook-port', 0, 65535, p);
  let webhookHost: string | undefined;
  // --webhook-bind-address carries the port too, and wins over --webhook-port.
  if (str(raw, 'webhookBindAddress') !== undefined) {
    const bound = bind(raw, 'webhookBindAddress', 'webhook-bind-address', p);
    const boundPort = bound?.port ?? 0;
    webhookPort = boundPort;
    webhookHost = bound?.host;
  }
  const tls = str(raw, 'tlsMinVersion') ?? '';
  const tlsMinVersion = tls === 'VersionTLS12' ? 'TLSv1.2' : tls === 'VersionTLS13' ? 'TLSv1.3' : undefined;
  if (tlsMinVersion === undefined) p.add('tls-min-version', tls, 'must be VersionTLS12 or VersionTLS13');

  const certModeRaw = str(raw, 'webhookCertMode') ?? FLAG_DEFAULTS.webhookCertMode;
  const certMode = certModeRaw === 'files' || certModeRaw === 'self-managed' ? certModeRaw : undefined;
  if (certMode === undefined) p.add('webhook-cert-mode', certModeRaw, 'must be files or self-managed');
  const certSecret = nonEmpty(raw, 'webhookCertSecret');
  const serviceName = nonEmpty(raw, 'webhookServiceName');
  const configName = nonEmpty(raw, 'webhookConfigName');
  const hostsRaw = str(raw, 'webhookCertHosts') ?? '';
  const certHosts = { ipAddresses: [] as string[], dnsNames: [] as string[] };
  for (const host of hostsRaw
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '')) {
    const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
    if (isIP(bare) !== 0) certHosts.ipAddresses.push(bare);
    else if (/^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(bare))
      certHosts.dnsNames.push(bare.toLowerCase());
    else p.add('webhook-cert-hosts', host, 'must be a comma-separated list of IP addresses and DNS names');
  }
  if (certMode === 'self-managed' && webhookPort !== 0) {
    if (certSecret === undefined)
      p.add('webhook-cert-secret', '', 'is required with --webhook-cert-mode=self-managed');
    if (serviceName === undefined)
      p.add('webhook-service-name', '', 'is required with --webhook-cert-mode=self-managed');
  }
  const poolOverlapDetection = bool(raw, 'poolOverlapDetection', 'pool-overlap-detection', p);

  const levelRaw = str(raw, 'logLevel');
  if (levelRaw !== undefined && !isLogLevel(levelRaw))
    p.add('log-level', levelRaw, 'must be one of error, warn, info, debug');
  const verbosity = int(raw, 'v', 'v', 0, 10, p);
  const format = str(raw, 'logFormat') ?? '';
  if (!isLogFormat(format)) p.add('log-format', format, 'must be json or text');

  const config: ControllerConfig = {
    kubeconfig: nonEmpty(raw, 'kubeconfig'),
    namespace: nonEmpty(raw, 'namespace'),
    watchFilter: nonEmpty(raw, 'watchFilter'),
    leaderElection,
    healthProbeBindAddress: bind(raw, 'healthProbeBindAddress', 'health-probe-bind-address', p),
    metricsBindAddress,
    diagnostics: {
      address: diagnosticsAddress,
      secure: !insecureDiagnostics,
      certDir: diagnosticsCertDir,
      tlsMinVersion: tlsMinVersion ?? 'TLSv1.2',
    },
    webhook: {
      port: webhookPort === 0 ? undefined : webhookPort,
      host: webhookHost,
      certDir: nonEmpty(raw, 'webhookCertDir') ?? FLAG_DEFAULTS.webhookCertDir,
      certName: nonEmpty(raw, 'webhookCertName') ?? FLAG_DEFAULTS.webhookCertName,
      keyName: nonEmpty(raw, 'webhookKeyName') ?? FLAG_DEFAULTS.webhookKeyName,
      tlsMinVersion: tlsMinVersion ?? 'TLSv1.2',
      certMode: certMode ?? 'files',
      certSecret,
      serviceName,
      configName,
      certHosts,
      poolOverlapDetection,
    },
    concurrency: int(raw, 'concurrency', 'concurrency', 1, 1000, p),
    utilizationWarningThreshold: int(
      raw,
      'utilizationWarningThreshold',
      'utilization-warning-threshold',
      1,
      100,
      p,
    ),
    log: {
      level: levelRaw !== undefined && isLogLevel(levelRaw) ? levelRaw : levelFromVerbosity(verbosity),
      format: isLogFormat(format) ? format : 'json',
    },
    forecastHalfLifeMs: duration(raw, 'forecastHalfLife', 'forecast-half-life', p),
  };
  return p.list.length > 0 ? { ok: false, exitCode: 2, errors: p.list } : { ok: true, config };
}

/**
 * Parses the controller's arguments (without node and script: `process.argv.slice(2)`).
 * Never exits the process: --help and usage errors come back as `{ ok: false, exitCode }`.
 */
export function parseFlags(argv: readonly string[], output?: FlagOutput): FlagParseResult {
  const cmd = flagsCommand(output ?? { writeOut: () => undefined, writeErr: () => undefined });
  try {
    cmd.parse([...argv], { from: 'user' });
  } catch (error: unknown) {
    if (error instanceof CommanderError) {
      const help = error.code === 'commander.helpDisplayed' || error.code === 'commander.help';
      return {
        ok: false,
        exitCode: help ? 0 : 2,
        errors: help ? [] : [error.message.replace(/^error: /, '')],
      };
    }
    throw error;
  }
  return configFromOptions(cmd.opts<Raw>());
}
