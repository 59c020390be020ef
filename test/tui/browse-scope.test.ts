// Journeys of the built `kubectl-ipam browse` at 80 columns in tmux: switching namespace inside the
// browser (`:ns`), the map of a prefix pool, and an unreachable API server. Every screen read is
// checked to be no wider than 80 columns.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { Objects } from '../support/ipam-objects.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

const FIRST_DATA_MS = 30_000;
const COLUMNS = 80;

/** Fails if a line of the screen is wider than 80 columns. */
function narrow(screen: string, what: string): string {
  for (const line of screen.split('\n'))
    assert.ok(Array.from(line).length <= COLUMNS, `${what}: "${line}" is wider than ${COLUMNS}`);
  return screen;
}

describe(
  'kubectl ipam browse at 80 columns: namespaces, prefix pools, an unreachable server',
  { concurrency: 1, skip: pluginBuilt() ? false : 'plugin not built: run npm run build' },
  () => {
    let a: TestNamespace;
    let b: TestNamespace;
    let kubeconfig: string;
    const sessions: TmuxSession[] = [];

    before(async () => {
      const cluster = await planeWithNamespaces('tui-ns-a', 'tui-ns-b');
      kubeconfig = cluster.kubeconfigPath;
      [a, b] = cluster.namespaces;
      const inA = new Objects(cluster.kc, a.name);
      const inB = new Objects(cluster.kc, b.name);
      await inA.pool('alpha', { addresses: ['10.30.0.0/24'], prefix: 24 });
      await inB.pool('bravo', { addresses: ['10.31.0.0/24'], prefix: 24 });
      const delegated = await inA.pool(
        'delegated',
        { prefixes: ['fd10::/60'], allocationPrefixLength: 64, excludedPrefixes: ['fd10:0:0:8::/61'] },
        'InClusterPrefixPool',
      );
      const ref = { name: 'delegated', uid: delegated.uid };
      const prefix = { poolKind: 'InClusterPrefixPool', prefix: 64 } as const;
      await inA.allocated('site-a', 'fd10::', ref, prefix);
      await inA.allocated('site-b', 'fd10:0:0:1::', ref, prefix);
      await inA.address('gone-site', 'fd10:0:0:3::', ref, { name: 'gone-claim' }, prefix);
    });

    after(async () => {
      for (const s of sessions) await s.kill();
      await a.cleanup();
      await b.cleanup();
    });

    async function browse(argv: string[]): Promise<TmuxSession> {
      const s = await TmuxSession.start([KUBECTL_IPAM, 'browse', ...argv], { columns: COLUMNS, rows: 24 });
      sessions.push(s);
      return s;
    }

    it(':ns switches namespace inside the browser; :ns all reads every namespace', async () => {
      const t = await browse(['--kubeconfig', kubeconfig, '-n', a.name]);
      let screen = await t.waitFor(new RegExp(`${a.name}/alpha +pool`), 'the pool of A', FIRST_DATA_MS);
      narrow(screen, 'list of A');
      assert.match(screen, new RegExp(`namespace ${a.name}`));
      assert.doesNotMatch(screen, /bravo/);
      await t.keys([':']);
      await t.waitFor(/^:ns\s*$/m, 'the namespace prompt');
      await t.type(b.name);
      await t.keys(['Enter']);
      screen = await t.waitFor(new RegExp(`${b.name}/bravo +pool`), 'the pool of B', FIRST_DATA_MS);
      narrow(screen, 'list of B');
      assert.match(screen, new RegExp(`namespace ${b.name}`));
      assert.doesNotMatch(screen, /alpha/);
      await t.keys([':']);
      await t.waitFor(/^:ns\s*$/m, 'the namespace prompt');
      await t.type('all');
      await t.keys(['Enter']);
      await t.waitFor(/all namespaces/, 'the header', FIRST_DATA_MS);
      await t.keys(['/']);
      await t.type('tui-ns-');
      await t.keys(['Enter']);
      screen = await t.waitFor(
        new RegExp(`${a.name}/alpha[\\s\\S]*${b.name}/bravo`),
        'both pools',
        FIRST_DATA_MS,
      );
      narrow(screen, 'all namespaces');
      await t.keys(['q']);
      await waitFor(async () => t.exited(), { what: 'the browser to exit on q' });
    });

    it('a prefix pool has a map: one cell per /64, the orphan marked, ⏎ explains a prefix', async () => {
      const t = await browse(['--kubeconfig', kubeconfig, '-n', a.name]);
      await t.waitFor(
        new RegExp(`${a.name}/delegated +prefix +IPv6/64 +3/8`),
        'the prefix pool row',
        FIRST_DATA_MS,
      );
      await t.keys(['/']);
      await t.type('delegated');
      await t.keys(['Enter']);
      await t.waitFor(/filter "delegated"/, 'the filter applied');
      await t.keys(['Enter']);
      let screen = await t.waitFor(/delegated · fd10::\/60 · 1 cell = 1 \/64 prefix/, 'the prefix map');
      narrow(screen, 'prefix map');
      // fd10::/64 and :1 held, :2 free, :3 an orphan, :4–:7 free, :8–:f excluded.
      assert.match(screen, /\[■\]■ · ○ · · · · x x x x x x x x/);
      assert.match(screen, /○ orphan/);
      assert.match(screen, /claim +site-a/);
      await t.keys(['Right', 'Right', 'Right']);
      screen = await t.waitFor(/orphan: claim gone/, 'the orphan under the cursor');
      narrow(screen, 'orphan cell');
      await t.keys(['Left', 'Left', 'Left', 'Enter']);
      screen = await t.waitFor(
        new RegExp(`fd10::/64 is allocated to claim ${a.name}/site-a`),
        'the prefix detail',
      );
      narrow(screen, 'prefix detail');
      await t.keys(['q']);
      await waitFor(async () => t.exited(), { what: 'the browser to exit on q' });
    });

    it('an unreachable API server: an error saying what failed and how to go on, not "Reading pools…" forever', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'ipam-tui-unreachable-'));
      try {
        // Port 1 on loopback: nothing listens, the connection is refused at once.
        const config = join(dir, 'kubeconfig');
        writeFileSync(
          config,
          [
            'apiVersion: v1',
            'kind: Config',
            'clusters: [{name: nowhere, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]',
            'users: [{name: nobody, user: {token: x}}]',
            'contexts: [{name: nowhere, context: {cluster: nowhere, user: nobody, namespace: capi-a}}]',
            'current-context: nowhere',
            '',
          ].join('\n'),
        );
        const t = await browse(['--kubeconfig', config]);
        const screen = await t.waitFor(/Cannot read pools/, 'the error', FIRST_DATA_MS);
        narrow(screen, 'error');
        assert.match(screen, /127\.0\.0\.1:1|ECONNREFUSED|connect/);
        assert.match(screen, /Retrying every few seconds/);
        assert.match(screen, /q quits/);
        await t.keys(['q']);
        await waitFor(async () => t.exited(), { what: 'the browser to exit on q' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
