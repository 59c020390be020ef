import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNOTATION_PENDING_ALLOCATIONS,
  readPendingAllocations,
  type Pool,
  type PoolKind,
} from '@ipam-in-cluster/api';
import type { JsonPatchOperation, ObjectClient } from '@ipam-in-cluster/kube';
import { processFenceKey, verifyPending } from '../allocation/fence-key.js';
import { PoolFence, SPARE_MAX_AGE_MS, type PoolFenceDeps } from './pool-fence.js';
import { discardLogger as nullLogger } from '../log/logger.js';
import type { Cache } from './types.js';

const id = { kind: 'InClusterIPPool' as const, namespace: 'ns', name: 'p' };

/** One pool "on the server", a cache that lags until told, and a JSON patch that honours test ops. */
function harness(extra: Partial<PoolFenceDeps> = {}) {
  let server: Pool = {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', generation: 1, resourceVersion: '1' },
    spec: { addresses: ['10.0.0.1-10.0.0.250'], prefix: 24 },
  };
  let cached: Pool = structuredClone(server);
  const patches: JsonPatchOperation[][] = [];
  const cache: Cache<Pool> = {
    get: () => cached,
    list: () => [cached],
    byIndex: () => [],
    observe: (p) => {
      cached = structuredClone(p);
    },
  };
  const client = {
    jsonPatch: (_ref: unknown, ops: readonly JsonPatchOperation[]) => {
      patches.push([...ops]);
      const next = structuredClone(server) as Pool & { metadata: Record<string, unknown> };
      for (const op of ops) {
        const path = op.path
          .split('/')
          .slice(1)
          .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
        const last = path.pop() ?? '';
        let target = next as unknown as Record<string, unknown>;
        for (const seg of path) target = (target[seg] ?? {}) as Record<string, unknown>;
        if (op.op === 'test' && target[last] !== (op.value ?? undefined)) {
          return Promise.reject(
            Object.assign(new Error('test failed'), {
              statusCode: 422,
              body: { reason: 'Invalid', code: 422 },
            }),
          );
        }
        if (op.op === 'add') target[last] = op.value;
        if (op.op === 'remove') Reflect.deleteProperty(target, last);
      }
      next.metadata.resourceVersion = String(Number(server.metadata.resourceVersion) + 1);
      server = next;
      return Promise.resolve(structuredClone(server));
    },
    find: () => Promise.resolve(structuredClone(server)),
  } as unknown as ObjectClient<Pool>;
  const pools = { InClusterIPPool: cache } as unknown as Record<PoolKind, Cache<Pool>>;
  const clients = { InClusterIPPool: client } as unknown as Record<PoolKind, ObjectClient<Pool>>;
  const fence = new PoolFence({
    pools,
    poolClients: clients,
    log: nullLogger,
    fieldManager: 't',
    removalDelayMs: 5,
    ...extra,
  });
  return {
    fence,
    patches,
    server: () => server,
    /** The addresses the server's annotation holds now. */
    pending: () => readPendingAllocations(server.metadata).map((p) => p.address),
    /** The cache catches up with the server. */
    sync() {
      cached = structuredClone(server);
    },
    /** The pool deleted and created again: a new uid, generation 1, no annotations. */
    recreate() {
      server = {
        ...server,
        metadata: { name: 'p', namespace: 'ns', uid: 'u2', generation: 1, resourceVersion: '100' },
      };
    },
    /** A spec edit the cache has not seen yet. */
    edit(spec: Pool['spec']) {
      server = {
        ...server,
        metadata: {
          ...server.metadata,
          generation: (server.metadata.generation ?? 0) + 1,
          resourceVersion: String(Number(server.metadata.resourceVersion) + 1),
        },
        spec,
      } as Pool;
    },
  };
}

