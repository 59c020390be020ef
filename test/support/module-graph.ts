// The import graph between our own source files, and the two questions asked of it: which files
// import each other in a circle, and which imports run up the layers (ADR 0024). Read with the
// TypeScript parser, so `import type`, `export … from` and `import()` all count as edges.
import { globSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export interface ImportEdge {
  /** Repository-relative path of the imported file. */
  to: string;
  /** The import names types only (`import type`, or every name it imports is `type`). */
  typeOnly: boolean;
}

/** File (repository-relative, `/`-separated) → the files it imports. */
export type ModuleGraph = Map<string, ImportEdge[]>;

/** Workspace package name → its directory and the source file of each export subpath. */
type PackageSources = Map<string, Map<string, string>>;

interface PackageJson {
  name: string;
  exports?: Record<string, { source?: string }>;
}

function packageSources(root: string, workspaces: string[]): PackageSources {
  const out: PackageSources = new Map();
  for (const dir of workspaces) {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as PackageJson;
    const subpaths = new Map<string, string>();
    for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
      if (target.source !== undefined) subpaths.set(subpath, join(dir, target.source));
    }
    out.set(pkg.name, subpaths);
  }
  return out;
}

const posix = (path: string) => path.split('\\').join('/');

function resolveRelative(
  root: string,
  from: string,
  specifier: string,
  files: Set<string>,
): string | undefined {
  const base = posix(relative(root, resolve(root, dirname(from), specifier)));
  const stem = base.replace(/\.(m?js|jsx)$/, '');
  for (const candidate of [base, `${stem}.ts`, `${stem}.tsx`, `${base}/index.ts`, `${base}/index.tsx`]) {
    if (files.has(candidate)) return candidate;
  }
  return undefined;
}

function resolvePackage(specifier: string, packages: PackageSources): string | undefined {
  for (const [name, subpaths] of packages) {
    if (specifier !== name && !specifier.startsWith(`${name}/`)) continue;
    const source = subpaths.get(`.${specifier.slice(name.length)}`);
    return source === undefined ? undefined : posix(source);
  }
  return undefined;
}

function importClauseIsTypeOnly(clause: ts.ImportClause | undefined): boolean {
  if (clause === undefined) return false; // `import './x.js'` runs the module
  if (clause.phaseModifier === ts.SyntaxKind.TypeKeyword) return true;
  const bindings = clause.namedBindings;
  return (
    clause.name === undefined &&
    bindings !== undefined &&
    ts.isNamedImports(bindings) &&
    bindings.elements.length > 0 &&
    bindings.elements.every((e) => e.isTypeOnly)
  );
}

/** Every module specifier in a source text, with whether it names types only. */
export function importsOf(fileName: string, text: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, false);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({
        specifier: node.moduleSpecifier.text,
        typeOnly: importClauseIsTypeOnly(node.importClause),
      });
    } else if (
      ts.isExportDeclaration(node) &&
      node.moduleSpecifier !== undefined &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      const clause = node.exportClause;
      const typeOnly =
        node.isTypeOnly ||
        (clause !== undefined &&
          ts.isNamedExports(clause) &&
          clause.elements.length > 0 &&
          clause.elements.every((e) => e.isTypeOnly));
      found.push({ specifier: node.moduleSpecifier.text, typeOnly });
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] !== undefined &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      const literal = node.argument.literal;
      if (ts.isStringLiteral(literal)) found.push({ specifier: literal.text, typeOnly: true });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/**
 * The graph of every .ts/.tsx file under `dirs` (repository-relative globs' roots), with edges to
 * other files in it: relative imports and imports of our workspace packages (to the package's
 * source entry). Imports of anything else (node:*, npm packages) are not edges.
 */
export function readModuleGraph(root: string, dirs: string[], workspaces: string[]): ModuleGraph {
  const files = new Set(
    dirs.flatMap((dir) =>
      globSync(`${dir}/**/*.{ts,tsx}`, {
        cwd: root,
        exclude: (name) => name === 'node_modules' || name === 'dist',
      }).map(posix),
    ),
  );
  const packages = packageSources(root, workspaces);
  const graph: ModuleGraph = new Map();
  for (const file of [...files].sort()) {
    const edges: ImportEdge[] = [];
    for (const { specifier, typeOnly } of importsOf(file, readFileSync(join(root, file), 'utf8'))) {
      const to = specifier.startsWith('.')
        ? resolveRelative(root, file, specifier, files)
        : resolvePackage(specifier, packages);
      if (to !== undefined && files.has(to)) edges.push({ to, typeOnly });
    }
    graph.set(file, edges);
  }
  return graph;
}

