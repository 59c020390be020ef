/**
 * PoolRegistry: everything the controller knows about the pools it serves, in one place
 * (docs/adr/0021-pool-model.md). Per pool key (`Kind/namespace/name`, ./keys.ts):
 * - the pool: its lifecycle (terminating), its spec and why it cannot be served (the layout error
 *   or the webhook's validation errors, for pools written without the webhook);
 * - its allocation state: the allocator's pool model and {@link PoolTracker} built from the spec, and
 *   the holdings, one per IPAddress object (key `namespace/name`) that references the pool;
 * - the claims waiting for it to have room;
 * - its IPAddressReservations (docs/adr/0030-reservations.md): per reservation one holding per
 *   address, described as `IPAddressReservation ns/name`, in the tracker like an IPAddress's (so
 *   allocation skips them) while the address is allocatable under the current spec, kept aside
 *   otherwise (the pool shrank: held again if it grows back).
 * Fed synchronously by the informer handlers; the claim reconciler allocates and releases here.
 *
 * Why this cannot hand out one address twice (upstream needed one worker plus a 5 s poll on its
 * cache for this, and still raced — upstream PR #338, issue #98):
 * 1. `allocate` picks the lowest free address AND records a holding for it in one step, before
 *    the caller creates the IPAddress. From then on the address is in use for every other
 *    caller, whatever the informer cache shows.
 * 2. Holdings are keyed by IPAddress key, so the informer event that later reports the object
 *    the controller created itself finds the holding and changes nothing (idempotent), and an
 *    event that arrives before the create call returns does the same.
 * 3. A holding only goes away when its IPAddress is deleted (informer event or relist), or when
 *    its create definitely failed (`Reservation.release`), and never while the object might
 *    exist: once the create was confirmed or the object observed, release() is a no-op.
 * 4. All state changes are synchronous, so on Node's single thread each is atomic. Allocations
 *    of one pool additionally queue on a per-pool async mutex (FIFO, so claims are served in
 *    arrival order, and the guarantee survives if the allocation step ever has to await);
 *    different pools never wait for each other.
 * Requested addresses (docs/adr/0029-requested-addresses.md): `allocate` with a request holds exactly
 * that address or refuses with a reason naming why. A claim refused (or finding the pool full) is
 * queued here with its arrival number; a plain allocation skips every address that an earlier-queued
 * claim is waiting for, so a freed address goes to the claim that asked first, and a requested claim
 * yields to an earlier one waiting for the same address.
 * The remaining gap is outside this process: an ambiguous create failure (a timeout after the
 * server committed) — callers release only on definite failures and keep the reservation
 * otherwise; the informer event or the next relist settles it.
 */
import {
  formatAddr,
  parseAddr,
  poolModel,
  type Addr,
  type Holding,
  type PoolCounts,
  type PoolModel,
  type PoolTracker,
  type PoolType,
} from '@ipam-in-cluster/allocator';
import {
  ClaimReadyReason,
  IPAM_GROUP,
  ipAddressHolder,
  POOL_KIND_INFO,
  requestRefusal,
  typedSpec,
  validatePoolSpec,
  type Address,
  type Pool,
  type RequestedAddress,
  type RequestedAddressReason,
} from '@ipam-in-cluster/api';
import { keyOf } from '@ipam-in-cluster/kube';
import { KeyedMutex } from '../util/async-mutex.js';
import { realClock, type Clock } from '../util/clock.js';
import { poolIdFromRef, poolKey, type PoolId } from './keys.js';

/** What an IPAddress must be written with. */
export interface Allocation {
  /** spec.address */
  readonly address: string;
  /** spec.prefix: the pool's prefix (IP pools) or the allocation length (prefix pools). */
  readonly prefix: number;
  /** spec.gateway, when the pool has one. */
  readonly gateway: string | undefined;
}

/**
 * Reservation: an address picked for one IPAddress and held for it. The caller creates the
 * IPAddress, then calls exactly one of confirm() (created, or AlreadyExists with this address)
 * or release() (the create definitely failed).
 */
export interface Reservation extends Allocation {
  readonly poolKey: string;
  readonly ipAddressKey: string;
  /** True when the key already held this address (adopt it; there is nothing to pick). */
  readonly existing: boolean;
  /** The create succeeded: keep the holding until the IPAddress is deleted. Idempotent. */
  confirm(): void;
  /**
   * The create failed: free the address again. Returns false (and changes nothing) when the
   * holding was confirmed, observed through the informer, or replaced meanwhile.
   */
  release(): boolean;
}

/**
 * Why an allocation could not be made: the claim's Ready reason, or AllocationInProgress (another
 * allocation for the same IPAddress key is in flight; the claim reconciler settles it and retries,
 * it is never written as a condition).
 */
