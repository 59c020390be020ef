// The quarantine in the built `kubectl-ipam browse`, in a real terminal (tmux; ADR 0028): a claim
// being deleted from a pool with a reuse grace period (held by its ReleaseAddress finalizer, as the
// controller holds it during the grace) makes its address a quarantined cell: the ◇ glyph in its
// own colour (magentaBright, read back from tmux with the colour codes), a legend entry, a
// `◇ 1 quarantined` marker in the pool list and the quarantine line on the address's page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FINALIZER_RELEASE_ADDRESS } from '@ipam-in-cluster/api';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Ipam } from '../support/controller.js';
import { Objects } from '../support/ipam-objects.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

const FIRST_DATA_MS = 30_000;

describe(
  'kubectl ipam browse shows a quarantined address',
  { concurrency: 1, skip: pluginBuilt() ? false : 'plugin not built: run npm run build' },
  () => {
    let ns: TestNamespace;
    let ipam: Ipam;
    let kubeconfig: string;
    let session: TmuxSession | undefined;

    before(async () => {
      const cluster = await planeWithNamespaces('tui-quarantine');
      kubeconfig = cluster.kubeconfigPath;
      [ns] = cluster.namespaces;
      const objects = new Objects(cluster.kc, ns.name);
      const pool = await objects.pool('held', {
        addresses: ['10.40.0.0/24'],
        prefix: 24,
        addressReuseGracePeriodSeconds: 3600,
      });
      ipam = await Ipam.connect(undefined, 'v1beta2', kubeconfig);
      const claim = await ipam.createClaim(
        'leaving',
        ns.name,
        { kind: 'InClusterIPPool', name: 'held' },
        { finalizers: [FINALIZER_RELEASE_ADDRESS] },
      );
      await objects.address(
        'leaving',
        '10.40.0.5',
        { name: 'held', uid: pool.uid },
        {
          name: 'leaving',
          uid: claim.metadata.uid ?? '',
        },
      );
      // Deleted, but kept by its finalizer: the grace period of an hour holds the address.
      await ipam.claims.delete({ namespace: ns.name, name: 'leaving' });
    });

    after(async () => {
      await session?.kill();
      await ipam.claims
        .removeFinalizer({ namespace: ns.name, name: 'leaving' }, FINALIZER_RELEASE_ADDRESS)
        .catch(() => undefined);
      await ns.cleanup();
    });

    it('list marker, a coloured ◇ cell with its legend entry, and the quarantine line', async () => {
      session = await TmuxSession.start([KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', ns.name], {
        columns: 120,
        rows: 30,
        // The session's CI=false (Ink stays interactive) makes chalk's colour detection say "none":
        // FORCE_COLOR gives the 256-colour level xterm-256color has.
        env: { FORCE_COLOR: '2' },
      });
      const t = session;
      await t.waitFor(
        new RegExp(`${ns.name}/held +pool .*◇ 1 quarantined`),
        'the list marker',
        FIRST_DATA_MS,
      );
      await t.keys(['Enter']);
      const map = await t.waitFor(/10\.40\.0\.0.*· ◇ ·/, 'the quarantined cell');
      assert.match(map, /! out of range +◇ quarantined/);
      // The cell and the legend glyph in their own colour: magentaBright (SGR 95, or its 256-colour form).
      const painted = await t.painted('◇', 95, 13);
      assert.ok(
        painted.count >= 2,
        `◇ painted magentaBright on the map and in the legend:\n${painted.screen}`,
      );
      await t.keys(['Right', 'Right', 'Right', 'Right', 'Right', 'Enter']);
      const detail = await t.waitFor(/10\.40\.0\.5 is allocated to claim/, 'the address page');
      assert.match(
        detail,
        new RegExp(`quarantined until \\S+ \\(grace period 3600 s, claim ${ns.name}/leaving deleted at`),
      );
      await t.keys(['q']);
    });
  },
);
