// kubectl-ipam end to end: the BUILT plugin (plugin/bin/kubectl-ipam) against the real control plane,
// with pools, claims and IPAddresses created by hand the way the controller would create them.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { repoRoot } from '../cluster/paths.js';
import {
  deleteGlobalIPPool,
  planeWithNamespaces,
  testCluster,
  type TestNamespace,
} from '../support/cluster.js';
import { KUBECTL_IPAM_BIN as bin, runPlugin, type PluginResult } from '../support/kubectl-ipam.js';
import { waitFor } from '../support/wait.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { TmuxSession } from '../support/tmux.js';

const GROUP = 'ipam.cluster.x-k8s.io';
const CAPI = 'v1beta2';
let kubeconfig = '';

function plugin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<PluginResult> {
  return runPlugin(kubeconfig, args, env);
}

describe('kubectl-ipam against the control plane', () => {
  let ns: TestNamespace;
  let custom: k8s.CustomObjectsApi;
  const uids = new Map<string, string>();
  const suffix = Math.random().toString(16).slice(2, 8);
  const globalPool = `shared-${suffix}`;

  async function create(
    plural: string,
    body: Record<string, unknown>,
    namespaced = true,
    version = 'v1alpha2',
  ): Promise<string> {
    const res = (
      namespaced
        ? await custom.createNamespacedCustomObject({
            group: GROUP,
            version,
            namespace: ns.name,
            plural,
            body,
          })
        : await custom.createClusterCustomObject({ group: GROUP, version, plural, body })
    ) as { metadata: { uid: string; name: string } };
    uids.set(`${plural}/${res.metadata.name}`, res.metadata.uid);
    return res.metadata.uid;
  }

  async function claim(
    name: string,
    poolKind: string,
    poolName: string,
    extra: Record<string, unknown> = {},
  ): Promise<string> {
    return create(
      'ipaddressclaims',
      {
        apiVersion: `${GROUP}/${CAPI}`,
        kind: 'IPAddressClaim',
        metadata: { name, ...extra },
        spec: { poolRef: { apiGroup: GROUP, kind: poolKind, name: poolName } },
      },
      true,
      CAPI,
    );
  }

  /** An IPAddress as the controller writes it: claim and pool owners, ProtectAddress finalizer. */
  async function address(
    name: string,
    ip: string,
    prefix: number,
    poolKind: string,
    poolName: string,
    claimUid: string | undefined,
    poolUid: string,
    gateway?: string,
  ): Promise<string> {
    const owners: Record<string, unknown>[] = [];
    if (claimUid !== undefined)
      owners.push({
        apiVersion: `${GROUP}/${CAPI}`,
        kind: 'IPAddressClaim',
        name,
        uid: claimUid,
        controller: true,
        blockOwnerDeletion: true,
      });
    owners.push({
      apiVersion: `${GROUP}/v1alpha2`,
      kind: poolKind,
      name: poolName,
      uid: poolUid,
      controller: false,
      blockOwnerDeletion: true,
    });
    return create(
      'ipaddresses',
      {
        apiVersion: `${GROUP}/${CAPI}`,
        kind: 'IPAddress',
        metadata: { name, finalizers: [`${GROUP}/ProtectAddress`], ownerReferences: owners },
        spec: {
          claimRef: { name },
          poolRef: { apiGroup: GROUP, kind: poolKind, name: poolName },
          address: ip,
          prefix,
          ...(gateway === undefined ? {} : { gateway }),
        },
      },
      true,
      CAPI,
    );
  }

  before(async () => {
    // The launcher runs the bundle that `npm run build` writes; build it if missing or stale.
    ensurePluginBuilt();
    const c = await planeWithNamespaces('plugin-cli');
    kubeconfig = c.kubeconfigPath;
    [ns] = c.namespaces;
    custom = c.kc.makeApiClient(k8s.CustomObjectsApi);

    // nodes-v4: 10.0.0.0/24, gateway .1, .2-.9 excluded → 245 allocatable.
    const v4 = await create('inclusterippools', {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: 'nodes-v4', labels: { tier: 'nodes', family: 'v4' } },
      spec: {
        addresses: ['10.0.0.0/24'],
        prefix: 24,
        gateway: '10.0.0.1',
        excludedAddresses: ['10.0.0.2-10.0.0.9'],
      },
    });
    const v6 = await create('inclusterippools', {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: 'nodes-v6', labels: { tier: 'nodes', family: 'v6' } },
      spec: { addresses: ['fd00::/64'], prefix: 64, gateway: 'fd00::1' },
    });
    const tiny = await create('inclusterippools', {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: 'tiny' },
      spec: { addresses: ['10.9.0.10'], prefix: 24 },
    });
    await create(
      'globalinclusterippools',
      {
        apiVersion: `${GROUP}/v1alpha2`,
        kind: 'GlobalInClusterIPPool',
        metadata: { name: globalPool },
        spec: { addresses: ['10.200.0.0/30'], prefix: 24 },
      },
      false,
    );
    await create('inclusterprefixpools', {
      apiVersion: `${GROUP}/v1alpha2`,
      kind: 'InClusterPrefixPool',
      metadata: { name: 'delegated' },
      spec: { prefixes: ['fd10::/62'], allocationPrefixLength: 64 },
    });

    // Bound claims.
    const c1 = await claim('md-0-a', 'InClusterIPPool', 'nodes-v4');
    await address('md-0-a', '10.0.0.10', 24, 'InClusterIPPool', 'nodes-v4', c1, v4, '10.0.0.1');
    const c2 = await claim('md-0-b', 'InClusterIPPool', 'nodes-v4');
    await address('md-0-b', '10.0.0.11', 24, 'InClusterIPPool', 'nodes-v4', c2, v4, '10.0.0.1');
    const c3 = await claim('v6-a', 'InClusterIPPool', 'nodes-v6');
    await address('v6-a', 'fd00::2', 64, 'InClusterIPPool', 'nodes-v6', c3, v6, 'fd00::1');
    const c4 = await claim('tiny-a', 'InClusterIPPool', 'tiny');
    await address('tiny-a', '10.9.0.10', 24, 'InClusterIPPool', 'tiny', c4, tiny);
    // An orphan: its claim never existed (or was force-deleted).
    await address('orphan-1', '10.0.0.12', 24, 'InClusterIPPool', 'nodes-v4', undefined, v4, '10.0.0.1');
    // Pending claims: exhausted pool, missing pool.
    await claim('tiny-b', 'InClusterIPPool', 'tiny', { finalizers: [`${GROUP}/ReleaseAddress`] });
    await claim('lost', 'InClusterIPPool', 'does-not-exist');
  });

  after(async () => {
    await deleteGlobalIPPool(custom, globalPool);
    await ns.cleanup();
  });

  it('pools: one row per pool with counts computed from spec + IPAddresses', async () => {
    const r = await plugin(['pools', '-n', ns.name]);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trimEnd().split('\n');
    // One namespace: no NAMESPACE column (kubectl get's convention); 80 columns off a terminal.
    assert.match(lines[0] ?? '', /^NAME\s+KIND\s+FAMILY\s+TOTAL\s+USED\s+FREE\s+OOR\s+UTILISATION$/);
    const row = (name: string): string => lines.find((l) => l.startsWith(`${name} `)) ?? '';
    assert.match(row('nodes-v4'), /^nodes-v4\s+pool\s+IPv4\s+245\s+3\s+242\s+0\s+/);
    assert.match(row('nodes-v6'), /pool\s+IPv6\s+1\.8e19\s+1\s+1\.8e19\s+0\s+▏░+\s+<1%$/);
    assert.match(row('tiny'), /pool\s+IPv4\s+1\s+1\s+0\s+0\s+█+\s+100%\s+■ full/);
    assert.match(row('delegated'), /prefix\s+IPv6\/64\s+4\s+0\s+4\s+0/);
    assert.match(row(globalPool), /^shared-\w+\s+global\s+IPv4\s+3\s+0\s+3/);
    for (const l of lines) assert.ok(l.length <= 80, l);
    // -A: the NAMESPACE column, `—` for global pools.
    const all = await plugin(['pools', '-A', '--kind', 'global']);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /^NAMESPACE\s+NAME\s+KIND/);
    assert.match(all.stdout, new RegExp(`^—\\s+${globalPool}\\s+global\\s+IPv4\\s+3\\s+0\\s+3`, 'm'));
  });

  it('pools -o json: exact counts as strings, stable shape', async () => {
    const r = await plugin(['pools', '-n', ns.name, '-o', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as {
      kind: string;
      items: { id: string; counts: Record<string, string>; severity: string }[];
    };
    assert.equal(doc.kind, 'PoolList');
    const v6 = doc.items.find((i) => i.id === `${ns.name}/nodes-v6`);
    assert.deepEqual(v6?.counts, {
      total: '18446744073709551614',
      used: '1',
      allocated: '1',
      free: '18446744073709551613',
      outOfRange: '0',
      // Addresses held by IPAddressReservations (ADR 0030); none here.
      reserved: '0',
    });
    assert.equal(doc.items.find((i) => i.id === `${ns.name}/tiny`)?.severity, 'full');
  });

  it('pools reads IPAddresses page by page: every chunk size gives the same exact summaries', async () => {
    const read = async (chunk: string): Promise<unknown> => {
      const r = await plugin(['pools', '-n', ns.name, '-o', 'json', '--chunk-size', chunk]);
      assert.equal(r.code, 0, r.stderr);
      return JSON.parse(r.stdout);
    };
    // The plane is shared (a benchmark may have left 20 000 IPAddresses): a chunk size that makes
    // about 20 pages of whatever it holds (on a clean plane, this test's few addresses, 2 a page).
    const probe = (await custom.listClusterCustomObject({
      group: GROUP,
      version: CAPI,
      plural: 'ipaddresses',
      limit: 1,
    })) as { items: unknown[]; metadata?: { remainingItemCount?: number } };
    const total = probe.items.length + (probe.metadata?.remainingItemCount ?? 20_000);
    const chunk = Math.max(2, Math.ceil(total / 20));
    // chunk: continue tokens, one page counted while the next is on its way; 0: one unpaged list.
    const [paged, whole] = await Promise.all([read(String(chunk)), read('0')]);
    assert.deepEqual(paged, whole);
    const items = (whole as { items: { id: string; claims: number; counts: { used: string } }[] }).items;
    const nodes = items.find((i) => i.id === `${ns.name}/nodes-v4`);
    assert.ok(nodes);
    assert.equal(nodes.counts.used, '3');
    assert.equal(nodes.claims, 2);
    assert.equal(items.find((i) => i.id === `${ns.name}/tiny`)?.claims, 2);
    const bad = await plugin(['pools', '-n', ns.name, '--chunk-size', '-5']);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--chunk-size must be a whole number >= 0/);
  });

  it("kubectl's conventions: -l, --sort utilization, --no-headers, -o name, -o jsonpath", async () => {
    const selected = await plugin([
      'pools',
      '-n',
      ns.name,
      '-l',
      'tier=nodes,family in (v4)',
      '--no-headers',
    ]);
    assert.equal(selected.code, 0, selected.stderr);
    assert.match(selected.stdout, /^nodes-v4\s+pool\s+IPv4\s+245\s+3\s+242\s+0\s+/);
    assert.equal(selected.stdout.trimEnd().split('\n').length, 1);
    const none = await plugin(['pools', '-n', ns.name, '-l', 'tier=none']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stderr, /No pools found in namespace .* matching -l tier=none\./);
    const badSelector = await plugin(['pools', '-n', ns.name, '-l', 'tier==='], {});
    assert.notEqual(badSelector.code, 0);
    assert.match(badSelector.stderr, /^error: /);

    for (const sort of ['utilization', 'utilisation']) {
      const r = await plugin(['pools', '-n', ns.name, '--kind', 'pool', '--sort', sort, '-o', 'name']);
      assert.equal(r.code, 0, r.stderr);
      // The full pool first; kubectl's -o name: <kind>.<group>/<name>.
      assert.equal(r.stdout.split('\n')[0], 'inclusterippool.ipam.cluster.x-k8s.io/tiny');
    }
    const globals = await plugin(['pools', '-n', ns.name, '--kind', 'global', '-o', 'name']);
    assert.match(
      globals.stdout,
      new RegExp(`^globalinclusterippool\\.ipam\\.cluster\\.x-k8s\\.io/${globalPool}$`, 'm'),
    );
    const path = await plugin([
      'pools',
      '-n',
      ns.name,
      '-l',
      'tier=nodes',
      '-o',
      'jsonpath={range .items[*]}{.name}={.counts.used}/{.counts.total}{"\\n"}{end}',
    ]);
    assert.equal(path.code, 0, path.stderr);
    assert.equal(path.stdout, 'nodes-v4=3/245\nnodes-v6=1/18446744073709551614\n');
    const filtered = await plugin([
      'pools',
      '-n',
      ns.name,
      '-o',
      "jsonpath={.items[?(@.severity=='full')].id}",
    ]);
    assert.equal(filtered.stdout, `${ns.name}/tiny`);
    const inspectName = await plugin(['inspect', '-n', ns.name, '10.0.0.11', '-o', 'name']);
    assert.equal(inspectName.stdout, 'ipaddress.ipam.cluster.x-k8s.io/md-0-b\n');
    const explained = await plugin([
      'explain',
      '-n',
      ns.name,
      'nodes-v4',
      '10.0.0.10',
      '-o',
      'jsonpath={.verdict}',
    ]);
    assert.equal(explained.code, 0, explained.stderr);
    assert.equal(explained.stdout, 'allocated');
    const wide = await plugin(['explain', '-n', ns.name, 'nodes-v4', '-o', 'wide']);
    assert.equal(wide.code, 2);
    assert.match(wide.stderr, /^error: explain has no wide output/);
    const group = await plugin(['pools', '-n', ns.name, '--as-group', 'system:masters']);
    assert.equal(group.code, 2);
  });

  it('every command fits 80 columns ($COLUMNS=80), and is ASCII with LANG=C or TERM=dumb', async () => {
    const commands = [
      ['pools', '-n', ns.name],
      ['pools', '-n', ns.name, '--recount'],
      ['explain', '-n', ns.name, 'nodes-v4'],
      ['explain', '-n', ns.name, 'nodes-v6'],
      ['explain', '-n', ns.name, 'delegated'],
      ['explain', '-n', ns.name, 'nodes-v4', '10.0.0.10'],
      ['explain', '-n', ns.name, 'nodes-v4', '10.0.0.5'],
      ['explain', '-n', ns.name, 'claim', 'tiny-b'],
      ['explain', '-n', ns.name, 'claim', 'md-0-a'],
      // --pool: other test files' global pools may hold the same addresses at the same time.
      ['inspect', '-n', ns.name, '10.0.0.12', '--pool', 'nodes-v4'],
      ['release', '-n', ns.name, '10.0.0.12', '--pool', 'nodes-v4'],
      ['release', '-n', ns.name, '10.0.0.11', '--pool', 'nodes-v4', '--force'],
      ['doctor', '-n', ns.name, '--min-age', '0'],
    ];
    // LC_ALL and LC_CTYPE would win over LANG (as in the C library): clear them.
    const locale = { LC_ALL: '', LC_CTYPE: '' };
    const envs: Record<string, string>[] = [
      { COLUMNS: '80', LANG: 'C.UTF-8', ...locale },
      { COLUMNS: '80', LANG: 'C', ...locale },
      { COLUMNS: '80', TERM: 'dumb' },
    ];
    for (const env of envs) {
      for (const args of commands) {
        const r = await plugin(args, env);
        assert.ok([0, 6, 7].includes(r.code), `${args.join(' ')}: exit ${r.code}: ${r.stderr}`);
        assert.notEqual(r.stdout, '', args.join(' '));
        for (const line of r.stdout.split('\n'))
          assert.ok(Array.from(line).length <= 80, `${args.join(' ')} (${JSON.stringify(env)}): ${line}`);
        if (env.LANG === 'C' || env.TERM === 'dumb') {
          assert.doesNotMatch(
            r.stdout,
            /[\u0080-\u{10ffff}]/u,
            `${args.join(' ')} is ASCII (${JSON.stringify(env)})`,
          );
          assert.doesNotMatch(r.stderr, /[\u0080-\u{10ffff}]/u, `${args.join(' ')} stderr is ASCII`);
        }
      }
    }
    const ascii = await plugin(['pools', '-n', ns.name], { LANG: 'C', ...locale });
    assert.match(ascii.stdout, /^tiny\s+pool\s+IPv4\s+1\s+1\s+0\s+0\s+#+\s+100%\s+# full$/m);
  });

  it('pools in a real 80-column terminal (tmux): no row wraps, the bar shrank', async () => {
    // The shell keeps the pane alive after the table: when a pane dies, tmux (3.3) writes "Pane is
    // dead" on its last row and scrolls the screen by a line, which would take the header off.
    const s = await TmuxSession.start(
      [
        'sh',
        '-c',
        '"$0" "$@"; exec sleep 120',
        bin,
        '--kubeconfig',
        kubeconfig,
        'pools',
        '-n',
        ns.name,
        '--kind',
        'pool',
        '--kind',
        'prefix',
      ],
      { columns: 80, rows: 20, env: { LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8' } },
    );
    try {
      const screen = await s.waitFor(/^tiny .*100%/m, 'the pools table');
      // Header and one line per pool, nothing else: a wrapped row would leave its tail on a line.
      const lines = screen.split('\n').filter((l) => l.trim() !== '');
      assert.equal(lines.length, 5, screen);
      assert.match(lines[0] ?? '', /^NAME\s+KIND\s+FAMILY\s+TOTAL\s+USED\s+FREE\s+OOR\s+UTILISATION$/);
      const bar = /\s+\S+\s+\S+\s+\S+\s+\S+\s+\S+\s+\d+\s+[█▏▎▍▌▋▊▉░]{5,19}\s+\S+%/;
      ['delegated', 'nodes-v4', 'nodes-v6', 'tiny'].forEach((name, i) => {
        assert.match(lines[i + 1] ?? '', new RegExp(`^${name}${bar.source}`), screen);
      });
    } finally {
      await s.kill();
    }
  });

  it('kubectl completes `kubectl ipam …` through kubectl_complete-ipam (Cobra protocol)', async () => {
    const complete = (args: string[]): Promise<{ lines: string[]; directive: string }> =>
      new Promise((resolve, reject) => {
        execFile(
          'kubectl',
          ['__complete', 'ipam', ...args],
          {
            cwd: repoRoot,
            env: {
              ...process.env,
              NODE_OPTIONS: '',
              KUBECONFIG: kubeconfig,
              PATH: `${join(repoRoot, 'plugin', 'bin')}:${process.env.PATH ?? ''}`,
            },
          },
          (error, stdout) => {
            if (error !== null) {
              reject(new Error(`kubectl __complete ipam ${args.join(' ')}`, { cause: error }));
              return;
            }
            const lines = stdout.trimEnd().split('\n');
            resolve({
              lines: lines.slice(0, -1).map((l) => l.split('\t')[0] ?? ''),
              directive: lines.at(-1) ?? '',
            });
          },
        );
      });
    const sub = await complete(['']);
    assert.deepEqual(sub.lines, [
      'pools',
      'explain',
      'inspect',
      'release',
      'doctor',
      'browse',
      'completion',
      'reserve',
      'unreserve',
    ]);
    assert.equal(sub.directive, ':4');
    assert.deepEqual((await complete(['ex'])).lines, ['explain']);
    assert.deepEqual((await complete(['pools', '--sort', ''])).lines, [
      'name',
      'utilization',
      'free',
      'used',
    ]);
    assert.deepEqual((await complete(['pools', '--sort=u'])).lines, ['--sort=utilization', '--sort=used']);
    assert.ok((await complete(['pools', '--s'])).lines.includes('--sort'));
    assert.ok((await complete(['pools', '--s'])).lines.includes('--selector'));
    // Pools: namespaced ones by NAME in the namespace, global ones as global/NAME; "claim" too.
    const pools = await complete(['-n', ns.name, 'explain', '']);
    for (const p of ['claim', 'nodes-v4', 'nodes-v6', 'tiny', 'delegated', `global/${globalPool}`])
      assert.ok(pools.lines.includes(p), `${p} in ${pools.lines.join(' ')}`);
    assert.deepEqual((await complete(['-n', ns.name, 'explain', 'nodes-'])).lines, ['nodes-v4', 'nodes-v6']);
    assert.ok(
      (await complete(['explain', `${ns.name}/`])).lines.includes(`${ns.name}/nodes-v4`),
      'NAMESPACE/ completes that namespace',
    );
    // After a pool: its allocated addresses, in address order.
    assert.deepEqual((await complete(['-n', ns.name, 'explain', 'nodes-v4', ''])).lines, [
      '10.0.0.10',
      '10.0.0.11',
      '10.0.0.12',
    ]);
    assert.deepEqual((await complete(['-n', ns.name, 'explain', 'nodes-v6', 'fd'])).lines, ['fd00::2']);
    // Claims after `explain claim`.
    const claims = await complete(['-n', ns.name, 'explain', 'claim', '']);
    assert.deepEqual([...claims.lines].sort(), ['lost', 'md-0-a', 'md-0-b', 'tiny-a', 'tiny-b', 'v6-a']);
    // --pool and release/inspect addresses.
    assert.ok((await complete(['-n', ns.name, 'release', '--pool', ''])).lines.includes('nodes-v4'));
    assert.deepEqual((await complete(['-n', ns.name, 'inspect', '--pool', 'tiny', ''])).lines, ['10.9.0.10']);
    assert.ok((await complete(['-n', ns.name, '-o', ''])).lines.includes('json'));
    // No cluster: nothing, no error on the terminal.
    const lost = await complete(['--kubeconfig', '/nonexistent', 'explain', '']);
    assert.deepEqual(lost.lines, ['claim']);
  });

  it('explain POOL shows ranges with their sources, reserved, gateway and free blocks', async () => {
    const r = await plugin(['explain', '-n', ns.name, 'nodes-v4']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /Pool .*\/nodes-v4 · InClusterIPPool · IPv4 · prefix \/24 · subnet 10\.0\.0\.0\/24 · gateway 10\.0\.0\.1/,
    );
    assert.match(r.stdout, /\+ 10\.0\.0\.0\/24\s+256\s+spec\.addresses\[0\] \(10\.0\.0\.0\/24\)/);
    assert.match(r.stdout, /− 10\.0\.0\.2–10\.0\.0\.9\s+8\s+excluded by spec\.excludedAddresses\[0\]/);
    assert.match(r.stdout, /reserved: network address of 10\.0\.0\.0\/24/);
    assert.match(r.stdout, /reserved: broadcast address of 10\.0\.0\.0\/24/);
    assert.match(r.stdout, /= allocatable\s+245/);
    assert.match(r.stdout, /largest free 10\.0\.0\.13–10\.0\.0\.254 \(242\)/);
    assert.match(r.stdout, /next allocation: 10\.0\.0\.13/);
  });

  it('explain POOL ADDRESS gives the verdict and every reason, and who holds it', async () => {
    const excluded = await plugin(['explain', '-n', ns.name, 'nodes-v4', '10.0.0.5']);
    assert.equal(excluded.code, 0, excluded.stderr);
    assert.match(excluded.stdout, /10\.0\.0\.5 is not allocatable: excluded/);
    assert.match(excluded.stdout, /✓ inside spec\.addresses\[0\] \(10\.0\.0\.0\/24\)/);
    assert.match(excluded.stdout, /✗ excluded by spec\.excludedAddresses\[0\] \(10\.0\.0\.2-10\.0\.0\.9\)/);
    const held = await plugin(['explain', '-n', ns.name, `${ns.name}/nodes-v4`, '10.0.0.10']);
    assert.match(held.stdout, /10\.0\.0\.10 is allocated/);
    assert.match(held.stdout, /held by IPAddress .*\/md-0-a for claim .*\/md-0-a/);
    assert.match(held.stdout, /owner chain: IPAddressClaim md-0-a/);
    // NAMESPACE/NAME finds the pool from any current namespace (no -n).
    const qualified = await plugin(['explain', `${ns.name}/nodes-v4`]);
    assert.equal(qualified.code, 0, qualified.stderr);
    assert.match(qualified.stdout, new RegExp(`Pool ${ns.name}/nodes-v4 · InClusterIPPool`));
  });

  it('explain claim: bound, exhausted pool, missing pool', async () => {
    const bound = await plugin(['explain', '-n', ns.name, 'claim', 'md-0-a']);
    assert.equal(bound.code, 0, bound.stderr);
    assert.match(bound.stdout, /Claim .*\/md-0-a holds 10\.0\.0\.10\/24 from pool .*\/nodes-v4/);
    const exhausted = await plugin(['explain', '-n', ns.name, 'claim', 'tiny-b']);
    assert.match(exhausted.stdout, /is pending: pool .*\/tiny is exhausted \(1 of 1 addresses in use\)/);
    const lost = await plugin(['explain', '-n', ns.name, 'claim', 'lost']);
    assert.match(lost.stdout, /is pending: pool InClusterIPPool does-not-exist does not exist/);
  });

  it('global pools resolve as global/NAME, --global, or NAME when unambiguous', async () => {
    for (const args of [[`global/${globalPool}`], ['--global', globalPool], [globalPool]]) {
      const r = await plugin(['explain', '-n', ns.name, ...args]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`Pool global/${globalPool} · GlobalInClusterIPPool`));
    }
  });

  it('inspect ADDRESS shows the IPAddress, claim, owners, finalizers and age', async () => {
    const r = await plugin(['inspect', '-n', ns.name, '10.0.0.11']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /IPAddress .*\/md-0-b/);
    assert.match(r.stdout, /claim\s+.*\/md-0-b · bound|claim\s+.*\/md-0-b · status\.addressRef not set/);
    assert.match(r.stdout, /finalizers\s+ipam\.cluster\.x-k8s\.io\/ProtectAddress/);
    assert.match(r.stdout, /owners\s+IPAddressClaim md-0-b \(controller\), InClusterIPPool nodes-v4/);
  });

  it('errors: one line and a documented exit code', async () => {
    const unknownPool = await plugin(['explain', '-n', ns.name, 'nope']);
    assert.equal(unknownPool.code, 3);
    assert.match(unknownPool.stderr, /^error: pool "nope" not found in namespace .* or among global pools\n/);
    const badAddr = await plugin(['explain', '-n', ns.name, 'nodes-v4', '10.0.0.300']);
    assert.equal(badAddr.code, 2);
    assert.equal(badAddr.stderr, 'error: "10.0.0.300" is not an IP address (give one such as 10.0.0.17)\n');
    const wrongFamily = await plugin(['explain', '-n', ns.name, 'nodes-v4', 'fd00::1']);
    assert.equal(wrongFamily.code, 2);
    assert.match(wrongFamily.stderr, /^error: fd00::1 is an IPv6 address, but pool .*\/nodes-v4 is IPv4\n/);
    const noCluster = await plugin(['--kubeconfig', '/nonexistent/kubeconfig', 'pools']);
    assert.equal(noCluster.code, 4);
    assert.equal(noCluster.stderr.trim().split('\n').length, 1);
    assert.doesNotMatch(noCluster.stderr, /\n\s+at /);
    const forbidden = await plugin(['pools', '-n', ns.name, '--as', 'nobody@example.com']);
    assert.equal(forbidden.code, 5, forbidden.stderr);
    assert.match(forbidden.stderr, /^error: .*permission denied|forbidden/i);
  });

  it('doctor finds the orphan and the pending claims; -o json report feeds release --from-report', async (t) => {
    const r = await plugin(['doctor', '-n', ns.name, '--min-age', '0']);
    assert.equal(r.code, 7, r.stderr);
    // Each message wrapped under its finding (SEVERITY CHECK ADDRESS).
    assert.match(r.stdout, /^error\s+orphaned-address\s+10\.0\.0\.12\n {2}IPAddress .*\/orphan-1 holds/m);
    assert.match(r.stdout, /^warning\s+pending-claim\s+-\n {2}claim .*\/tiny-b /m);
    assert.match(r.stdout, /^warning\s+pending-claim\s+-\n {2}claim .*\/lost /m);
    // The hand-off keeps the scope the audit ran in, whole on one line however the text is wrapped.
    assert.match(r.stdout, new RegExp(`kubectl ipam doctor -n ${ns.name} -o json > report\\.json`));
    const wide = await plugin(['doctor', '-n', ns.name, '--min-age', '0', '-o', 'wide', '--no-headers']);
    assert.equal(wide.code, 7, wide.stderr);
    assert.match(
      wide.stdout,
      /^error\s+orphaned-address\s+IPAddress .*\/orphan-1\s+10\.0\.0\.12\s+IPAddress/,
    );

    const json = await plugin(['doctor', '-n', ns.name, '--min-age', '0', '-o', 'json']);
    const report = JSON.parse(json.stdout) as { kind: string; summary: { releasable: number } };
    assert.equal(report.kind, 'DoctorReport');
    assert.equal(report.summary.releasable, 1);
    const dir = mkdtempSync(join(tmpdir(), 'ipam-report-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const file = join(dir, 'report.json');
    writeFileSync(file, json.stdout);

    const dry = await plugin(['release', '-n', ns.name, '--from-report', file]);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /Would release 10\.0\.0\.12/);
    assert.match(dry.stdout, /Dry run: nothing changed/);
    const still = (await custom.getNamespacedCustomObject({
      group: GROUP,
      version: CAPI,
      namespace: ns.name,
      plural: 'ipaddresses',
      name: 'orphan-1',
    })) as { metadata: { name: string } };
    assert.equal(still.metadata.name, 'orphan-1');

    const done = await plugin(['release', '-n', ns.name, '--from-report', file, '--yes']);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /→ released 10\.0\.0\.12/);
    await waitFor(
      async () => {
        try {
          await custom.getNamespacedCustomObject({
            group: GROUP,
            version: CAPI,
            namespace: ns.name,
            plural: 'ipaddresses',
            name: 'orphan-1',
          });
          return false;
        } catch {
          return true;
        }
      },
      { what: 'orphan-1 to be deleted' },
    );
  });

  it('release refuses an address whose claim exists, dry-runs with --force, and acts with --yes --force', async () => {
    const refused = await plugin(['release', '-n', ns.name, '10.0.0.11']);
    assert.equal(refused.code, 6);
    assert.match(refused.stdout, /Refusing to release 10\.0\.0\.11 .*\n\s+its claim .*\/md-0-b still exists/);
    assert.match(refused.stdout, /Dry run: nothing changed\. Re-run with --force --yes to release anyway/);

    const dry = await plugin(['release', '-n', ns.name, '10.0.0.11', '--force']);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(
      dry.stdout,
      /1\. PATCH ipaddresses\/md-0-b .*remove finalizer ipam\.cluster\.x-k8s\.io\/ProtectAddress/,
    );
    assert.match(dry.stdout, /2\. DELETE ipaddresses\/md-0-b .*preconditions uid=/);
    assert.match(dry.stdout, /a machine may still be using 10\.0\.0\.11/);

    const done = await plugin(['release', '-n', ns.name, 'md-0-b', '--force', '--yes']);
    assert.equal(done.code, 0, done.stderr + done.stdout);
    assert.match(done.stdout, /→ released 10\.0\.0\.11/);
    const { kc } = await testCluster();
    const events = await kc.makeApiClient(k8s.CoreV1Api).listNamespacedEvent({ namespace: ns.name });
    assert.ok(events.items.some((e) => e.reason === 'ForceReleased' && e.involvedObject.name === 'md-0-b'));
  });
});
