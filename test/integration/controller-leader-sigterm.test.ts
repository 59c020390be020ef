// A graceful stop hands leadership over at once: two controller processes with leader election and
// a long retry period (20 s; lease 30 s); SIGTERM to the leader releases the Lease on the way out and
// the standby, watching the Lease, takes it within a second or two: not at its next retry (20-44 s
// with client-go's jitter), nor when a killed leader's lease would expire. Then it serves a claim
// created after the stop.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { LEADER_ELECTION_ID } from '@ipam-in-cluster/api';
import { testCluster } from '../support/cluster.js';
import { ControllerProcess, logTail } from '../support/controller-process.js';
import { Fixture, Ipam, openFixture, uniqueWatchFilter } from '../support/controller.js';
import { ScratchDir } from '../support/scratch-dir.js';
import { waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('sigterm');
const logs = new ScratchDir('ipam-sigterm-');
let ipam: Ipam;
let fx: Fixture;
const replicas: ControllerProcess[] = [];

describe('controller: SIGTERM releases the Lease (separate processes)', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
  });

  afterEach(logs.noteOutcome);
  after(async () => {
    await Promise.all(replicas.map((r) => r.stop(10_000)));
    await fx.teardown();
    logs.finish();
  });

  it('the standby leads within seconds of the leader getting SIGTERM, not at its next retry', async () => {
    const ns = await fx.namespace('sigterm');
    const { kubeconfigPath } = await testCluster();
    const start = (name: string): Promise<ControllerProcess> =>
      ControllerProcess.start({
        kubeconfig: kubeconfigPath,
        name,
        logFile: logs.file(`${name}.log`),
        args: [
          '--namespace',
          ns,
          '--watch-filter',
          watchFilter,
          '--leader-elect',
          '--leader-elect-namespace',
          ns,
          '--leader-elect-lease-duration=30s',
          '--leader-elect-renew-deadline=25s',
          '--leader-elect-retry-period=20s',
        ],
      });
    replicas.push(await start('first'), await start('second'));
    await Promise.all(replicas.map((r) => r.waitReady(90_000)));
    const leader = await waitFor(
      async () => {
        for (const r of replicas) if (await r.isLeader()) return r;
        return undefined;
      },
      { what: 'a leader', timeoutMs: 30_000 },
    );
    const standby = replicas.find((r) => r !== leader);
    assert.ok(standby !== undefined);
    await ipam.createPool('InClusterIPPool', 'p', ns, { addresses: ['10.9.0.1-10.9.0.50'], prefix: 24 });

    const leases = ipam.client.leases();
    const holder = (await leases.get({ namespace: ns, name: LEADER_ELECTION_ID })).spec?.holderIdentity;
    assert.ok(holder !== undefined && holder !== '');
    const t0 = performance.now();
    const exit = await leader.stop(10_000);
    assert.equal(
      exit.signal,
      null,
      `the leader exited by itself on SIGTERM:\n${logTail(logs.file(`${leader.name}.log`))}`,
    );
    const lease = await leases.get({ namespace: ns, name: LEADER_ELECTION_ID });
    assert.notEqual(lease.spec?.holderIdentity, holder, 'the stopped leader still holds the Lease');
    await waitFor(() => standby.isLeader(), {
      what: 'the standby to lead',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const handOver = performance.now() - t0;
    console.log(
      `SIGTERM to the leader -> standby leading: ${String(Math.round(handOver))} ms (lease 30 s, retry 20 s)`,
    );
    // Polling alone would wait for the standby's next try, 20-44 s after its last one. The stop
    // itself (drain, release, exit) is in this figure too; kube-leader-events measures the watch alone.
    assert.ok(handOver < 5_000, `hand-over took ${String(Math.round(handOver))} ms`);

    await ipam.createClaim('after-sigterm', ns, { kind: 'InClusterIPPool', name: 'p' });
    await waitFor(async () => (await ipam.listAddresses(ns)).length === 1, {
      what: 'the new leader to allocate',
      timeoutMs: 30_000,
    });
  });
});
