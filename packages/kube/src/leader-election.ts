// Leader election on a coordination.k8s.io/v1 Lease, ported from client-go tools/leaderelection
// (client-node has none). The rules that make it safe:
//   - a lease held by someone else counts as expired only when *we* have seen the same record, unchanged,
//     for leaseDuration on our own monotonic clock; the holder's renewTime is never compared with our
//     wall clock (clocks differ between nodes);
//   - every write is a PUT with the resourceVersion we read, so two candidates cannot both win;
//   - a leader that cannot renew within renewDeadline steps down (abort signal + onStoppedLeading)
//     before the lease can expire for others (renewDeadline < leaseDuration);
//   - release() clears holderIdentity, so a successor takes over at once instead of waiting: a
//     candidate watches the one Lease while it waits and tries again as soon as it sees it released
//     (the watch only wakes the loop; every decision is still the read-then-PUT below).
import { performance } from 'node:perf_hooks';
import type { Lease } from './core-types.js';
import { classifyApiError, type ClassifiedError } from './errors.js';
import { Informer } from './informer.js';
import { formatMicroTime } from './microtime.js';
import { ObjectClient } from './object-client.js';
import { LeaseResource } from './resources.js';
import { sleep } from './sleep.js';
import type { KubeTransport } from './transport.js';

/** client-go's JitterFactor for the acquire loop. */
const jitterFactor = 1.2;

export interface LeaderElectionOptions {
  transport: KubeTransport;
  namespace: string;
  /** Lease name, e.g. LEADER_ELECTION_ID. */
  name: string;
  /** Unique per process (pod name + random suffix). */
  identity: string;
  /** How long a non-renewed lease stays valid for others (default 15 s). */
  leaseDurationMs?: number;
  /** How long the leader keeps retrying a failed renew before stepping down (default 10 s). */
  renewDeadlineMs?: number;
  /** Interval between tries (default 2 s). */
  retryPeriodMs?: number;
  /** Called once leadership is acquired; the signal aborts when it is lost or released. */
  onStartedLeading: (signal: AbortSignal) => unknown;
  onStoppedLeading?: () => void;
  /** Called when the observed holder changes (including to ourselves). */
  onNewLeader?: (identity: string) => void;
  onError?: (error: ClassifiedError) => void;
  /**
   * Annotations every write as holder (create, acquire, renew) sets on the Lease, e.g. what the
   * other replicas need from the leader (the allocation fence's key).
   */
  annotations?: Readonly<Record<string, string>>;
  /** Clear the lease when run()'s signal aborts while leading (default true). */
  releaseOnCancel?: boolean;
  /**
   * While waiting to acquire, watch the one Lease (list/watch with a metadata.name field selector,
   * which RBAC authorises by resourceNames): try again at once when it is released or deleted,
   * instead of at the next retry, and count a holder's renewal as observed when the watch shows it
   * rather than at our next read (default true). Without the permission the wait is polled as before.
   */
  watchRelease?: boolean;
  /** The release watch was refused (e.g. Forbidden): waiting candidates poll only. */
  onReleaseWatchRefused?: (error: ClassifiedError) => void;
  /** Monotonic milliseconds (default performance.now). */
  monotonicNow?: () => number;
  /** Wall clock for the timestamps written into the Lease (default new Date()). */
  wallNow?: () => Date;
  random?: () => number;
}

type LeaseSpec = NonNullable<Lease['spec']>;

export function validateLeaderElectionTimings(lease: number, renew: number, retry: number): void {
  if (lease <= renew) throw new Error('leaseDuration must be greater than renewDeadline');
  if (renew <= jitterFactor * retry) throw new Error('renewDeadline must be greater than retryPeriod*1.2');
  if (retry < 1) throw new Error('retryPeriod must be positive');
}

/** Whether two lease records are the same (client-go compares the serialised record). */
export function sameLeaseRecord(a: LeaseSpec | undefined, b: LeaseSpec | undefined): boolean {
  return (
    a?.holderIdentity === b?.holderIdentity &&
    a?.renewTime === b?.renewTime &&
    a?.acquireTime === b?.acquireTime &&
    a?.leaseTransitions === b?.leaseTransitions &&
    a?.leaseDurationSeconds === b?.leaseDurationSeconds
  );
}

/** Wakes a waiting candidate once; a wake that comes between two waits ends the next one at once. */
class ReleaseWatch {
  private pending = false;
  private wakeWaiter: (() => void) | undefined;
  /** Stopped (we acquired, or gave up): events the informer still delivers are ignored. */
  closed = false;

