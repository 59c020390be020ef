// Time to first TUI frame of the built `kubectl-ipam browse`, in a real terminal (tmux), against the
// local control plane. Prints numbers; asserts nothing (target: first frame within 300 ms, issue 16;
// `npm run bench:plugin-speed` prints it beside the other plugin figures).
//
//   npx tsx test/tui/first-frame.bench.ts [runs]   (builds the plugin first when its bundle is stale)
//
// Measured from just before `tmux new-session` to the first capture-pane that shows
//   first frame  — the browser's header ("kubectl ipam · context …"), i.e. Ink's first render;
//   first data   — the pool list (the first snapshot from the cluster has arrived).
// Includes process start-up (sh launcher + Node 24 + module loading); capture-pane is polled every
// ~5 ms, so each figure is late by up to one poll.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../cluster/paths.js';
import { ensurePluginBuilt, launcherEntry } from '../support/plugin-build.js';
import { KUBECTL_IPAM, pluginBuilt, TmuxSession } from '../support/tmux.js';

const run = promisify(execFile);
const runs = Number(process.argv[2] ?? 7);
const kubeconfig = process.env.IPAM_TEST_KUBECONFIG ?? join(repoRoot, '.cluster', 'kubeconfig');

function stats(xs: number[]): string {
  const s = [...xs].sort((a, b) => a - b);
  const median = s[Math.floor(s.length / 2)] ?? NaN;
  return `min ${s[0] ?? NaN} ms · median ${median} ms · max ${s.at(-1) ?? NaN} ms`;
}

async function once(): Promise<{ frame: number; data: number }> {
  const t0 = performance.now();
  const t = await TmuxSession.start([KUBECTL_IPAM, 'browse', '--kubeconfig', kubeconfig, '-n', 'default'], {
    columns: 100,
    rows: 30,
  });
  let frame = NaN;
  try {
    for (;;) {
      const screen = await t.screen();
      const now = Math.round(performance.now() - t0);
      if (Number.isNaN(frame) && /kubectl ipam · context/.test(screen)) frame = now;
      if (/POOL +KIND|No IP pools in view/.test(screen))
        return { frame: Number.isNaN(frame) ? now : frame, data: now };
      if (now > 60_000) throw new Error(`no frame after 60 s:\n${screen}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  } finally {
    await t.kill();
  }
}

/**
 * The browser alone: a Node process that imports plugin/dist/ui and renders it with in-memory
 * data; it records performance.now() (ms since its own start) at Ink's first render.
 */
async function browserAlone(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ipam-bench-'));
  const out = join(dir, 'first-frame');
  const ui = pathToFileURL(join(repoRoot, 'plugin', 'dist', 'ui', 'index.js')).href;
  const fixtures = pathToFileURL(join(repoRoot, 'plugin', 'dist', 'ui', 'testing', 'fixtures.js')).href;
  const code = [
    `import { writeFileSync } from 'node:fs';`,
    `const { runBrowser } = await import(${JSON.stringify(ui)});`,
    `const { FakeSource } = await import(${JSON.stringify(fixtures)});`,
    `await runBrowser({ source: new FakeSource(), readOnly: false, onFirstFrame: () => writeFileSync(${JSON.stringify(out)}, String(Math.round(performance.now()))) });`,
  ].join('\n');
  const t = await TmuxSession.start(
    [join(repoRoot, 'node_modules', '.bin', 'node'), '--input-type=module', '-e', code],
    { columns: 100, rows: 30 },
  );
  try {
    for (let waited = 0; waited < 30_000; waited += 10) {
      try {
        return Number(readFileSync(out, 'utf8'));
      } catch {
        await new Promise((r) => setTimeout(r, 10));
      }
    }
    throw new Error(`no first frame:\n${await t.screen()}`);
  } finally {
    await t.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  ensurePluginBuilt();
  if (!pluginBuilt()) throw new Error('plugin not built: npm run build');
  const { stdout } = await run(join(repoRoot, 'node_modules', '.bin', 'node'), ['--version']);
  process.stdout.write(
    `kubectl-ipam browse, first frame, ${runs} runs (node ${stdout.trim()}, tmux 100×30, ` +
      `launcher runs ${launcherEntry() === 'bundle' ? 'the bundle' : 'dist/main.js'})\n`,
  );
  const frames: number[] = [];
  const data: number[] = [];
  await once(); // warm the file cache
  for (let i = 0; i < runs; i++) {
    const r = await once();
    frames.push(r.frame);
    data.push(r.data);
    process.stdout.write(`  run ${i + 1}: first frame ${r.frame} ms, first data ${r.data} ms\n`);
  }
  process.stdout.write(`first frame: ${stats(frames)} (target 300 ms)\n`);
  process.stdout.write(`first data:  ${stats(data)}\n`);
  const alone: number[] = [];
  for (let i = 0; i < runs; i++) alone.push(await browserAlone());
  process.stdout.write(
    `browser alone (node start → Ink's first render, in-memory data, no CLI/kube modules): ${stats(alone)}\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
