// Leadership: leader election over the Lease (or none), the role /readyz reports, and the new
// leader's consistent IPAddress read (with its retry) before any worker starts, so a new leader
// never allocates from a view older than the lease. A replica whose IPAddress cache was listed after
// it won the Lease already has that view and skips the read (ADR 0035).
import { ANNOTATION_FENCE_KEY, type IPAddressWire } from '@ipam-in-cluster/api';
import { LeaderElector, sleep, type ObjectClient } from '@ipam-in-cluster/kube';
import { processFenceKey } from '../allocation/fence-key.js';
import { MANAGER_DEFAULTS } from '../config/flags.js';
import type { Cache, Logger } from '../reconcilers/types.js';
import type { Caches } from './caches.js';
import type { Role, Wiring } from './options.js';

export interface LeadershipOptions extends Wiring {
  caches: Caches;
  /** Resolves when every cache has listed once and the pool states are built. */
  synced: Promise<void>;
  /** True once the manager stops: the leader read's retry ends. */
  stopped: () => boolean;
  /** Runs once leadership is acquired (after the consistent read when elected). */
  onLeading: () => void;
  /** Leadership lost (renew deadline passed): the manager stops. */
  onLost: () => void;
}

export interface Leadership {
  role(): Role;
  /** When the Lease was last unreachable (performance.now()), for readiness. */
  lastErrorAt(): number | undefined;
  /**
   * Starts campaigning, which may win before the caches have synced: the leader's read and work
   * wait for them. Resolves after the first try (at most FIRST_TRY_WAIT_MS): caches started after
   * it list a view newer than a lease won in it. Without election, leads once they have synced.
   */
  start(): Promise<void>;
  /** Steps down and clears the Lease so that a standby takes over at once. */
  release(): Promise<void>;
}

/**
 * How long start() waits for the first try. One round trip normally (tens of ms); a server that
 * does not answer must not hold the lists back: they then start first and the new leader reads.
 */
const FIRST_TRY_WAIT_MS = 1_000;

export function newLeadership(w: LeadershipOptions): Leadership {
  const { o, log } = w;
  let role: Role = o.leaderElect ? 'starting' : 'disabled';
  let lastErrorAt: number | undefined;
  let elector: LeaderElector | undefined;
  return {
    role: () => role,
    lastErrorAt: () => lastErrorAt,
    start: () => {
      if (!o.leaderElect) {
        // The manager awaits synced itself and reports its failure.
        w.synced.then(w.onLeading, () => undefined);
        return Promise.resolve();
      }
      const namespace = o.leaderElectionNamespace ?? w.kubeconfigNamespace ?? 'default';
      const lease = `${namespace}/${o.leaderElectionId}`;
      elector = new LeaderElector({
        transport: w.transport,
        namespace,
        name: o.leaderElectionId,
        identity: w.identity,
        leaseDurationMs: o.leaseDurationMs,
        renewDeadlineMs: o.renewDeadlineMs,
        retryPeriodMs: o.retryPeriodMs,
        // The fence's signing key, for the webhooks of every replica (allocation/fence-key.ts).
        annotations: { [ANNOTATION_FENCE_KEY]: processFenceKey() },
        onStartedLeading: async () => {
          const acquiredAt = performance.now();
          role = 'leading';
          log.info('lease acquired', { lease });
          await w.synced;
          const listedAt = w.caches.addresses.lastListRequestedAt;
          if (listedAt !== undefined && listedAt >= acquiredAt) {
            // That list was itself a consistent read, requested after the Lease was ours.
            log.info('consistent IPAddress read', {
              skipped: 'the IPAddress cache was listed after the lease was acquired',
              seconds: 0,
              attempts: 0,
            });
          } else {
            await consistentAddressRead({
              addressClient: w.client.ipAddresses(w.served.contract.version),
              addresses: w.caches.addresses,
              labelSelector: w.caches.addressSelector,
              streaming: w.served.streamingLists,
              log,
              stopped: w.stopped,
              maxRetryDelayMs: MANAGER_DEFAULTS.leaderReadMaxRetryMs,
            });
          }
          w.onLeading();
        },
        onStoppedLeading: () => {
          if (role === 'leading') {
            role = 'lost';
            w.onLost();
          }
        },
        onNewLeader: (holder) => {
          if (holder !== w.identity && role === 'starting') role = 'standby';
          log.info('leader observed', { holder, lease });
        },
        onReleaseWatchRefused: (error) => {
          log.warn('lease watch refused, a released lease is noticed at the next retry', {
            lease,
            kind: error.kind,
            error: error.message,
          });
        },
        onError: (error) => {
          lastErrorAt = performance.now();
          log.warn('leader election error', { kind: error.kind, error: error.message });
        },
      });
      void elector.run();
      const wait = new AbortController();
      return Promise.race([elector.firstTry, sleep(FIRST_TRY_WAIT_MS, wait.signal)]).finally(() => {
        wait.abort();
      });
    },
    release: async () => {
      if (role === 'leading') role = 'standby';
      await elector?.release();
    },
  };
}

export interface LeaderReadOptions {
  addressClient: ObjectClient<IPAddressWire>;
  addresses: Cache<IPAddressWire>;
  labelSelector: string | undefined;
  streaming: boolean;
  log: Logger;
  /** True once the manager stops: the retry ends. */
  stopped: () => boolean;
  /** Longest pause between attempts. */
  maxRetryDelayMs: number;
}

/**
 * A consistent (quorum) read of every IPAddress the cache holds, folded into the cache: nothing
 * committed before this process became leader (by a previous leader) is missing from the pool
 * states. Only adds (newest wins): dropping holdings the read does not show could forget an object
 * created after its snapshot; deletions arrive by watch. Object by object (a streaming list, else
 * page by page), so the whole list is never held at once; observe() skips an object the cache
 * already holds at the same resourceVersion. Retried until it succeeds or the manager stops.
 */
export async function consistentAddressRead(o: LeaderReadOptions): Promise<void> {
  let streaming = o.streaming;
  const started = performance.now();
  for (let attempt = 1; ; attempt++) {
    try {
      // A refusal: what the stream handed over was real, observing it again is a no-op.
      const { streamed } = await o.addressClient.snapshot(
        { labelSelector: o.labelSelector, streaming },
        (item) => {
          o.addresses.observe(item);
        },
        (why) => {
          o.log.warn('streaming list refused, listing in pages', {
            resource: 'ipaddresses (leader read)',
            why,
          });
          streaming = false;
        },
      );
      o.log.info('consistent IPAddress read', {
        streamed,
        attempts: attempt,
        seconds: Number(((performance.now() - started) / 1000).toFixed(3)),
      });
      return;
    } catch (error) {
      if (o.stopped()) return;
      o.log.warn('consistent IPAddress list failed, retrying', { attempt, error });
      await new Promise((resolve) => setTimeout(resolve, Math.min(o.maxRetryDelayMs, 200 * 2 ** attempt)));
    }
  }
}
