// The browser's data load as a test sees it: the live source's first full snapshot, as a user.
import { createLiveSource, openSession, type LiveEvent, type LiveOptions } from '@ipam-in-cluster/plugin';

export type LiveSnapshot = Extract<LiveEvent, { type: 'snapshot' }>['snapshot'];

/** The first `snapshot` event (`error` events are retried by the source); `as` impersonates. */
export async function firstLiveSnapshot(
  kubeconfig: string,
  as: string | undefined,
  scope: { namespace: string; allNamespaces: boolean },
  options: LiveOptions & {
    timeoutMs?: number;
    /** Wait for the first snapshot that satisfies this (one drawn later, e.g. once a list that is never waited for came in). */
    until?: (snapshot: LiveSnapshot) => boolean;
  } = {},
): Promise<LiveSnapshot> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const session = await openSession({
    kubeconfig,
    namespace: scope.namespace,
    ...(as === undefined ? {} : { as }),
  });
  const source = createLiveSource(session, scope, options);
  let unsubscribe: () => void = () => undefined;
  try {
    return await new Promise<LiveSnapshot>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(`no snapshot for ${as ?? 'the admin'} within ${timeoutMs} ms ("Reading pools…" forever)`),
        );
      }, timeoutMs);
      unsubscribe = source.subscribe((e) => {
        if (e.type !== 'snapshot') return;
        if (options.until !== undefined && !options.until(e.snapshot)) return;
        clearTimeout(timer);
        resolve(e.snapshot);
      });
    });
  } finally {
    unsubscribe();
  }
}