export type AllocationFailure =
  | typeof ClaimReadyReason.PoolNotFound
  | typeof ClaimReadyReason.PoolNotReady
  | typeof ClaimReadyReason.PoolExhausted
  | RequestedAddressReason
  | 'AllocationInProgress';

export type AllocationResult =
  | { readonly ok: true; readonly reservation: Reservation }
  | { readonly ok: false; readonly reason: AllocationFailure; readonly message: string };

/** What {@link PoolRegistry.hold} did. */
export type HoldResult = 'added' | 'unchanged' | 'replaced';

/** One IPAddress as a full list shows it. */
export interface ObservedAddress {
  readonly ipAddressKey: string;
  readonly address: string;
  readonly prefix?: number | undefined;
}

/** Exact counts of a pool plus what its status conditions need about the holdings. */
export interface HeldCounts extends PoolCounts {
  /** IPAddress keys whose address does not parse; counted in `used`, never block allocation. */
  readonly invalid: readonly string[];
  /** Holdings picked by allocate() whose create has not been answered yet (counted in used). */
  readonly reserved: number;
  /**
   * Allocatable addresses held by IPAddressReservations and by no IPAddress: not in `used` (that
   * counts IPAddresses, upstream's meaning), not in `free` (allocation cannot hand them out),
   * not in `allocated`. Written to `status.ipAddresses.reserved`.
   */
  readonly reservationHeld: bigint;
}

/** What {@link PoolRegistry.holdReservation} did with a reservation's addresses. */
export interface ReservationHolding {
  /** Addresses held (allocatable in the pool, in the tracker). */
  readonly held: number;
  /** Addresses outside the pool's allocatable space (or the pool has no layout): not held. */
  readonly outOfPool: number;
  /** Held addresses that an IPAddress holds too (they stay taken when it goes), canonical. */
  readonly allocated: readonly string[];
}

/** Options of {@link PoolRegistry}. */
export interface PoolRegistryOptions {
  readonly clock?: Clock;
  /**
   * How long a confirmed-but-never-observed holding survives a {@link PoolRegistry.sync} that
   * does not list it (the informer may lag behind our own create). Default 60 s.
   */
  readonly confirmGraceMs?: number;
}

type HoldingState = 'reserved' | 'created' | 'observed';

/** The canonical text of `address`: the same string when it already is; undefined when it does not parse. */
function canonicalText(address: string): string | undefined {
  const parsed = parseAddr(address);
  if (!parsed.ok) return undefined;
  const text = formatAddr(parsed.value);
  return text === address ? address : text;
}

/**
 * One IPAddress of a pool: the model's Holding with `name` = the IPAddress key. One per IPAddress
 * (20 000 in a full pool), so it keeps no parsed copy of the address (an object and a bigint, 64
 * bytes each): the canonical text compares the same, and is `address` itself when that is canonical.
 */
interface HeldAddress extends Holding {
  readonly name: string;
  /** spec.address in canonical form (`address` itself when canonical); undefined when it does not parse. */
  readonly canonical: string | undefined;
  state: HoldingState;
  /** Clock time of the last state change, whole ms (see `#stamp`). */
  since: number;
  /** Who holds it, for messages, when not `IPAddressClaim <name>` (see {@link PoolRegistry.hold}). */
  readonly holder?: string;
}

/** A claim queued on a pool: refused its requested address, or finding the pool full. */
interface Waiter {
  /** Arrival number: the order in which claims first failed to get an address here. */
  readonly seq: number;
  /** Canonical text of the requested address; undefined for a claim that takes any address. */
  address: string | undefined;
}

/** The IPAddress kinds' schema: `spec.gateway` is 1 to 39 characters. */
export const IPADDRESS_GATEWAY_MAX_LENGTH = 39;

/**
 * `spec.gateway` of the IPAddresses a pool hands out: the pool's text as written, as upstream copies
 * it (`FD00::1` stays `FD00::1`, `fe80::1%eth0` keeps its zone), where the IPAddress schema takes it;
 * a longer text (an IPv6 address written out in full with a zone, 40+ characters) would make every
 * create fail, so it is written in canonical form instead (docs/adr/0016-gateway-text.md).
 */
export function gatewayText(written: string | undefined, parsed: Addr | undefined): string | undefined {
  if (parsed === undefined) return undefined;
  if (written !== undefined && written.length >= 1 && written.length <= IPADDRESS_GATEWAY_MAX_LENGTH)
    return written;
  return formatAddr(parsed);
}

/** A pool that can allocate: its model and tracker, built from one spec. */
interface Served {
  readonly model: PoolModel;
  readonly tracker: PoolTracker;
  readonly gateway: string | undefined;
}

