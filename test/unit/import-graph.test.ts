// The import graph between files (the sibling of dependency-direction.test.ts, which checks the
// workspace package.json files): no file imports itself back through a circle, and no import runs
// up the layers of docs/adr/0024-module-layers.md. The layers are written down here, lowest first;
// a file may import its own layer and the layers below. Tests (`*.test.ts(x)`) sit beside what they
// test and may reach up to drive it from above; nothing imports a test, so they are exempt from the
// folder layers (not from the workspace layers, and not from the circle check).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { repoRoot } from '../cluster/paths.js';
import {
  findCycles,
  findUpwardImports,
  importsOf,
  layerOf,
  readModuleGraph,
  stacked,
  type Layer,
  type ModuleGraph,
} from '../support/module-graph.js';

const WORKSPACES = ['packages/allocator', 'packages/api', 'packages/kube', 'controller', 'plugin', 'test'];

/** Workspaces: the package.json rule again, for relative imports that would go around it. */
const workspaceLayers: Layer[] = [
  ...stacked([
    { name: 'allocator', prefixes: ['packages/allocator/'] },
    { name: 'api', prefixes: ['packages/api/'] },
    { name: 'kube', prefixes: ['packages/kube/'] },
  ]),
  { name: 'controller', prefixes: ['controller/'], mayImport: ['allocator', 'api', 'kube'] },
  { name: 'plugin', prefixes: ['plugin/'], mayImport: ['allocator', 'api', 'kube'] },
  { name: 'test', prefixes: ['test/'], mayImport: ['allocator', 'api', 'kube', 'controller', 'plugin'] },
  {
    name: 'scripts',
    prefixes: ['scripts/'],
    mayImport: ['allocator', 'api', 'kube', 'controller', 'plugin', 'test'],
  },
];

/** The allocator's tests and benchmarks live beside src/, never imported by it. */
const allocatorLayers = stacked([
  { name: 'src', prefixes: ['packages/allocator/src/'] },
  { name: 'test', prefixes: ['packages/allocator/test/'] },
]);

/** controller/src, lowest first: helpers, then what the reconcilers and webhooks use, then wiring. */
const controllerLayers = stacked([
  { name: 'util', prefixes: ['controller/src/util/'] },
  { name: 'log', prefixes: ['controller/src/log/'] },
  { name: 'config', prefixes: ['controller/src/config/'] },
  { name: 'queue', prefixes: ['controller/src/queue/'] },
  { name: 'metrics', prefixes: ['controller/src/metrics/'] },
  { name: 'allocation', prefixes: ['controller/src/allocation/'] },
  { name: 'certs', prefixes: ['controller/src/certs/'] },
  { name: 'http', prefixes: ['controller/src/http/'] },
  { name: 'reconcilers', prefixes: ['controller/src/reconcilers/'] },
  { name: 'webhooks', prefixes: ['controller/src/webhooks/'] },
  { name: 'manager', prefixes: ['controller/src/manager/'] },
  {
    name: 'wiring',
    prefixes: [
      'controller/src/node-flags.ts',
      'controller/src/start.ts',
      'controller/src/main.ts',
      'controller/src/index.ts',
    ],
  },
]);

/**
 * plugin/src, lowest first. The view model's types (data/model.ts) sit below output/, which shows
 * them; the rest of data/ (reads, counts, diagnosis) above it. cli/ holds what every command gets
 * (context, request timeout); the program that registers the commands is above them.
 */
const pluginLayers = stacked([
  { name: 'errors', prefixes: ['plugin/src/errors/'] },
  { name: 'model', prefixes: ['plugin/src/data/model.ts'] },
  { name: 'output', prefixes: ['plugin/src/output/'] },
  { name: 'data', prefixes: ['plugin/src/data/'] },
  { name: 'ui', prefixes: ['plugin/src/ui/'] },
  { name: 'cli', prefixes: ['plugin/src/cli/'] },
  { name: 'commands', prefixes: ['plugin/src/commands/'] },
  { name: 'program', prefixes: ['plugin/src/cli/program.ts', 'plugin/src/main.ts', 'plugin/src/index.ts'] },
  { name: 'tools', prefixes: ['plugin/src/bench/', 'plugin/src/build/', 'plugin/src/testing/'] },
]);

