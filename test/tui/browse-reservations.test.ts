// Reservations in the built `kubectl-ipam browse`, in a real terminal (tmux; ADR 0030): a pool with an
// IPAddressReservation made by `kubectl ipam reserve`, the controller running (it writes
// status.ipAddresses.reserved): the `▣ 2 reserved` marker in the pool list, the reserved cells as
// ▣ in their own colour (cyanBright, read back from tmux with the colour codes), the legend entry,
// and "reserved by ns/name: note, until T" on the address's page.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Ipam, startTestController, uniqueWatchFilter, type TestController } from '../support/controller.js';
import { runPlugin } from '../support/kubectl-ipam.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

const FIRST_DATA_MS = 30_000;
const UNTIL = '2099-01-31T00:00:00Z';

describe(
  'kubectl ipam browse shows a reservation',
  { concurrency: 1, skip: pluginBuilt() ? false : 'plugin not built: run npm run build' },
  () => {
    const watchFilter = uniqueWatchFilter('tui-res');
    let ns: TestNamespace;
    let ctl: TestController | undefined;
    let kubeconfig: string;
    let session: TmuxSession | undefined;

    before(async () => {
      const cluster = await planeWithNamespaces('tui-reservations');
      kubeconfig = cluster.kubeconfigPath;
      [ns] = cluster.namespaces;
      const ipam = await Ipam.connect(watchFilter);
      await ipam.createPool('InClusterIPPool', 'held', ns.name, { addresses: ['10.41.0.0/24'], prefix: 24 });
      ctl = await startTestController({ watchFilter });
      const reserved = await runPlugin(kubeconfig, [
        '-n',
        ns.name,
        'reserve',
        'held',
        '10.41.0.5-10.41.0.6',
        '--note',
        'new load balancer',
        '--until',
        UNTIL,
        '--name',
        'lb',
        '--yes',
      ]);
      assert.equal(reserved.code, 0, reserved.stderr);
    });

    after(async () => {
      await session?.kill();
      await ctl?.stop();
      await ns.cleanup();
    });

    it('list marker, coloured ▣ cells with their legend entry, and the reservation line', async () => {
      session = await TmuxSession.start([KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', ns.name], {
        columns: 120,
        rows: 30,
        // As in browse-quarantine: CI=false makes chalk detect no colour; FORCE_COLOR gives 256.
        env: { FORCE_COLOR: '2' },
      });
      const t = session;
      // The marker comes from status.ipAddresses.reserved: the controller writes it shortly.
      await t.waitFor(new RegExp(`${ns.name}/held +pool .*▣ 2 reserved`), 'the list marker', FIRST_DATA_MS);
      // Enter on the early snapshot (pools alone, counts from status) only says the map waits for the
      // IPAddresses: wait for the full one.
      await t.waitFor(/^(?![\s\S]*reading IPAddresses)[\s\S]*● live/, 'the full snapshot', FIRST_DATA_MS);
      await t.keys(['Enter']);
      const map = await t.waitFor(/10\.41\.0\.0.*· ▣ ▣ ·/, 'the reserved cells');
      assert.match(map, /! out of range +▣ reservation/);
      // The cells and the legend glyph in their own colour: cyanBright (SGR 96, or its 256-colour form).
      const painted = await t.painted('▣', 96, 14);
      assert.ok(
        painted.count >= 3,
        `▣ painted cyanBright on the map (2) and in the legend:\n${painted.screen}`,
      );
      await t.keys(['Right', 'Right', 'Right', 'Right', 'Right', 'Enter']);
      const detail = await t.waitFor(
        /10\.41\.0\.5 is not allocatable: held by a reservation/,
        'the address page',
      );
      assert.ok(detail.includes(`reserved by ${ns.name}/lb: new load balancer, until ${UNTIL}`), detail);
      await t.keys(['q']);
    });
  },
);
