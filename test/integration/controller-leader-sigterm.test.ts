// A graceful stop hands leadership over at once: two controller processes with leader election at
// the flags' defaults (15 s lease); SIGTERM to the leader releases the Lease on the way out, so the
// standby leads well before the 15 s a killed leader's lease would take to expire, and serves a
// claim created after the stop.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LEADER_ELECTION_ID } from '@ipam-in-cluster/api';
import { testCluster } from '../support/cluster.js';
import { ControllerProcess, logTail } from '../support/controller-process.js';
import { Fixture, Ipam, openFixture, uniqueWatchFilter } from '../support/controller.js';
import { waitFor } from '../support/wait.js';

const watchFilter = uniqueWatchFilter('sigterm');
const logDir = mkdtempSync(join(tmpdir(), 'ipam-sigterm-'));
let ipam: Ipam;
let fx: Fixture;
const replicas: ControllerProcess[] = [];

describe('controller: SIGTERM releases the Lease (separate processes)', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop(10_000)));
    await fx.teardown();
  });

  it('the standby leads within a few seconds of the leader getting SIGTERM, not after the lease', async () => {
    const ns = await fx.namespace('sigterm');
    const { kubeconfigPath } = await testCluster();
    const start = (name: string): Promise<ControllerProcess> =>
      ControllerProcess.start({
        kubeconfig: kubeconfigPath,
        name,
        logFile: join(logDir, `${name}.log`),
        args: [
          '--namespace',
          ns,
          '--watch-filter',
          watchFilter,
          '--leader-elect',
          '--leader-elect-namespace',
          ns,
        ],
      });
    replicas.push(await start('first'), await start('second'));
    await Promise.all(replicas.map((r) => r.waitReady(60_000)));
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
      `the leader exited by itself on SIGTERM:\n${logTail(join(logDir, `${leader.name}.log`))}`,
    );
    const lease = await leases.get({ namespace: ns, name: LEADER_ELECTION_ID });
    assert.notEqual(lease.spec?.holderIdentity, holder, 'the stopped leader still holds the Lease');
    await waitFor(() => standby.isLeader(), {
      what: 'the standby to lead',
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const handOver = performance.now() - t0;
    console.log(`SIGTERM to the leader -> standby leading: ${String(Math.round(handOver))} ms (lease 15 s)`);
    // The flags' retry period is 2 s (client-go's jitter: up to 4.4 s between the standby's tries).
    assert.ok(handOver < 8_000, `hand-over took ${String(Math.round(handOver))} ms`);

    await ipam.createClaim('after-sigterm', ns, { kind: 'InClusterIPPool', name: 'p' });
    await waitFor(async () => (await ipam.listAddresses(ns)).length === 1, {
      what: 'the new leader to allocate',
      timeoutMs: 30_000,
    });
  });
});