interface PoolEntry {
  /** The pool key, one instance per pool (every holding's #poolOf entry points at it). */
  readonly key: string;
  /** The pool object's identity; undefined while only its IPAddresses are known (or it was deleted). */
  id: PoolId | undefined;
  type: PoolType | undefined;
  terminating: boolean;
  /** JSON of the spec the model was built from, to skip no-op rebuilds (status updates). */
  specJson: string | undefined;
  /** Model and tracker; undefined while the pool is unknown or its spec does not lay out. */
  served: Served | undefined;
  /** Why the spec cannot be served (layout error or validation errors); undefined when valid. */
  specError: string | undefined;
  readonly holdings: Map<string, HeldAddress>;
  /** Claims queued on the pool, by claim key (= IPAddress key), in arrival order. */
  readonly queued: Map<string, Waiter>;
  /**
   * The queued claims that wait for one address: what an allocation scans, so claims waiting on a
   * full pool cost nothing per allocation.
   */
  readonly requesting: Set<string>;
  /** Reservation holder (`IPAddressReservation ns/name`) → one holding per address. */
  readonly reservations: Map<string, ReservedAddress[]>;
  /** How many reservation holdings are in the tracker (counted in its `used`). */
  reservedTracked: number;
}

/** One address of a reservation: in the tracker while the pool's layout covers it. */
interface ReservedAddress extends Holding {
  readonly name: string;
  tracked: boolean;
}

/** Where an IPAddress belongs: its pool (upstream's index reads an empty group as ours). */
export function addressPoolId(address: Address): PoolId | undefined {
  const ref =
    address.poolRef.apiGroup === '' ? { ...address.poolRef, apiGroup: IPAM_GROUP } : address.poolRef;
  return poolIdFromRef(ref, address.metadata.namespace);
}

export function addressKey(address: Address): string {
  return keyOf(address.metadata.namespace, address.metadata.name ?? '');
}

/** The reservations (`IPAddressReservation ns/name`) holding `address` (canonical) in the pool. */
function reservationHolders(entry: PoolEntry, address: string): string[] {
  const out: string[] = [];
  for (const [holder, list] of entry.reservations)
    if (list.some((r) => r.address === address)) out.push(holder);
  return out;
}

/** Who holds an address, for messages: the claim it was created for, unless the holding says otherwise. */
function holderOf(h: HeldAddress): string {
  return h.holder ?? `IPAddressClaim ${h.name}`;
}

/** How an IPAddress holding describes its holder when not `IPAddressClaim <its own key>`. */
function addressHolder(address: Address): string | undefined {
  const name = address.metadata.name ?? '';
  if (address.claimName === name) return undefined;
  return ipAddressHolder(address.metadata.namespace ?? '', name, address.claimName);
}

function describe(id: PoolId): string {
  return `${id.kind} ${id.namespace === '' ? id.name : `${id.namespace}/${id.name}`}`;
}

const NOT_FOUND = { ok: false, reason: ClaimReadyReason.PoolNotFound, message: 'pool not found' } as const;

export class PoolRegistry {
  readonly #pools = new Map<string, PoolEntry>();
  /** IPAddress key → pool key of its holding (an IPAddress belongs to one pool at a time). */
  readonly #poolOf = new Map<string, string>();
  /** Reservation holder → pool key (a reservation names one pool at a time). */
  readonly #reservationPool = new Map<string, string>();
  /** Claims (keys) that a pool could not serve (missing, not ready, full), by pool key. */
  readonly #waiting = new Map<string, Set<string>>();
  /** Claim key → the pool it is queued on (see PoolEntry.queued). */
  readonly #queuedOn = new Map<string, string>();
  #seq = 0;
  readonly #mutex = new KeyedMutex();
  readonly #clock: Clock;
  readonly #confirmGraceMs: number;
  #known = 0;

  constructor(options: PoolRegistryOptions = {}) {
    this.#clock = options.clock ?? realClock;
    this.#confirmGraceMs = options.confirmGraceMs ?? 60_000;
  }

  /** Number of known pools (pool objects seen and not deleted). */
  get size(): number {
    return this.#known;
  }

