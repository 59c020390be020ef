// Creation order within a pool (issue 17): two claims of one pool created back to back, the first
// gets the lower address, as upstream's single worker serves them — at the default flags
// (--concurrency 32: 32 claim workers, 16 claims of one pool in flight), where the claim's
// finalizer write used to reorder them. Many repetitions, each in its own pool, several at a time
// so the workers are busy with other pools too.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags } from '@ipam-in-cluster/controller';
import { useControllerPlane } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const REPETITIONS = Number(process.env.IPAM_ORDER_REPETITIONS ?? 50);
const CLAIMS_PER_POOL = 6;
const POOLS_AT_ONCE = 5;
const IP = 'InClusterIPPool';

/** The default --concurrency, mapped as the controller's main does (controller/src/manager/run.ts). */
const defaults = parseFlags([]);
const concurrency = defaults.ok ? defaults.config.concurrency : assert.fail('default flags do not parse');
const plane = useControllerPlane('order', {
  claimWorkers: concurrency,
  poolConcurrency: Math.max(1, Math.ceil(concurrency / 2)),
});

describe('controller: creation order within a pool at the default flags', () => {
  it(`${REPETITIONS} times: ${CLAIMS_PER_POOL} claims created back to back get ascending addresses`, async () => {
    const ns = await plane.fx.namespace('order');
    const failures: string[] = [];
    let next = 0;
    const repetition = async (r: number): Promise<void> => {
      const pool = `p${r}`;
      await plane.ipam.createPool(IP, pool, ns, { addresses: ['10.40.0.1-10.40.0.50'], prefix: 24 });
      // As in practice, the pool is in place (Ready) before claims arrive: a pool that arrives after
      // its claims wakes them in the order their first passes finished.
      await waitFor(
        async () =>
          (await plane.ipam.pools(IP).find({ namespace: ns, name: pool }))?.status?.conditions?.some(
            (c) => c.type === 'Ready' && c.status === 'True',
          ),
        { what: `pool ${pool} Ready`, timeoutMs: 30_000 },
      );
      const names = Array.from({ length: CLAIMS_PER_POOL }, (_, i) => `${pool}-c${i}`);
      for (const name of names) await plane.ipam.createClaim(name, ns, { kind: IP, name: pool });
      const got: string[] = [];
      for (const name of names) got.push((await plane.ipam.waitForAddress(ns, name, 30_000)).spec.address);
      const expected = names.map((_, i) => `10.40.0.${i + 1}`);
      if (got.join() !== expected.join()) failures.push(`${pool}: ${got.join(' ')}`);
    };
    await Promise.all(
      Array.from({ length: POOLS_AT_ONCE }, async () => {
        while (next < REPETITIONS) await repetition(next++);
      }),
    );
    assert.deepEqual(failures, [], `${failures.length} of ${REPETITIONS} pools out of creation order`);
  });
});
