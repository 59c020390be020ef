// What the API server serves, asked once at start-up: which Cluster API contract version to use
// (IPAddressClaim and IPAddress must both be served in it) and whether our pool CRDs are installed.
import {
  CLUSTER_API_GROUP,
  CLUSTER_PLURAL,
  IPADDRESS_CLAIM_PLURAL,
  IPADDRESS_PLURAL,
  IPAM_GROUP,
  POOL_KIND_INFO,
  POOL_KINDS,
  POOL_VERSION,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { classifyApiError } from './errors.js';
import type { KubeTransport } from './transport.js';

interface APIGroup {
  versions?: { groupVersion: string; version: string }[];
  preferredVersion?: { version: string };
}

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

export interface ServedResources {
  /** Versions of ipam.cluster.x-k8s.io that serve ipaddressclaims, in the server's preference order. */
  ipAddressClaimVersions: string[];
  ipAddressVersions: string[];
  /** Versions of cluster.x-k8s.io that serve clusters. */
  clusterVersions: string[];
  /** Per pool kind, the versions that serve it. */
  poolVersions: Record<PoolKind, string[]>;
  /** Contract candidates: versions serving both IPAddressClaim and IPAddress (pass to chooseContract). */
  contractVersions: string[];
  /** Every pool kind is served at POOL_VERSION. */
  poolCrdsInstalled: boolean;
  missingPoolKinds: PoolKind[];
}

/** Plural names served per version of one API group; an unserved group is an empty map. */
export async function servedPlurals(
  transport: KubeTransport,
  group: string,
  signal?: AbortSignal,
): Promise<Map<string, Set<string>>> {
  const result = new Map<string, Set<string>>();
  let info: APIGroup;
  try {
    info = await transport.request<APIGroup>({ method: 'GET', path: `/apis/${group}`, signal });
  } catch (error) {
    if (classifyApiError(error).kind === 'NotFound') return result;
    throw error;
  }
  const versions = (info.versions ?? []).map((v) => v.version);
  const lists = await Promise.all(
    versions.map(async (version) => {
      try {
        return await transport.request<APIResourceList>({
          method: 'GET',
          path: `/apis/${group}/${version}`,
          signal,
        });
      } catch (error) {
        // A version can vanish between the two calls (CRD being updated).
        if (classifyApiError(error).kind === 'NotFound') return { resources: [] };
        throw error;
      }
    }),
  );
  versions.forEach((version, i) => {
    const names = (lists[i]?.resources ?? []).map((r) => r.name).filter((n) => !n.includes('/'));
    result.set(version, new Set(names));
  });
  return result;
}

function versionsServing(plurals: Map<string, Set<string>>, plural: string): string[] {
  return [...plurals].filter(([, names]) => names.has(plural)).map(([version]) => version);
}

export async function discoverServedResources(
  transport: KubeTransport,
  signal?: AbortSignal,
): Promise<ServedResources> {
  const [ipam, capi] = await Promise.all([
    servedPlurals(transport, IPAM_GROUP, signal),
    servedPlurals(transport, CLUSTER_API_GROUP, signal),
  ]);
  const ipAddressClaimVersions = versionsServing(ipam, IPADDRESS_CLAIM_PLURAL);
  const ipAddressVersions = versionsServing(ipam, IPADDRESS_PLURAL);
  const poolVersions = Object.fromEntries(
    POOL_KINDS.map((kind) => [kind, versionsServing(ipam, POOL_KIND_INFO[kind].plural)]),
  ) as Record<PoolKind, string[]>;
  const missingPoolKinds = POOL_KINDS.filter((kind) => !poolVersions[kind].includes(POOL_VERSION));
  return {
    ipAddressClaimVersions,
    ipAddressVersions,
    clusterVersions: versionsServing(capi, CLUSTER_PLURAL),
    poolVersions,
    contractVersions: ipAddressClaimVersions.filter((v) => ipAddressVersions.includes(v)),
    poolCrdsInstalled: missingPoolKinds.length === 0,
    missingPoolKinds,
  };
}
