// The plugin's only door to the cluster: everything goes through packages/kube (KubeClient on one
// transport). Reads return wire objects for buildInventory; writes carry preconditions.
import {
  LEADER_ELECTION_ID,
  POOL_KIND_INFO,
  POOL_KINDS,
  addressFromWire,
  chooseContract,
  claimFromWire,
  clusterFromWire,
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
import '../errors/kube-errors.js';
import { CliError, ExitCode, toCliError } from '../errors/cli-error.js';
import type { ClaimView, Coverage, Inventory, PoolSummary, ReadCoverage } from './model.js';
import { prefetchPages } from './pages.js';
import {
  CoverageRecorder,
  EVERYWHERE,
  NOWHERE,
  coverageWarning,
  inNamespace,
  markPartial,
  merged,
} from './coverage.js';
import { leaseState, type ClaimFacts, type ControllerLease } from './diagnose.js';
import { PoolCounter, addressNamespaces, type CountPlan } from './pool-summary.js';
import { RetryingTransport } from './retry.js';
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
  /** --request-timeout: per request; 0 or absent waits as long as the server takes (as kubectl). */
  readonly requestTimeoutMs?: number | undefined;
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
  // Requests answered 429 ("storage is (re)initializing") are retried as kubectl does (./retry.ts).
  const transport = new RetryingTransport(loaded.kubeConfig, {
    userAgent: USER_AGENT,
    requestTimeoutMs: options.requestTimeoutMs ?? 0,
  });
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
  /** Only these pool kinds (`explain global/NAME` reads no namespaced pools); default: every served kind. */
  readonly poolKinds?: readonly PoolKind[] | undefined;
}

export interface WireObjects {
  readonly pools: Pool[];
  readonly addresses: IPAddressWire[];
  readonly claims: IPAddressClaimWire[];
  readonly warnings: string[];
  readonly coverage: ReadCoverage;
}

function isForbidden(error: unknown): boolean {
  return classifyApiError(error).kind === 'Forbidden';
}

/**
 * Lists in all namespaces; when that is forbidden, in the scope's namespace; when that is forbidden
 * too, nothing. What was read goes to `set`, what was skipped to the recorder (one warning later).
 */
async function listCovering<T>(
  what: string,
  scope: ReadScope,
  list: (namespace: string | undefined) => Promise<T[]>,
  rec: CoverageRecorder,
  set: (c: Coverage) => void,
): Promise<T[]> {
  try {
    const items = await list(undefined);
    set(EVERYWHERE);
    return items;
  } catch (error) {
    if (!isForbidden(error)) throw toCliError(error, `list ${what}`);
  }
  try {
    const items = await list(scope.namespace);
    set(inNamespace(scope.namespace));
    rec.skip(`${what} in all namespaces (read in ${scope.namespace} only)`);
    return items;
  } catch (error) {
    if (!isForbidden(error)) throw toCliError(error, `list ${what} in namespace ${scope.namespace}`);
    set(NOWHERE);
    rec.skip(what);
    return [];
  }
}

/**
 * Pools of one kind: global kinds cluster-wide, namespaced kinds in the scope (every namespace with
 * -A, falling back to the namespace). A forbidden list is skipped and recorded, never fatal here.
 * `labelSelector` (pools -l) is passed to every pool list, the namespace fallback's too.
 */
