// Following ownerReferences generically: discovery maps (apiVersion, kind) to a resource, then a GET.
// packages/kube has no kind → resource lookup (servedPlurals gives names only), so it lives here.
import type { ObjectMeta, OwnerReference } from '@ipam-in-cluster/api';
import { classifyApiError, type KubeObject, type ResourceDescriptor } from '@ipam-in-cluster/kube';
import type { Session } from './session.js';

interface APIResourceList {
  resources?: { name: string; kind: string; namespaced: boolean }[];
}

export interface ChainLink {
  readonly kind: string;
  readonly apiVersion: string;
  readonly name: string;
  readonly namespace: string | undefined;
  /** How this link was reached: by a (controller) ownerReference, or by a claim's clusterName. */
  readonly via: 'owner' | 'controller-owner' | 'clusterName' | 'start';
  /** false when the referenced object does not exist (or cannot be read). */
  readonly exists: boolean;
  readonly uid: string | undefined;
  readonly note?: string;
}

/** Caches discovery per apiVersion for one session. */
export class OwnerResolver {
  readonly #session: Session;
  readonly #lists = new Map<string, Promise<APIResourceList | undefined>>();

  constructor(session: Session) {
    this.#session = session;
  }

  async resource(apiVersion: string, kind: string): Promise<ResourceDescriptor | undefined> {
    let p = this.#lists.get(apiVersion);
    if (p === undefined) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      p = this.#session.transport.request<APIResourceList>({ method: 'GET', path }).catch(() => undefined);
      this.#lists.set(apiVersion, p);
    }
    const list = await p;
    const r = list?.resources?.find((x) => x.kind === kind && !x.name.includes('/'));
    if (r === undefined) return undefined;
    const slash = apiVersion.indexOf('/');
    return {
      group: slash === -1 ? '' : apiVersion.slice(0, slash),
      version: slash === -1 ? apiVersion : apiVersion.slice(slash + 1),
      kind,
      plural: r.name,
      namespaced: r.namespaced,
    };
  }

  async get(
    apiVersion: string,
    kind: string,
    namespace: string | undefined,
    name: string,
  ): Promise<KubeObject | undefined> {
    const res = await this.resource(apiVersion, kind);
    if (res === undefined) return undefined;
    try {
      return await this.#session.client
        .resource<KubeObject>(res)
        .find({ namespace: res.namespaced ? namespace : undefined, name });
    } catch (error) {
      if (classifyApiError(error).kind === 'Forbidden') return undefined;
      throw error;
    }
  }

  /**
   * The chain from an object up through its controller owners (or first owner), at most `max` links.
   * Adds the Cluster named by `clusterName` when the chain does not reach one.
   */
  async chain(
    start: { kind: string; apiVersion: string; metadata: ObjectMeta },
    clusterName: string | undefined,
    max = 8,
  ): Promise<ChainLink[]> {
    const links: ChainLink[] = [
      {
        kind: start.kind,
        apiVersion: start.apiVersion,
        name: start.metadata.name ?? '',
        namespace: start.metadata.namespace,
        via: 'start',
        exists: true,
        uid: start.metadata.uid,
      },
    ];
    let meta: ObjectMeta | undefined = start.metadata;
    const namespace = start.metadata.namespace;
    const seen = new Set<string>([start.metadata.uid ?? '']);
    while (meta !== undefined && links.length < max) {
      const refs: OwnerReference[] = meta.ownerReferences ?? [];
      const ref =
        refs.find((r) => r.controller === true) ??
        refs.find((r) => !r.apiVersion.startsWith('ipam.cluster.x-k8s.io/v1alpha')) ??
        undefined;
      if (ref === undefined || seen.has(ref.uid)) break;
      seen.add(ref.uid);
      const obj = await this.get(ref.apiVersion, ref.kind, namespace, ref.name);
      const stale = obj !== undefined && obj.metadata?.uid !== undefined && obj.metadata.uid !== ref.uid;
      links.push({
        kind: ref.kind,
        apiVersion: ref.apiVersion,
        name: ref.name,
        namespace,
        via: ref.controller === true ? 'controller-owner' : 'owner',
        exists: obj !== undefined && !stale,
        uid: ref.uid,
        ...(stale ? { note: 'a different object of that name exists (uid differs)' } : {}),
      });
      meta = stale ? undefined : obj?.metadata;
    }
    if (clusterName !== undefined && !links.some((l) => l.kind === 'Cluster')) {
      const apiVersion = `cluster.x-k8s.io/${this.#session.contract.version}`;
      const obj = await this.get(apiVersion, 'Cluster', namespace, clusterName).catch(() => undefined);
      links.push({
        kind: 'Cluster',
        apiVersion,
        name: clusterName,
        namespace,
        via: 'clusterName',
        exists: obj !== undefined,
        uid: obj?.metadata?.uid,
      });
    }
    return links;
  }
}

/** `IPAddressClaim a → Machine b → Cluster c` (missing links marked). */
export function chainText(links: readonly ChainLink[]): string {
  return links.map((l) => `${l.kind} ${l.name}${l.exists ? '' : ' (missing)'}`).join(' → ');
}