describe('PoolFence', () => {
  it('signs each entry for the pool with its key and stamps when it was fenced', async () => {
    const h = harness();
    await h.fence.enter(id, 'ns/c0', { address: '10.0.0.1', prefix: 24, claim: 'ns/c0' });
    const [entry] = readPendingAllocations(h.server().metadata);
    assert.ok(entry !== undefined);
    const age = Date.now() - (entry.at ?? 0);
    assert.ok(age >= 0 && age < 5_000, `at ${String(entry.at)}`);
    assert.equal(verifyPending(processFenceKey(), 'u1', entry, Date.now()), 'ok');
    assert.equal(verifyPending(processFenceKey(), 'another-pool', entry, Date.now()), 'forged');
    assert.equal(verifyPending('not-the-key', 'u1', entry, Date.now()), 'forged');
  });

  it('writes pending allocations under a uid + generation precondition, batching concurrent ones, and clears them', async () => {
    const h = harness();
    const results = await Promise.all(
      ['10.0.0.1', '10.0.0.2', '10.0.0.3'].map((address, i) =>
        h.fence.enter(id, `ns/c${String(i)}`, { address, prefix: 24 }),
      ),
    );
    assert.deepEqual(results, [{ ok: true }, { ok: true }, { ok: true }]);
    assert.equal(h.patches.length, 2, 'the first alone, the two that queued behind it together');
    assert.deepEqual(h.patches[0]?.slice(0, 2), [
      { op: 'test', path: '/metadata/uid', value: 'u1' },
      { op: 'test', path: '/metadata/generation', value: 1 },
    ]);
    assert.deepEqual(
      readPendingAllocations(h.server().metadata).map((p) => p.address),
      ['10.0.0.1', '10.0.0.2', '10.0.0.3'],
    );
    for (const i of [0, 1, 2]) h.fence.leave(id, `ns/c${String(i)}`);
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(h.server().metadata.annotations?.[ANNOTATION_PENDING_ALLOCATIONS], undefined);
    assert.equal(h.patches.length, 3, 'one removal write for all three');
  });

  it("answers 'stale' when a spec edit the cache had not seen excludes the address, and fences one the new spec allows", async () => {
    const h = harness();
    h.edit({
      addresses: ['10.0.0.1-10.0.0.10'],
      excludedAddresses: ['10.0.0.1'],
      prefix: 24,
    });
    assert.deepEqual(await h.fence.enter(id, 'ns/a', { address: '10.0.0.1', prefix: 24 }), {
      ok: false,
      reason: 'stale',
    });
    assert.equal(
      h.patches.length,
      1,
      'the write failed its generation test; nothing was written after the re-read',
    );
    assert.deepEqual(await h.fence.enter(id, 'ns/a', { address: '10.0.0.2', prefix: 24 }), { ok: true });
    assert.equal(h.patches[1]?.[1]?.op === 'test' && h.patches[1][1].value, 2);
  });

  it("answers 'gone' for a terminating pool", async () => {
    const h = harness();
    h.edit({ addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 });
    const s = h.server();
    s.metadata.deletionTimestamp = '2026-01-01T00:00:00Z';
    assert.deepEqual(await h.fence.enter(id, 'ns/a', { address: '10.0.0.1', prefix: 24 }), {
      ok: false,
      reason: 'gone',
    });
  });

  describe('spares', () => {
    /** The pool hands out 10.0.0.1, .2, … in order; `free()` is what the registry's look-ahead sees. */
    function sparesHarness(extra: Partial<PoolFenceDeps> = {}) {
      let next = 1;
      const h = harness({
        spareCount: 4,
        spares: (_id, count) =>
          Array.from({ length: count }, (_, i) => `10.0.0.${String(next + i)}`).filter(
            (a) => Number(a.split('.')[3]) <= 250,
          ),
        ...extra,
      });
      /** Like the claim reconciler: pick the next address, then pass the fence with it. */
      const allocate = async (claim: string) => {
        const address = `10.0.0.${String(next++)}`;
        const result = await h.fence.enter(id, claim, { address, prefix: 24, claim });
        return { address, result, annotatedWhenPassed: h.pending().includes(address) };
      };
      return { ...h, allocate };
    }

    it('fences the next addresses with a write for a waiting claim, and lets later claims pass on them without a write', async () => {
      const h = sparesHarness();
      const first = await h.allocate('ns/c1');
      assert.deepEqual(first.result, { ok: true });
      assert.deepEqual(h.pending(), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
      assert.deepEqual(h.fence.sparesOf(id), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5']);
      for (const claim of ['ns/c2', 'ns/c3', 'ns/c4']) {
        const r = await h.allocate(claim);
        assert.deepEqual(r.result, { ok: true });
        assert.ok(r.annotatedWhenPassed, `${r.address} was in the annotation when ${claim} passed`);
      }
      assert.equal(h.patches.length, 1, 'three claims passed on spares: no write');
      // Fewer than a quarter left: the next claim's write tops the spares up.
      await h.allocate('ns/c5');
      await h.allocate('ns/c6');
      assert.equal(h.patches.length, 2);
      assert.deepEqual(h.fence.sparesOf(id), ['10.0.0.7', '10.0.0.8', '10.0.0.9', '10.0.0.10']);
      // Every address that passed is signed for the pool in the annotation.
      const entries = readPendingAllocations(h.server().metadata);
      for (const e of entries) assert.equal(verifyPending(processFenceKey(), 'u1', e, Date.now()), 'ok');
    });

    it('keeps topping spares up when claims picked spares whose write was still in flight', async () => {
      const h = sparesHarness({ spareCount: 8 });
      // Ten claims at once: the first write carries spares the others picked before it landed.
      const burst = await Promise.all(Array.from({ length: 10 }, (_, i) => h.allocate(`ns/b${String(i)}`)));
      assert.ok(burst.every((r) => r.result.ok));
      const afterBurst = h.patches.length;
      for (let i = 0; i < 20; i++) {
        const r = await h.allocate(`ns/s${String(i)}`);
        assert.deepEqual(r.result, { ok: true });
        assert.ok(r.annotatedWhenPassed, `${r.address} was in the annotation when it passed`);
      }
      assert.ok(
        h.patches.length - afterBurst <= 5,
        `${String(h.patches.length - afterBurst)} writes for 20 claims`,
      );
    });

    it('uses no spare once the cached pool is at another generation, and answers stale if the new spec excludes it', async () => {
      const h = sparesHarness();
      await h.allocate('ns/c1');
      h.edit({ addresses: ['10.0.0.1-10.0.0.10'], excludedAddresses: ['10.0.0.2'], prefix: 24 });
      h.sync();
      const r = await h.allocate('ns/c2');
      assert.deepEqual(r.result, { ok: false, reason: 'stale' }, '10.0.0.2 is excluded by the edit');
      const again = await h.allocate('ns/c3');
      assert.deepEqual(again.result, { ok: true });
      assert.equal(h.patches.length, 2, 'a write under the new generation, not the old spare');
      const test = h.patches[1]?.[1];
      assert.equal(test?.op === 'test' && test.value, 2);
    });

    it('does not use a spare of a pool that was deleted and created again under the same name and generation', async () => {
      const h = sparesHarness();
      await h.allocate('ns/c1');
      h.recreate();
      h.sync();
      const r = await h.allocate('ns/c2');
      assert.deepEqual(r.result, { ok: true });
      assert.equal(h.patches.length, 2, "a write to the new pool object, not the old one's spare");
      assert.ok(h.pending().includes(r.address));
      const test = h.patches[1]?.[0];
      assert.equal(test?.op === 'test' && test.value, 'u2');
    });

    it('does not use a spare older than SPARE_MAX_AGE_MS', async () => {
      let now = 1_000_000;
      const h = sparesHarness({ now: () => now });
      await h.allocate('ns/c1');
      now += SPARE_MAX_AGE_MS + 1;
      await h.allocate('ns/c2');
      assert.equal(h.patches.length, 2, 'the old spare was not used: a write of its own');
      assert.ok(h.pending().includes('10.0.0.2'));
    });

    it('drops unused spares with the first removal write after the pool went quiet', async () => {
      const h = sparesHarness();
      await h.allocate('ns/c1');
      await h.allocate('ns/c2');
      h.fence.leave(id, 'ns/c1');
      h.fence.leave(id, 'ns/c2');
      for (let i = 0; i < 50 && h.pending().length > 0; i++) await new Promise((r) => setTimeout(r, 5));
      assert.deepEqual(h.pending(), []);
      assert.deepEqual(h.fence.sparesOf(id), []);
      assert.ok(h.patches.length <= 3, `${String(h.patches.length)} writes`);
    });

    it('fences no spares for a pool without a look-ahead (prefix pools) or with spareCount 0', async () => {
      const h = sparesHarness({ spareCount: 0 });
      await h.allocate('ns/c1');
      await h.allocate('ns/c2');
      assert.equal(h.patches.length, 2);
      assert.deepEqual(h.fence.sparesOf(id), []);
    });
  });
});
