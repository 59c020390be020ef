// Bundles the controller into one ES module, controller/dist/bundle/main.mjs, which is what the
// image runs (docs/adr/0011-controller-memory.md). Why: @kubernetes/client-node's
// KubeConfig imports its whole generated API (hundreds of modules, ~60 MB of JavaScript on disk);
// loading it costs ~50 MB of RSS before the controller does anything. esbuild keeps only what is
// reachable from controller/src/main.ts (tree-shaking), so the same code starts at ~95 MB instead
// of ~147 MB. Whitespace and comments are minified away, identifiers are not: stack traces keep
// function and class names without --enable-source-maps (which alone costs ~35 MB when the map is
// parsed at start). Dropping comments also keeps the source ASCII, so V8 holds it as a one-byte
// string (a few non-Latin-1 characters in dependencies' comments made the 4.4 MB file an 8.4 MB
// two-byte string in the heap).
//
// One entry file plus chunks for what is imported lazily (code splitting): the entry is main.ts,
// which only settles the Node flags (it may re-execute the process) and then imports the controller
// (the `start` chunk); the certificate issuer (@peculiar/x509 and its ASN.1 stack) loads only when a
// certificate is issued, so a start with current certificates neither parses nor runs it (~4 MB of
// RSS).
//
//   node controller/image/bundle.mjs [outdir]      (default controller/dist/bundle: main.mjs, chunks/)
//
// Bundles from source (the `source` export condition, as tests run), so it does not depend on
// the other packages' dist/ being current; `tsc -b controller` remains the type check.
import { build } from 'esbuild';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const controllerDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(controllerDir, 'dist/bundle'));
const outfile = join(outdir, 'main.mjs');
// Chunk names carry content hashes: drop the previous build's, so no stale chunk ships.
rmSync(join(outdir, 'chunks'), { recursive: true, force: true });

// undici is left out: client-node's modules import it at load time (its fetch, and the dispatchers
// of applySecurityAuthentication), and loading it costs ~28 MB of RSS, while KubeTransport talks
// node:https (docs/adr/0006-kubernetes-transport.md). Anything that still reaches it fails loudly.
const withoutUndici = {
  name: 'without-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'without-undici' }));
    b.onLoad({ filter: /.*/, namespace: 'without-undici' }, () => ({
      loader: 'js',
      contents: `
        const missing = (what) => () => {
          throw new Error(\`undici (\${what}) is not part of the controller bundle: KubeTransport uses node:https\`);
        };
        export const fetch = missing('fetch');
        export class Agent { constructor() { missing('Agent')(); } }
        export class ProxyAgent { constructor() { missing('ProxyAgent')(); } }
      `,
    }));
  },
};

// Node built-ins imported as ES modules are loaded with require() instead. Importing a built-in as
// an ES module reads every one of its exports to build the module namespace, lazy getters included:
// for node:http that is WebSocket, CloseEvent and MessageEvent, which load Node's internal undici
// (~10 MB of RSS in a bare process; measured in docs/performance.md). require() returns the exports
// object and leaves the getters alone. esbuild turns the named imports into property reads.
const builtinsByRequire = {
  name: 'builtins-by-require',
  setup(b) {
    b.onResolve({ filter: /^[a-z_/:0-9]+$/ }, (args) =>
      (args.kind === 'import-statement' || args.kind === 'dynamic-import') && isBuiltin(args.path)
        ? { path: args.path, namespace: 'builtin-by-require' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-by-require' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require(${JSON.stringify(args.path)});`,
    }));
  },
};

// @kubernetes/client-node's index re-exports its whole generated API, exec, attach, port-forward,
// cp, watch and more; its package.json does not say its modules are free of side effects (the
// only one with any is its polyfill for a global `File`, which Node 24 has), so esbuild kept every
// module the index reaches, and whatever they import (ws, tar-fs, …): the start chunk was 1.4 MB.
// Marked side-effect free, only the modules whose exports the controller uses stay: 0.9 MB, and
// ~10 MB less RSS once loaded (docs/performance.md). The same for our own packages, whose modules
// only declare (their index files re-export, e.g. packages/api's CRD loader with its YAML parser).
const SIDE_EFFECT_FREE = /node_modules\/@kubernetes\/client-node\/|\/packages\/(allocator|api|kube)\/src\//;
const sideEffectFree = {
  name: 'side-effect-free',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'side-effect-free' || args.namespace !== 'file') return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: 'side-effect-free',
      });
      if (resolved.errors.length > 0 || resolved.external || !SIDE_EFFECT_FREE.test(resolved.path)) {
        return undefined;
      }
      return { ...resolved, sideEffects: false };
    });
  },
};

const result = await build({
  plugins: [withoutUndici, builtinsByRequire, sideEffectFree],
  entryPoints: { main: join(controllerDir, 'src/main.ts') },
  outdir,
  outExtension: { '.js': '.mjs' },
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  conditions: ['source'],
  minifyWhitespace: true,
  minifySyntax: true,
  charset: 'ascii',
  // A sourcemap file next to the bundle, for NODE_OPTIONS=--enable-source-maps when debugging.
  sourcemap: 'linked',
  sourcesContent: false,
  legalComments: 'none',
  metafile: true,
  write: false,
  logLevel: 'warning',
  // CommonJS dependencies (undici, ws, …) call require() for Node built-ins and optional peers.
  banner: {
    js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);",
  },
});

// charset 'ascii' escapes strings and identifiers but not regular expression literals (e.g. the
// duration units µs/μs in our flag parser): escape what is left, which means the same in a regex
// (code unit by code unit, so characters outside the BMP become a surrogate pair of escapes).
const nonAscii = /[^\x00-\x7f]/g;
let entryBytes = 0;
const chunkBytes = [];
for (const file of result.outputFiles) {
  let text = file.text;
  if (file.path.endsWith('.mjs')) {
    text = text.replace(nonAscii, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    if (file.path === outfile) entryBytes = text.length;
    else chunkBytes.push(text.length);
  }
  mkdirSync(dirname(file.path), { recursive: true });
  writeFileSync(file.path, text);
}
const mb = (n) => `${(n / 1024 / 1024).toFixed(1)} MB`;
process.stdout.write(
  `bundled ${relative(process.cwd(), outfile) || outfile} (${mb(entryBytes)}) + ${String(chunkBytes.length)} lazy chunks (${mb(chunkBytes.reduce((a, b) => a + b, 0))})\n`,
);