  /** Keys of the known pools. */
  keys(): string[] {
    return [...this.#pools.values()].filter((e) => e.id !== undefined).map((e) => e.key);
  }

  has(key: string): boolean {
    return this.#pools.get(key)?.id !== undefined;
  }

  type(key: string): PoolType | undefined {
    return this.#pools.get(key)?.type;
  }

  specError(key: string): string | undefined {
    return this.#pools.get(key)?.specError;
  }

  /** Whether the pool's spec lays out (it has counts; allocation also needs a valid, live pool). */
  isReady(key: string): boolean {
    return this.#pools.get(key)?.served !== undefined;
  }

  /**
   * Applies a pool object (informer add/update). A changed spec rebuilds the model and re-adds
   * every holding (ones now outside the layout count as out of range); an equal spec is a no-op,
   * so status-only updates cost nothing. Returns whether the spec changed.
   */
  upsertPool(id: PoolId, pool: Pool): { key: string; specChanged: boolean } {
    const key = poolKey(id);
    const entry = this.#entry(key);
    if (entry.id === undefined) this.#known++;
    entry.id = id;
    entry.type = POOL_KIND_INFO[id.kind].family;
    entry.terminating = pool.metadata.deletionTimestamp !== undefined;
    const specJson = JSON.stringify(pool.spec);
    if (specJson === entry.specJson) return { key, specChanged: false };
    entry.specJson = specJson;
    const input = typedSpec(pool);
    const model = poolModel(input);
    if (!model.ok) {
      entry.served = undefined;
      entry.specError = model.error.message;
      return { key, specChanged: true };
    }
    const tracker = model.value.tracker();
    for (const h of entry.holdings.values()) tracker.add(h);
    entry.reservedTracked = 0;
    for (const list of entry.reservations.values()) {
      for (const r of list) {
        r.tracked = model.value.covers(r);
        if (r.tracked) {
          tracker.add(r);
          entry.reservedTracked++;
        }
      }
    }
    entry.served = {
      model: model.value,
      tracker,
      gateway: gatewayText(model.value.layout.spec.gateway, model.value.gateway),
    };
    const errors = validatePoolSpec(input).errors;
    entry.specError =
      errors.length === 0 ? undefined : errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    return { key, specChanged: true };
  }

  /**
   * The pool was deleted (pool informer delete). Allocation stops; holdings stay while their
   * IPAddresses exist, so a pool re-created with the same name starts with them in use.
   */
  removePool(key: string): void {
    const entry = this.#pools.get(key);
    if (entry === undefined) return;
    if (entry.id !== undefined) this.#known--;
    entry.id = undefined;
    entry.served = undefined;
    entry.reservedTracked = 0;
    for (const list of entry.reservations.values()) for (const r of list) r.tracked = false;
    entry.specJson = undefined;
    entry.specError = undefined;
    entry.terminating = false;
    this.#dropIfEmpty(entry);
  }

  /** An IPAddress was added or changed. Returns its pool key when the pool is one of ours (served or not). */
  addressObserved(address: Address): string | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const key = poolKey(id);
    this.hold(key, addressKey(address), address.address, address.prefix, addressHolder(address));
    return key;
  }

  /** An IPAddress is gone. Returns its pool key and whether it held an address there. */
  addressDeleted(address: Address): { key: string; freed: boolean } | undefined {
    const id = addressPoolId(address);
    if (id === undefined) return undefined;
    const key = poolKey(id);
    return { key, freed: this.release(key, addressKey(address)) };
  }

  /**
   * Records that the IPAddress `ipAddressKey` holds `address` in the pool (informer add/update,
   * or a successful create of our own). Idempotent: the same key with the same address changes
   * nothing; a different address replaces the old one; a key held by another pool moves.
   * Works before the pool itself is known (the holding is applied when the spec arrives).
   * `holder` describes who holds it in messages (a requested address taken by it), when that is
   * not `IPAddressClaim <ipAddressKey>` (e.g. `IPAddressReservation ns/name`).
   */
  hold(key: string, ipAddressKey: string, address: string, prefix?: number, holder?: string): HoldResult {
    const otherPool = this.#poolOf.get(ipAddressKey);
    if (otherPool !== undefined && otherPool !== key) this.release(otherPool, ipAddressKey);
    const entry = this.#entry(key);
    const existing = entry.holdings.get(ipAddressKey);
    if (existing?.address === address && existing.prefix === prefix) {
      if (existing.state !== 'observed') {
        existing.state = 'observed';
        existing.since = this.#stamp();
      }
      return 'unchanged';
    }
    if (existing !== undefined) entry.served?.tracker.remove(existing);
    this.#add(entry, ipAddressKey, address, prefix, 'observed', holder);
    return existing === undefined ? 'added' : 'replaced';
  }

  /** The IPAddress is gone (or its in-flight allocation is abandoned): frees its address. Returns whether it was held. */
  release(key: string, ipAddressKey: string): boolean {
    const entry = this.#pools.get(key);
    const h = entry?.holdings.get(ipAddressKey);
    if (entry === undefined || h === undefined) return false;
    this.#drop(entry, h);
    return true;
  }