/**
 * test/: the control plane, then helpers over it, then the programs that use them: tests,
 * benchmarks, tools and the control plane's own command line (`npm run cluster:up`).
 */
const testLayers = stacked([
  { name: 'cluster', prefixes: ['test/cluster/'] },
  { name: 'support', prefixes: ['test/support/'] },
  {
    name: 'programs',
    prefixes: [
      'test/cluster/cli.ts',
      'test/unit/',
      'test/integration/',
      'test/e2e/',
      'test/tui/',
      'test/bench/',
      'test/chaos/',
      'test/tools/',
    ],
  },
]);

const isTest = (file: string) => /\.test\.tsx?$/.test(file);

const graphOf = (edges: Record<string, string[]>): ModuleGraph =>
  new Map(Object.entries(edges).map(([from, tos]) => [from, tos.map((to) => ({ to, typeOnly: false }))]));

describe('the circle finder', () => {
  it('finds none in a chain or a diamond', () => {
    assert.deepEqual(findCycles(graphOf({ a: ['b', 'c'], b: ['d'], c: ['d'], d: [] })), []);
  });

  it('finds two files that import each other', () => {
    assert.deepEqual(findCycles(graphOf({ a: ['b'], b: ['a'], c: ['a'] })), [['a', 'b']]);
  });

  it('finds a longer circle and a file that imports itself, and leaves the rest out', () => {
    const graph = graphOf({ x: ['y'], y: ['z'], z: ['x', 'w'], w: [], s: ['s'], t: ['x'] });
    assert.deepEqual(findCycles(graph), [['s'], ['x', 'y', 'z']]);
  });

  it('keeps separate circles apart', () => {
    const graph = graphOf({ a: ['b'], b: ['a', 'c'], c: ['d'], d: ['c'] });
    assert.deepEqual(findCycles(graph), [
      ['a', 'b'],
      ['c', 'd'],
    ]);
  });

  it('walks a long chain without running out of stack', () => {
    const edges: Record<string, string[]> = {};
    for (let i = 0; i < 50_000; i++) edges[`f${String(i)}`] = [`f${String(i + 1)}`];
    edges.f50000 = ['f0'];
    const cycles = findCycles(graphOf(edges));
    assert.equal(cycles.length, 1);
    assert.equal(cycles[0]?.length, 50_001);
  });
});

describe('reading imports', () => {
  it('sees static, type-only, re-exported, dynamic and side-effect imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "import { type C, type D } from './c.js';",
      "import { type E, f } from './e.js';",
      "export { g } from './g.js';",
      "export type { H } from './h.js';",
      "import './side.js';",
      "const lazy = () => import('./lazy.js');",
      "type T = import('./t.js').T;",
      "import { readFileSync } from 'node:fs';",
    ].join('\n');
    assert.deepEqual(importsOf('x.ts', text), [
      { specifier: './a.js', typeOnly: false },
      { specifier: './b.js', typeOnly: true },
      { specifier: './c.js', typeOnly: true },
      { specifier: './e.js', typeOnly: false },
      { specifier: './g.js', typeOnly: false },
      { specifier: './h.js', typeOnly: true },
      { specifier: './side.js', typeOnly: false },
      { specifier: './lazy.js', typeOnly: false },
      { specifier: './t.js', typeOnly: true },
      { specifier: 'node:fs', typeOnly: false },
    ]);
  });
});

