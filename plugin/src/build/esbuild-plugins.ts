// esbuild plugins for the bundle the launcher runs (./bundle.ts): what it leaves out or loads differently
// so that every run starts with less to parse and compile (ADR 0027).
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

/**
 * undici left out: client-node's config module imports it at load time (for its fetch dispatchers),
 * while KubeTransport talks node:https and never reaches it (ADR 0006). It was 1.2 MB of the
 * client's 2.6 MB chunk, parsed and compiled on every run that talks to a cluster (ADR 0027).
 * Anything that still reaches it fails loudly. The controller's bundle does the same.
 */
export const withoutUndici: Plugin = {
  name: 'without-undici',
  setup(b) {
    b.onResolve({ filter: /^undici$/ }, () => ({ path: 'undici', namespace: 'without-undici' }));
    b.onLoad({ filter: /.*/, namespace: 'without-undici' }, () => ({
      loader: 'js',
      contents: `
        const missing = (what) => () => {
          throw new Error(\`undici (\${what}) is not part of kubectl-ipam: KubeTransport uses node:https\`);
        };
        export const fetch = missing('fetch');
        export class Agent { constructor() { missing('Agent')(); } }
        export class ProxyAgent { constructor() { missing('ProxyAgent')(); } }
      `,
    }));
  },
};

/**
 * client-node's modules marked free of side effects, so esbuild keeps only what KubeConfig and
 * ApiException need instead of every generated API and model and the modules behind its other
 * exports (cp's tar, attach's WebSocket, …), which its index re-exports (ADR 0027).
 */
export const clientNodeTreeShaken: Plugin = {
  name: 'client-node-tree-shaken',
  setup(b) {
    b.onResolve({ filter: /.*/ }, async (args) => {
      if (args.pluginData === 'client-node-tree-shaken') return undefined;
      const inClient = args.importer.includes('/@kubernetes/client-node/');
      if (!inClient && args.path !== '@kubernetes/client-node') return undefined;
      if (inClient && !args.path.startsWith('.')) return undefined;
      const resolved = await b.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        with: args.with,
        pluginData: 'client-node-tree-shaken',
      });
      return { ...resolved, sideEffects: false };
    });
  },
};

/**
 * yoga-layout (Ink's layout engine) is emscripten output that loads its WebAssembly from a data: URL
 * with `fetch` whenever `typeof fetch == "function"`. In Node, touching the global `fetch` loads
 * Node's own undici (~0.1 s of CPU idle, 0.4 s on the loaded test machine) before the browser's first
 * frame. With `fetch` shadowed in that one module, it decodes the same bytes from the data: URL itself.
 */
export const yogaWithoutFetch: Plugin = {
  name: 'yoga-without-fetch',
  setup(b) {
    b.onLoad({ filter: /[\\/]yoga-layout[\\/]dist[\\/]binaries[\\/][^\\/]+\.js$/ }, async (args) => ({
      loader: 'js',
      contents: `const fetch = undefined;\n${await readFile(args.path, 'utf8')}`,
    }));
  },
};

/**
 * `import … from 'node:http'` in an ES module makes Node read every export of the built-in once,
 * and node:http's `WebSocket`, `CloseEvent` and `MessageEvent` are getters that load Node's own
 * undici (~40 ms of CPU idle) — for nothing: nobody here uses them. The bundle's ES imports of
 * node:http and node:https read the module with process.getBuiltinModule instead, as CommonJS
 * would, and the getters stay untouched (ADR 0027).
 */
export const httpWithoutLazyGetters: Plugin = {
  name: 'http-without-lazy-getters',
  setup(b) {
    b.onResolve({ filter: /^(node:)?https?$/ }, (args) =>
      args.kind === 'import-statement' || args.kind === 'dynamic-import'
        ? { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'builtin-as-commonjs' }
        : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'builtin-as-commonjs' }, (args) => ({
      loader: 'js',
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
    }));
  },
};
