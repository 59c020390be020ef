// Journeys through the built `kubectl-ipam browse` in a real terminal (tmux) against the local
// control plane: list → pool map → allocated cell → explanation → release → gone from the API.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { staysFalse, waitFor } from '../support/wait.js';
import { Objects } from '../support/ipam-objects.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

// The first snapshot needs the initial lists (seconds on a busy shared plane with big inventories);
// after that the browser watches, so a change shows within the 150 ms debounce plus a watch event.
const FIRST_DATA_MS = 30_000;
const LIVE_MS = 5_000;
// Release is four API calls (read, patch, delete, event).
const RELEASE_MS = 15_000;

describe(
  'kubectl ipam browse in a terminal',
  { concurrency: 1, skip: pluginBuilt() ? false : 'plugin not built: run npm run build' },
  () => {
    let ns: TestNamespace;
    let objects: Objects;
    let kubeconfig: string;
    const sessions: TmuxSession[] = [];

    before(async () => {
      const cluster = await planeWithNamespaces('tui-browse');
      kubeconfig = cluster.kubeconfigPath;
      [ns] = cluster.namespaces;
      objects = new Objects(cluster.kc, ns.name);
      const pool = await objects.pool('nodes', {
        addresses: ['10.20.0.0/24'],
        prefix: 24,
        gateway: '10.20.0.1',
        excludedAddresses: ['10.20.0.2-10.20.0.9'],
      });
      const ref = { name: 'nodes', uid: pool.uid };
      await objects.allocated('md-0-x7k2-ip0', '10.20.0.17', ref);
      await objects.allocated('md-0-q9-ip0', '10.20.0.18', ref);
      await objects.orphan('orphan-1', '10.20.0.19', ref, 'gone-claim');
    });

    after(async () => {
      for (const s of sessions) await s.kill();
      await ns.cleanup();
    });

    async function browse(...flags: string[]): Promise<TmuxSession> {
      const s = await TmuxSession.start(
        [KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', ns.name, ...flags],
        { columns: 100, rows: 30 },
      );
      sessions.push(s);
      return s;
    }

    it('browse, open the pool, explain an allocated address, force-release it', async () => {
      const t = await browse();
      await t.waitFor(new RegExp(`${ns.name}/nodes +pool +IPv4 +3/245`), 'the pool row', FIRST_DATA_MS);
      // Filter to our pool (global pools of other tests may be listed too), then open it.
      await t.keys(['/']);
      await t.type('nodes');
      await t.keys(['Enter']);
      await t.waitFor(/filter "nodes"/, 'the filter applied');
      await t.keys(['Enter']);
      await t.waitFor(/nodes · 10\.20\.0\.0\/24 · 1 cell = 1 address/, 'the occupancy map');
      await t.waitFor(/10\.20\.0\.0\[R\]G x x x x x x x x · · · · · ·/, 'reserved, gateway, excluded cells');
      await t.waitFor(/■ allocated .*! out of range/, 'the legend');

      // Move to 10.20.0.17: one row down, one cell right.
      await t.keys(['Down']);
      await t.waitFor(/10\.20\.0\.16\[·\]■/, 'cursor on .16');
      await t.keys(['Right']);
      let screen = await t.waitFor(/10\.20\.0\.16 ·\[■\]■/, 'cursor on .17');
      assert.match(screen, /claim +md-0-x7k2-ip0/);
      assert.match(screen, /machine ConfigMap md-0-x7k2/);

      // Detail with the explanation.
      await t.keys(['Enter']);
      screen = await t.waitFor(
        new RegExp(`10\\.20\\.0\\.17 is allocated to claim ${ns.name}/md-0-x7k2-ip0`),
        'the explanation',
      );
      assert.match(screen, /✓ inside spec\.addresses\[0\] \(10\.20\.0\.0\/24\)/);
      assert.match(screen, /● in use by 1 IPAddress/);
      assert.match(screen, /cluster +tui-cluster/);
      assert.match(screen, /ipam\.cluster\.x-k8s\.io\/ProtectAddress/);

      // Release of a live claim's address: the dialog says the claim exists and what will happen,
      // and demands the extra confirmation --force demands: the address alone is refused.
      await t.keys(['r']);
      screen = await t.waitFor(/Force-release 10\.20\.0\.17/, 'the release dialog');
      assert.match(screen, /The machine may still be using 10\.20\.0\.17/);
      assert.match(screen, /machine +ConfigMap md-0-x7k2-ip0-machine/);
      assert.match(screen, /Claim .*md-0-x7k2-ip0 still exists: the controller will/);
      assert.match(screen, /possibly a different one\./);
      assert.match(screen, /Type force 10\.20\.0\.17 and press ⏎ to release anyway/);
      await t.type('10.20.0.17');
      await t.keys(['Enter']);
      await t.waitFor(/type force 10\.20\.0\.17 exactly to confirm/, 'the refusal');
      await staysFalse(
        async () => !(await objects.addressExists('md-0-x7k2-ip0')),
        300,
        'the IPAddress to go without the extra confirmation',
      );
      for (let i = 0; i < '10.20.0.17'.length; i++) await t.keys(['BSpace']);
      await t.type('force 10.20.0.17');
      await t.waitFor(/> force 10\.20\.0\.17 .*⏎ releases/, 'the typed confirmation');
      await t.keys(['Enter']);
      await t.waitFor(/✓ .*10\.20\.0\.17/, 'the release message', RELEASE_MS);
      await waitFor(async () => !(await objects.addressExists('md-0-x7k2-ip0')), {
        what: 'IPAddress md-0-x7k2-ip0 to be gone from the API server',
      });
      // The map catches up from the live source: .17 free again, .18 still allocated.
      await t.waitFor(/10\.20\.0\.16 ·\[·\]■/, 'the released cell shown free', LIVE_MS);

      await t.keys(['q']);
      await waitFor(async () => t.exited(), { what: 'the browser to exit on q' });
      assert.equal(await objects.addressExists('md-0-q9-ip0'), true, 'the other address is untouched');
    });

    it('release of an orphan: no claim, so the address alone confirms (no force)', async () => {
      const t = await browse();
      await t.waitFor(new RegExp(`${ns.name}/nodes`), 'the pool row', FIRST_DATA_MS);
      await t.keys(['/']);
      await t.type('nodes');
      await t.keys(['Enter']);
      await t.waitFor(/filter "nodes"/, 'the filter applied');
      await t.keys(['Enter']);
      await t.waitFor(/nodes · 10\.20\.0\.0\/24/, 'the occupancy map');
      await t.keys(['/']);
      await t.type('10.20.0.19');
      await t.keys(['Enter']);
      await t.waitFor(/claim +.*gone-claim/, 'cursor on the orphan');
      await t.keys(['r']);
      const screen = await t.waitFor(/Force-release 10\.20\.0\.19/, 'the release dialog');
      assert.match(screen, /gone-claim \(not found\)/);
      assert.doesNotMatch(screen, /still exists/);
      assert.doesNotMatch(screen, /force 10\.20\.0\.19/);
      assert.match(screen, /Type 10\.20\.0\.19 and press ⏎ to release, Esc to cancel/);
      await t.type('10.20.0.19');
      await t.waitFor(/> 10\.20\.0\.19 .*⏎ releases/, 'the typed confirmation');
      await t.keys(['Enter']);
      await t.waitFor(/✓ .*10\.20\.0\.19/, 'the release message', RELEASE_MS);
      await waitFor(async () => !(await objects.addressExists('orphan-1')), {
        what: 'IPAddress orphan-1 to be gone from the API server',
      });
      await t.keys(['q']);
      await waitFor(async () => t.exited(), { what: 'the browser to exit on q' });
    });

    it('live updates and --read-only: a new IPAddress appears; release is not offered', async () => {
      const t = await browse('--read-only');
      await t.waitFor(new RegExp(`${ns.name}/nodes`), 'the pool row', FIRST_DATA_MS);
      await t.keys(['/']);
      await t.type('nodes');
      await t.keys(['Enter']);
      await t.keys(['Enter']);
      await t.waitFor(/nodes · 10\.20\.0\.0\/24/, 'the occupancy map');
      const footer = await t.waitFor(/\[read-only\]/, 'the read-only marker');
      assert.doesNotMatch(footer, /r release/);
      const pool = await waitFor(
        async () =>
          objects.custom.getNamespacedCustomObject({
            group: 'ipam.cluster.x-k8s.io',
            version: 'v1alpha2',
            namespace: ns.name,
            plural: 'inclusterippools',
            name: 'nodes',
          }) as Promise<{ metadata: { uid: string } }>,
        { what: 'the pool' },
      );
      await objects.allocated('md-1-live-ip0', '10.20.0.40', { name: 'nodes', uid: pool.metadata.uid });
      await t.waitFor(/10\.20\.0\.32( ·){8} ■/, 'the new address on the map', LIVE_MS);
      await t.keys(['/']);
      await t.type('10.20.0.40');
      await t.keys(['Enter']);
      await t.waitFor(/10\.20\.0\.32( ·){8}\[■\]/, 'cursor on the new address');
      await t.keys(['r']);
      await staysFalse(
        async () => /Force-release/.test(await t.screen()),
        500,
        'a release dialog in read-only mode',
      );
      await t.keys(['Enter']);
      const detail = await t.waitFor(/10\.20\.0\.40 is allocated to claim/, 'the explanation');
      assert.doesNotMatch(detail, /force-release/i);
      await t.keys(['Escape']);
      await t.waitFor(/nodes · 10\.20\.0\.0\/24/, 'back on the map');
      await t.keys(['Escape']);
      await t.waitFor(/›.*nodes/, 'back on the list');
      await t.keys(['Escape']);
      // Wait for the effect: a key right after a lone Esc would reach Ink as Alt+key.
      await t.waitFor(/UTC\s*\n/, 'the filter cleared');
      await t.keys(['q']);
      await waitFor(async () => t.exited(), { what: 'the browser to exit' });
    });
  },
);
