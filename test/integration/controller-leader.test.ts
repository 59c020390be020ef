// Two replicas with leader election on one Lease: only the leader allocates, a hand-over (release on
// stop) is quick, and no address is ever handed out twice.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  Fixture,
  Ipam,
  startTestController,
  uniqueWatchFilter,
  type TestController,
  openFixture,
} from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('leader');
let ipam: Ipam;
let fx: Fixture;
const replicas: TestController[] = [];

describe('controller: leader election', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
  });

  after(async () => {
    for (const r of replicas) await r.stop();
    await fx.teardown();
  });

  it('two replicas: one leads, hand-over on stop, no duplicate address across both terms', async () => {
    const ns = await fx.namespace('leader');
    const election = {
      leaderElect: true,
      leaderElectionNamespace: ns,
      leaseDurationMs: 4_000,
      renewDeadlineMs: 3_000,
      retryPeriodMs: 500,
    };
    const [r1, r2] = await Promise.all([
      startTestController({ watchFilter, ...election, identity: 'replica-1' }),
      startTestController({ watchFilter, ...election, identity: 'replica-2' }),
    ]);
    replicas.push(r1, r2);
    await Promise.race([r1.manager.leading, r2.manager.leading]);
    const [leader, standby] = r1.manager.isLeader() ? [r1, r2] : [r2, r1];
    assert.equal(standby.manager.isLeader(), false);
    const lease = await ipam.client.leases().get({ namespace: ns, name: '7bb7acb4.ipam.cluster.x-k8s.io' });
    assert.equal(lease.spec?.holderIdentity, leader.manager.identity);

    await ipam.createPool('InClusterIPPool', 'p', ns, { addresses: ['10.0.0.1-10.0.0.200'], prefix: 24 });
    const first = Array.from({ length: 40 }, (_, i) => `a${String(i)}`);
    await Promise.all(first.map((n) => ipam.createClaim(n, ns, { kind: 'InClusterIPPool', name: 'p' })));
    await waitFor(async () => (await ipam.listAddresses(ns)).length === 40, {
      what: '40 IPAddresses',
      timeoutMs: 60_000,
    });
    assert.equal(standby.manager.isLeader(), false);

    const t0 = Date.now();
    await leader.stop();
    await standby.manager.leading;
    const handOver = Date.now() - t0;
    console.log(`leader hand-over after release: ${String(handOver)} ms`);
    assert.ok(handOver < 5_000, `hand-over took ${String(handOver)} ms`);

    const second = Array.from({ length: 40 }, (_, i) => `b${String(i)}`);
    await Promise.all(second.map((n) => ipam.createClaim(n, ns, { kind: 'InClusterIPPool', name: 'p' })));
    const all = await waitFor(
      async () => {
        const list = await ipam.listAddresses(ns);
        return list.length === 80 ? list : undefined;
      },
      { what: '80 IPAddresses', timeoutMs: 60_000 },
    );
    const addrs = all.map((a) => a.spec.address);
    assert.equal(new Set(addrs).size, 80, 'an address was handed out twice');
  });
});
