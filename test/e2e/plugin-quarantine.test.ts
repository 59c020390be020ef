// The quarantine as an operator sees it (issue 19 part 1, ADR 0028), with the BUILT plugin and the
// controller running: a deleted claim's address held for the pool's grace period shows as
// QUARANTINED 1 in `kubectl ipam pools -o wide` and `quarantined: "1"` in `-o json`; `explain POOL
// ADDRESS` and `explain claim` print "quarantined until T (grace period N s, claim ns/name deleted
// at T0)"; after the grace it is released and the count is 0 again.
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { testCluster } from '../support/cluster.js';
import { useControllerPlane } from '../support/controller.js';
import { runPlugin } from '../support/kubectl-ipam.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { waitFor } from '../support/wait.js';

const IP = 'InClusterIPPool';
const GRACE = 30;

describe('kubectl ipam shows the quarantine', () => {
  let ns = '';
  let kubeconfig = '';
  const plane = useControllerPlane('plugin-quarantine', async ({ fx }) => {
    ns = await fx.namespace('plugin-quarantine');
    return {};
  });

  before(async () => {
    ensurePluginBuilt();
    kubeconfig = (await testCluster()).kubeconfigPath;
  });

  async function plugin(...args: string[]): Promise<string> {
    const r = await runPlugin(kubeconfig, ['-n', ns, ...args], { COLUMNS: '200' });
    assert.equal(r.code, 0, r.stderr);
    return r.stdout;
  }

  /** `pools -o json`'s quarantined of pool p, once status.ipAddresses.quarantined says `n`. */
  async function statusSays(n: number): Promise<void> {
    await waitFor(
      async () => {
        const p = await plane.ipam.pools(IP).get({ namespace: ns, name: 'p' });
        return (
          p.status?.ipAddresses?.quarantined !== undefined && Number(p.status.ipAddresses.quarantined) === n
        );
      },
      { what: `status.ipAddresses.quarantined ${String(n)}`, timeoutMs: 10_000 },
    );
  }

  it('pools -o wide/json count it, explain says until when; after the grace it is gone', async () => {
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.0.0.1-10.0.0.9'],
      prefix: 24,
      addressReuseGracePeriodSeconds: GRACE,
    });
    await plane.ipam.createClaim('c', ns, { kind: IP, name: 'p' });
    await plane.ipam.createClaim('stays', ns, { kind: IP, name: 'p' });
    const address = (await plane.ipam.waitForAddress(ns, 'c')).spec.address;
    await plane.ipam.waitForAddress(ns, 'stays');
    await statusSays(0);
    await plane.ipam.claims.delete({ namespace: ns, name: 'c' });
    await statusSays(1);

    const deletedAt =
      (await plane.ipam.claims.get({ namespace: ns, name: 'c' })).metadata.deletionTimestamp ?? '';
    const until = new Date(Date.parse(deletedAt) + GRACE * 1000).toISOString().replace('.000Z', 'Z');
    const line = `quarantined until ${until} (grace period ${String(GRACE)} s, claim ${ns}/c deleted at ${deletedAt})`;

    const wide = (await plugin('pools', '-o', 'wide')).split('\n');
    assert.match(wide[0] ?? '', /\bQUARANTINED\s+RESERVED\s+FULL-IN$/);
    assert.match(wide.find((l) => l.startsWith('p ')) ?? '', /\s1\s+0\s+\S+$/, wide.join('\n'));
    const json = JSON.parse(await plugin('pools', '-o', 'json')) as {
      items: { name: string; quarantined: unknown }[];
    };
    assert.equal(json.items.find((i) => i.name === 'p')?.quarantined, '1');

    const explained = await plugin('explain', 'p', address);
    assert.match(explained, new RegExp(`held by IPAddress ${ns}/c for claim ${ns}/c \\(being deleted\\)`));
    assert.ok(explained.includes(`  ${line}\n`), explained);
    const claim = await plugin('explain', 'claim', 'c');
    assert.ok(claim.startsWith(`Claim ${ns}/c is being deleted; held: ${address} is ${line}.\n`), claim);

    // The grace ends: released, and 0 quarantined again.
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'c')) === undefined, {
      what: 'the IPAddress released after the grace',
      timeoutMs: (GRACE + 15) * 1000,
    });
    await statusSays(0);
    const after = JSON.parse(await plugin('pools', '-o', 'json')) as {
      items: { name: string; quarantined: unknown }[];
    };
    assert.equal(after.items.find((i) => i.name === 'p')?.quarantined, '0');
  });
});
