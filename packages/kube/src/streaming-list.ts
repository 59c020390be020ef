// A streaming list (KEP-3157 "WatchList"): a watch with sendInitialEvents=true sends every object of
// a consistent snapshot as its own ADDED event, then a BOOKMARK annotated k8s.io/initial-events-end
// carrying the snapshot's resourceVersion. Why, rather than pages of 500: each object is parsed from
// its own line and dies young, where a page is one 0.8 MB string parsed into 500 objects at once,
// which outlive the 1 MB young generation and are promoted as garbage into the old one
// (docs/performance.md). The API server, too, serves it from its watch cache without building pages.
//
// Servers: 1.27-1.31 and 1.33 reject sendInitialEvents with 422 unless the WatchList gate is on;
// 1.32 and 1.34+ serve it by default; older servers ignore the parameter and would start a plain
// watch, which never sends the bookmark (a refusal after its timeout): callers ask only servers that
// know the parameter (serverKnowsStreamingLists).
import { classifyApiError, KubeStatusError } from './errors.js';
import { parseJson } from './json.js';
import type { KubeObject } from './core-types.js';
import { resourcePath, type ResourceDescriptor } from './resources.js';
import type { KubeTransport } from './transport.js';

export const INITIAL_EVENTS_END_ANNOTATION = 'k8s.io/initial-events-end';

export interface StreamingListOptions {
  namespace?: string | undefined;
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  /** The server ends the stream after this long (default 300 s): a stalled stream cannot hang a caller. */
  timeoutSeconds?: number;
  signal?: AbortSignal | undefined;
}

/** Why a stream gave no snapshot, so the caller lists in pages instead. */
export type StreamingListRefusal = 'rejected' | 'no-bookmark';

/** The snapshot's resourceVersion, or why there is none (and how many objects came before that). */
export type StreamingListOutcome =
  { resourceVersion: string | undefined } | { refused: StreamingListRefusal; items: number };

interface WatchLine {
  type?: string;
  object?: KubeObject & { metadata?: { annotations?: Record<string, string> } };
}

/**
 * Calls `onItem` for every object of a consistent snapshot (resourceVersionMatch=NotOlderThan with
 * no resourceVersion: at least as new as a quorum read) and returns the snapshot's resourceVersion.
 * Or a refusal: the server turned the request down (400/422), or kept the stream open until its
 * timeout without the bookmark (a server or proxy that ignored sendInitialEvents). Objects already
 * handed over are then real but maybe not all: a caller that needs the whole snapshot lists it again
 * in pages. Other failures throw: 410 Gone from an ERROR event, and a stream cut off before both
 * the bookmark and the timeout.
 */
export async function streamList(
  transport: KubeTransport,
  resource: ResourceDescriptor,
  options: StreamingListOptions,
  onItem: (item: KubeObject) => void,
): Promise<StreamingListOutcome> {
  // Our own abort, to close the stream once the bookmark is in (the watch would go on).
  const done = new AbortController();
  const signal = options.signal === undefined ? done.signal : AbortSignal.any([options.signal, done.signal]);
  const timeoutSeconds = options.timeoutSeconds ?? 300;
  let lines: AsyncIterable<string>;
  try {
    ({ lines } = await transport.stream({
      method: 'GET',
      path: resourcePath(resource, { namespace: options.namespace }),
      query: {
        watch: true,
        sendInitialEvents: true,
        resourceVersionMatch: 'NotOlderThan',
        allowWatchBookmarks: true,
        timeoutSeconds,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
      },
      signal,
    }));
  } catch (error) {
    const kind = classifyApiError(error).kind;
    if (kind === 'Invalid' || kind === 'BadRequest') return { refused: 'rejected', items: 0 };
    throw error;
  }
  const opened = performance.now();
  let items = 0;
  try {
    for await (const line of lines) {
      const event = parseJson(line) as WatchLine;
      if (event.type === 'ADDED' && event.object !== undefined) {
        items++;
        onItem(event.object);
      } else if (event.type === 'BOOKMARK') {
        const metadata = event.object?.metadata;
        if (metadata?.annotations?.[INITIAL_EVENTS_END_ANNOTATION] === 'true') {
          return { resourceVersion: metadata.resourceVersion };
        }
      } else if (event.type === 'ERROR') {
        throw new KubeStatusError(classifyApiError(event.object));
      }
      // MODIFIED/DELETED do not come before the bookmark; a plain watch (sendInitialEvents ignored)
      // sends them after its ADDED events and never the bookmark: it ends as a refusal.
    }
  } finally {
    done.abort();
  }
  if (options.signal?.aborted === true) throw options.signal.reason;
  // A server that ignored sendInitialEvents serves a plain watch, which runs to its timeout. One
  // that ends sooner was cut off (an API server restarting, a proxy): try again, not pages for good.
  if (performance.now() - opened < timeoutSeconds * 900) {
    throw new Error(
      `streaming list of ${resource.plural} ended after ${String(items)} objects, before its ${INITIAL_EVENTS_END_ANNOTATION} bookmark`,
    );
  }
  return { refused: 'no-bookmark', items };
}

/**
 * Whether the server's /version knows sendInitialEvents; false when it cannot be read (only an
 * optimisation depends on it: such a server is listed in pages).
 */
export async function serverStreamsLists(transport: KubeTransport, signal?: AbortSignal): Promise<boolean> {
  const version = await transport
    .request<{ major?: string; minor?: string }>({ method: 'GET', path: '/version', signal })
    .catch(() => ({}));
  return serverKnowsStreamingLists(version);
}

/**
 * Whether a server of this version knows sendInitialEvents (it may still refuse it with 422 when its
 * WatchList gate is off). `minor` as /version reports it: "32", or "32+" from some providers.
 */
export function serverKnowsStreamingLists(version: { major?: string; minor?: string }): boolean {
  const major = Number.parseInt(version.major ?? '', 10);
  const minor = Number.parseInt(version.minor ?? '', 10);
  if (!Number.isFinite(major) || !Number.isFinite(minor)) return false;
  return major > 1 || (major === 1 && minor >= 27);
}
