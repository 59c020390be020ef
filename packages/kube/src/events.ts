// Kubernetes Events for the objects we reconcile, written so that a hot loop cannot flood the API
// server: repeats of the same (object, type, reason, message) within a window update one Event's
// count instead of creating new ones (as client-go's EventCorrelator does), and writes per object are
// token-bucket limited (client-go's spam filter: burst 25, one more every 5 minutes). Normal events
// also share one budget per recorder (burst 100, 10 per second; docs/adr/0012-event-budget.md), so a
// mass scale-up does not add an Event write per object; Warnings never count against it. Recording
// never throws and never blocks the caller; failures go to onError, skipped writes to onDropped.
// Few writes are in flight at once (default 4; client-go's broadcaster writes one at a time): the
// rest wait their turn in memory rather than each holding a connection of their own (a TLS
// connection costs the process ~135 KB; docs/performance.md, "Issue 17: memory").
import type { CoreEvent, EventType } from './core-types.js';
import { classifyApiError, type ClassifiedError } from './errors.js';
import { formatMicroTime } from './microtime.js';
import { ObjectClient } from './object-client.js';
import { TokenBucket } from './rate-limit.js';
import { EventResource } from './resources.js';
import type { KubeTransport } from './transport.js';

export interface InvolvedObject {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; uid?: string; resourceVersion?: string };
}

export interface EventRecorderOptions {
  transport: KubeTransport;
  /** source.component / reportingComponent, e.g. "ipam-in-cluster-controller". */
  component: string;
  /** reportingInstance / source.host, e.g. the pod name. */
  instance?: string;
  /** Repeats within this window are folded into one Event (default 10 minutes). */
  aggregationWindowMs?: number;
  /** Writes per involved object: burst, then refill rate (default 25, 1/300 per second). */
  burst?: number;
  refillPerSecond?: number;
  /**
   * Normal events of all objects together: burst, then refill rate (default 100, 10 per second;
   * `Infinity` turns the budget off). Warnings are not subject to it.
   */
  normalBurst?: number;
  normalRefillPerSecond?: number;
  /** Most distinct events remembered for aggregation (default 4096, oldest forgotten first). */
  maxCacheEntries?: number;
  /** Event writes in flight at once, all events together (default 4); the others wait, in order. */
  maxWritesInFlight?: number;
  onError?: (error: ClassifiedError, event: { reason: string; message: string }) => void;
  /**
   * A write skipped by a rate limit: `object` (the per-object filter) or `budget` (the Normal
   * budget). The occurrence stays counted: a later write of the same event carries it.
   */
  onDropped?: (event: { type: EventType; reason: string; message: string; limit: EventLimit }) => void;
  now?: () => number;
}

/** Which rate limit skipped an event's write. */
export type EventLimit = 'object' | 'budget';

export interface EventLimiterOptions {
  /** Per involved object (default 25, then 1/300 per second). */
  burst?: number | undefined;
  refillPerSecond?: number | undefined;
  /** Normal events of all objects together (default 100, then 10 per second). */
  normalBurst?: number | undefined;
  normalRefillPerSecond?: number | undefined;
  /** Objects whose buckets are remembered (default 4096, oldest forgotten first). */
  maxObjects?: number | undefined;
}

/**
 * The recorder's write limits (pure; the caller passes the time): a token bucket per involved object
 * (client-go's spam filter), then, for Normal events only, one bucket shared by every object. The
 * per-object bucket is asked first, so a noisy object is stopped there and cannot drain the shared
 * budget; a Normal event the budget refuses has used its object's token (one of 25).
 */
export class EventLimiter {
  private readonly objects = new Map<string, TokenBucket>();
  private normal: TokenBucket | undefined;
  private readonly options: EventLimiterOptions;

  constructor(options: EventLimiterOptions = {}) {
    this.options = options;
  }

  /** Undefined when the event may be written now, else the limit that skips it. */
  admit(involved: InvolvedObject, type: EventType, nowMs: number): EventLimit | undefined {
    if (!this.objectBucket(involved, nowMs).take(nowMs)) return 'object';
    if (type !== 'Normal') return undefined;
    this.normal ??= new TokenBucket(
      this.options.normalBurst ?? 100,
      this.options.normalRefillPerSecond ?? 10,
      nowMs,
    );
    return this.normal.take(nowMs) ? undefined : 'budget';
  }

