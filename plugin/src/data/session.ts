// The plugin's only door to the cluster: everything goes through packages/kube (KubeClient on one
// transport). Reads return wire objects for buildInventory; writes carry preconditions.
import {
  POOL_KIND_INFO,
  POOL_KINDS,
  chooseContract,
  type Contract,
  type IPAddressClaimWire,
  type IPAddressWire,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import {
  KubeClient,
  KubeTransport,
  classifyApiError,
  discoverServedResources,
  loadKubeConfig,
  type ServedResources,
} from '@ipam-in-cluster/kube';
import '../cli/kube-errors.js';
import { CliError, ExitCode, toCliError } from '../cli/errors.js';
import type { Inventory } from './model.js';
import { buildInventory } from './snapshot.js';

export const USER_AGENT = 'kubectl-ipam/0.1.0';

/**
 * Lists are served from the API server's watch cache (resourceVersion "0"): no etcd round trip, at
 * most a moment stale, which is what a display needs. Release re-reads the object before writing.
 */
const LIST_RV = '0';

export interface SessionOptions {
  readonly kubeconfig?: string | undefined;
  readonly context?: string | undefined;
  /** --as: impersonate this user. */
  readonly as?: string | undefined;
  readonly asGroups?: readonly string[] | undefined;
  /** -n; falls back to the context's namespace, then "default". */
  readonly namespace?: string | undefined;
}

export interface Session {
  readonly client: KubeClient;
  readonly transport: KubeTransport;
  /** Current context name (after --context). */
  readonly context: string;
  /** -n, else the context's namespace, else "default". */
  readonly namespace: string;
  readonly namespaceFromFlag: boolean;
  readonly contract: Contract;
  readonly served: ServedResources;
  /** Who we act as, for Event messages: the --as user when impersonating. */
  readonly actingAs: string | undefined;
}

/** Loads the kubeconfig, asks discovery once, and picks the Cluster API contract version. */
export async function openSession(options: SessionOptions): Promise<Session> {
  const loaded = (() => {
    try {
      return loadKubeConfig({
        kubeconfig: options.kubeconfig,
        context: options.context,
        as: options.as,
        asGroups: options.asGroups ?? [],
      });
    } catch (error) {
      throw toCliError(error);
    }
  })();
  const transport = new KubeTransport(loaded.kubeConfig, { userAgent: USER_AGENT, requestTimeoutMs: 60_000 });
  let served: ServedResources;
  try {
    served = await discoverServedResources(transport);
  } catch (error) {
    throw toCliError(
      error,
      `talk to the API server at ${loaded.kubeConfig.getCurrentCluster()?.server ?? '?'}`,
    );
  }
  const chosen = chooseContract(served.contractVersions);
  if (!chosen.ok) {
    throw new CliError(
      ExitCode.Error,
      'Cluster API IPAM types (IPAddressClaim, IPAddress) are not served by this cluster',
      {
        hint: chosen.error.message,
      },
    );
  }
  return {
    client: new KubeClient(transport),
    transport,
    context: loaded.kubeConfig.getCurrentContext(),
    namespace: options.namespace ?? loaded.namespace ?? 'default',
    namespaceFromFlag: options.namespace !== undefined,
    contract: chosen.value,
    served,
    actingAs: options.as,
  };
}

export interface ReadScope {
  /** Namespace of namespaced pools; ignored with allNamespaces. */
  readonly namespace: string;
  readonly allNamespaces: boolean;
}

export interface WireObjects {
  readonly pools: Pool[];
  readonly addresses: IPAddressWire[];
  readonly claims: IPAddressClaimWire[];
  readonly warnings: string[];
}

async function listPools(session: Session, kind: PoolKind, scope: ReadScope): Promise<Pool[]> {
  const namespace = POOL_KIND_INFO[kind].namespaced && !scope.allNamespaces ? scope.namespace : undefined;
  try {
    const list = await session.client.pools(kind).list({ namespace, resourceVersion: LIST_RV });
    // Lists omit apiVersion/kind on items; put them back so the view model can tell the kinds apart.
    return list.items.map((p) => ({ ...p, apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2', kind }) as Pool);
  } catch (error) {
    throw toCliError(error, `list ${POOL_KIND_INFO[kind].plural}`);
  }
}

/**
 * Lists in all namespaces; with a single-namespace scope, falls back to that namespace when the
 * user may not list cluster-wide (global pools then count only what is visible).
 */
async function listEverywhere<T>(
  what: string,
  scope: ReadScope,
  list: (namespace: string | undefined) => Promise<T[]>,
  warnings: string[],
): Promise<T[]> {
  try {
    return await list(undefined);
  } catch (error) {
    if (!scope.allNamespaces && classifyApiError(error).kind === 'Forbidden') {
      warnings.push(
        `cannot list ${what} in all namespaces; counts of global pools include namespace ${scope.namespace} only`,
      );
      try {
        return await list(scope.namespace);
      } catch (inner) {
        throw toCliError(inner, `list ${what} in namespace ${scope.namespace}`);
      }
    }
    throw toCliError(error, `list ${what}`);
  }
}

/** Reads pools (every kind the cluster serves), IPAddresses and IPAddressClaims, in parallel. */
export async function readWireObjects(session: Session, scope: ReadScope): Promise<WireObjects> {
  const warnings: string[] = [];
  const kinds = POOL_KINDS.filter((k) => {
    const served = session.served.poolVersions[k].includes('v1alpha2');
    if (!served) warnings.push(`${POOL_KIND_INFO[k].crdName} is not installed`);
    return served;
  });
  const version = session.contract.version;
  const [poolLists, addresses, claims] = await Promise.all([
    Promise.all(kinds.map((k) => listPools(session, k, scope))),
    listEverywhere(
      'ipaddresses',
      scope,
      async (namespace) =>
        (await session.client.ipAddresses(version).list({ namespace, resourceVersion: LIST_RV })).items,
      warnings,
    ),
    listEverywhere(
      'ipaddressclaims',
      scope,
      async (namespace) =>
        (await session.client.ipAddressClaims(version).list({ namespace, resourceVersion: LIST_RV })).items,
      warnings,
    ),
  ]);
  const withType = <T extends { apiVersion?: string; kind?: string }>(items: T[], kind: string): T[] =>
    items.map((o) =>
      o.apiVersion === undefined ? { ...o, apiVersion: session.contract.ipamApiVersion, kind } : o,
    );
  return {
    pools: poolLists.flat(),
    addresses: withType(addresses, 'IPAddress'),
    claims: withType(claims, 'IPAddressClaim'),
    warnings,
  };
}

/** readWireObjects + buildInventory. */
export async function readInventory(session: Session, scope: ReadScope): Promise<Inventory> {
  const wire = await readWireObjects(session, scope);
  return buildInventory({
    pools: wire.pools,
    addresses: wire.addresses,
    claims: wire.claims,
    readAt: new Date(),
    scope: {
      namespace: scope.allNamespaces ? undefined : scope.namespace,
      allNamespaces: scope.allNamespaces,
    },
    warnings: wire.warnings,
  });
}