  /**
   * Replaces the pool's holdings with what a full list shows (after an informer relist, or a
   * consistent list before this replica starts allocating). Keeps in-flight reservations and
   * confirmed creates younger than the grace period that the list does not show yet.
   */
  sync(key: string, observed: Iterable<ObservedAddress>): void {
    const entry = this.#entry(key);
    const seen = new Set<string>();
    for (const o of observed) {
      seen.add(o.ipAddressKey);
      this.hold(key, o.ipAddressKey, o.address, o.prefix);
    }
    const now = this.#clock.now();
    for (const h of [...entry.holdings.values()]) {
      if (seen.has(h.name) || h.state === 'reserved') continue;
      if (h.state === 'created' && now - h.since < this.#confirmGraceMs) continue;
      this.#drop(entry, h);
    }
  }

  /**
   * Reserves the lowest free address of the pool for the IPAddress `ipAddressKey` (= the claim's
   * key: the IPAddress is named like its claim). Refuses pools that are not known, being deleted,
   * or whose spec is invalid. Serialised per pool, FIFO; pools in parallel. If the key already
   * holds a created or observed address, that address is returned with `existing: true` (whatever
   * the request: an allocated claim keeps its address). With a request (the claim's annotation,
   * read by `requestedAddress`), exactly that address or a refusal naming why; a request refused
   * before (malformed, prefix pool) is returned as it is.
   */
  async allocate(
    key: string,
    ipAddressKey: string,
    request: RequestedAddress = { kind: 'none' },
  ): Promise<AllocationResult> {
    return this.#mutex.runExclusive(key, () => this.#allocateLocked(key, ipAddressKey, request));
  }

  #allocateLocked(key: string, ipAddressKey: string, request: RequestedAddress): AllocationResult {
    const entry = this.#pools.get(key);
    const id = entry?.id;
    if (entry === undefined || id === undefined) return NOT_FOUND;
    if (entry.terminating)
      return {
        ok: false,
        reason: ClaimReadyReason.PoolNotReady,
        message: `${describe(id)} is being deleted`,
      };
    if (entry.specError !== undefined || entry.served === undefined) {
      return {
        ok: false,
        reason: ClaimReadyReason.PoolNotReady,
        message: `${describe(id)} has an invalid spec: ${entry.specError ?? 'no layout'}`,
      };
    }
    const existing = entry.holdings.get(ipAddressKey);
    if (existing !== undefined) {
      if (existing.state === 'reserved') {
        return {
          ok: false,
          reason: 'AllocationInProgress',
          message: `an allocation for ${ipAddressKey} is in progress`,
        };
      }
      this.#dequeue(ipAddressKey);
      return { ok: true, reservation: this.#reservation(entry, existing, true) };
    }
    if (request.kind === 'refused') {
      this.#dequeue(ipAddressKey);
      return { ok: false, reason: request.reason, message: request.message };
    }
    if (request.kind === 'address') return this.#allocateRequested(entry, id, ipAddressKey, request);
    const next = this.#nextUnwanted(entry, ipAddressKey, entry.served.tracker);
    if (!next.ok) {
      const exhausted = next.error.code === 'PoolExhausted';
      const unit = entry.type === 'prefix' ? 'prefix' : 'address';
      if (exhausted) this.#enqueue(entry, ipAddressKey, undefined);
      const wanted = exhausted ? this.#wantedBefore(entry, ipAddressKey) : [];
      return {
        ok: false,
        reason: exhausted ? ClaimReadyReason.PoolExhausted : ClaimReadyReason.PoolNotReady,
        message: !exhausted
          ? `${describe(id)} has an invalid spec: ${next.error.message}`
          : wanted.length === 0
            ? `${describe(id)} has no free ${unit}`
            : `${describe(id)} has no free ${unit} that no earlier claim is waiting for (requested: ${wanted.join(', ')})`,
      };
    }
    this.#dequeue(ipAddressKey);
    const h = this.#add(entry, ipAddressKey, next.value.address, next.value.prefix, 'reserved');
    return { ok: true, reservation: this.#reservation(entry, h, false) };
  }

  /**
   * The next `count` addresses of an IP pool that allocations would hand out now, in that order,
   * nothing held: the fence's spares (pool-fence.ts). Skips what the tracker holds (IPAddresses,
   * allocations in progress, reservations) and every address a queued claim asked for. [] for
   * prefix pools and pools that cannot allocate.
   */
  peekFree(key: string, count: number): string[] {
    const entry = this.#pools.get(key);
    const served = entry?.served;
    if (
      entry === undefined ||
      served?.model.type !== 'ip' ||
      entry.terminating ||
      entry.specError !== undefined
    )
      return [];
    const { tracker } = served;
    return withHeld(tracker, this.#wantedBefore(entry, ''), () => {
      // Each pick is held until the end, so the next one is the address after it.
      const picked: Holding[] = [];
      try {
        while (picked.length < count) {
          const next = tracker.next();
          if (!next.ok) break;
          const h = { address: next.value.address };
          tracker.add(h);
          picked.push(h);
        }
        return picked.map((h) => h.address);
      } finally {
        for (const h of picked) tracker.remove(h);
      }
    });
  }

  /** Exactly the requested address, or a refusal naming why (and the claim queued for it). */
  #allocateRequested(
    entry: PoolEntry,
    id: PoolId,
    ipAddressKey: string,
    request: Extract<RequestedAddress, { kind: 'address' }>,
  ): AllocationResult {
    const served = entry.served;
    if (served === undefined) return NOT_FOUND; // checked by the caller
    if (served.model.type !== 'ip') {
      this.#dequeue(ipAddressKey);
      return {
        ok: false,
        reason: ClaimReadyReason.RequestedAddressUnsupported,
        message: `${describe(id)} is a prefix pool, which does not take a requested address`,
      };
    }
    const { addr, address } = request;
    const canonical = formatAddr(addr);
    const holders: string[] = [];
    for (const h of entry.holdings.values()) if (h.canonical === canonical) holders.push(holderOf(h));
    // A reservation holds its address like an IPAddress does (docs/adr/0030-reservations.md).
    holders.push(...reservationHolders(entry, address));
    const mine = entry.queued.get(ipAddressKey);
    let refusal = requestRefusal(served.model.layout, addr, holders.sort(), describe(id));
    if (refusal === undefined) {
      // Free: unless an earlier-queued claim is waiting for the same address.
      for (const claim of entry.requesting) {
        const w = entry.queued.get(claim);
        if (claim === ipAddressKey || w?.address !== address) continue;
        if (mine !== undefined && w.seq > mine.seq) continue;
        refusal = {
          reason: ClaimReadyReason.RequestedAddressTaken,
          message: `requested address ${address} is requested by IPAddressClaim ${claim}, which asked first and is waiting for it, in ${describe(id)}`,
        };
        break;
      }
    }
    if (refusal !== undefined) {
      this.#enqueue(entry, ipAddressKey, address);
      return { ok: false, reason: refusal.reason, message: refusal.message };
    }
    this.#dequeue(ipAddressKey);
    const h = this.#add(entry, ipAddressKey, address, served.model.layout.spec.prefix, 'reserved');
    return { ok: true, reservation: this.#reservation(entry, h, false) };
  }

  /**
   * The tracker's next free allocation, skipping the addresses that claims queued before this one
   * are waiting for (all of them for a claim that is not queued: it arrived after them). The skipped
   * addresses are held in the tracker for the one synchronous call, as extra holders (reference
   * counted, so an address held already stays held).
   */
  #nextUnwanted(
    entry: PoolEntry,
    ipAddressKey: string,
    tracker: PoolTracker,
  ): ReturnType<PoolTracker['next']> {
    return withHeld(tracker, this.#wantedBefore(entry, ipAddressKey), () => tracker.next());
  }

  /** Distinct addresses that claims queued on the pool before `ipAddressKey` are waiting for. */
  #wantedBefore(entry: PoolEntry, ipAddressKey: string): string[] {
    if (entry.requesting.size === 0) return [];
    const mine = entry.queued.get(ipAddressKey);
    const out = new Set<string>();
    for (const claim of entry.requesting) {
      const w = entry.queued.get(claim);
      if (claim !== ipAddressKey && w?.address !== undefined && (mine === undefined || w.seq < mine.seq))
        out.add(w.address);
    }
    return [...out];
  }

