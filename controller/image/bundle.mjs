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
//   node controller/image/bundle.mjs [outfile]      (default controller/dist/bundle/main.mjs)
//
// Bundles from source (the `source` export condition, as tests run), so it does not depend on
// the other packages' dist/ being current; `tsc -b controller` remains the type check.
import { build } from 'esbuild';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const controllerDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] ?? join(controllerDir, 'dist/bundle/main.mjs');

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

const result = await build({
  plugins: [withoutUndici],
  entryPoints: [join(controllerDir, 'src/main.ts')],
  outfile,
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
let bytes = 0;
mkdirSync(dirname(outfile), { recursive: true });
for (const file of result.outputFiles) {
  let text = file.text;
  if (file.path.endsWith('.mjs')) {
    text = text.replace(nonAscii, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
    bytes = text.length;
  }
  writeFileSync(file.path, text);
}
process.stdout.write(
  `bundled ${relative(process.cwd(), outfile) || outfile} (${(bytes / 1024 / 1024).toFixed(1)} MB)\n`,
);
