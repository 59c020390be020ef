// Runs the controller in-process for one test file, with a watch-filter value of its own so that test
// files running at the same time never reconcile each other's claims and pools, and gives the tests
// small helpers to create pools, claims and Clusters carrying that label.
import { randomBytes } from 'node:crypto';
import { after, before } from 'node:test';
import {
  IPAM_GROUP,
  LABEL_CLUSTER_NAME,
  LABEL_WATCH_FILTER,
  POOL_API_VERSION,
  type ClusterWire,
  type Condition,
  type ContractVersion,
  type IPAddressClaimWire,
  type IPAddressWire,
  type OwnerReference,
  type IPPoolSpec,
  type Pool,
  type PoolKind,
  type PrefixPoolSpec,
} from '@ipam-in-cluster/api';
import {
  createLogger,
  startManager,
  type LogLevel,
  type Manager,
  type ManagerOptions,
} from '@ipam-in-cluster/controller';
import {
  classifyApiError,
  KubeClient,
  KubeTransport,
  loadKubeConfig,
  type ObjectClient,
} from '@ipam-in-cluster/kube';
import {
  applyCrds,
  capiCrds,
  createTestNamespace,
  ourCrds,
  testCluster,
  type TestNamespace,
} from './cluster.js';
import { waitFor } from './wait.js';

export interface TestController {
  manager: Manager;
  stop(): Promise<void>;
}

/** A unique watch-filter value for one test file. */
export function uniqueWatchFilter(prefix = 'ctl'): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** Starts a manager against the test cluster; stop it in after(). Logs go to stderr at IPAM_TEST_LOG (default error). */
export async function startTestController(
  options: ManagerOptions & { watchFilter: string },
): Promise<TestController> {
  const { kubeconfigPath } = await testCluster();
  const level = (process.env.IPAM_TEST_LOG ?? 'error') as LogLevel;
  const manager = await startManager({
    kubeconfig: kubeconfigPath,
    // The shared test cluster can hold many foreign IPAddresses; tests cache only their own unless
    // a file asks for the production default ('all').
    ipAddressScope: 'watch-filter',
    log: createLogger({ level, name: `manager[${options.watchFilter}]` }),
    poolStatusDelayMs: 20,
    poolStatusIntervalMs: 20,
    shutdownTimeoutMs: 5_000,
    ...options,
  });
  return {
    manager,
    stop: async () => {
      await manager.stop();
    },
  };
}

/** Typed clients on the test cluster, in one contract version. */
export class Ipam {
  readonly client: KubeClient;
  readonly version: ContractVersion;
  readonly watchFilter: string | undefined;

  private constructor(client: KubeClient, version: ContractVersion, watchFilter: string | undefined) {
    this.client = client;
    this.version = version;
    this.watchFilter = watchFilter;
  }

  /** Clients on the shared test cluster, or on the plane of `kubeconfig`. */
  static async connect(
    watchFilter: string | undefined,
    version: ContractVersion = 'v1beta2',
    kubeconfig?: string,
  ): Promise<Ipam> {
    const kubeconfigPath = kubeconfig ?? (await testCluster()).kubeconfigPath;
    const loaded = loadKubeConfig({ kubeconfig: kubeconfigPath });
    return new Ipam(
      new KubeClient(new KubeTransport(loaded.kubeConfig, { userAgent: 'ipam-tests' })),
      version,
      watchFilter,
    );
  }

  get claims(): ObjectClient<IPAddressClaimWire> {
    return this.client.ipAddressClaims(this.version);
  }

  get addresses(): ObjectClient<IPAddressWire> {
    return this.client.ipAddresses(this.version);
  }

  get clusters(): ObjectClient<ClusterWire> {
    return this.client.clusters(this.version);
  }

  pools(kind: PoolKind): ObjectClient<Pool> {
    return this.client.pools(kind);
  }