  /** Queues the claim on the pool (keeping its arrival number if it is queued there already). */
  #enqueue(entry: PoolEntry, ipAddressKey: string, address: string | undefined): void {
    const on = this.#queuedOn.get(ipAddressKey);
    if (on !== undefined && on !== entry.key) this.#dequeue(ipAddressKey);
    if (address === undefined) entry.requesting.delete(ipAddressKey);
    else entry.requesting.add(ipAddressKey);
    const w = entry.queued.get(ipAddressKey);
    if (w !== undefined) {
      w.address = address;
      return;
    }
    entry.queued.set(ipAddressKey, { seq: ++this.#seq, address });
    this.#queuedOn.set(ipAddressKey, entry.key);
  }

  /** The claim no longer waits (it got an address, asks for none it can wait for, or is gone). */
  #dequeue(ipAddressKey: string): void {
    const on = this.#queuedOn.get(ipAddressKey);
    if (on === undefined) return;
    this.#queuedOn.delete(ipAddressKey);
    const entry = this.#pools.get(on);
    if (entry === undefined) return;
    entry.queued.delete(ipAddressKey);
    entry.requesting.delete(ipAddressKey);
    this.#dropIfEmpty(entry);
  }

  /** Exact counts of the pool (for its status), or undefined while its spec does not lay out. */
  counts(key: string): HeldCounts | undefined {
    const entry = this.#pools.get(key);
    if (entry?.served === undefined) return undefined;
    const invalid: string[] = [];
    let reserved = 0;
    for (const h of entry.holdings.values()) {
      if (h.state === 'reserved') reserved++;
      if (h.canonical === undefined) invalid.push(h.name);
    }
    const c = entry.served.tracker.counts();
    if (entry.reservedTracked === 0) return { ...c, invalid, reserved, reservationHeld: 0n };
    // Reservation holdings are in the tracker's used (one per holding) and allocated (distinct
    // addresses): take them out, so used stays "IPAddresses" and allocated "addresses they hold".
    // O(IPAddresses of the pool), only for pools with reservations.
    const onlyReserved = this.#reservedOnly(entry);
    return {
      ...c,
      used: c.used - BigInt(entry.reservedTracked),
      allocated: c.allocated - onlyReserved,
      invalid,
      reserved,
      reservationHeld: onlyReserved,
    };
  }

