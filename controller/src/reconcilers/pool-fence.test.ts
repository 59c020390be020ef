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
import { PoolFence } from './pool-fence.js';
import { discardLogger as nullLogger } from '../log/logger.js';
import type { Cache } from './types.js';

const id = { kind: 'InClusterIPPool' as const, namespace: 'ns', name: 'p' };

/** One pool "on the server", a cache that lags until told, and a JSON patch that honours test ops. */
function harness() {
  let server: Pool = {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: { name: 'p', namespace: 'ns', uid: 'u1', generation: 1, resourceVersion: '1' },
    spec: { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 },
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
  });
  return {
    fence,
    patches,
    server: () => server,
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
});
