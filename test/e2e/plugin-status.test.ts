// kubectl ipam pools with the controller running (ADR 0013): counts taken from pool status equal an
// exact recount from the IPAddresses; a pool without status, with a status for an older generation,
// or being deleted is counted from its IPAddresses. The BUILT plugin against the real control plane.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import {
  FINALIZER_PROTECT_ADDRESS,
  IPAM_GROUP,
  type IPPoolSpec,
  type PoolKind,
  type PrefixPoolSpec,
} from '@ipam-in-cluster/api';
import { repoRoot } from '../cluster/paths.js';
import { testCluster } from '../support/cluster.js';
import { useControllerPlane } from '../support/controller.js';
import { waitFor } from '../support/wait.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';

const bin = join(repoRoot, 'plugin', 'bin', 'kubectl-ipam');

interface Item {
  id: string;
  name: string;
  counts: Record<string, string>;
  countsFrom: string;
  recountReason: string | null;
  statusMismatch: string[];
  claims: number | null;
}

let kubeconfig = '';

async function pools(args: string[]): Promise<{ items: Item[]; stderr: string }> {
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>(
    (resolve) => {
      execFile(
        bin,
        ['--kubeconfig', kubeconfig, 'pools', '-o', 'json', ...args],
        // The runner's NODE_OPTIONS load workspace sources; the built plugin must not.
        { cwd: repoRoot, env: { ...process.env, NODE_OPTIONS: '', NO_COLOR: '1' }, maxBuffer: 64 << 20 },
        (error, out, err) => {
          resolve({
            code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1,
            stdout: out,
            stderr: err,
          });
        },
      );
    },
  );
  assert.equal(code, 0, stderr);
  return { items: (JSON.parse(stdout) as { items: Item[] }).items, stderr };
}

