// Issue 16.3, honest liveness, on a real API server: what `explain claim`, `doctor` and `pools` say
// about the controller from its leader Lease (plugin/src/data/diagnose.ts, leaseState):
//   no Lease            → "cannot tell whether a controller is running" (never "not running");
//   a released Lease    → "the controller stopped at T" (a controller that stopped cleanly);
//   a stale holder      → the holder stopped renewing it: a warning, and `pools` recounts.
// A controller run without leader election (as `npm run controller` and the demo run it) is not
// reported as absent, and a leftover released Lease does not make `pools` recount every pool.
// The plugin looks for the Lease in every namespace, so this file runs on a private plane: no
// other test's Lease can be found. The BUILT plugin; the controller in-process, as the other e2e tests.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { LEADER_ELECTION_ID } from '@ipam-in-cluster/api';
import { createLogger, startManager, type Manager } from '@ipam-in-cluster/controller';
import { installCrds } from '../support/cluster.js';
import { Ipam } from '../support/controller.js';
import { runPlugin, type PluginResult } from '../support/kubectl-ipam.js';
import { startPrivatePlane, type PrivatePlane } from '../support/private-plane.js';
import { waitFor } from '../support/wait.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';

const NS = 'liveness';
const LEASE_NS = 'ipam-system';
const CANNOT_TELL = /cannot tell whether a controller is running: no leader-election Lease/;
const STALE = /leader Lease .* is not renewed/;
const STOPPED = /the controller stopped at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: it released its leader Lease/;
const NOT_RUNNING = /no controller is running|controller-not-running/;

interface PoolItem {
  id: string;
  countsFrom: string;
  recountReason: string | null;
  counts: Record<string, string>;
}