  private objectBucket(involved: InvolvedObject, nowMs: number): TokenBucket {
    const m = involved.metadata;
    const key = [involved.kind, m?.namespace, m?.name, m?.uid].join('\u0000');
    let bucket = this.objects.get(key);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.options.burst ?? 25, this.options.refillPerSecond ?? 1 / 300, nowMs);
      this.objects.set(key, bucket);
      if (this.objects.size > (this.options.maxObjects ?? 4096)) {
        const oldest = this.objects.keys().next();
        if (oldest.done !== true) this.objects.delete(oldest.value);
      }
    }
    return bucket;
  }
}

/** One aggregated event as the recorder remembers it. */
export interface AggregatedEvent {
  key: string;
  /** The Event object's name once created. */
  name: string | undefined;
  count: number;
  firstTimestamp: string;
  lastTimestamp: string;
  lastSeenMs: number;
  /** The count already written to the API server. */
  writtenCount: number;
}

/** Folds repeats of one event within a window (pure; LRU-bounded). */
export class EventAggregator {
  private readonly entries = new Map<string, AggregatedEvent>();
  private readonly windowMs: number;
  private readonly maxEntries: number;

  constructor(windowMs: number, maxEntries: number) {
    this.windowMs = windowMs;
    this.maxEntries = maxEntries;
  }

  /** Records one occurrence; a fresh entry (count 1, no name) when the last one is older than the window. */
  record(key: string, nowMs: number): AggregatedEvent {
    const time = new Date(nowMs).toISOString();
    let entry = this.entries.get(key);
    if (entry === undefined || nowMs - entry.lastSeenMs > this.windowMs) {
      entry = {
        key,
        name: undefined,
        count: 0,
        firstTimestamp: time,
        lastTimestamp: time,
        lastSeenMs: nowMs,
        writtenCount: 0,
      };
    }
    entry.count++;
    entry.lastTimestamp = time;
    entry.lastSeenMs = nowMs;
    // Re-insert so Map order is least-recently-used first.
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done === true) break;
      this.entries.delete(oldest.value);
    }
    return entry;
  }

  get size(): number {
    return this.entries.size;
  }
}

export function eventAggregationKey(
  involved: InvolvedObject,
  type: EventType,
  reason: string,
  message: string,
): string {
  const m = involved.metadata;
  return [involved.apiVersion, involved.kind, m?.namespace, m?.name, m?.uid, type, reason, message].join(
    '\u0000',
  );
}

