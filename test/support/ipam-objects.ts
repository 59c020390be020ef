// Pools, claims and IPAddresses created by hand the way the controller would: owner references,
// the ProtectAddress finalizer, poolRef. (No controller runs in these tests.)
import * as k8s from '@kubernetes/client-node';
import { FINALIZER_PROTECT_ADDRESS, IPAM_GROUP, POOL_API_VERSION } from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';

const V = 'v1beta2';

export interface Made {
  uid: string;
}

/** An IPAddress of a prefix pool: its kind and the handed-out prefix length. */
export interface AddressOptions {
  readonly poolKind?: 'InClusterIPPool' | 'InClusterPrefixPool';
  readonly prefix?: number;
}

export class Objects {
  readonly custom: k8s.CustomObjectsApi;
  readonly core: k8s.CoreV1Api;

  constructor(
    kc: k8s.KubeConfig,
    readonly namespace: string,
  ) {
    this.custom = kc.makeApiClient(k8s.CustomObjectsApi);
    this.core = kc.makeApiClient(k8s.CoreV1Api);
  }

  async pool(
    name: string,
    spec: Record<string, unknown>,
    kind: 'InClusterIPPool' | 'InClusterPrefixPool' = 'InClusterIPPool',
  ): Promise<Made> {
    const body = {
      apiVersion: POOL_API_VERSION,
      kind,
      metadata: { name, namespace: this.namespace },
      spec,
    };
    const made = (await this.custom.createNamespacedCustomObject({
      group: IPAM_GROUP,
      version: 'v1alpha2',
      namespace: this.namespace,
      plural: `${kind.toLowerCase()}s`,
      body,
    })) as k8s.KubernetesObject;
    return { uid: made.metadata?.uid ?? '' };
  }

  /** A stand-in for the machine that owns a claim (the garbage collector needs a real owner). */
  async machine(name: string): Promise<Made> {
    const made = await this.core.createNamespacedConfigMap({
      namespace: this.namespace,
      body: { metadata: { name } },
    });
    return { uid: made.metadata?.uid ?? '' };
  }

  async claim(
    name: string,
    pool: string,
    owner: { kind: string; apiVersion: string; name: string; uid: string },
  ): Promise<Made> {
    const body = {
      apiVersion: `${IPAM_GROUP}/${V}`,
      kind: 'IPAddressClaim',
      metadata: {
        name,
        namespace: this.namespace,
        labels: { 'cluster.x-k8s.io/cluster-name': 'tui-cluster' },
        ownerReferences: [{ ...owner, controller: true, blockOwnerDeletion: true }],
      },
      spec: {
        clusterName: 'tui-cluster',
        poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: pool },
      },
    };
    const made = (await this.custom.createNamespacedCustomObject({
      group: IPAM_GROUP,
      version: V,
      namespace: this.namespace,
      plural: 'ipaddressclaims',
      body,
    })) as k8s.KubernetesObject;
    return { uid: made.metadata?.uid ?? '' };
  }

  async address(
    name: string,
    address: string,
    pool: { name: string; uid: string },
    claim: { name: string; uid?: string },
    opts: AddressOptions = {},
  ): Promise<Made> {
    const poolKind = opts.poolKind ?? 'InClusterIPPool';
    const claimOwner =
      claim.uid === undefined
        ? []
        : [
            {
              apiVersion: `${IPAM_GROUP}/${V}`,
              kind: 'IPAddressClaim',
              name: claim.name,
              uid: claim.uid,
              controller: true,
              blockOwnerDeletion: true,
            },
          ];
    const body = {
      apiVersion: `${IPAM_GROUP}/${V}`,
      kind: 'IPAddress',
      metadata: {
        name,
        namespace: this.namespace,
        finalizers: [FINALIZER_PROTECT_ADDRESS],
        labels: { 'cluster.x-k8s.io/cluster-name': 'tui-cluster' },
        ownerReferences: [
          ...claimOwner,
          {
            apiVersion: POOL_API_VERSION,
            kind: poolKind,
            name: pool.name,
            uid: pool.uid,
            blockOwnerDeletion: true,
          },
        ],
      },
      spec: {
        address,
        prefix: opts.prefix ?? 24,
        ...(poolKind === 'InClusterIPPool' ? { gateway: '10.20.0.1' } : {}),
        claimRef: { name: claim.name },
        poolRef: { apiGroup: IPAM_GROUP, kind: poolKind, name: pool.name },
      },
    };
    const made = (await this.custom.createNamespacedCustomObject({
      group: IPAM_GROUP,
      version: V,
      namespace: this.namespace,
      plural: 'ipaddresses',
      body,
    })) as k8s.KubernetesObject;
    return { uid: made.metadata?.uid ?? '' };
  }

  /** A claimed address: machine stand-in, claim, IPAddress. */
  async allocated(
    name: string,
    address: string,
    pool: { name: string; uid: string },
    opts: AddressOptions = {},
  ): Promise<void> {
    const m = await this.machine(`${name}-machine`);
    const c = await this.claim(name, pool.name, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      name: `${name}-machine`,
      uid: m.uid,
    });
    await this.address(name, address, pool, { name, uid: c.uid }, opts);
  }

  /** An orphaned address: an IPAddress whose claim does not exist (no claim owner reference). */
  async orphan(
    name: string,
    address: string,
    pool: { name: string; uid: string },
    claim: string,
  ): Promise<void> {
    await this.address(name, address, pool, { name: claim });
  }

  async addressExists(name: string): Promise<boolean> {
    try {
      await this.custom.getNamespacedCustomObject({
        group: IPAM_GROUP,
        version: V,
        namespace: this.namespace,
        plural: 'ipaddresses',
        name,
      });
      return true;
    } catch (error) {
      if (classifyApiError(error).kind === 'NotFound') return false;
      throw error;
    }
  }
}