describe('kubectl-ipam: is a controller running? (real plane, leader Lease)', () => {
  let plane: PrivatePlane;
  let ipam: Ipam;
  let manager: Manager | undefined;

  const plugin = async (args: readonly string[]): Promise<PluginResult> => {
    const res = await runPlugin(plane.kubeconfig, args);
    assert.equal(res.code, 0, `kubectl ipam ${args.join(' ')}: exit ${res.code}\n${res.stderr}${res.stdout}`);
    return res;
  };
  const explain = async (claim: string): Promise<string> => {
    const res = await plugin(['explain', '-n', NS, 'claim', claim]);
    return res.stdout + res.stderr;
  };
  const doctor = async (): Promise<string> => {
    // --min-age 0: claims created a moment ago count. doctor's exit code says whether it found
    // problems (a pending claim is one); only the text matters here.
    const res = await runPlugin(plane.kubeconfig, ['doctor', '-n', NS, '--min-age', '0']);
    return (res.stdout + res.stderr).replace(/\s+/g, ' '); // messages wrap at 80 columns
  };
  const pools = async (): Promise<{ items: PoolItem[]; stderr: string }> => {
    const res = await plugin(['pools', '-A', '-o', 'json']);
    return { items: (JSON.parse(res.stdout) as { items: PoolItem[] }).items, stderr: res.stderr };
  };
  const start = async (leaderElect: boolean): Promise<Manager> => {
    const m = await startManager({
      kubeconfig: plane.kubeconfig,
      log: createLogger({ level: 'error', name: 'manager[plugin-liveness]' }),
      poolStatusDelayMs: 20,
      poolStatusIntervalMs: 20,
      shutdownTimeoutMs: 5_000,
      leaderElect,
      leaderElectionNamespace: LEASE_NS,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 1_000,
    });
    manager = m;
    await m.leading;
    return m;
  };
  const stop = async (): Promise<void> => {
    await manager?.stop();
    manager = undefined;
  };
  /** Waits until the pool's status was written for its generation with `used` IPAddresses. */
  const counted = async (used: number): Promise<void> => {
    await waitFor(
      async () => {
        const p = await ipam.pools('InClusterIPPool').get({ namespace: NS, name: 'nodes' });
        const exhausted = p.status?.conditions?.find((c) => c.type === 'Exhausted');
        return (
          exhausted?.observedGeneration === p.metadata.generation &&
          p.status?.ipAddresses !== undefined &&
          BigInt(p.status.ipAddresses.used) === BigInt(used)
        );
      },
      { what: `pool nodes counted with used=${String(used)}`, timeoutMs: 60_000 },
    );
  };

  before(async () => {
    ensurePluginBuilt();
    plane = startPrivatePlane('plugin-liveness');
    await installCrds(plane.kubeconfig);
    ipam = await Ipam.connect(undefined, 'v1beta2', plane.kubeconfig);
    for (const name of [NS, LEASE_NS]) await ipam.client.namespaces().create({ metadata: { name } });
    await ipam.createPool('InClusterIPPool', 'nodes', NS, {
      addresses: ['10.20.0.10-10.20.0.30'],
      prefix: 24,
      gateway: '10.20.0.1',
    });
    await ipam.createClaim('first', NS, { kind: 'InClusterIPPool', name: 'nodes' });
  });

  after(async () => {
    await stop().catch(() => undefined);
    plane.stop();
  });

  it('no Lease and no controller: "cannot tell", never "not running"', async () => {
    const claim = await explain('first');
    assert.match(claim, CANNOT_TELL);
    assert.doesNotMatch(claim, NOT_RUNNING);
    assert.doesNotMatch(claim, STALE);
    const audit = await doctor();
    assert.match(audit, CANNOT_TELL);
    assert.doesNotMatch(audit, NOT_RUNNING);
    assert.doesNotMatch(audit, STALE);
  });

  it('a controller without leader election is not reported as absent; pools counts from its status', async () => {
    await start(false);
    await ipam.waitForAddressRef(NS, 'first', 60_000);
    await counted(1);
    const claim = await explain('first');
    assert.doesNotMatch(claim, NOT_RUNNING);
    assert.doesNotMatch(claim, STALE);
    assert.doesNotMatch(claim, STOPPED);
    const { items, stderr } = await pools();
    const item = items.find((i) => i.id === `${NS}/nodes`);
    assert.equal(item?.countsFrom, 'status');
    assert.equal(item.counts.used, '1');
    assert.equal(stderr, '');
    await stop();
  });

  it('a released Lease (a controller that stopped cleanly): "stopped at T"; pools does not recount', async () => {
    await start(true);
    const lease = await ipam.client.leases().get({ namespace: LEASE_NS, name: LEADER_ELECTION_ID });
    assert.ok((lease.spec?.holderIdentity ?? '') !== '', 'the leading controller holds the Lease');
    await ipam.createClaim('second', NS, { kind: 'InClusterIPPool', name: 'nodes' });
    await ipam.waitForAddressRef(NS, 'second', 60_000);
    await counted(2);
    await stop();
    const released = await ipam.client.leases().get({ namespace: LEASE_NS, name: LEADER_ELECTION_ID });
    assert.equal(released.spec?.holderIdentity ?? '', '', 'stop() released the Lease');

    // A claim created after the controller stopped stays pending: the released Lease is the evidence.
    await ipam.createClaim('third', NS, { kind: 'InClusterIPPool', name: 'nodes' });
    const claim = await explain('third');
    assert.match(claim, STOPPED);
    assert.doesNotMatch(claim, CANNOT_TELL);
    assert.doesNotMatch(claim, STALE);
    assert.match(await doctor(), STOPPED);

    const { items, stderr } = await pools();
    const item = items.find((i) => i.id === `${NS}/nodes`);
    assert.equal(item?.countsFrom, 'status', 'a released Lease leaves the decision to the pool status');
    assert.equal(item.recountReason, null);
    assert.equal(item.counts.used, '2');
    assert.doesNotMatch(stderr, STALE);
  });

  it('a stale holder (a controller that died): a warning, and pools recounts every pool', async () => {
    const ref = { namespace: LEASE_NS, name: LEADER_ELECTION_ID };
    const renewed = new Date(Date.now() - 10 * 60_000).toISOString().replace(/\.\d{3}Z$/, '.000000Z');
    await ipam.client.leases().mergePatch(ref, {
      spec: { holderIdentity: 'crashed-pod', renewTime: renewed, leaseDurationSeconds: 15 },
    });
    const claim = await explain('third');
    assert.match(claim, /leader Lease ipam-system\/\S+ is not renewed \(expired [^)]+\); holder crashed-pod/);
    assert.doesNotMatch(claim, STOPPED);
    assert.match(await doctor(), /holder crashed-pod/);

    const { items, stderr } = await pools();
    const item = items.find((i) => i.id === `${NS}/nodes`);
    assert.equal(item?.countsFrom, 'ipaddresses');
    assert.equal(item.recountReason, 'controller-stopped');
    assert.equal(item.counts.used, '2', 'the recount finds the two IPAddresses');
    assert.match(
      stderr,
      /\(holder crashed-pod\) is not renewed since .*every pool is counted from its IPAddresses/,
    );
  });
});