export class EventRecorder {
  private readonly options: EventRecorderOptions;
  private readonly events: ObjectClient<CoreEvent>;
  private readonly aggregator: EventAggregator;
  private readonly limiter: EventLimiter;
  private readonly queues = new Map<string, Promise<void>>();
  private readonly now: () => number;
  private sequence = 0;
  private readonly maxWritesInFlight: number;
  private writesInFlight = 0;
  /** Writes waiting for one in flight to finish, oldest first. */
  private readonly waitingWrites: (() => void)[] = [];

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.events = new ObjectClient<CoreEvent>(options.transport, EventResource);
    this.aggregator = new EventAggregator(
      options.aggregationWindowMs ?? 600_000,
      options.maxCacheEntries ?? 4096,
    );
    this.limiter = new EventLimiter({
      burst: options.burst,
      refillPerSecond: options.refillPerSecond,
      normalBurst: options.normalBurst,
      normalRefillPerSecond: options.normalRefillPerSecond,
      maxObjects: options.maxCacheEntries,
    });
    this.now = options.now ?? Date.now;
    this.maxWritesInFlight = Math.max(1, options.maxWritesInFlight ?? 4);
  }

  normal(involved: InvolvedObject, reason: string, message: string): void {
    this.event(involved, 'Normal', reason, message);
  }

  warning(involved: InvolvedObject, reason: string, message: string): void {
    this.event(involved, 'Warning', reason, message);
  }

  /** Records an event; returns at once. */
  event(involved: InvolvedObject, type: EventType, reason: string, message: string, action?: string): void {
    try {
      const nowMs = this.now();
      const entry = this.aggregator.record(eventAggregationKey(involved, type, reason, message), nowMs);
      const limit = this.limiter.admit(involved, type, nowMs);
      if (limit !== undefined) {
        this.options.onDropped?.({ type, reason, message, limit });
        return;
      }
      // One write at a time per event, so a create is never overtaken by its own count update.
      const previous = this.queues.get(entry.key) ?? Promise.resolve();
      const next = previous
        .then(() => this.inTurn(() => this.write(involved, type, reason, message, action, entry)))
        .catch((error: unknown) => {
          this.report(error, reason, message);
        })
        .finally(() => {
          if (this.queues.get(entry.key) === next) this.queues.delete(entry.key);
        });
      this.queues.set(entry.key, next);
    } catch (error) {
      this.report(error, reason, message);
    }
  }

  /** Resolves when every write started so far has finished (for tests and shutdown). */
  async flush(): Promise<void> {
    while (this.queues.size > 0) await Promise.all([...this.queues.values()]);
  }

  private async write(
    involved: InvolvedObject,
    type: EventType,
    reason: string,
    message: string,
    action: string | undefined,
    entry: AggregatedEvent,
  ): Promise<void> {
    const count = entry.count;
    if (count === entry.writtenCount) return; // a later write already carried this occurrence
    const namespace = involved.metadata?.namespace ?? 'default';
    if (entry.name !== undefined) {
      try {
        await this.events.mergePatch(
          { namespace, name: entry.name },
          { count, lastTimestamp: entry.lastTimestamp, message },
        );
        entry.writtenCount = count;
        return;
      } catch (error) {
        // The Event expired (events have a TTL) or was deleted: start a new one.
        if (classifyApiError(error).kind !== 'NotFound') throw error;
      }
    }
    const name = `${involved.metadata?.name ?? 'object'}.${this.uniqueSuffix()}`;
    const m = involved.metadata;
    const event: CoreEvent = {
      metadata: { name, namespace },
      involvedObject: {
        ...(involved.apiVersion !== undefined && { apiVersion: involved.apiVersion }),
        ...(involved.kind !== undefined && { kind: involved.kind }),
        ...(m?.name !== undefined && { name: m.name }),
        ...(m?.namespace !== undefined && { namespace: m.namespace }),
        ...(m?.uid !== undefined && { uid: m.uid }),
        ...(m?.resourceVersion !== undefined && { resourceVersion: m.resourceVersion }),
      },
      type,
      reason,
      message,
      count,
      firstTimestamp: entry.firstTimestamp,
      lastTimestamp: entry.lastTimestamp,
      eventTime: formatMicroTime(new Date(this.now())),
      source: {
        component: this.options.component,
        ...(this.options.instance !== undefined && { host: this.options.instance }),
      },
      reportingComponent: this.options.component,
      reportingInstance: this.options.instance ?? this.options.component,
      action: action ?? reason,
    };
    await this.events.create(event);
    entry.name = name;
    entry.writtenCount = count;
  }

  /** Runs `write` once fewer than maxWritesInFlight writes are in flight. */
  private async inTurn(write: () => Promise<void>): Promise<void> {
    if (this.writesInFlight >= this.maxWritesInFlight) {
      await new Promise<void>((resolve) => this.waitingWrites.push(resolve));
    } else {
      this.writesInFlight++;
    }
    try {
      await write();
    } finally {
      // The slot passes straight to the oldest waiting write, or is given back.
      const nextWrite = this.waitingWrites.shift();
      if (nextWrite === undefined) this.writesInFlight--;
      else nextWrite();
    }
  }

  /** client-go names events `<object>.<hex unix nanos>`; a sequence keeps names unique within a millisecond. */
  private uniqueSuffix(): string {
    this.sequence = (this.sequence + 1) % 1_000_000;
    return (BigInt(this.now()) * 1_000_000n + BigInt(this.sequence)).toString(16);
  }

  private report(error: unknown, reason: string, message: string): void {
    try {
      this.options.onError?.(classifyApiError(error), { reason, message });
    } catch {
      // An error callback that throws must not escape a fire-and-forget path.
    }
  }
}