  /** The watch-filter label (when a filter is set) plus `extra`. */
  labels(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...(this.watchFilter === undefined ? {} : { [LABEL_WATCH_FILTER]: this.watchFilter }),
      ...extra,
    };
  }

  async createPool(
    kind: PoolKind,
    name: string,
    namespace: string | undefined,
    spec: IPPoolSpec | PrefixPoolSpec,
    meta: { annotations?: Record<string, string>; labels?: Record<string, string> } = {},
  ): Promise<Pool> {
    const body = {
      apiVersion: POOL_API_VERSION,
      kind,
      metadata: {
        name,
        ...(namespace === undefined ? {} : { namespace }),
        labels: this.labels(meta.labels),
        ...(meta.annotations === undefined ? {} : { annotations: meta.annotations }),
      },
      spec,
    } as Pool;
    return this.pools(kind).create(body);
  }

  async createClaim(
    name: string,
    namespace: string,
    pool: { kind: string; name: string; apiGroup?: string },
    meta: {
      clusterName?: string;
      clusterLabel?: string;
      annotations?: Record<string, string>;
      finalizers?: string[];
      labels?: Record<string, string>;
    } = {},
  ): Promise<IPAddressClaimWire> {
    const labels = this.labels({
      ...meta.labels,
      ...(meta.clusterLabel === undefined ? {} : { [LABEL_CLUSTER_NAME]: meta.clusterLabel }),
    });
    const apiGroup = pool.apiGroup ?? IPAM_GROUP;
    const poolRef =
      this.version === 'v1beta2'
        ? { apiGroup, kind: pool.kind, name: pool.name }
        : { ...(apiGroup === '' ? {} : { apiGroup }), kind: pool.kind, name: pool.name };
    const body = {
      apiVersion: `${IPAM_GROUP}/${this.version}`,
      kind: 'IPAddressClaim',
      metadata: {
        name,
        namespace,
        labels,
        ...(meta.annotations === undefined ? {} : { annotations: meta.annotations }),
        ...(meta.finalizers === undefined ? {} : { finalizers: meta.finalizers }),
      },
      spec: { ...(meta.clusterName === undefined ? {} : { clusterName: meta.clusterName }), poolRef },
    } as IPAddressClaimWire;
    return this.claims.create(body);
  }

  async createCluster(
    name: string,
    namespace: string,
    opts: { paused?: boolean; annotations?: Record<string, string> } = {},
  ): Promise<ClusterWire> {
    const body = {
      apiVersion: `cluster.x-k8s.io/${this.version}`,
      kind: 'Cluster',
      metadata: {
        name,
        namespace,
        labels: this.labels(),
        ...(opts.annotations === undefined ? {} : { annotations: opts.annotations }),
      },
      spec: { paused: opts.paused ?? false },
    } as ClusterWire;
    return this.clusters.create(body);
  }

  /** Creates a ConfigMap and returns an owner reference to it (an owner the GC sees as alive). */
  async configMapOwner(namespace: string, name: string, controller = false): Promise<OwnerReference> {
    const cm = await this.client
      .resource<{ metadata?: { name?: string; namespace?: string; uid?: string } }>({
        group: '',
        version: 'v1',
        kind: 'ConfigMap',
        plural: 'configmaps',
        namespaced: true,
      })
      .create({ metadata: { name, namespace } });
    return {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name,
      uid: cm.metadata?.uid ?? '',
      ...(controller ? { controller } : {}),
    };
  }

  async findAddress(namespace: string, name: string): Promise<IPAddressWire | undefined> {
    return this.addresses.find({ namespace, name });
  }

  async waitForAddress(namespace: string, name: string, timeoutMs = 10_000): Promise<IPAddressWire> {
    return waitFor(() => this.findAddress(namespace, name), {
      what: `IPAddress ${namespace}/${name}`,
      timeoutMs,
    });
  }

  async listAddresses(namespace: string): Promise<IPAddressWire[]> {
    return (await this.addresses.list({ namespace })).items;
  }

  /** status.addressRef.name of a claim (either contract version). */
  async addressRef(namespace: string, name: string): Promise<string | undefined> {
    const claim = await this.claims.find({ namespace, name });
    const ref: { name?: string } | undefined = claim?.status?.addressRef;
    return ref?.name === '' ? undefined : ref?.name;
  }

  async waitForAddressRef(namespace: string, name: string, timeoutMs = 10_000): Promise<string> {
    return waitFor(() => this.addressRef(namespace, name), {
      what: `claim ${namespace}/${name} status.addressRef`,
      timeoutMs,
    });
  }

  async claimCondition(namespace: string, name: string, type: string): Promise<Condition | undefined> {
    const claim = await this.claims.find({ namespace, name });
    if (claim === undefined) return undefined;
    const conditions =
      claim.apiVersion === `${IPAM_GROUP}/v1beta2`
        ? claim.status?.conditions
        : claim.status?.v1beta2?.conditions;
    return conditions?.find((c) => c.type === type);
  }

  async waitForClaimReason(
    namespace: string,
    name: string,
    reason: string,
    timeoutMs = 10_000,
  ): Promise<Condition> {
    return waitFor(
      async () => {
        const c = await this.claimCondition(namespace, name, 'Ready');
        return c?.reason === reason ? c : undefined;
      },
      { what: `claim ${namespace}/${name} Ready reason ${reason}`, timeoutMs },
    );
  }

  /** Deletes and waits until gone (NotFound counts as gone). */
  async deleteAndWait(
    client: ObjectClient<{ metadata?: { name?: string } }>,
    ref: { namespace?: string; name: string },
    timeoutMs = 10_000,
  ): Promise<void> {
    try {
      await client.delete(ref);
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
    await waitFor(async () => (await client.find(ref)) === undefined, {
      what: `${client.resource.kind} ${ref.name} to be gone`,
      timeoutMs,
    });
  }

  /** Removes every finalizer of an object (test teardown without a controller). */
  async stripFinalizers(
    client: ObjectClient<{ metadata?: { finalizers?: string[] } }>,
    ref: { namespace?: string; name: string },
  ): Promise<void> {
    try {
      await client.mergePatch(ref, { metadata: { finalizers: null } });
    } catch (error) {
      if (classifyApiError(error).kind !== 'NotFound') throw error;
    }
  }
}