describe('the upward-import finder', () => {
  const layers = stacked([
    { name: 'low', prefixes: ['low/'] },
    { name: 'mid', prefixes: ['mid/'] },
    { name: 'top', prefixes: ['top/', 'mid/main.ts'] },
  ]);

  it('lets a layer import its own and lower layers', () => {
    const graph = graphOf({ 'mid/a.ts': ['mid/b.ts', 'low/c.ts'], 'top/d.ts': ['mid/a.ts', 'low/c.ts'] });
    assert.deepEqual(findUpwardImports(graph, layers), []);
  });

  it('reports an import of a higher layer, with both layers named', () => {
    const graph = graphOf({ 'low/c.ts': ['mid/a.ts'], 'mid/a.ts': ['top/d.ts'] });
    assert.deepEqual(findUpwardImports(graph, layers), [
      { from: 'low/c.ts', to: 'mid/a.ts', fromLayer: 'low', toLayer: 'mid' },
      { from: 'mid/a.ts', to: 'top/d.ts', fromLayer: 'mid', toLayer: 'top' },
    ]);
  });

  it('puts a file named by a longer prefix in its own layer', () => {
    assert.equal(layerOf('mid/main.ts', layers)?.name, 'top');
    const graph = graphOf({ 'mid/a.ts': ['mid/main.ts'], 'mid/main.ts': ['mid/a.ts'] });
    assert.deepEqual(findUpwardImports(graph, layers), [
      { from: 'mid/a.ts', to: 'mid/main.ts', fromLayer: 'mid', toLayer: 'top' },
    ]);
  });

  it('reports an import beside it that mayImport does not list', () => {
    const siblings: Layer[] = [
      { name: 'base', prefixes: ['base/'], mayImport: [] },
      { name: 'left', prefixes: ['left/'], mayImport: ['base'] },
      { name: 'right', prefixes: ['right/'], mayImport: ['base'] },
    ];
    const graph = graphOf({ 'left/a.ts': ['base/x.ts', 'right/b.ts'] });
    assert.deepEqual(findUpwardImports(graph, siblings), [
      { from: 'left/a.ts', to: 'right/b.ts', fromLayer: 'left', toLayer: 'right' },
    ]);
  });

  it('skips exempt files and files in no layer', () => {
    const graph = graphOf({ 'low/c.test.ts': ['top/d.ts'], 'elsewhere/e.ts': ['top/d.ts'] });
    assert.deepEqual(findUpwardImports(graph, layers, isTest), []);
  });
});

describe('the tree', () => {
  const graph = readModuleGraph(
    repoRoot,
    ['packages', 'controller', 'plugin', 'test', 'scripts'],
    WORKSPACES,
  );
  const show = (found: { from: string; to: string; fromLayer: string; toLayer: string }[]) =>
    found.map((u) => `${u.from} (${u.fromLayer}) imports ${u.to} (${u.toLayer})`).join('\n');

  it('is read in full: our files and the imports between them', () => {
    assert.ok(graph.size > 200, `only ${String(graph.size)} files read`);
    assert.ok(
      graph.get('controller/src/start.ts')?.some((e) => e.to === 'controller/src/manager/run.ts'),
      'controller/src/start.ts imports manager/run.ts',
    );
    assert.ok(
      graph.get('controller/src/manager/run.ts')?.some((e) => e.to === 'packages/kube/src/index.ts'),
      'a workspace package import resolves to its source entry',
    );
  });

  it('has no import circle between files', () => {
    const cycles = findCycles(graph);
    assert.deepEqual(
      cycles,
      [],
      `import circles (each line: files that import one another round):\n${cycles.map((c) => c.join(', ')).join('\n')}`,
    );
  });

  it('imports between workspaces only downwards', () => {
    const found = findUpwardImports(graph, workspaceLayers);
    assert.deepEqual(found, [], show(found));
  });

  for (const [name, layers] of [
    ['packages/allocator', allocatorLayers],
    ['controller/src', controllerLayers],
    ['plugin/src', pluginLayers],
    ['test', testLayers],
  ] as const) {
    it(`${name} imports only its own and lower layers`, () => {
      const found = findUpwardImports(graph, layers, isTest);
      assert.deepEqual(found, [], show(found));
    });
  }

  it('puts every source file of controller/src and plugin/src in a layer', () => {
    const loose = [...graph.keys()].filter(
      (file) =>
        !isTest(file) &&
        ((file.startsWith('controller/src/') && layerOf(file, controllerLayers) === undefined) ||
          (file.startsWith('plugin/src/') && layerOf(file, pluginLayers) === undefined)),
    );
    assert.deepEqual(loose, [], 'a new folder needs a place in the layers above (and in ADR 0024)');
  });
});