  /** Distinct tracked reservation addresses that no IPAddress holds. */
  #reservedOnly(entry: PoolEntry): bigint {
    const reserved = new Set<string>();
    for (const list of entry.reservations.values())
      for (const r of list) if (r.tracked) reserved.add(r.address);
    for (const h of entry.holdings.values()) {
      if (h.canonical !== undefined) reserved.delete(h.canonical);
    }
    return BigInt(reserved.size);
  }

  /**
   * Holds `addresses` (canonical text) in the pool for a reservation, replacing what the holder
   * held before (in this pool or another). Addresses the pool's layout does not cover are kept
   * aside and held once a spec change covers them. Works before the pool is known.
   */
  holdReservation(key: string, holder: string, addresses: readonly string[]): ReservationHolding {
    this.releaseReservation(holder);
    const entry = this.#entry(key);
    const list: ReservedAddress[] = addresses.map((address) => ({ name: holder, address, tracked: false }));
    for (const r of list) {
      r.tracked = entry.served?.model.covers(r) === true;
      if (r.tracked) {
        entry.served?.tracker.add(r);
        entry.reservedTracked++;
      }
    }
    entry.reservations.set(holder, list);
    this.#reservationPool.set(holder, key);
    const taken = new Set<string>();
    for (const h of entry.holdings.values()) if (h.canonical !== undefined) taken.add(h.canonical);
    const held = list.filter((r) => r.tracked);
    return {
      held: held.length,
      outOfPool: list.length - held.length,
      allocated: held.filter((r) => taken.has(r.address)).map((r) => r.address),
    };
  }

  /** Drops a reservation's holdings (expired or deleted). Returns the pool key it held addresses in. */
  releaseReservation(holder: string): string | undefined {
    const key = this.#reservationPool.get(holder);
    if (key === undefined) return undefined;
    this.#reservationPool.delete(holder);
    const entry = this.#pools.get(key);
    if (entry === undefined) return key;
    for (const r of entry.reservations.get(holder) ?? []) {
      if (!r.tracked) continue;
      entry.served?.tracker.remove(r);
      entry.reservedTracked--;
    }
    entry.reservations.delete(holder);
    this.#dropIfEmpty(entry);
    return key;
  }

  /**
   * Who holds `address` in the pool: IPAddress keys (`ns/name`) and reservation holders
   * (`IPAddressReservation ns/name`), sorted; for explaining why an address is taken.
   */
  heldBy(key: string, address: string): string[] {
    const entry = this.#pools.get(key);
    const canonical = canonicalText(address);
    if (entry === undefined || canonical === undefined) return [];
    const out: string[] = [];
    for (const h of entry.holdings.values()) if (h.canonical === canonical) out.push(h.name);
    out.push(...reservationHolders(entry, canonical));
    return out.sort();
  }

  /** The address `ipAddressKey` holds in the pool, and in which state. */
  holding(
    key: string,
    ipAddressKey: string,
  ): { address: string; prefix: number | undefined; state: HoldingState } | undefined {
    const h = this.#pools.get(key)?.holdings.get(ipAddressKey);
    return h === undefined ? undefined : { address: h.address, prefix: h.prefix, state: h.state };
  }

  /**
   * Whether `address` (with `prefix`, for prefix pools) is one the pool could hand out, and which
   * other IPAddresses hold the same address in it; undefined while the pool has no layout.
   * O(holdings of the pool): for the rare adoption of an IPAddress this controller did not create.
   */
  check(
    key: string,
    ipAddressKey: string,
    address: string,
    prefix: number | undefined,
  ): { inPool: boolean; alsoHeldBy: string[] } | undefined {
    const entry = this.#pools.get(key);
    if (entry?.served === undefined) return undefined;
    const canonical = canonicalText(address);
    const inPool = entry.served.model.covers({ address, prefix });
    const alsoHeldBy: string[] = [];
    for (const h of entry.holdings.values()) {
      if (h.name === ipAddressKey) continue;
      // Unparsable addresses are the same only as the same text.
      const same = canonical !== undefined ? h.canonical === canonical : h.address === address;
      if (same) alsoHeldBy.push(h.name);
    }
    return { inPool, alsoHeldBy: alsoHeldBy.sort() };
  }

  /**
   * Drops in-flight reservations held under an IPAddress key in any pool, and the claim's place in
   * a pool's queue (its claim is gone or being deleted).
   */
  cancelReservations(ipAddressKey: string): void {
    this.#dequeue(ipAddressKey);
    const key = this.#poolOf.get(ipAddressKey);
    if (key !== undefined && this.holding(key, ipAddressKey)?.state === 'reserved')
      this.release(key, ipAddressKey);
  }

  addWaiting(pool: string, claim: string): void {
    let set = this.#waiting.get(pool);
    if (set === undefined) this.#waiting.set(pool, (set = new Set()));
    set.add(claim);
  }

  /** The claims waiting on a pool, forgotten here (they add themselves again if still unserved). */
  takeWaiting(pool: string): string[] {
    const set = this.#waiting.get(pool);
    this.#waiting.delete(pool);
    return set === undefined ? [] : [...set];
  }

  #entry(key: string): PoolEntry {
    let entry = this.#pools.get(key);
    if (entry === undefined) {
      entry = {
        key,
        id: undefined,
        type: undefined,
        terminating: false,
        specJson: undefined,
        served: undefined,
        specError: undefined,
        holdings: new Map(),
        queued: new Map(),
        requesting: new Set(),
        reservations: new Map(),
        reservedTracked: 0,
      };
      this.#pools.set(key, entry);
    }
    return entry;
  }

  #add(
    entry: PoolEntry,
    ipAddressKey: string,
    address: string,
    prefix: number | undefined,
    state: HoldingState,
    holder?: string,
  ): HeldAddress {
    const h: HeldAddress = {
      name: ipAddressKey,
      address,
      prefix,
      canonical: canonicalText(address),
      state,
      since: this.#stamp(),
      ...(holder === undefined ? {} : { holder }),
    };
    entry.holdings.set(ipAddressKey, h);
    entry.served?.tracker.add(h);
    this.#poolOf.set(ipAddressKey, entry.key);
    return h;
  }

  /**
   * The clock now in whole milliseconds, for a holding's `since`: an integer below 2^31 stays a
   * small integer in the object; a fraction (performance.now()) is boxed as a 16-byte number on
   * every holding.
   */
  #stamp(): number {
    return Math.floor(this.#clock.now());
  }

  #drop(entry: PoolEntry, h: HeldAddress): void {
    entry.holdings.delete(h.name);
    entry.served?.tracker.remove(h);
    if (this.#poolOf.get(h.name) === entry.key) this.#poolOf.delete(h.name);
    this.#dropIfEmpty(entry);
  }

  #dropIfEmpty(entry: PoolEntry): void {
    if (
      entry.id === undefined &&
      entry.holdings.size === 0 &&
      entry.queued.size === 0 &&
      entry.reservations.size === 0
    )
      this.#pools.delete(entry.key);
  }

  #reservation(entry: PoolEntry, h: HeldAddress, existing: boolean): Reservation {
    return {
      poolKey: entry.key,
      ipAddressKey: h.name,
      existing,
      address: h.address,
      prefix: h.prefix ?? 0,
      gateway: entry.served?.gateway,
      confirm: () => {
        if (entry.holdings.get(h.name) === h && h.state === 'reserved') {
          h.state = 'created';
          h.since = this.#stamp();
        }
      },
      release: () => {
        if (entry.holdings.get(h.name) !== h || h.state !== 'reserved') return false;
        this.#drop(entry, h);
        return true;
      },
    };
  }
}

/**
 * Runs `fn` with `addresses` held in the tracker as extra holders, for that one synchronous call
 * (reference counted: an address held already stays held after).
 */
function withHeld<T>(tracker: PoolTracker, addresses: readonly string[], fn: () => T): T {
  const held: Holding[] = addresses.map((address) => ({ address }));
  for (const h of held) tracker.add(h);
  try {
    return fn();
  } finally {
    for (const h of held) tracker.remove(h);
  }
}