async function listPools(
  session: Session,
  kind: PoolKind,
  scope: ReadScope,
  rec: CoverageRecorder,
  labelSelector?: string,
): Promise<Pool[]> {
  const info = POOL_KIND_INFO[kind];
  const list = async (namespace: string | undefined): Promise<Pool[]> => {
    const got = await session.client.pools(kind).list({ namespace, resourceVersion: LIST_RV, labelSelector });
    // Lists omit apiVersion/kind on items; put them back so the view model can tell the kinds apart.
    return got.items.map((p) => ({ ...p, apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2', kind }) as Pool);
  };
  const set = (c: Coverage): void => {
    rec.pool(kind, c);
  };
  if (info.namespaced && scope.allNamespaces) return listCovering(info.plural, scope, list, rec, set);
  const namespace = info.namespaced ? scope.namespace : undefined;
  try {
    const items = await list(namespace);
    set(namespace === undefined ? EVERYWHERE : inNamespace(namespace));
    return items;
  } catch (error) {
    const where = namespace === undefined ? '' : ` in namespace ${namespace}`;
    if (!isForbidden(error)) throw toCliError(error, `list ${info.plural}${where}`);
    set(NOWHERE);
    rec.skip(`${info.plural}${where}`);
    return [];
  }
}

/**
 * Lists every served pool kind in `kinds` (only pools matching `labelSelector`, when given); fails
 * (exit 5) when every one of them was forbidden.
 */
async function listAllPools(
  session: Session,
  kinds: readonly PoolKind[],
  scope: ReadScope,
  rec: CoverageRecorder,
  labelSelector?: string,
): Promise<Pool[]> {
  const lists = await Promise.all(kinds.map((k) => listPools(session, k, scope, rec, labelSelector)));
  const seen = rec.result();
  if (
    kinds.length > 0 &&
    kinds.every((k) => seen.pools[k]?.all === false && seen.pools[k].namespaces.length === 0)
  ) {
    throw new CliError(
      ExitCode.Forbidden,
      `not allowed to list any pools (forbidden): ${seen.skipped.join('; ')}`,
      {
        hint: 'ask for get/list on the pool kinds (see "RBAC" in the kubectl-ipam README)',
      },
    );
  }
  return lists.flat();
}

/** The pool kinds the cluster serves (a warning for each missing CRD). */
function servedPoolKinds(session: Session, warnings: string[]): PoolKind[] {
  return POOL_KINDS.filter((k) => {
    const served = session.served.poolVersions[k].includes('v1alpha2');
    if (!served) warnings.push(`${POOL_KIND_INFO[k].crdName} is not installed`);
    return served;
  });
}

async function listClaims(
  session: Session,
  scope: ReadScope,
  rec: CoverageRecorder,
): Promise<IPAddressClaimWire[]> {
  const client = session.client.ipAddressClaims(session.contract.version);
  return listCovering(
    'ipaddressclaims',
    scope,
    async (namespace) => (await client.list({ namespace, resourceVersion: LIST_RV })).items,
    rec,
    (c) => {
      rec.claims(c);
    },
  );
}

/** The served pool kinds the scope asks for. */
function scopedPoolKinds(session: Session, scope: ReadScope, warnings: string[]): PoolKind[] {
  const kinds = servedPoolKinds(session, warnings);
  return scope.poolKinds === undefined ? kinds : kinds.filter((k) => scope.poolKinds?.includes(k));
}

/** Adds the coverage warning (one line) to `warnings`. */
function warnCoverage(rc: ReadCoverage, warnings: string[]): void {
  const w = coverageWarning(rc);
  if (w !== undefined) warnings.push(w);
}

/** Puts back apiVersion/kind when a list left them out (addressFromWire reads the version). */
function withType<T extends { apiVersion?: string; kind?: string }>(session: Session, o: T, kind: string): T {
  return o.apiVersion === undefined ? { ...o, apiVersion: session.contract.ipamApiVersion, kind } : o;
}

/**
 * Reads pools (every kind the cluster serves, or those of `scope.poolKinds`), IPAddresses and
 * IPAddressClaims, in parallel. Lists that are forbidden are skipped (see data/coverage.ts).
 */
export async function readWireObjects(session: Session, scope: ReadScope): Promise<WireObjects> {
  const warnings: string[] = [];
  const rec = new CoverageRecorder();
  const kinds = scopedPoolKinds(session, scope, warnings);
  const version = session.contract.version;
  const [pools, addresses, claims] = await Promise.all([
    listAllPools(session, kinds, scope, rec),
    listCovering(
      'ipaddresses',
      scope,
      async (namespace) =>
        (await session.client.ipAddresses(version).list({ namespace, resourceVersion: LIST_RV })).items,
      rec,
      (c) => {
        rec.addresses(c);
      },
    ),
    listClaims(session, scope, rec),
  ]);
  const coverage = rec.result();
  warnCoverage(coverage, warnings);
  return {
    pools,
    addresses: addresses.map((o) => withType(session, o, 'IPAddress')),
    claims: claims.map((o) => withType(session, o, 'IPAddressClaim')),
    warnings,
    coverage,
  };
}

export interface SummaryOptions {
  /**
   * IPAddresses per list request (kubectl's --chunk-size); 0: one request served from the watch
   * cache. Pages are counted as they arrive, with the next one already requested.
   */
  readonly chunkSize: number;
  /** Count every pool from its IPAddresses (`--recount`), not from a trusted status. */
  readonly recount: boolean;
  /** Read IPAddressClaims for the claim counts (`-o wide|json|yaml` show them; the table does not). */
  readonly claims: boolean;
  /** `pools -l`: only pools with these labels (the API server filters). */
  readonly labelSelector?: string | undefined;
}

/** Namespaces read at a time when the pools live in several namespaces (and none is global). */
const NAMESPACE_CONCURRENCY = 4;

/**
 * Counts IPAddresses into `counter` (page by page with a chunk size), from the namespaces that can
 * hold addresses of the counter's pools: `undefined` is every namespace.
 */
async function countAddresses(
  session: Session,
  namespace: string | undefined,
  counter: PoolCounter,
  chunkSize: number,
): Promise<void> {
  const client = session.client.ipAddresses(session.contract.version);
  const pages =
    chunkSize > 0
      ? prefetchPages((token, signal) =>
          client.list({ namespace, limit: chunkSize, continue: token, signal }),
        )
      : prefetchPages(() => client.list({ namespace, resourceVersion: LIST_RV }));
  for await (const page of pages) {
    for (const item of page.items) counter.addAddress(addressFromWire(withType(session, item, 'IPAddress')));
  }
}

/**
 * Feeds `counter` the IPAddresses of the namespaces that can hold addresses of its recounted pools;
 * namespaces where listing is forbidden are skipped and left out of the recorded coverage.
 */
async function countPoolAddresses(
  session: Session,
  scope: ReadScope,
  counter: PoolCounter,
  chunkSize: number,
  rec: CoverageRecorder,
): Promise<void> {
  const namespaces = addressNamespaces(counter.recountPools);
  if (namespaces.length === 0) return;
  if (!namespaces.includes(undefined)) {
    const todo = [...namespaces];
    const read: Coverage[] = [];
    const worker = async (): Promise<void> => {
      for (let ns = todo.shift(); ns !== undefined; ns = todo.shift()) {
        try {
          await countAddresses(session, ns, counter, chunkSize);
          read.push(inNamespace(ns));
        } catch (error) {
          if (!isForbidden(error)) throw error;
          rec.skip(`ipaddresses in namespace ${ns}`);
        }
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(NAMESPACE_CONCURRENCY, todo.length) }, worker));
    } catch (error) {
      throw toCliError(error, 'list ipaddresses');
    }
    rec.addresses(merged(read));
    return;
  }
  await listCovering(
    'ipaddresses',
    scope,
    async (namespace) => {
      await countAddresses(session, namespace, counter, chunkSize);
      return [];
    },
    rec,
    (c) => {
      rec.addresses(c);
    },
  );
}

/**
 * Whether the controller may be keeping pool status current. Only a Lease whose holder stopped
 * renewing it says it is not (the controller died; its status may lag behind). No Lease (leader
 * election off, another id, no permission) and a released Lease (a controller that stopped
 * cleanly, leaving the status as it was) say nothing: each pool's status is judged alone.
 */
async function controllerStopped(session: Session): Promise<ControllerLease | undefined> {
  try {
    const lease = await readControllerLease(session, new Date(), { resourceVersion: LIST_RV });
    return leaseState(lease).state === 'stale' ? lease : undefined;
  } catch {
    return undefined;
  }
}

/**
 * What `kubectl ipam pools` prints: every pool's summary without building the full snapshot. By
 * default only pools are read: each pool's counts come from its status when that was written for
 * the current spec (data/pool-status.ts), total from the spec. The others (all with `recount`, or
 * when the controller's Lease holder stopped renewing it) are counted from their IPAddresses, read
 * only from the namespaces that can hold addresses of those pools, counted as the pages arrive and
 * not kept. Forbidden lists are skipped (one warning); pools whose IPAddresses could not all be
 * read are marked `partial`.
 */
export async function readPoolSummaries(
  session: Session,
  scope: ReadScope,
  options: SummaryOptions,
): Promise<{ pools: PoolSummary[]; warnings: string[] }> {
  const warnings: string[] = [];
  const rec = new CoverageRecorder();
  const kinds = scopedPoolKinds(session, scope, warnings);
  const [pools, stopped, claims] = await Promise.all([
    listAllPools(session, kinds, scope, rec, options.labelSelector),
    options.recount ? undefined : controllerStopped(session),
    options.claims ? listClaims(session, scope, rec) : undefined,
  ]);
  if (stopped !== undefined) {
    const since = stopped.expiresAt === undefined ? '' : ` since ${stopped.expiresAt.toISOString()}`;
    warnings.push(
      `the controller's leader Lease ${stopped.namespace ?? ''}/${LEADER_ELECTION_ID} (holder ${stopped.holder ?? '?'}) is not renewed${since}: ` +
        'pool status may be stale, so every pool is counted from its IPAddresses',
    );
  }
  const plan: CountPlan = options.recount
    ? { from: 'ipaddresses', reason: 'requested' }
    : stopped !== undefined
      ? { from: 'ipaddresses', reason: 'controller-stopped' }
      : { from: 'status' };
  const count = async (chunkSize: number): Promise<PoolCounter> => {
    const counter = new PoolCounter(pools, plan);
    await countPoolAddresses(session, scope, counter, chunkSize, rec);
    return counter;
  };
  let counter: PoolCounter;
  try {
    counter = await count(options.chunkSize);
  } catch (error) {
    // A continue token expired between pages (410 Gone): count again, from one unpaged list.
    const cause = error instanceof CliError ? error.cause : error;
    if (options.chunkSize > 0 && classifyApiError(cause).kind === 'Gone') counter = await count(0);
    else throw error;
  }
  if (claims !== undefined)
    counter.addClaims(claims.map((c) => claimFromWire(withType(session, c, 'IPAddressClaim'))));
  const coverage = rec.result();
  warnCoverage(coverage, warnings);
  return {
    pools: counter.summaries().map((p) => markPartial(p, coverage)),
    warnings: [...new Set(warnings)],
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
    coverage: wire.coverage,
  });
}