/**
 * The import circles: each strongly connected component of more than one file (or a file that
 * imports itself), files sorted, components sorted by their first file. Tarjan's algorithm,
 * iterative so a deep graph cannot overflow the stack.
 */
export function findCycles(graph: ModuleGraph): string[][] {
  interface Visit {
    index: number;
    low: number;
    onStack: boolean;
  }
  const visits = new Map<string, Visit>();
  const stack: string[] = [];
  const components: string[][] = [];
  const targets = (file: string) => (graph.get(file) ?? []).map((e) => e.to);

  for (const start of graph.keys()) {
    if (visits.has(start)) continue;
    const work: { file: string; visit: Visit; children: string[] }[] = [];
    const enter = (file: string) => {
      const visit = { index: visits.size, low: visits.size, onStack: true };
      visits.set(file, visit);
      stack.push(file);
      work.push({ file, visit, children: targets(file).reverse() });
    };
    enter(start);
    for (let frame = work.at(-1); frame !== undefined; frame = work.at(-1)) {
      const child = frame.children.pop();
      if (child !== undefined) {
        const seen = visits.get(child);
        if (seen === undefined) enter(child);
        else if (seen.onStack) frame.visit.low = Math.min(frame.visit.low, seen.index);
        continue;
      }
      work.pop();
      const parent = work.at(-1);
      if (parent !== undefined) parent.visit.low = Math.min(parent.visit.low, frame.visit.low);
      if (frame.visit.low !== frame.visit.index) continue;
      const component: string[] = [];
      for (let member = stack.pop(); member !== undefined; member = stack.pop()) {
        const visit = visits.get(member);
        if (visit !== undefined) visit.onStack = false;
        component.push(member);
        if (member === frame.file) break;
      }
      if (component.length > 1 || targets(frame.file).includes(frame.file)) components.push(component.sort());
    }
  }
  return components.sort((a, b) => (a[0] ?? '').localeCompare(b[0] ?? ''));
}

/**
 * A layer: the files whose repository-relative path starts with one of `prefixes` (the longest
 * matching prefix over all layers decides, so one file can be carved out of a folder's layer), and
 * the other layers its files may import. A file may always import files of its own layer.
 */
export interface Layer {
  readonly name: string;
  readonly prefixes: readonly string[];
  readonly mayImport: readonly string[];
}

/** Layers lowest first, each allowed to import every layer below it and none above. */
export function stacked(layers: readonly { name: string; prefixes: readonly string[] }[]): Layer[] {
  return layers.map((layer, i) => ({ ...layer, mayImport: layers.slice(0, i).map((l) => l.name) }));
}

export interface UpwardImport {
  readonly from: string;
  readonly to: string;
  readonly fromLayer: string;
  readonly toLayer: string;
}

/** The layer a file belongs to, or undefined when no layer's prefix matches it. */
export function layerOf(file: string, layers: readonly Layer[]): Layer | undefined {
  let best: Layer | undefined;
  let bestLength = -1;
  for (const layer of layers) {
    for (const prefix of layer.prefixes) {
      if (file.startsWith(prefix) && prefix.length > bestLength) {
        best = layer;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

/**
 * Every import from a file in one layer of a file in another layer it may not import (one above
 * it, or beside it). Files in no layer, and the files `exempt` says so of, are not checked.
 */
export function findUpwardImports(
  graph: ModuleGraph,
  layers: readonly Layer[],
  exempt: (file: string) => boolean = () => false,
): UpwardImport[] {
  const found: UpwardImport[] = [];
  for (const [from, edges] of graph) {
    const fromLayer = layerOf(from, layers);
    if (fromLayer === undefined || exempt(from)) continue;
    for (const { to } of edges) {
      const toLayer = layerOf(to, layers);
      if (toLayer === undefined || toLayer === fromLayer || fromLayer.mayImport.includes(toLayer.name))
        continue;
      found.push({ from, to, fromLayer: fromLayer.name, toLayer: toLayer.name });
    }
  }
  return found;
}