  constructor(private readonly stopInformer: () => void) {}

  stop(): void {
    this.closed = true;
    this.stopInformer();
  }

  wake(): void {
    if (this.wakeWaiter === undefined) this.pending = true;
    else this.wakeWaiter();
  }

  async sleep(ms: number, stop: AbortSignal): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return;
    }
    const woken = new AbortController();
    this.wakeWaiter = () => {
      woken.abort();
    };
    try {
      await sleep(ms, AbortSignal.any([stop, woken.signal]));
    } finally {
      this.wakeWaiter = undefined;
    }
  }
}

export class LeaderElector {
  private readonly options: LeaderElectionOptions;
  private readonly leases: ObjectClient<Lease>;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private readonly monotonicNow: () => number;
  private readonly wallNow: () => Date;
  private readonly random: () => number;

  private observedRecord: LeaseSpec | undefined;
  private observedTime = 0;
  /** The lease as last read or written (its resourceVersion is needed for release). */
  private observedLease: Lease | undefined;
  private reportedLeader: string | undefined;
  private leading = false;
  private readonly lifecycle = new AbortController();
  private running: Promise<void> | undefined;
  #firstTryDone!: () => void;
  /**
   * Settles once the first try is over: the lease acquired (and onStartedLeading called), or found
   * held, or the try failed, or the elector stopped first.
   */
  readonly firstTry = new Promise<void>((resolve) => (this.#firstTryDone = resolve));

  constructor(options: LeaderElectionOptions) {
    this.options = options;
    this.leases = new ObjectClient<Lease>(options.transport, LeaseResource);
    this.leaseDurationMs = options.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = options.retryPeriodMs ?? 2_000;
    validateLeaderElectionTimings(this.leaseDurationMs, this.renewDeadlineMs, this.retryPeriodMs);
    this.monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.wallNow = options.wallNow ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder we last observed ("" when released, undefined before the first read). */
  getLeader(): string | undefined {
    return this.observedRecord?.holderIdentity;
  }

  /**
   * One term: waits to acquire, leads until leadership is lost, the signal aborts or release() is
   * called, then returns. Run it again (a new elector) to stand again.
   */
  run(signal?: AbortSignal): Promise<void> {
    if (this.running !== undefined) throw new Error('LeaderElector.run() may be called once');
    const stop =
      signal === undefined ? this.lifecycle.signal : AbortSignal.any([signal, this.lifecycle.signal]);
    this.running = this.term(stop);
    return this.running;
  }

  /** Steps down and clears the lease so that another candidate takes over at once. */
  async release(): Promise<void> {
    this.lifecycle.abort();
    await this.running;
  }

  private async term(stop: AbortSignal): Promise<void> {
    // A function, not a property read: flow analysis would assume the flag unchanged across awaits.
    const stopped = (): boolean => stop.aborted;
    // Acquire.
    // The release watch opens after the first try that did not acquire (a sole replica never opens it).
    let released: ReleaseWatch | undefined;
    let acquired = false;
    try {
      for (;;) {
        if (stopped()) return;
        acquired = await this.tryAcquireOrRenew(stop);
        this.maybeReportTransition();
        if (acquired) break;
        this.#firstTryDone();
        if (released === undefined && this.options.watchRelease !== false) released = this.watchRelease();
        await (released?.sleep(this.untilNextTry(), stop) ?? sleep(this.untilNextTry(), stop));
      }
    } finally {
      released?.stop();
      if (!acquired) this.#firstTryDone(); // stopped, or a throw: nobody waits for a try that ended
    }

    this.leading = true;
    const leadership = new AbortController();
    try {
      const result = this.options.onStartedLeading(leadership.signal);
      if (result instanceof Promise) {
        result.catch((error: unknown) => {
          this.report(error);
        });
      }
    } catch (error) {
      this.report(error);
    }
    this.#firstTryDone();

    // Renew every retryPeriod; a round that cannot succeed within renewDeadline loses leadership.
    let lost = false;
    while (!stopped()) {
      await sleep(this.retryPeriodMs, stop);
      if (stopped()) break;
      const deadline = this.monotonicNow() + this.renewDeadlineMs;
      let renewed = false;
      while (!stopped()) {
        const remaining = deadline - this.monotonicNow();
        if (remaining <= 0) break;
        const attempt = AbortSignal.any([stop, AbortSignal.timeout(Math.max(1, Math.round(remaining)))]);
        if (await this.tryAcquireOrRenew(attempt)) {
          renewed = true;
          break;
        }
        await sleep(Math.min(this.retryPeriodMs, deadline - this.monotonicNow()), stop);
      }
      this.maybeReportTransition();
      if (!renewed && !stopped()) {
        lost = true;
        break;
      }
    }

    this.leading = false;
    leadership.abort();
    if (!lost && (this.options.releaseOnCancel ?? true)) await this.releaseLease();
    try {
      this.options.onStoppedLeading?.();
    } catch (error) {
      this.report(error);
    }
  }

  /**
   * The pause before the next acquire try: client-go's jittered retry period, but no later than
   * the moment the observed holder's lease expires on our clock (a holder that stopped renewing,
   * e.g. killed, is replaced at expiry, not up to 2.2 retry periods after it). A holder that renews
   * keeps moving that moment, so a healthy lease is polled as client-go polls it.
   */
  private untilNextTry(): number {
    const jittered = this.retryPeriodMs * (1 + this.random() * jitterFactor);
    const holder = this.observedRecord?.holderIdentity ?? '';
    if (holder === '' || holder === this.options.identity) return jittered;
    const expiresIn = this.observedTime + this.leaseDurationMs - this.monotonicNow();
    // Past expiry the try at expiry has been made (and failed: unreachable, or someone else won):
    // back to the retry period, or an unreachable API server would be retried every millisecond.
    if (expiresIn < 0) return jittered;
    return Math.max(1, Math.min(jittered, expiresIn + 1));
  }

  /**
   * A watch on the one Lease while we wait to acquire: every new record counts as observed when the
   * watch delivers it, and sleep() returns early once the Lease has been released (holder cleared)
   * or deleted since the last try. It only shortens the wait; whether we may take the Lease is
   * decided by the next tryAcquireOrRenew as always.
   */
  private watchRelease(): ReleaseWatch {
    const { transport, namespace, name } = this.options;
    let refused = false;
    const informer: Informer<Lease> = new Informer<Lease>({
      transport,
      resource: LeaseResource,
      namespace,
      fieldSelector: `metadata.name=${name}`,
      transform: (lease) => lease,
      hooks: {
        onError: (error) => {
          // Transient failures are the informer's to retry (and the polling loop's to report);
          // a refusal is permanent: stop watching, keep polling.
          if (refused || (error.kind !== 'Forbidden' && error.kind !== 'Unauthorized')) return;
          refused = true;
          void informer.stop();
          try {
            this.options.onReleaseWatchRefused?.(error);
          } catch {
            // A logging hook must not break the election loop.
          }
        },
      },
    });
    const watch = new ReleaseWatch(() => void informer.stop());
    const seen = (lease: Lease): void => {
      // Once we lead, our own reads and writes are the record (the fast renew's resourceVersion).
      if (watch.closed) return;
      // A record we have not seen, seen now: its lease runs from this moment on our clock, as if a
      // read had returned it (the holder wrote it before; the watch only shows it sooner than our
      // next read would, so a killed holder's lease expires for us that much sooner). An older
      // record delivered late only restarts the count: later, never sooner.
      if (!sameLeaseRecord(lease.spec, this.observedRecord)) this.observe(lease);
      if ((lease.spec?.holderIdentity ?? '') === '') watch.wake();
    };
    informer.onAdd(seen);
    informer.onUpdate(seen);
    informer.onDelete(() => {
      watch.wake();
    });
    informer.start().catch(() => undefined); // stopped before its first list: nothing to wait for
    return watch;
  }

  /** client-go's tryAcquireOrRenew: true when we hold the lease after this call. */
  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const { namespace, name, identity } = this.options;
    const now = formatMicroTime(this.wallNow());
    const leaseDurationSeconds = Math.ceil(this.leaseDurationMs / 1000);
    if (await this.tryRenewFast(now, leaseDurationSeconds, signal)) return true;
    if (signal.aborted) return false;
    let lease: Lease | undefined;
    try {
      lease = await this.leases.find({ namespace, name }, signal);
    } catch (error) {
      this.report(error);
      return false;
    }

    if (lease === undefined) {
      const spec: LeaseSpec = {
        holderIdentity: identity,
        leaseDurationSeconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: 0,
      };
      try {
        const created = await this.leases.create(
          { metadata: this.withAnnotations({ name, namespace }), spec },
          { signal },
        );
        this.observe(created);
        return true;
      } catch (error) {
        if (classifyApiError(error).kind !== 'AlreadyExists') this.report(error);
        return false;
      }
    }

    const record = lease.spec ?? {};
    if (!sameLeaseRecord(record, this.observedRecord)) this.observe(lease);
    this.observedLease = lease;
    const holder = record.holderIdentity ?? '';
    const iAmHolder = holder === identity;
    if (holder !== '' && !iAmHolder && this.observedTime + this.leaseDurationMs > this.monotonicNow()) {
      return false; // held by someone else and not expired on our clock
    }

    const spec: LeaseSpec = {
      holderIdentity: identity,
      leaseDurationSeconds,
      renewTime: now,
      acquireTime: iAmHolder ? (record.acquireTime ?? now) : now,
      leaseTransitions: iAmHolder ? (record.leaseTransitions ?? 0) : (record.leaseTransitions ?? 0) + 1,
    };
    try {
      const updated = await this.leases.replace(
        { ...lease, metadata: this.withAnnotations(lease.metadata), spec },
        { signal },
      );
      this.observe(updated);
      return true;
    } catch (error) {
      if (classifyApiError(error).kind !== 'Conflict') this.report(error);
      return false;
    }
  }

  /**
   * client-go's optimistic renew: a leader whose lease is still valid on its clock writes the
   * renewal over the Lease it last wrote, without reading it first. One round trip instead of two
   * halves what a slow API server can take from the renew deadline. Any failure (a conflict: someone
   * else wrote the Lease) falls back to the read-then-write path, which decides as before.
   */
  private async tryRenewFast(
    now: string,
    leaseDurationSeconds: number,
    signal: AbortSignal,
  ): Promise<boolean> {
    const lease = this.observedLease;
    const record = this.observedRecord;
    if (!this.leading || lease === undefined || record?.holderIdentity !== this.options.identity)
      return false;
    if (this.observedTime + this.leaseDurationMs <= this.monotonicNow()) return false;
    try {
      const spec: LeaseSpec = { ...record, leaseDurationSeconds, renewTime: now };
      this.observe(
        await this.leases.replace(
          { ...lease, metadata: this.withAnnotations(lease.metadata), spec },
          { signal },
        ),
      );
      return true;
    } catch (error) {
      if (signal.aborted) this.report(error);
      return false;
    }
  }

  private withAnnotations(metadata: Lease['metadata']): Lease['metadata'] {
    const extra = this.options.annotations;
    if (extra === undefined) return metadata;
    return { ...metadata, annotations: { ...metadata.annotations, ...extra } };
  }

  private observe(lease: Lease): void {
    this.observedLease = lease;
    this.observedRecord = lease.spec ?? {};
    this.observedTime = this.monotonicNow();
  }

  private maybeReportTransition(): void {
    const holder = this.observedRecord?.holderIdentity;
    if (holder === undefined || holder === '' || holder === this.reportedLeader) return;
    this.reportedLeader = holder;
    try {
      this.options.onNewLeader?.(holder);
    } catch (error) {
      this.report(error);
    }
  }

  /** Clears holderIdentity (keeping the transition count), as client-go's release does. */
  private async releaseLease(): Promise<void> {
    const { namespace, name, identity } = this.options;
    for (let attempt = 0; attempt < 3; attempt++) {
      const signal = AbortSignal.timeout(this.renewDeadlineMs);
      try {
        // A renew aborted mid-flight may still have landed: read the current version first.
        const lease =
          attempt === 0 && this.observedLease !== undefined
            ? this.observedLease
            : await this.leases.find({ namespace, name }, signal);
        if (lease?.spec?.holderIdentity !== identity) return;
        const now = formatMicroTime(this.wallNow());
        const spec: LeaseSpec = {
          holderIdentity: '',
          leaseDurationSeconds: 1,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: lease.spec.leaseTransitions ?? 0,
        };
        this.observe(await this.leases.replace({ ...lease, spec }, { signal }));
        return;
      } catch (error) {
        if (classifyApiError(error).kind !== 'Conflict') {
          this.report(error);
          return;
        }
      }
    }
  }

  private report(error: unknown): void {
    try {
      this.options.onError?.(classifyApiError(error));
    } catch {
      // Logging must not break the election loop.
    }
  }
}
