// The API server's clock, estimated from timestamps the server sets on writes the controller makes
// anyway (docs/adr/0028-visible-quarantine.md). The grace period is measured from the claim's
// deletionTimestamp, which the API server stamps with its own clock; comparing it with the
// controller's clock (as upstream does) releases early or late by the skew between the two.
//
// A sample: a write sent at local time s, answered at r, whose response carries a time T the server
// set while handling it (metadata.managedFields[].time of our field manager: whole seconds). The
// server's clock read somewhere in [T, T + 1 s) at a local instant in [s, r], so
//   offset = server - local  lies in  [T - r, T + resolution - s].
// Each sample is such an interval; the estimate is the region most of the recent samples agree on
// (Marzullo's algorithm: one stale or odd sample is outvoted), its midpoint the offset and its
// half-width the error bound. Samples age out, and widen with age by a drift allowance, so a local
// clock that is stepped or drifts is re-learnt from the next writes.
// The local clock is monotonic by default (performance.timeOrigin + performance.now()): a step of
// the wall clock moves nothing; a skewed `localNow` (tests) is absorbed into the offset.

/** One sample: what the offset can be, from one write. */
interface Sample {
  /** Lowest and highest possible offset (server - local), ms. */
  readonly lo: number;
  readonly hi: number;
  /** Local time the response arrived. */
  readonly at: number;
}

export interface ServerClockOptions {
  /** Local time in epoch milliseconds (default: monotonic, performance.timeOrigin + performance.now()). */
  localNow?: () => number;
  /** Samples kept (default 16). */
  maxSamples?: number;
  /** Samples older than this are dropped (default 10 min). */
  maxAgeMs?: number;
  /** Drift allowance between the two clocks, ms per ms of a sample's age (default 1e-4: 100 ppm). */
  driftRate?: number;
}

export interface ServerClockEstimate {
  /** server - local, ms. */
  readonly offsetMs: number;
  /** The offset is within ± this. */
  readonly errorMs: number;
  /** Samples agreeing on it, of how many kept. */
  readonly agreeing: number;
  readonly samples: number;
}

const defaultLocalNow = (): number => performance.timeOrigin + performance.now();

export class ServerClock {
  readonly #localNow: () => number;
  readonly #maxSamples: number;
  readonly #maxAgeMs: number;
  readonly #driftRate: number;
  #samples: Sample[] = [];

  constructor(options: ServerClockOptions = {}) {
    this.#localNow = options.localNow ?? defaultLocalNow;
    this.#maxSamples = options.maxSamples ?? 16;
    this.#maxAgeMs = options.maxAgeMs ?? 10 * 60_000;
    this.#driftRate = options.driftRate ?? 1e-4;
  }

  /** Local time, epoch ms: take it just before a write (`sentAt`) and when its answer arrives. */
  localNow(): number {
    return this.#localNow();
  }

  /**
   * A server-set timestamp (RFC 3339; whole seconds, or a fraction for microsecond precision) read
   * from the answer to a request sent at `sentAt` and answered at `receivedAt` (both localNow()).
   * Unparsable stamps and impossible windows are ignored.
   */
  observe(stamp: string | undefined, sentAt: number, receivedAt: number): void {
    if (stamp === undefined || !(receivedAt >= sentAt)) return;
    const t = Date.parse(stamp);
    if (Number.isNaN(t)) return;
    const fraction = /\.(\d+)/.exec(stamp)?.[1];
    const resolution = fraction === undefined ? 1000 : Math.max(1, 1000 / 10 ** Math.min(fraction.length, 3));
    this.#samples.push({ lo: t - receivedAt, hi: t + resolution - sentAt, at: receivedAt });
    if (this.#samples.length > this.#maxSamples) this.#samples.shift();
  }

  /**
   * The time our field manager's entry in `object`'s managedFields says (the server sets it to its
   * own clock when a write of that manager changed the object): `subresource` '' for the main
   * resource, 'status' for a status write.
   */
  observeWrite(
    object: { readonly metadata?: object } | undefined,
    manager: string,
    subresource: string,
    sentAt: number,
    receivedAt: number,
  ): void {
    const meta = object?.metadata as { managedFields?: readonly ManagedFieldsEntry[] } | undefined;
    const entry = meta?.managedFields?.find(
      (e) => e.manager === manager && (e.subresource ?? '') === subresource && e.operation !== 'Apply',
    );
    this.observe(entry?.time, sentAt, receivedAt);
  }

  /** The current estimate; undefined before the first sample (or after all aged out). */
  estimate(): ServerClockEstimate | undefined {
    const now = this.#localNow();
    this.#samples = this.#samples.filter((s) => now - s.at <= this.#maxAgeMs);
    if (this.#samples.length === 0) return undefined;
    // Marzullo: sweep the interval ends; the deepest overlap wins (the latest such region on ties).
    const edges: [number, 1 | -1][] = [];
    for (const s of this.#samples) {
      const drift = Math.max(0, now - s.at) * this.#driftRate;
      edges.push([s.lo - drift, 1], [s.hi + drift, -1]);
    }
    // Starts before ends at the same point: touching intervals agree.
    edges.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    let depth = 0;
    let best = 0;
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < edges.length; i++) {
      const [at, kind] = edges[i] as [number, 1 | -1];
      depth += kind;
      if (kind === 1 && depth >= best) {
        best = depth;
        lo = at;
        hi = (edges[i + 1] as [number, 1 | -1])[0];
      }
    }
    return { offsetMs: (lo + hi) / 2, errorMs: (hi - lo) / 2, agreeing: best, samples: this.#samples.length };
  }

  /** The API server's time now, epoch ms (the local time while nothing was sampled). */
  now(): number {
    return this.#localNow() + (this.estimate()?.offsetMs ?? 0);
  }

  /**
   * Milliseconds until the server's clock reaches `serverTime` (0 when it has), erring late by the
   * estimate's error bound so that a grace period is never cut short. Without a sample: the local
   * clock, as upstream.
   */
  untilServerTime(serverTime: number): number {
    const e = this.estimate();
    const now = this.#localNow() + (e?.offsetMs ?? 0);
    return Math.max(0, Math.ceil(serverTime - now + (e?.errorMs ?? 0)));
  }

  /** Whether any sample is kept. */
  get sampled(): boolean {
    return this.estimate() !== undefined;
  }
}

/** The part of a metav1.ManagedFieldsEntry read here. */
export interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly time?: string;
}
