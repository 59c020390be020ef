// PoolClusterReader on the real API: consistent (quorum) list calls, never the informer cache, so
// an IPAddress created a moment ago is always counted. Pool updates and deletes are rare; the cost
// of one list per check is the price of never admitting a change on a stale view.
import {
  chooseContract,
  IPAM_GROUP,
  POOL_KIND_INFO,
  type ContractVersion,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { discoverServedResources, type KubeClient } from '@ipam-in-cluster/kube';
import type { Holding } from '@ipam-in-cluster/allocator';
import type { PoolClusterReader, StoredPool } from './pools.js';

export interface KubePoolReaderOptions {
  client: KubeClient;
  /** The contract version chosen at start-up; discovered on first use when not given. */
  contractVersion?: ContractVersion;
}

export class KubePoolReader implements PoolClusterReader {
  private readonly client: KubeClient;
  private version: Promise<ContractVersion> | undefined;

  constructor(options: KubePoolReaderOptions) {
    this.client = options.client;
    if (options.contractVersion !== undefined) this.version = Promise.resolve(options.contractVersion);
  }

  private contractVersion(): Promise<ContractVersion> {
    this.version ??= (async () => {
      const served = await discoverServedResources(this.client.transport);
      const contract = chooseContract(served.contractVersions);
      if (!contract.ok) throw new Error(contract.error.message);
      return contract.value.version;
    })().catch((error: unknown) => {
      this.version = undefined; // retry discovery on the next call
      throw error;
    });
    return this.version;
  }

  async allocations(kind: PoolKind, namespace: string | undefined, name: string): Promise<Holding[]> {
    const version = await this.contractVersion();
    const { items } = await this.client.ipAddresses(version).listAll({ namespace });
    const out: Holding[] = [];
    for (const item of items) {
      const ref = item.spec.poolRef;
      const group = ref.apiGroup === undefined || ref.apiGroup === '' ? IPAM_GROUP : ref.apiGroup;
      if (group !== IPAM_GROUP || ref.kind !== kind || ref.name !== name) continue;
      out.push({
        address: item.spec.address,
        prefix: item.spec.prefix,
        name: `${item.metadata.namespace ?? ''}/${item.metadata.name ?? ''}`,
      });
    }
    return out;
  }

  async pools(kind: PoolKind, namespace: string | undefined): Promise<StoredPool[]> {
    const { items } = await this.client
      .pools(kind)
      .listAll({ namespace: POOL_KIND_INFO[kind].namespaced ? namespace : undefined });
    return items.map((p) => ({
      name: p.metadata.name ?? '',
      annotations: p.metadata.annotations ?? {},
      spec: p.spec,
    }));
  }
}
