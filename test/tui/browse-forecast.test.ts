// The exhaustion forecast in the built `kubectl-ipam browse`, in a real terminal (tmux; ADR 0031):
// a pool whose status.forecast says it fills up in about 3 days (written with a status patch in a
// namespace no controller serves, so nothing rewrites it) gets the `↗3d` marker in the pool list at
// 80 columns (`↗ full in 3d` where the words fit) and the "full in 3d (+0.07/h)" line in the map's
// side panel; a pool without a forecast gets neither.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { Ipam } from '../support/controller.js';
import { Objects } from '../support/ipam-objects.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

const FIRST_DATA_MS = 30_000;

describe(
  'kubectl ipam browse shows a pool filling up',
  { concurrency: 1, skip: pluginBuilt() ? false : 'plugin not built: run npm run build' },
  () => {
    let ns: TestNamespace;
    let kubeconfig: string;
    let session: TmuxSession | undefined;

    before(async () => {
      const cluster = await planeWithNamespaces('tui-forecast');
      kubeconfig = cluster.kubeconfigPath;
      [ns] = cluster.namespaces;
      const objects = new Objects(cluster.kc, ns.name);
      await objects.pool('filling', { addresses: ['10.41.0.10-10.41.0.19'], prefix: 24 });
      await objects.pool('steady', { addresses: ['10.41.1.10-10.41.1.19'], prefix: 24 });
      const ipam = await Ipam.connect(undefined, 'v1beta2', kubeconfig);
      // What the controller writes (docs/adr/0031): 5 free at +0.07/h is full in ~3 days.
      const now = new Date().toISOString();
      await ipam.pools('InClusterIPPool').mergePatchStatus(
        { namespace: ns.name, name: 'filling' },
        {
          status: {
            ipAddresses: { total: 10, used: 0, free: 10, outOfRange: 0 },
            forecast: {
              netAllocationsPerHour: 0.07,
              daysToExhaustion: 3.2,
              observedAt: now,
              observedUsed: 0,
            },
          },
        },
      );
      const written = await ipam.pools('InClusterIPPool').get({ namespace: ns.name, name: 'filling' });
      assert.equal(written.status?.forecast?.daysToExhaustion, 3.2, 'the status patch wrote the forecast');
    });

    after(async () => {
      await session?.kill();
      await ns.cleanup();
    });

    it('the list marker at 80 columns and the side panel line', async () => {
      session = await TmuxSession.start([KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', ns.name], {
        columns: 80,
        rows: 24,
      });
      const t = session;
      const list = await t.waitFor(new RegExp(`${ns.name}/filling .*↗3d`), 'the list marker', FIRST_DATA_MS);
      assert.doesNotMatch(
        list.split('\n').find((l) => l.includes(`${ns.name}/steady`)) ??
          assert.fail(`no steady row:\n${list}`),
        /↗/,
        'a pool without a forecast has no marker',
      );
      for (const line of list.split('\n')) assert.ok(line.length <= 80, `fits 80 columns: ${line}`);
      // The list is sorted by id: filling first. Its map's side panel says when and at what rate.
      await t.keys(['Enter']);
      await t.waitFor(/full in 3d \(\+0\.07\/h\)/, 'the forecast line in the side panel');
      await t.keys(['q']);
    });

    it('the marker in words where they fit (140 columns)', async () => {
      await session?.kill();
      session = await TmuxSession.start([KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', ns.name], {
        columns: 140,
        rows: 24,
      });
      await session.waitFor(
        new RegExp(`${ns.name}/filling .*↗ full in 3d`),
        'the marker in words',
        FIRST_DATA_MS,
      );
      await session.keys(['q']);
    });
  },
);
