// Builds a standalone kubectl-ipam binary (Node single executable application) for users without Node:
//   1. esbuild bundles dist/main.js and its dependencies into one CommonJS file (SEA runs CJS);
//   2. node --experimental-sea-config writes the preparation blob (Node 24 has no --build-sea yet);
//   3. the running node binary is copied and postject injects the blob.
// Output: plugin/dist/sea/kubectl-ipam (for the OS/arch of the node that runs this script), and next
// to it kubectl_complete-ipam (bin/): the script kubectl (>= 1.26) runs to complete `kubectl ipam …`.
// Usage: npm run build:sea -w plugin (compiles first; this file runs as dist/build/sea.js)
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const plugin = join(here, '..', '..'); // dist/build → plugin
const out = join(plugin, 'dist', 'sea');
const main = join(plugin, 'dist', 'main.js');
if (!existsSync(main)) throw new Error(`${main} is missing; run npm run build first`);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const bundle = join(out, 'kubectl-ipam.cjs');
await build({
  entryPoints: [main],
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  outfile: bundle,
  // Optional native/dev-only modules stay out.
  external: ['react-devtools-core', 'bufferutil', 'utf-8-validate'],
  // The Ink browser (src/ui) stays out too (yoga's top-level await cannot be CommonJS): its dynamic
  // import fails in the binary and `browse` reports the browser as unavailable.
  plugins: [
    {
      name: 'no-browser',
      setup(b) {
        b.onResolve({ filter: /\/ui\/index\.js$/ }, (args) => ({ path: args.path, external: true }));
      },
    },
  ],
  // Top-level await is not allowed in CJS: wrap the entry.
  banner: { js: 'const __import_meta_url = require("node:url").pathToFileURL(__filename).href;' },
  define: { 'import.meta.url': '__import_meta_url' },
  logLevel: 'warning',
  legalComments: 'none',
});

const config = join(out, 'sea-config.json');
const blob = join(out, 'sea-prep.blob');
writeFileSync(
  config,
  JSON.stringify({ main: bundle, output: blob, disableExperimentalSEAWarning: true, useCodeCache: false }),
);
execFileSync(process.execPath, ['--experimental-sea-config', config], { stdio: 'inherit' });

const exe = join(out, process.platform === 'win32' ? 'kubectl-ipam.exe' : 'kubectl-ipam');
copyFileSync(process.execPath, exe);
chmodSync(exe, 0o755);
if (process.platform === 'darwin') execFileSync('codesign', ['--remove-signature', exe]);
const require = createRequire(import.meta.url);
const postject = join(dirname(require.resolve('postject/package.json')), 'dist', 'cli.js');
const args = [
  postject,
  exe,
  'NODE_SEA_BLOB',
  blob,
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
];
if (process.platform === 'darwin') args.push('--macho-segment-name', 'NODE_SEA');
execFileSync(process.execPath, args, { stdio: 'inherit' });
if (process.platform === 'darwin') execFileSync('codesign', ['--sign', '-', exe]);
// The completion helper is a POSIX shell script that runs the kubectl-ipam beside it (not on Windows).
const completer = join(out, 'kubectl_complete-ipam');
copyFileSync(join(plugin, 'bin', 'kubectl_complete-ipam'), completer);
chmodSync(completer, 0o755);
process.stdout.write(`built ${exe} and ${completer}\n`);