/**
 * Reads the controller's leader Lease (any namespace). With several (another installation, a
 * leftover of an old one), a live one wins, else the one renewed last. `resourceVersion: '0'` lets
 * the API server answer from its watch cache.
 */
export async function readControllerLease(
  session: Session,
  now: Date,
  options: { readonly resourceVersion?: string } = {},
): Promise<ControllerLease> {
  try {
    const list = await session.client.leases().list({
      fieldSelector: `metadata.name=${LEADER_ELECTION_ID}`,
      resourceVersion: options.resourceVersion,
    });
    const leases = list.items.map((lease): ControllerLease => {
      const holder = lease.spec?.holderIdentity;
      const renew = lease.spec?.renewTime ?? lease.spec?.acquireTime;
      const duration = lease.spec?.leaseDurationSeconds;
      const expiresAt =
        renew === undefined || duration === undefined
          ? undefined
          : new Date(new Date(renew).getTime() + duration * 1000);
      const live = holder !== undefined && holder !== '' && (expiresAt === undefined || expiresAt > now);
      return {
        found: true,
        namespace: lease.metadata.namespace,
        holder,
        renewedAt: renew === undefined ? undefined : new Date(renew),
        expiresAt,
        live,
        unknown: false,
      };
    });
    const expiry = (l: ControllerLease): number => l.expiresAt?.getTime() ?? 0;
    const best = leases.find((l) => l.live) ?? leases.sort((a, b) => expiry(b) - expiry(a))[0];
    return best ?? { found: false, live: false, unknown: false };
  } catch (error) {
    if (classifyApiError(error).kind === 'Forbidden') return { found: false, live: false, unknown: true };
    throw error;
  }
}

/** Reads the Cluster a claim names (spec.clusterName, else the cluster-name label). */
export async function readClusterFact(session: Session, claim: ClaimView): Promise<ClaimFacts['cluster']> {
  const name = claim.clusterName;
  if (name === undefined) return undefined;
  if (session.served.clusterVersions.length === 0) return { name, exists: false, paused: false };
  try {
    const wire = await session.client
      .clusters(session.contract.version)
      .find({ namespace: claim.namespace, name });
    if (wire === undefined) return { name, exists: false, paused: false };
    return { name, exists: true, paused: clusterFromWire(wire).paused };
  } catch (error) {
    if (classifyApiError(error).kind === 'Forbidden') return undefined;
    throw error;
  }
}
