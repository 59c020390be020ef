// The browser's live data source (plugin/src/data/live.ts) against the control plane: informers on
// pools, IPAddresses and claims; a change reaches the listener as a new snapshot within seconds
// (watch event + 150 ms debounce), not on a polling tick.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createLiveSource,
  openSession,
  type LiveEvent,
  type LiveSource,
  type Session,
} from '@ipam-in-cluster/plugin';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Objects } from '../support/ipam-objects.js';

/** A live change must show within this (generous for a shared, busy control plane). */
const LIVE_MS = 5_000;
const FIRST_MS = 30_000;

type Snapshot = Extract<LiveEvent, { type: 'snapshot' }>['snapshot'];

describe('plugin live source (watches)', () => {
  let ns: TestNamespace;
  let objects: Objects;
  let source: LiveSource;
  let session: Session;
  let unsubscribe: (() => void) | undefined;
  const snapshots: { at: number; snapshot: Snapshot }[] = [];
  const waiters = new Set<() => void>();

  before(async () => {
    const cluster = await planeWithNamespaces('plugin-live');
    [ns] = cluster.namespaces;
    objects = new Objects(cluster.kc, ns.name);
    session = await openSession({ kubeconfig: cluster.kubeconfigPath, namespace: ns.name });
    source = createLiveSource(session, { namespace: ns.name, allNamespaces: false });
  });

  after(async () => {
    unsubscribe?.();
    await ns.cleanup();
  });

  function until(what: string, ok: (s: Snapshot) => boolean, timeoutMs: number): Promise<number> {
    const start = performance.now();
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const last = snapshots.at(-1);
        if (last !== undefined && ok(last.snapshot)) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(last.at - start);
          return true;
        }
        return false;
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no snapshot with ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      if (!check()) waiters.add(check);
    });
  }

  const addressesOf = (s: Snapshot): string[] =>
    s.pools
      .find((p) => p.key.namespace === ns.name && p.key.name === 'nodes')
      ?.addresses.map((a) => a.address) ?? [];

  it('delivers a first snapshot, then each change within seconds', async () => {
    const pool = await objects.pool('nodes', {
      addresses: ['10.30.0.0/24'],
      prefix: 24,
      gateway: '10.30.0.1',
    });
    await objects.allocated('live-a', '10.30.0.10', { name: 'nodes', uid: pool.uid });
    unsubscribe = source.subscribe((event) => {
      if (event.type !== 'snapshot') return;
      snapshots.push({ at: performance.now(), snapshot: event.snapshot });
      for (const w of [...waiters]) w();
    });
    await until('the pool and its address', (s) => addressesOf(s).join() === '10.30.0.10', FIRST_MS);

    // A new IPAddress: seen through the watch.
    const t0 = performance.now();
    await objects.allocated('live-b', '10.30.0.11', { name: 'nodes', uid: pool.uid });
    await until('the new address', (s) => addressesOf(s).join() === '10.30.0.10,10.30.0.11', LIVE_MS);
    const addedMs = Math.round(performance.now() - t0);

    // The CLI's release rule: its claim exists, so without force (the dialog's extra confirmation)
    // the source refuses and nothing changes.
    const target = { namespace: ns.name, name: 'live-a', address: '10.30.0.10' };
    const refused = await source.release({ ...target, force: false });
    assert.equal(refused.ok, false);
    assert.match(refused.message, /refusing to release 10\.30\.0\.10 .*claim .*\/live-a still exists/);
    assert.equal(await objects.addressExists('live-a'), true);
    // Released with force (finalizer removed, deleted): gone from the next snapshot.
    const t1 = performance.now();
    const r = await source.release({ ...target, force: true });
    assert.equal(r.ok, true, r.message);
    await until('the released address gone', (s) => addressesOf(s).join() === '10.30.0.11', LIVE_MS);
    const releasedMs = Math.round(performance.now() - t1);

    // A pool edit (watched too): the total changes.
    const t2 = performance.now();
    await session.client
      .pools('InClusterIPPool')
      .mergePatch(
        { namespace: ns.name, name: 'nodes' },
        { spec: { excludedAddresses: ['10.30.0.200-10.30.0.209'] } },
      );
    await until(
      'the edited pool',
      (s) =>
        s.pools.find((p) => p.key.name === 'nodes' && p.key.namespace === ns.name)?.counts.total === 243n,
      LIVE_MS,
    );
    const editedMs = Math.round(performance.now() - t2);
    process.stdout.write(
      `# live source: new address ${addedMs} ms, release ${releasedMs} ms, pool edit ${editedMs} ms\n`,
    );
  });
});
