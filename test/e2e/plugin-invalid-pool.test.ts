// Issue 16.4 end to end: a pool whose spec does not lay out (a reversed range, written while no
// webhook was registered) with live IPAddresses must not show USED 0. The BUILT plugin against the
// real control plane: `pools` counts what is held and warns, `doctor` flags every held address,
// `explain claim` warns instead of saying "lowest free".
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { runPlugin, type PluginResult } from '../support/kubectl-ipam.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';

const GROUP = 'ipam.cluster.x-k8s.io';
const CAPI = 'v1beta2';
const HELD = ['10.0.0.11', '10.0.0.12', '10.0.0.13'];

describe('kubectl-ipam on a pool with an invalid spec and live IPAddresses', () => {
  let ns: TestNamespace;
  let kubeconfig = '';

  function plugin(args: string[]): Promise<PluginResult> {
    return runPlugin(kubeconfig, args);
  }

  before(async () => {
    ensurePluginBuilt();
    const c = await planeWithNamespaces('plugin-invalid');
    kubeconfig = c.kubeconfigPath;
    [ns] = c.namespaces;
    const custom = c.kc.makeApiClient(k8s.CustomObjectsApi);
    const create = (plural: string, version: string, body: Record<string, unknown>) =>
      custom.createNamespacedCustomObject({ group: GROUP, version, namespace: ns.name, plural, body });
    // No webhook is registered on this plane: the reversed range gets past the schema's cheap checks.
    await create('inclusterippools', 'v1alpha2', {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: 'broken' },
      spec: { addresses: ['10.0.0.20-10.0.0.10'], prefix: 24 },
    });
    for (const [i, ip] of HELD.entries()) {
      const name = `held-${String(i + 1)}`;
      const poolRef = { apiGroup: GROUP, kind: 'InClusterIPPool', name: 'broken' };
      await create('ipaddressclaims', CAPI, {
        apiVersion: `${GROUP}/${CAPI}`,
        kind: 'IPAddressClaim',
        metadata: { name },
        spec: { poolRef },
      });
      await create('ipaddresses', CAPI, {
        apiVersion: `${GROUP}/${CAPI}`,
        kind: 'IPAddress',
        metadata: { name },
        spec: { claimRef: { name }, poolRef, address: ip, prefix: 24 },
      });
    }
  });

  after(async () => {
    await ns.cleanup();
  });

  it('pools counts the held addresses (USED 3, all out of range), marks the spec invalid and warns', async () => {
    const r = await plugin(['pools', '-n', ns.name]);
    assert.equal(r.code, 0, r.stderr);
    const row = r.stdout.split('\n').find((l) => l.startsWith('broken ')) ?? '';
    assert.match(row, /^broken\s+pool\s+\S+\s+0\s+3\s+0\s+3\s+/, r.stdout);
    // Nothing to hand out (`—`, not 0 %); the marker column, cut to its signs at 80 columns, flags the
    // invalid spec (`✗`) and the out-of-range addresses (`!`): plugin/src/output/present.ts, ADR 0026.
    assert.match(row, /—\s+✗ !$/);
    assert.match(
      r.stderr,
      /warning: pool .*\/broken: .*; 3 IPAddress\(es\) still hold addresses in it \(counted as used, out of range\)/,
    );
    const json = await plugin(['pools', '-n', ns.name, '-o', 'json']);
    const doc = JSON.parse(json.stdout) as { items: { name: string; counts: Record<string, string> }[] };
    const counts = doc.items.find((i) => i.name === 'broken')?.counts;
    assert.ok(counts, json.stdout);
    assert.equal(counts.used, '3');
    assert.equal(counts.outOfRange, '3');
  });

  it('doctor flags the pool and every address it holds', async () => {
    const r = await plugin(['doctor', '-n', ns.name, '--min-age', '0', '-o', 'json']);
    const report = JSON.parse(r.stdout) as {
      findings: { check: string; address: string | null; message: string }[];
    };
    assert.ok(
      report.findings.some((f) => f.check === 'invalid-pool'),
      r.stdout,
    );
    const held = report.findings.filter((f) => f.check === 'address-out-of-range');
    assert.deepEqual(held.map((f) => f.address).sort(), HELD);
    for (const f of held) assert.match(f.message, /whose spec is invalid .*: the pool cannot account for it/);
  });

  it('explain claim warns that the pool cannot account for the address instead of "lowest free"', async () => {
    const r = await plugin(['explain', '-n', ns.name, 'claim', 'held-1']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /holds 10\.0\.0\.11\/24 from pool .*\/broken/);
    assert.match(r.stdout, /warning: pool .*\/broken has an invalid spec .*counted as used and out of range/);
    assert.doesNotMatch(r.stdout, /lowest free/);
  });
});
