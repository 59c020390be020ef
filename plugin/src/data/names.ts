// Light reads for shell completion (commands/complete.ts): names only, one list per kind, nothing
// counted. A list the user may not read, or a kind the cluster does not serve, gives no names (a
// completion never fails).
import {
  POOL_KIND_INFO,
  POOL_KINDS,
  addressFromWire,
  type IPAddressWire,
  type PoolKind,
} from '@ipam-in-cluster/api';
import type { Session } from './session.js';

export interface PoolName {
  readonly kind: PoolKind;
  /** undefined for the Global kinds. */
  readonly namespace: string | undefined;
  readonly name: string;
}

async function orNothing<T>(read: () => Promise<T[]>): Promise<T[]> {
  try {
    return await read();
  } catch {
    return [];
  }
}

/** Pools of every served kind: namespaced ones of `namespace` (every namespace when undefined). */
export async function listPoolNames(session: Session, namespace: string | undefined): Promise<PoolName[]> {
  const kinds = POOL_KINDS.filter((k) => session.served.poolVersions[k].includes('v1alpha2'));
  const lists = await Promise.all(
    kinds.map((kind) =>
      orNothing(async () => {
        const namespaced = POOL_KIND_INFO[kind].namespaced;
        const list = await session.client
          .pools(kind)
          .list({ namespace: namespaced ? namespace : undefined, resourceVersion: '0' });
        return list.items.map((p) => ({
          kind,
          namespace: namespaced ? p.metadata.namespace : undefined,
          name: p.metadata.name ?? '',
        }));
      }),
    ),
  );
  return lists.flat();
}

/** IPAddressClaims of `namespace` (every namespace when undefined). */
export async function listClaimNames(
  session: Session,
  namespace: string | undefined,
): Promise<{ namespace: string; name: string }[]> {
  return orNothing(async () => {
    const list = await session.client
      .ipAddressClaims(session.contract.version)
      .list({ namespace, resourceVersion: '0' });
    return list.items.map((c) => ({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' }));
  });
}

export interface AddressName {
  readonly namespace: string;
  readonly name: string;
  readonly address: string;
  readonly prefix: number | undefined;
  readonly poolKind: string;
  readonly poolName: string;
}

/** IPAddresses of `namespace` (every namespace when undefined). */
export async function listAddressNames(
  session: Session,
  namespace: string | undefined,
): Promise<AddressName[]> {
  return orNothing(async () => {
    const list = await session.client
      .ipAddresses(session.contract.version)
      .list({ namespace, resourceVersion: '0' });
    return list.items.map((item) => {
      // Lists leave apiVersion off their items; addressFromWire reads it.
      const raw: { apiVersion?: string } = item;
      const a = addressFromWire(
        (raw.apiVersion === undefined
          ? { ...raw, apiVersion: session.contract.ipamApiVersion }
          : raw) as IPAddressWire,
      );
      return {
        namespace: a.metadata.namespace ?? '',
        name: a.metadata.name ?? '',
        address: a.address,
        prefix: a.prefix,
        poolKind: a.poolRef.kind,
        poolName: a.poolRef.name,
      };
    });
  });
}

/** Namespace names (none without permission to list them). */
export async function listNamespaceNames(session: Session): Promise<string[]> {
  return orNothing(async () =>
    (await session.client.namespaces().list({ resourceVersion: '0' })).items.map(
      (n) => n.metadata.name ?? '',
    ),
  );
}