describe('kubectl-ipam pools with the controller running', () => {
  let ns = '';
  // With leader election, so a live Lease exists whatever expired ones other tests left behind
  // (an expired one alone makes `pools` recount everything).
  const plane = useControllerPlane('plugin-status', async ({ fx }) => {
    ns = await fx.namespace('plugin-status');
    return {
      leaderElect: true,
      leaderElectionNamespace: ns,
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 1_000,
    };
  });
  let globalName = '';
  const byId = (items: Item[], id: string): Item => {
    const i = items.find((x) => x.id === id);
    assert.ok(i, `${id} in ${items.map((x) => x.id).join(', ')}`);
    return i;
  };

  /** Waits until the pool's status was written for its generation with `used` IPAddresses. */
  async function settled(
    kind: PoolKind,
    namespace: string | undefined,
    name: string,
    used: number,
  ): Promise<void> {
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(kind).get({ namespace, name });
        const exhausted = p.status?.conditions?.find((c) => c.type === 'Exhausted');
        return (
          exhausted?.observedGeneration === p.metadata.generation &&
          p.status?.ipAddresses !== undefined &&
          BigInt(p.status.ipAddresses.used) === BigInt(used)
        );
      },
      { what: `${kind} ${name} status with used=${String(used)}`, timeoutMs: 30_000 },
    );
  }

  before(async () => {
    ensurePluginBuilt();
    kubeconfig = (await testCluster()).kubeconfigPath;
    await plane.ctl.manager.leading;

    const pool = async (
      kind: PoolKind,
      name: string,
      spec: IPPoolSpec | PrefixPoolSpec,
      claims: number,
    ): Promise<void> => {
      const global = kind.startsWith('Global');
      await plane.ipam.createPool(kind, name, global ? undefined : ns, spec);
      await Promise.all(
        Array.from({ length: claims }, (_, i) =>
          plane.ipam.createClaim(`${name}-${String(i)}`, ns, { kind, name }),
        ),
      );
    };
    globalName = plane.fx.globalName('shared');
    await pool(
      'InClusterIPPool',
      'nodes-v4',
      {
        addresses: ['10.0.0.0/24'],
        prefix: 24,
        gateway: '10.0.0.1',
        excludedAddresses: ['10.0.0.2-10.0.0.9'],
      },
      5,
    );
    await pool(
      'InClusterIPPool',
      'nodes-v6',
      { addresses: ['fd00::/64'], prefix: 64, gateway: 'fd00::1' },
      3,
    );
    await pool(
      'InClusterPrefixPool',
      'delegated',
      { prefixes: ['fd10::/62'], allocationPrefixLength: 64 },
      2,
    );
    await pool('GlobalInClusterIPPool', globalName, { addresses: ['10.250.0.0/29'], prefix: 24 }, 2);
    await settled('InClusterIPPool', ns, 'nodes-v4', 5);
    await settled('InClusterIPPool', ns, 'nodes-v6', 3);
    await settled('InClusterPrefixPool', ns, 'delegated', 2);
    await settled('GlobalInClusterIPPool', undefined, globalName, 2);

    // A pool the controller does not watch (no watch-filter label): no status, one hand-made IPAddress.
    const lone = await plane.ipam.pools('InClusterIPPool').create({
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
      kind: 'InClusterIPPool',
      metadata: { name: 'unwatched', namespace: ns },
      spec: { addresses: ['10.1.0.0/28'], prefix: 24 },
    });
    await plane.ipam.addresses.create({
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddress',
      metadata: { name: 'hand-made', namespace: ns, finalizers: [FINALIZER_PROTECT_ADDRESS] },
      spec: {
        claimRef: { name: 'hand-made' },
        poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: 'unwatched' },
        address: '10.1.0.3',
        prefix: 24,
      },
    });
    assert.equal(lone.status?.ipAddresses, undefined);
  });

  it('counts from status equal a recount of the IPAddresses; only the pool without status is recounted', async () => {
    const [fromStatus, recount, paged] = await Promise.all([
      pools(['-n', ns]),
      pools(['-n', ns, '--recount']),
      pools(['-n', ns, '--recount', '--chunk-size', '2']),
    ]);
    assert.deepEqual(paged.items, recount.items);
    const watched = [`${ns}/nodes-v4`, `${ns}/nodes-v6`, `${ns}/delegated`, `global/${globalName}`];
    for (const id of watched) {
      const s = byId(fromStatus.items, id);
      const r = byId(recount.items, id);
      assert.equal(s.countsFrom, 'status', id);
      assert.equal(s.recountReason, null, id);
      assert.equal(r.countsFrom, 'ipaddresses', id);
      assert.equal(r.recountReason, 'requested', id);
      assert.deepEqual(r.statusMismatch, [], `${id}: the controller's status agrees with the recount`);
      assert.deepEqual(s.counts, r.counts, id);
      assert.equal(s.claims, r.claims, id);
    }
    assert.deepEqual(byId(fromStatus.items, `${ns}/nodes-v4`).counts, {
      total: '245',
      used: '5',
      allocated: '5',
      free: '240',
      outOfRange: '0',
      reserved: '0',
    });
    // IPv6: the status caps total and free at 2^63−1; the plugin's are exact.
    assert.deepEqual(byId(fromStatus.items, `${ns}/nodes-v6`).counts, {
      total: '18446744073709551614',
      used: '3',
      allocated: '3',
      free: '18446744073709551611',
      outOfRange: '0',
      reserved: '0',
    });
    // No status: exact counts from its IPAddresses all the same.
    for (const doc of [fromStatus, recount]) {
      const lone = byId(doc.items, `${ns}/unwatched`);
      assert.equal(lone.countsFrom, 'ipaddresses');
      assert.deepEqual(lone.counts, {
        total: '15',
        used: '1',
        allocated: '1',
        free: '14',
        outOfRange: '0',
        reserved: '0',
      });
    }
    assert.equal(byId(fromStatus.items, `${ns}/unwatched`).recountReason, 'no-status');
  });

  it('a status written for an older generation is not used: the spec changed since', async () => {
    const ref = { namespace: ns, name: 'unwatched' };
    const client = plane.ipam.pools('InClusterIPPool');
    const generation = (await client.get(ref)).metadata.generation ?? 0;
    const stamp = (type: string, status: 'True' | 'False', reason: string) => ({
      type,
      status,
      reason,
      message: '',
      lastTransitionTime: new Date().toISOString().slice(0, 19) + 'Z',
      observedGeneration: generation,
    });
    // What our controller writes for this pool (one IPAddress of 15), by hand.
    await client.mergePatchStatus(ref, {
      status: {
        ipAddresses: { total: 15, used: 1, free: 14, outOfRange: 0 },
        conditions: [
          stamp('Ready', 'True', 'Valid'),
          stamp('Exhausted', 'False', 'FreeAddressesAvailable'),
          stamp('HighUtilization', 'False', 'BelowThreshold'),
          stamp('DuplicateAddresses', 'False', 'NoDuplicates'),
        ],
      },
    });
    const trusted = byId((await pools(['-n', ns])).items, `${ns}/unwatched`);
    assert.equal(trusted.countsFrom, 'status');
    assert.equal(trusted.counts.used, '1');

    // A status patch does not bump the generation; a spec change does. 10.1.0.3 is now out of range.
    await client.mergePatch(ref, { spec: { addresses: ['10.1.0.8/29'] } });
    assert.equal((await client.get(ref)).metadata.generation, generation + 1);
    const stale = byId((await pools(['-n', ns])).items, `${ns}/unwatched`);
    assert.equal(stale.countsFrom, 'ipaddresses');
    assert.equal(stale.recountReason, 'stale-status');
    assert.deepEqual(stale.counts, {
      total: '8',
      used: '1',
      allocated: '0',
      free: '8',
      outOfRange: '1',
      reserved: '0',
    });
    assert.deepEqual(stale.statusMismatch, ['total', 'free', 'outOfRange']);
  });

  it('a pool being deleted is counted from its IPAddresses (the controller stops updating its counts)', async () => {
    await plane.ipam.pools('InClusterPrefixPool').delete({ namespace: ns, name: 'delegated' });
    // ProtectPool holds it while its two IPAddresses exist.
    const item = await waitFor(
      async () => {
        const i = byId((await pools(['-n', ns])).items, `${ns}/delegated`);
        return i.recountReason === 'deleting' ? i : undefined;
      },
      { what: 'delegated counted as deleting', timeoutMs: 10_000 },
    );
    assert.equal(item.countsFrom, 'ipaddresses');
    assert.equal(item.counts.used, '2');
  });
});