/** Namespaces and cluster-scoped pools of one test file, removed (finalizers stripped) in after(). */
/**
 * The set-up every controller test file shares: the Cluster API CRDs (current line) and ours installed,
 * a client scoped to the file's watch filter, and a fixture that cleans up after it.
 */
export async function openFixture(watchFilter: string): Promise<{ ipam: Ipam; fx: Fixture }> {
  await applyCrds([...capiCrds(), ...ourCrds()]);
  const ipam = await Ipam.connect(watchFilter);
  return { ipam, fx: new Fixture(ipam, watchFilter) };
}

export class Fixture {
  readonly ipam: Ipam;
  readonly watchFilter: string;
  private readonly namespaces: TestNamespace[] = [];
  private readonly globals: { kind: PoolKind; name: string }[] = [];

  constructor(ipam: Ipam, watchFilter: string) {
    this.ipam = ipam;
    this.watchFilter = watchFilter;
  }

  async namespace(prefix: string): Promise<string> {
    const ns = await createTestNamespace(prefix);
    this.namespaces.push(ns);
    return ns.name;
  }

  /** A cluster-wide unique name for a global pool (cleaned up in teardown). */
  globalName(base: string, kind: PoolKind = 'GlobalInClusterIPPool'): string {
    const name = `${base}-${this.watchFilter}`;
    this.globals.push({ kind, name });
    return name;
  }

  async teardown(): Promise<void> {
    const { ipam } = this;
    for (const ns of this.namespaces) {
      const strip = async (
        client: ObjectClient<{ metadata?: { name?: string; finalizers?: string[] } }>,
      ): Promise<void> => {
        for (const o of (await client.list({ namespace: ns.name })).items) {
          if ((o.metadata?.finalizers ?? []).length > 0)
            await ipam.stripFinalizers(client, { namespace: ns.name, name: o.metadata?.name ?? '' });
        }
      };
      await strip(ipam.addresses);
      await strip(ipam.claims);
      await strip(ipam.pools('InClusterIPPool'));
      await strip(ipam.pools('InClusterPrefixPool'));
      await ns.cleanup();
    }
    for (const g of this.globals) {
      await ipam.stripFinalizers(ipam.pools(g.kind), { name: g.name });
      await ipam
        .pools(g.kind)
        .delete({ name: g.name })
        .catch(() => undefined);
    }
  }
}

/** What a controller test file works with; set in before(), so read it inside tests and hooks. */
export class ControllerPlane {
  readonly watchFilter: string;
  ipam!: Ipam;
  fx!: Fixture;
  /** The in-process controller; a test that restarts it assigns the new one here, after() stops it. */
  ctl!: TestController;

  constructor(watchFilter: string) {
    this.watchFilter = watchFilter;
  }
}

/**
 * The before/after pair every controller test file shares, registered where it is called (at a
 * file's top level they run around all its tests): a watch filter of the file's own (`prefix` plus
 * random hex), the CRDs and a fixture ({@link openFixture}), then the controller in-process with
 * `options` (or what `options` returns once the fixture is open, e.g. a namespace it made). after()
 * stops the controller and removes the fixture.
 */
export function useControllerPlane(
  prefix: string,
  options:
    | Omit<ManagerOptions, 'watchFilter'>
    | ((plane: ControllerPlane) => Promise<Omit<ManagerOptions, 'watchFilter'>>) = {},
): ControllerPlane {
  const plane = new ControllerPlane(uniqueWatchFilter(prefix));
  before(async () => {
    ({ ipam: plane.ipam, fx: plane.fx } = await openFixture(plane.watchFilter));
    const chosen = typeof options === 'function' ? await options(plane) : options;
    plane.ctl = await startTestController({ ...chosen, watchFilter: plane.watchFilter });
  });
  after(async () => {
    await plane.ctl.stop();
    await plane.fx.teardown();
  });
  return plane;
}
