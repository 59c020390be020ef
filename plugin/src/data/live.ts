// A live data source for the Ink browser: one packages/kube Informer (list, then watch) per resource
// — the served pool kinds, IPAddresses, IPAddressClaims, IPAddressReservations — and a snapshot rebuilt from the caches
// when they change, at most once per `debounceMs` (and never more often than twice the time a
// rebuild takes, so a burst of events on a big inventory does not keep a core busy).
// Pools first: the pool lists are small and come in long before the IPAddress and claim lists (3 s
// at 2 000 addresses on a loaded machine, 30 s at 20 000). As soon as the pools (and the leader
// Lease) are read, one early `pools` event carries them with counts from their status, by the rule
// `kubectl ipam pools` uses (ADR 0013) — when every pool's status can be trusted; the full snapshot
// (counted from the IPAddresses, as before) follows.
// Fallbacks, announced as warnings on the status line (forbidden lists as one, like the CLI's):
//   - listing cluster-wide is forbidden (and the scope is one namespace): watch that namespace;
//   - listing is forbidden altogether (global pools for a namespace user): skip that resource;
//   - watching is forbidden: re-list that resource every `pollMs` (2 s, k9s' refresh).
// IPAddressReservations (ADR 0030) never hold the browser up: a cluster without their CRD (404)
// gets a one-line note, a reader who may not list them the forbidden-lists warning; either way
// the pools simply show none. Expired ones are left out (they hold nothing).
// Release goes through the same path as the CLI.
import {
  IPAM_GROUP,
  POOL_KIND_INFO,
  POOL_KINDS,
  type IPAddressClaimWire,
  type IPAddressReservation,
  type IPAddressWire,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import {
  Informer,
  ObjectClient,
  ReservationResource,
  ipAddressClaimResource,
  ipAddressResource,
  poolResource,
  serverStreamsLists,
  type ClassifiedError,
  type KubeObject,
  type ResourceDescriptor,
} from '@ipam-in-cluster/kube';
import { EVERYWHERE, NOWHERE, coverageWarning, inNamespace } from './coverage.js';
import type { Coverage, Inventory, PoolSnapshot, ReadCoverage } from './model.js';
import { leaseState } from './diagnose.js';
import { applyRelease, planRelease, releaseTargetOf } from './release.js';
import { expired } from './reservations.js';
import { readControllerLease, type ReadScope, type Session } from './session.js';
import { buildInventory, buildPoolsFirst, type PoolsFirstSnapshot } from './snapshot.js';

/** A live IPAddressReservation naming a pool (ADR 0030): what the browser draws and says of it. */
export interface HeldReservation {
  readonly namespace: string;
  readonly name: string;
  /** spec.addresses: single IPs, `a-b` ranges, CIDRs. */
  readonly addresses: readonly string[];
  readonly note: string | undefined;
  /** spec.expiresAt (RFC 3339); undefined: until deleted. */
  readonly expiresAt: string | undefined;
}

/** A pool of the live snapshot, with the reservations that hold its addresses (IP pools). */
export type LivePool = PoolSnapshot & { readonly reservations?: readonly HeldReservation[] };

/** The inventory the browser gets: its pools carry their reservations. */
export type LiveInventory = Omit<Inventory, 'pools'> & { readonly pools: readonly LivePool[] };

/** What the browser says when the cluster has no IPAddressReservation CRD. */
export const NO_RESERVATIONS_CRD = 'IPAddressReservations are not installed: no reservations shown';

/**
 * `pools`: at most once, before the first `snapshot`: the pools alone, counts from status (see the
 * top of this file); their addresses and claims are empty until the `snapshot`.
 */
export type LiveEvent =
  | { readonly type: 'pools'; readonly snapshot: PoolsFirstSnapshot }
  | { readonly type: 'snapshot'; readonly snapshot: LiveInventory }
  | { readonly type: 'error'; readonly message: string };

/** What the early `pools` snapshot says is still being read. */
export const PENDING_ADDRESSES = 'reading IPAddresses and claims…';

export interface LiveSource {
  readonly context: string;
  subscribe(listener: (event: LiveEvent) => void): () => void;
  release(target: {
    namespace: string;
    name: string;
    address: string;
    force: boolean;
  }): Promise<{ ok: boolean; message: string }>;
}

export interface LiveOptions {
  /** Coalesce watch events for this long before rebuilding the snapshot (default 150 ms). */
  readonly debounceMs?: number;
  /** Re-list interval of a resource that may be listed but not watched (default 2 s). */
  readonly pollMs?: number;
  /** List page size of the informers (default 5000: few round trips for big inventories). */
  readonly pageSize?: number;
  /**
   * List IPAddresses and claims as streaming lists (ADR 0014; pages where the server refuses).
   * Default: when the server is 1.27 or newer (`serverStreamsLists`, as the controller decides).
   */
  readonly streamingLists?: boolean;
  /**
   * The IPAddressReservation resource (default ReservationResource); tests name one the server
   * does not serve to see the browser without the CRD.
   */
  readonly reservationResource?: ResourceDescriptor;
}

interface FeedOptions {
  readonly session: Session;
  readonly resource: ResourceDescriptor;
  /** Plural for messages, e.g. "ipaddresses". */
  readonly what: string;
  readonly namespace: string | undefined;
  /** When listing in all namespaces is forbidden, watch this one instead. */
  readonly fallbackNamespace: string | undefined;
  readonly pollMs: number;
  readonly pageSize: number;
  /** When the resource is not served (404): a note instead of an error, and no objects. */
  readonly missing?: string | undefined;
  readonly onChange: () => void;
  readonly onWarning: (text: string) => void;
  readonly onError: (text: string) => void;
}

/** The objects of one resource, kept current by an informer (or by polling when watch is forbidden). */
class Feed<T extends KubeObject> {
  private readonly o: FeedOptions;
  private informer: Informer<T> | undefined;
  private polled: T[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  private mode: 'watch' | 'poll' | 'skipped' = 'watch';
  /** What could not be listed (forbidden), for the coverage warning. */
  skipped: string | undefined;
  private namespace: string | undefined;
  private streaming = false;
  private stopped = false;
  private failing = false;
  private resolveReady!: () => void;
  /** Resolves once the first list is in. */
  readonly ready: Promise<void>;

  constructor(options: FeedOptions) {
    this.o = options;
    this.namespace = options.namespace;
    this.ready = new Promise((resolve) => {
      this.resolveReady = resolve;
    });
  }

  /** `streaming`: list as a streaming list (ADR 0014), pages where the server refuses it. */
  start(streaming = false): Promise<void> {
    this.streaming = streaming;
    this.watch();
    return this.ready;
  }

  items(): T[] {
    if (this.mode === 'skipped') return [];
    if (this.mode === 'poll') return this.polled;
    return this.informer?.list() ?? [];
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    await this.informer?.stop().catch(() => undefined);
  }

  private watch(): void {
    const informer = new Informer<T>({
      transport: this.o.session.transport,
      resource: this.o.resource,
      namespace: this.namespace,
      pageSize: this.o.pageSize,
      streamingLists: this.streaming,
      hooks: {
        onError: (error, phase) => {
          this.failed(informer, error, phase);
        },
        onRelist: () => {
          this.recovered();
        },
        onEvent: () => {
          this.recovered();
        },
      },
    });
    this.informer = informer;
    const changed = (): void => {
      if (this.informer === informer && informer.hasSynced()) this.o.onChange();
    };
    informer.onAdd(changed);
    informer.onUpdate(changed);
    informer.onDelete(changed);
    informer.start().then(
      () => {
        this.resolveReady();
      },
      () => undefined, // stopped before the first list (a fallback took over, or the source closed)
    );
  }

  private failed(informer: Informer<T>, error: ClassifiedError, phase: string): void {
    if (this.stopped || this.informer !== informer) return;
    const forbidden = error.kind === 'Forbidden';
    if (error.kind === 'NotFound' && phase === 'list' && this.o.missing !== undefined) {
      // An optional kind whose CRD is not installed: none of it, said once.
      this.mode = 'skipped';
      this.informer = undefined;
      void informer.stop();
      this.resolveReady();
      this.o.onWarning(this.o.missing);
      return;
    }
    if (forbidden && phase === 'list' && this.streaming) {
      // A streaming list is a watch: a user who may list but not watch is refused it. List in
      // pages to tell the two apart (the fallbacks below).
      this.streaming = false;
      void informer.stop();
      this.watch();
      return;
    }
    if (
      forbidden &&
      phase === 'list' &&
      this.namespace === undefined &&
      this.o.fallbackNamespace !== undefined
    ) {
      this.namespace = this.o.fallbackNamespace;
      this.skipped = `${this.o.what} in all namespaces (read in ${this.namespace} only)`;
      void informer.stop();
      this.watch();
      this.o.onChange();
      return;
    }
    if (forbidden && phase === 'list') {
      // Nothing of this resource may be listed here: show the rest instead of waiting forever.
      this.skipped = `${this.o.what}${this.namespace === undefined ? '' : ` in namespace ${this.namespace}`}`;
      this.mode = 'skipped';
      this.informer = undefined;
      void informer.stop();
      this.resolveReady();
      this.o.onChange();
      return;
    }
    if (forbidden && phase === 'watch') {
      this.o.onWarning(`cannot watch ${this.o.what}: re-reading every ${this.o.pollMs / 1000} s`);
      this.mode = 'poll';
      this.polled = informer.list();
      this.informer = undefined;
      void informer.stop();
      void this.poll();
      return;
    }
    this.failing = true;
    this.o.onError(`${phase} ${this.o.what}: ${error.message}`);
  }

  private recovered(): void {
    if (!this.failing) return;
    this.failing = false;
    this.o.onChange();
  }

  private async poll(): Promise<void> {
    if (this.stopped) return;
    try {
      const client = new ObjectClient<T>(this.o.session.transport, this.o.resource);
      const { items } = await client.listAll({
        namespace: this.namespace,
        resourceVersion: '0',
        limit: this.o.pageSize,
      });
      this.polled = items;
      this.failing = false;
      this.resolveReady();
      this.o.onChange();
    } catch (error) {
      this.failing = true;
      this.o.onError(`list ${this.o.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!this.isStopped()) this.pollTimer = setTimeout(() => void this.poll(), this.o.pollMs);
  }

  /** Where this feed's objects come from. */
  coverage(): Coverage {
    if (this.mode === 'skipped') return NOWHERE;
    return this.namespace === undefined ? EVERYWHERE : inNamespace(this.namespace);
  }

  /** A method, not a field read: stop() may have run during the await above. */
  private isStopped(): boolean {
    return this.stopped;
  }
}

export function createLiveSource(session: Session, scope: ReadScope, options: LiveOptions = {}): LiveSource {
  const debounceMs = options.debounceMs ?? 150;
  const pollMs = options.pollMs ?? 2000;
  const pageSize = options.pageSize ?? 5000;
  let latest: LiveInventory | undefined;

  return {
    context: session.context,
    subscribe(listener) {
      let closed = false;
      let synced = false;
      let timer: NodeJS.Timeout | undefined;
      let lastBuildAt = 0;
      let lastBuildMs = 0;
      const warnings: string[] = [];
      const emit = (event: LiveEvent): void => {
        if (!closed) listener(event);
      };
      const coverageNow = (): ReadCoverage => ({
        pools: Object.fromEntries(poolFeeds.map(([kind, feed]) => [kind, feed.coverage()])),
        addresses: addresses.coverage(),
        claims: claims.coverage(),
        skipped: [...feeds, reservations].flatMap((f) => (f.skipped === undefined ? [] : [f.skipped])),
      });
      const poolItems = (): Pool[] =>
        poolFeeds.flatMap(([kind, feed]) =>
          feed.items().map((p) => ({ ...p, apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2', kind }) as Pool),
        );
      const buildEarly = (controllerStopped: boolean): void => {
        if (closed || synced) return;
        const coverage = coverageNow();
        const skipped = coverageWarning(coverage);
        try {
          const early = buildPoolsFirst({
            pools: poolItems(),
            controllerStopped,
            pending: PENDING_ADDRESSES,
            readAt: new Date(),
            scope: {
              namespace: scope.allNamespaces ? undefined : scope.namespace,
              allNamespaces: scope.allNamespaces,
            },
            // First, so the status line says why the map is not there yet.
            warnings: [PENDING_ADDRESSES, ...warnings, ...(skipped === undefined ? [] : [skipped])],
            coverage,
          });
          if (early !== undefined) emit({ type: 'pools', snapshot: early });
        } catch {
          // Nothing early, then: the full snapshot reports what is wrong.
        }
      };
      const build = (): void => {
        timer = undefined;
        if (closed) return;
        const started = performance.now();
        const coverage = coverageNow();
        const skipped = coverageWarning(coverage);
        try {
          const inventory = buildInventory({
            pools: poolItems(),
            addresses: typed(addresses.items(), session.contract.ipamApiVersion, 'IPAddress'),
            claims: typed(claims.items(), session.contract.ipamApiVersion, 'IPAddressClaim'),
            readAt: new Date(),
            scope: {
              namespace: scope.allNamespaces ? undefined : scope.namespace,
              allNamespaces: scope.allNamespaces,
            },
            warnings: skipped === undefined ? [...warnings] : [...warnings, skipped],
            coverage,
          });
          latest = withReservations(inventory, reservations.items());
          emit({ type: 'snapshot', snapshot: latest });
        } catch (error) {
          emit({ type: 'error', message: error instanceof Error ? error.message : String(error) });
        }
        lastBuildAt = performance.now();
        lastBuildMs = lastBuildAt - started;
      };
      const changed = (): void => {
        if (closed || !synced || timer !== undefined) return;
        const wait = Math.max(debounceMs, lastBuildAt + 2 * lastBuildMs - performance.now());
        timer = setTimeout(build, wait);
      };
      const feedOptions = (
        resource: ResourceDescriptor,
        what: string,
        namespace: string | undefined,
        fallbackNamespace: string | undefined,
        missing?: string,
      ): FeedOptions => ({
        session,
        missing,
        resource,
        what,
        namespace,
        fallbackNamespace,
        pollMs,
        pageSize,
        onChange: changed,
        onWarning: (text) => {
          if (!warnings.includes(text)) warnings.push(text);
          changed();
        },
        onError: (message) => {
          emit({ type: 'error', message });
        },
      });

      const kinds = POOL_KINDS.filter((k) => {
        const served = session.served.poolVersions[k].includes('v1alpha2');
        if (!served) warnings.push(`${POOL_KIND_INFO[k].crdName} is not installed`);
        return served;
      });
      const poolFeeds: [PoolKind, Feed<Pool>][] = kinds.map((kind) => {
        const namespace =
          POOL_KIND_INFO[kind].namespaced && !scope.allNamespaces ? scope.namespace : undefined;
        return [
          kind,
          new Feed<Pool>(feedOptions(poolResource(kind), POOL_KIND_INFO[kind].plural, namespace, undefined)),
        ];
      });
      // Global pools count addresses of every namespace: watch all of them when allowed.
      const fallback = scope.allNamespaces ? undefined : scope.namespace;
      const version = session.contract.version;
      const addresses = new Feed<IPAddressWire>(
        feedOptions(ipAddressResource(version), 'ipaddresses', undefined, fallback),
      );
      const claims = new Feed<IPAddressClaimWire>(
        feedOptions(ipAddressClaimResource(version), 'ipaddressclaims', undefined, fallback),
      );
      // Reservations of global pools live in any namespace: all of them when allowed, like IPAddresses.
      const reservations = new Feed<IPAddressReservation>(
        feedOptions(
          options.reservationResource ?? ReservationResource,
          'ipaddressreservations',
          undefined,
          fallback,
          NO_RESERVATIONS_CRD,
        ),
      );
      const feeds: Feed<KubeObject>[] = [
        ...poolFeeds.map(([, f]) => f),
        addresses,
        claims,
      ] as Feed<KubeObject>[];

      // Pools first: the IPAddress and claim lists (megabytes for the API server to encode and for
      // us to parse) start once the pools are in, so they do not slow down the small pool lists.
      const poolsIn = Promise.all(poolFeeds.map(([, f]) => f.start()));
      // The Lease decides, as for `kubectl ipam pools`, whether any status may be trusted: only a
      // holder that stopped renewing it says no.
      const stopped = readControllerLease(session, new Date(), { resourceVersion: '0' }).then(
        (lease) => leaseState(lease).state === 'stale',
        () => false,
      );
      void Promise.all([poolsIn, stopped]).then(([, isStopped]) => {
        buildEarly(isStopped);
      });
      // Streaming lists: the API server sends each object from its watch cache, no pages to build
      // (about half the time to the full snapshot with 20 000 IPAddresses under load).
      const streaming =
        options.streamingLists === undefined
          ? serverStreamsLists(session.transport).catch(() => false)
          : Promise.resolve(options.streamingLists);
      const started = Promise.all([poolsIn, streaming]).then(async ([, stream]) => {
        if (closed) return;
        // A small list, started first so that it is in with the others; never waited for (a
        // reservation list that keeps failing must not keep the map away), a late one redraws.
        void reservations.start(stream).then(changed);
        await Promise.all([addresses.start(stream), claims.start(stream)]);
      });
      void started.then(() => {
        if (closed) return;
        synced = true;
        build();
      });
      return () => {
        closed = true;
        clearTimeout(timer);
        for (const f of [...feeds, reservations]) void f.stop();
      };
    },
    async release(target) {
      const inv = latest;
      const a = inv?.addresses.find((x) => x.namespace === target.namespace && x.name === target.name);
      if (a === undefined)
        return { ok: false, message: `IPAddress ${target.namespace}/${target.name} not found` };
      // The CLI's rule and path: an address whose claim exists needs force (the dialog's extra
      // confirmation); without it, the plan refuses, and applyRelease re-checks the claim.
      const plan = planRelease(releaseTargetOf(a), { force: target.force });
      const r = await applyRelease(session, plan, { force: target.force });
      return { ok: r.outcome === 'released' || r.outcome === 'already-gone', message: r.message };
    },
  };
}

/** The inventory with each IP pool's live (not expired) reservations, by the pool they name. */
export function withReservations(inv: Inventory, items: readonly IPAddressReservation[]): LiveInventory {
  const byPool = new Map<string, HeldReservation[]>();
  for (const r of items) {
    const ref = r.spec.poolRef;
    if (ref.apiGroup !== IPAM_GROUP || expired(r, inv.readAt)) continue;
    const ns = r.metadata.namespace ?? '';
    const poolNs = ref.kind === 'InClusterIPPool' ? ns : '';
    const k = `${ref.kind}/${poolNs}/${ref.name}`;
    const list = byPool.get(k) ?? [];
    list.push({
      namespace: ns,
      name: r.metadata.name ?? '',
      addresses: Array.isArray(r.spec.addresses) ? r.spec.addresses : [],
      note: r.spec.note === '' ? undefined : r.spec.note,
      expiresAt: r.spec.expiresAt,
    });
    byPool.set(k, list);
  }
  if (byPool.size === 0) return inv;
  return {
    ...inv,
    pools: inv.pools.map((p) => {
      const held = byPool.get(`${p.key.kind}/${p.key.namespace ?? ''}/${p.key.name}`);
      return held === undefined || p.type !== 'ip' ? p : { ...p, reservations: held };
    }),
  };
}

/** Lists omit apiVersion/kind on items; put them back (watch events carry them). */
function typed<T extends { apiVersion?: string; kind?: string }>(
  items: readonly T[],
  apiVersion: string,
  kind: string,
): T[] {
  return items.map((o) => (o.apiVersion === undefined ? { ...o, apiVersion, kind } : o));
}
