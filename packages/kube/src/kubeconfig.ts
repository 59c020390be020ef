// Finds the kubeconfig the way controller-runtime does (--kubeconfig, KUBECONFIG, in-cluster,
// ~/.kube/config) and fails with one clear line instead of client-node's silent fallback to
// http://localhost:8080 when nothing is found.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';

export interface LoadKubeConfigOptions {
  /** --kubeconfig: a path; wins over everything else. */
  kubeconfig?: string;
  /** --context: a context name from the kubeconfig (not for in-cluster). */
  context?: string;
  /** --as: user to impersonate. */
  as?: string;
  /** --as-group: group to impersonate (needs `as`; at most one, see below). */
  asGroups?: readonly string[];
  /** For tests: the environment and home directory to look in. */
  env?: NodeJS.ProcessEnv;
  home?: string;
  serviceAccountDir?: string;
}

export type KubeConfigSource = 'flag' | 'env' | 'in-cluster' | 'home';

export interface LoadedKubeConfig {
  kubeConfig: KubeConfig;
  source: KubeConfigSource;
  /** The context's namespace, or the pod's namespace in-cluster; undefined when neither says. */
  namespace: string | undefined;
}

export class KubeConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KubeConfigError';
  }
}

const defaultServiceAccountDir = '/var/run/secrets/kubernetes.io/serviceaccount';

/** Adds Impersonate-* headers; client-node only knows a kubeconfig user's `as` and no groups. */
class ImpersonatingKubeConfig extends KubeConfig {
  impersonateUser: string | undefined;
  impersonateGroups: readonly string[] = [];

  // KubeTransport authenticates through applyToHTTPSOptions (node:https options).
  override async applyToHTTPSOptions(opts: Parameters<KubeConfig['applyToHTTPSOptions']>[0]): Promise<void> {
    await super.applyToHTTPSOptions(opts);
    const headers = ((opts as RequestOptions).headers ??= {}) as Record<string, string | string[]>;
    if (this.impersonateUser !== undefined) headers['Impersonate-User'] = this.impersonateUser;
    // One header line per group (node:http sends an array that way), as kubectl does.
    if (this.impersonateGroups.length > 0) headers['Impersonate-Group'] = [...this.impersonateGroups];
  }
}

export function loadKubeConfig(options: LoadKubeConfigOptions = {}): LoadedKubeConfig {
  const env = options.env ?? process.env;
  const saDir = options.serviceAccountDir ?? defaultServiceAccountDir;
  const groups = options.asGroups ?? [];
  if (groups.length > 0 && options.as === undefined) {
    throw new KubeConfigError('--as-group requires --as');
  }

  const kc = new ImpersonatingKubeConfig();
  let source: KubeConfigSource;
  if (options.kubeconfig !== undefined && options.kubeconfig !== '') {
    loadFile(kc, options.kubeconfig, '--kubeconfig');
    source = 'flag';
  } else if (env.KUBECONFIG !== undefined && env.KUBECONFIG !== '') {
    const files = env.KUBECONFIG.split(delimiter).filter((f) => f !== '');
    const existing = files.filter((f) => existsSync(f));
    const [first, ...rest] = existing;
    if (first === undefined) throw new KubeConfigError(`KUBECONFIG: no such file: ${files.join(delimiter)}`);
    loadFile(kc, first, 'KUBECONFIG');
    for (const file of rest) {
      const more = new KubeConfig();
      loadFile(more, file, 'KUBECONFIG');
      kc.mergeConfig(more, true);
    }
    source = 'env';
  } else if (env.KUBERNETES_SERVICE_HOST !== undefined && existsSync(join(saDir, 'token'))) {
    if (options.context !== undefined) throw new KubeConfigError('--context cannot be used in-cluster');
    kc.loadFromCluster();
    source = 'in-cluster';
  } else {
    const home = join(options.home ?? homedir(), '.kube', 'config');
    if (!existsSync(home)) {
      throw new KubeConfigError(
        'no kubeconfig found: pass --kubeconfig, set KUBECONFIG, run in a cluster, or create ~/.kube/config',
      );
    }
    loadFile(kc, home, '~/.kube/config');
    source = 'home';
  }

  if (options.context !== undefined && options.context !== '') {
    if (kc.getContextObject(options.context) === null) {
      const known = kc.getContexts().map((c) => c.name);
      throw new KubeConfigError(
        `context "${options.context}" not found in kubeconfig (known: ${known.join(', ') || 'none'})`,
      );
    }
    kc.setCurrentContext(options.context);
  }
  if (kc.getCurrentCluster() === null) {
    throw new KubeConfigError(`kubeconfig context "${kc.getCurrentContext()}" has no cluster`);
  }
  kc.impersonateUser = options.as;
  kc.impersonateGroups = groups;

  const namespace =
    source === 'in-cluster'
      ? readOptional(join(saDir, 'namespace'))
      : (kc.getContextObject(kc.getCurrentContext())?.namespace ?? undefined);
  return { kubeConfig: kc, source, namespace };
}

function loadFile(kc: KubeConfig, path: string, what: string): void {
  if (!existsSync(path)) throw new KubeConfigError(`${what}: no such file: ${path}`);
  try {
    kc.loadFromFile(path);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new KubeConfigError(`${what}: cannot read kubeconfig ${path}: ${reason}`);
  }
}

function readOptional(path: string): string | undefined {
  try {
    const value = readFileSync(path, 'utf8').trim();
    return value === '' ? undefined : value;
  } catch {
    return undefined;
  }
}
