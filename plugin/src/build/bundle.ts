// Bundles the compiled CLI (dist/main.js and everything it imports, @kubernetes/client-node included)
// into dist/bundle/: one entry file plus chunks for what is imported lazily. bin/kubectl-ipam runs it.
// Why: resolving and compiling ~700 ESM files of node_modules cost ~0.5 s of every run; one
// tree-shaken file per command path loads in a fraction of that (ADR 0010, docs/performance.md).
//
// Code splitting keeps the lazy boundaries of the source: each command is its own chunk, and the Ink
// browser (ink, react, yoga) is a chunk that only `browse` loads, so `pools` never pays for it.
// ./esbuild-plugins.ts leaves out what no command uses: undici, client-node's generated APIs, and
// the loads of Node's own undici that node:http's getters and yoga's `fetch` would trigger (ADR 0027).
//
// Usage: part of `npm run build` (after tsc -b); alone: `npm run build:bundle -w plugin`.
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  clientNodeTreeShaken,
  httpWithoutLazyGetters,
  withoutUndici,
  yogaWithoutFetch,
} from './esbuild-plugins.js';

const here = dirname(fileURLToPath(import.meta.url));
const plugin = join(here, '..', '..'); // dist/build → plugin
const main = join(plugin, 'dist', 'main.js');
const out = join(plugin, 'dist', 'bundle');
/** What bin/kubectl-ipam runs (dist/bundle/kubectl-ipam.mjs). */
export const BUNDLE_ENTRY = 'kubectl-ipam.mjs';

if (!existsSync(main)) throw new Error(`${main} is missing; run tsc -b first (npm run build does both)`);
rmSync(out, { recursive: true, force: true });

const result = await build({
  entryPoints: { 'kubectl-ipam': main },
  plugins: [withoutUndici, clientNodeTreeShaken, yogaWithoutFetch, httpWithoutLazyGetters],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node24',
  outdir: out,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunks/[name]-[hash]',
  // Bundled CommonJS dependencies (commander, yaml, …) call require(); give the ESM bundle one.
  banner: {
    js: "import { createRequire as __ipamCreateRequire } from 'node:module'; const require = __ipamCreateRequire(import.meta.url);",
  },
  // Optional native or dev-only modules that ink/ws reference but never need here.
  external: ['react-devtools-core', 'bufferutil', 'utf-8-validate'],
  // React and ink read NODE_ENV at load: production builds skip their development checks.
  define: { 'process.env.NODE_ENV': '"production"' },
  minifySyntax: true,
  metafile: true,
  legalComments: 'none',
  logLevel: 'warning',
});

// For `esbuild --analyze`-style questions (what is in the big chunk?): npx esbuild-visualizer or jq.
writeFileSync(join(out, 'meta.json'), JSON.stringify(result.metafile));
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => file.endsWith('.mjs'))
  .reduce((sum, [, o]) => sum + o.bytes, 0);
process.stdout.write(`bundled ${join(out, BUNDLE_ENTRY)} (${Math.round(bytes / 1024)} KiB with chunks)\n`);
