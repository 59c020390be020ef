// Command-line flags: upstream's names and defaults (§13.1) plus ours. Pure: parseFlags(argv) returns
// the options or throws a CommanderError (exit code and message) for bad input.
import { Command, InvalidArgumentError, Option } from 'commander';
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from '../log/logger.js';

export interface Flags {
  kubeconfig: string | undefined;
  namespace: string | undefined;
  watchFilter: string | undefined;
  leaderElect: boolean;
  leaderElectionNamespace: string | undefined;
  leaderElectionId: string | undefined;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  webhookPort: number;
  webhookCertDir: string | undefined;
  claimWorkers: number;
  poolWorkers: number;
  highUtilizationThreshold: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  shutdownTimeoutSeconds: number;
}

function int(min: number, max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number');
    const n = Number(value);
    if (n < min || n > max) throw new InvalidArgumentError(`must be between ${min} and ${max}`);
    return n;
  };
}

export function flagsCommand(): Command {
  return new Command('ipam-in-cluster-controller')
    .description(
      'Cluster API IPAM provider for in-cluster IP pools (drop-in for cluster-api-ipam-provider-in-cluster)',
    )
    .option('--kubeconfig <path>', 'kubeconfig file (default: KUBECONFIG, in-cluster, ~/.kube/config)')
    .option('--namespace <name>', 'watch and serve only this namespace (default: all namespaces)')
    .option(
      '--watch-filter <value>',
      `only reconcile claims and pools labelled cluster.x-k8s.io/watch-filter=<value>`,
    )
    .option('--leader-elect', 'elect a leader on a Lease so only one replica allocates', false)
    .option(
      '--leader-election-namespace <name>',
      'namespace of the Lease (default: the pod namespace, else the kubeconfig context namespace, else "default")',
    )
    .addOption(new Option('--leader-election-id <name>', 'Lease name').default(undefined).hideHelp())
    .option('--health-probe-bind-address <addr>', 'address of /healthz and /readyz ("0" disables)', ':8081')
    .option('--metrics-bind-address <addr>', 'address of /metrics, plain HTTP ("0" disables)', ':8080')
    .addOption(
      new Option(
        '--diagnostics-address <addr>',
        'alias of --metrics-bind-address (upstream v1.1 name)',
      ).hideHelp(),
    )
    .addOption(
      new Option('--insecure-diagnostics', 'accepted for compatibility; metrics are plain HTTP').hideHelp(),
    )
    .option(
      '--webhook-port <port>',
      'webhook server port; 0 disables webhooks (serving webhooks is not implemented yet: any value is accepted and nothing is served)',
      int(0, 65535),
      9443,
    )
    .option(
      '--webhook-cert-dir <dir>',
      'webhook serving certificate directory (reserved for the webhook server)',
    )
    .option(
      '--claim-workers <n>',
      'parallel claim reconciles (claims of one pool are allocated one at a time)',
      int(1, 1000),
      8,
    )
    .option('--pool-workers <n>', 'parallel pool status reconciles', int(1, 1000), 4)
    .option(
      '--high-utilization-threshold <percent>',
      'pool HighUtilization condition threshold, percent of total',
      int(1, 100),
      90,
    )
    .addOption(new Option('--log-level <level>', 'log level').choices(LOG_LEVELS).default('info'))
    .addOption(
      new Option('--log-format <format>', 'log format: json lines or text')
        .choices(LOG_FORMATS)
        .default('json'),
    )
    .option(
      '--shutdown-timeout <seconds>',
      'how long SIGTERM waits for in-flight reconciles',
      int(0, 3600),
      10,
    )
    .exitOverride()
    .configureOutput({ writeOut: (s) => process.stdout.write(s), writeErr: (s) => process.stderr.write(s) });
}

interface Raw {
  kubeconfig?: string;
  namespace?: string;
  watchFilter?: string;
  leaderElect: boolean;
  leaderElectionNamespace?: string;
  leaderElectionId?: string;
  healthProbeBindAddress: string;
  metricsBindAddress: string;
  diagnosticsAddress?: string;
  webhookPort: number;
  webhookCertDir?: string;
  claimWorkers: number;
  poolWorkers: number;
  highUtilizationThreshold: number;
  logLevel: LogLevel;
  logFormat: LogFormat;
  shutdownTimeout: number;
}

/** Parses argv (without node and script). Throws CommanderError on --help, --version or bad input. */
export function parseFlags(argv: readonly string[], command: Command = flagsCommand()): Flags {
  command.parse([...argv], { from: 'user' });
  const o = command.opts<Raw>();
  return {
    kubeconfig: o.kubeconfig,
    namespace: o.namespace === '' ? undefined : o.namespace,
    watchFilter: o.watchFilter === '' ? undefined : o.watchFilter,
    leaderElect: o.leaderElect,
    leaderElectionNamespace: o.leaderElectionNamespace,
    leaderElectionId: o.leaderElectionId,
    healthProbeBindAddress: o.healthProbeBindAddress,
    metricsBindAddress: o.diagnosticsAddress ?? o.metricsBindAddress,
    webhookPort: o.webhookPort,
    webhookCertDir: o.webhookCertDir,
    claimWorkers: o.claimWorkers,
    poolWorkers: o.poolWorkers,
    highUtilizationThreshold: o.highUtilizationThreshold,
    logLevel: o.logLevel,
    logFormat: o.logFormat,
    shutdownTimeoutSeconds: o.shutdownTimeout,
  };
}

/** ":8081" -> {host: undefined, port: 8081}; "127.0.0.1:0" -> {host, port 0}; "0" or "" -> disabled. */
export function parseBindAddress(address: string): { host: string | undefined; port: number } | undefined {
  if (address === '' || address === '0') return undefined;
  const colon = address.lastIndexOf(':');
  const host = colon <= 0 ? undefined : address.slice(0, colon).replace(/^\[|\]$/g, '');
  const portText = colon === -1 ? address : address.slice(colon + 1);
  if (!/^\d+$/.test(portText)) throw new Error(`invalid bind address ${JSON.stringify(address)}`);
  const port = Number(portText);
  if (port > 65535) throw new Error(`invalid bind address ${JSON.stringify(address)}`);
  return { host, port };
}
