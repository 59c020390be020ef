// The pages of a list with the next request always in flight: page n+1 is asked for as soon as page
// n has arrived, before page n is handed to the consumer, so the API server encodes the next page
// while the consumer counts this one (two cores instead of one taking turns). At most one request
// runs ahead; stopping early aborts it.
import type { KubeList } from '@ipam-in-cluster/kube';

/** Fetches one page: the first with `token` undefined, then with the previous page's `continue`. */
export type FetchPage<T> = (token: string | undefined, signal: AbortSignal) => Promise<KubeList<T>>;

export async function* prefetchPages<T>(
  fetchPage: FetchPage<T>,
): AsyncGenerator<KubeList<T>, void, undefined> {
  const abort = new AbortController();
  let next: Promise<KubeList<T>> | undefined = fetchPage(undefined, abort.signal);
  try {
    while (next !== undefined) {
      const page: KubeList<T> = await next;
      const token = page.metadata?.continue;
      next = token === undefined || token === '' ? undefined : fetchPage(token, abort.signal);
      // Awaited on the next turn; if the consumer stops first, its failure must not go unhandled.
      next?.catch(() => undefined);
      yield page;
    }
  } finally {
    abort.abort();
  }
}
