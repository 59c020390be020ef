// `-o jsonpath=TEMPLATE`: the part of kubectl's JSONPath templates (k8s.io/client-go/util/jsonpath)
// that people use, applied to the command's `-o json` document. Libraries such as jsonpath-plus
// evaluate one JSONPath expression; kubectl's templates are text with `{…}` actions, `range`/`end`
// and literals, so the template layer is ours either way, and the expressions are small enough to
// match kubectl's behaviour exactly here. Supported (plugin/README.md, "-o jsonpath"):
//
//   text outside braces         printed as is
//   {.a.b}  {['a']}  {.a-b}     fields (a missing field prints nothing, like kubectl get)
//   {.a[0]}  {.a[-1]}  {.a[1:3]}  {.a[*]}  {.a.*}   indexes, slices, wildcards
//   {..name}                    recursive descent
//   {.a[?(@.x=="y")]}           filters: == != < <= > >= against a string, number or boolean,
//                               or {.a[?(@.x)]} (the field exists)
//   {range .items[*]}…{end}     a loop; paths inside start at the current element ({@} is it)
//   {"\n"}  {"\t"}              string literals
//   .items[*].name              without braces: taken as {.items[*].name} (kubectl's relaxed form)
//
// Several results of one action are joined by a space; strings print bare, anything else as JSON.
import { CliError, ExitCode } from '../errors/cli-error.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

type Segment =
  | { readonly t: 'field'; readonly names: readonly string[] }
  | { readonly t: 'recursive'; readonly name: string }
  | { readonly t: 'wildcard' }
  | { readonly t: 'index'; readonly index: number }
  | { readonly t: 'slice'; readonly start?: number; readonly end?: number; readonly step?: number }
  | { readonly t: 'filter'; readonly path: Path; readonly op?: string; readonly value?: Json };

interface Path {
  /** `@` (or `$`): the path starts at the current element / root explicitly. */
  readonly root: '@' | '$' | '.';
  readonly segments: readonly Segment[];
}

type Node =
  | { readonly t: 'text'; readonly text: string }
  | { readonly t: 'path'; readonly path: Path }
  | { readonly t: 'range'; readonly path: Path; readonly body: readonly Node[] };

function fail(template: string, why: string): never {
  throw new CliError(ExitCode.Usage, `-o jsonpath: ${why} in template ${JSON.stringify(template)}`);
}

const NAME = /^[A-Za-z0-9_$-]+/;

/** Parses a quoted literal at `s[0]` ('…' or "…", with \n \t \\ \" escapes); returns it and the rest. */
function quoted(s: string, template: string): [string, string] {
  const q = s[0];
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const c = s.charAt(i);
    if (c === '\\') {
      const n = s[++i];
      out += n === 'n' ? '\n' : n === 't' ? '\t' : n === 'r' ? '\r' : (n ?? '');
    } else if (c === q) return [out, s.slice(i + 1)];
    else out += c;
  }
  return fail(template, 'unterminated string');
}

function literal(text: string, template: string): Json {
  const t = text.trim();
  if (t.startsWith('"') || t.startsWith("'")) return quoted(t, template)[0];
  if (t === 'true' || t === 'false') return t === 'true';
  if (t === 'null') return null;
  const n = Number(t);
  if (t !== '' && Number.isFinite(n)) return n;
  return fail(template, `cannot read ${JSON.stringify(t)} as a value`);
}

function parsePath(src: string, template: string): Path {
  let s = src.trim();
  let root: Path['root'] = '.';
  if (s.startsWith('@') || s.startsWith('$')) {
    root = s[0] as '@' | '$';
    s = s.slice(1);
  }
  const segments: Segment[] = [];
  while (s !== '') {
    if (s.startsWith('..')) {
      const m = NAME.exec(s.slice(2));
      if (m === null) fail(template, 'a name must follow ".."');
      segments.push({ t: 'recursive', name: m[0] });
      s = s.slice(2 + m[0].length);
    } else if (s.startsWith('.*')) {
      segments.push({ t: 'wildcard' });
      s = s.slice(2);
    } else if (s.startsWith('.')) {
      const m = NAME.exec(s.slice(1));
      if (m === null) {
        if (s === '.') break; // `{.}`: the current element
        fail(template, `unexpected ${JSON.stringify(s)}`);
      }
      segments.push({ t: 'field', names: [m[0]] });
      s = s.slice(1 + m[0].length);
    } else if (s.startsWith('[')) {
      const close = closing(s, 0, '[', ']', template);
      segments.push(bracket(s.slice(1, close).trim(), template));
      s = s.slice(close + 1);
    } else {
      const m = NAME.exec(s);
      if (m === null || segments.length > 0 || root !== '.')
        fail(template, `unexpected ${JSON.stringify(s)}`);
      segments.push({ t: 'field', names: [m[0]] });
      s = s.slice(m[0].length);
    }
  }
  return { root, segments };
}

/** Index of the bracket closing the one at `s[open]`, skipping quoted text and nested brackets. */
function closing(s: string, open: number, o: string, c: string, template: string): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"' || ch === "'") {
      const end = s.indexOf(ch, i + 1);
      if (end < 0) fail(template, 'unterminated string');
      i = end;
    } else if (ch === o) depth++;
    else if (ch === c && --depth === 0) return i;
  }
  return fail(template, `missing "${c}"`);
}

function bracket(inner: string, template: string): Segment {
  if (inner === '*') return { t: 'wildcard' };
  if (inner.startsWith('?(') && inner.endsWith(')')) {
    const body = inner.slice(2, -1).trim();
    const m = /^(.*?)\s*(==|!=|<=|>=|<|>)\s*(.*)$/.exec(body);
    if (m === null) return { t: 'filter', path: parsePath(body, template) };
    return {
      t: 'filter',
      path: parsePath(m[1] ?? '', template),
      op: m[2],
      value: literal(m[3] ?? '', template),
    };
  }
  if (inner.startsWith("'") || inner.startsWith('"')) {
    const names: string[] = [];
    let rest = inner;
    while (rest !== '') {
      const [name, after] = quoted(rest, template);
      names.push(name);
      rest = after.trim().replace(/^,\s*/, '');
    }
    return { t: 'field', names };
  }
  if (/^-?\d*(:-?\d*){1,2}$/.test(inner)) {
    const [a, b, c] = inner.split(':').map((x) => (x === '' ? undefined : Number(x)));
    return { t: 'slice', start: a, end: b, step: c };
  }
  if (/^-?\d+$/.test(inner)) return { t: 'index', index: Number(inner) };
  return fail(template, `cannot read [${inner}]`);
}

/** Splits a template into text and actions; `range` actions take their body up to the matching `end`. */
export function parseTemplate(template: string): readonly Node[] {
  const src = template.includes('{') ? template : `{${template.startsWith('.') ? '' : '.'}${template}}`;
  const stack: { path?: Path; body: Node[] }[] = [{ body: [] }];
  let i = 0;
  while (i < src.length) {
    const top = stack[stack.length - 1];
    if (top === undefined) break;
    const open = src.indexOf('{', i);
    if (open < 0) {
      top.body.push({ t: 'text', text: src.slice(i) });
      break;
    }
    if (open > i) top.body.push({ t: 'text', text: src.slice(i, open) });
    const close = closing(src, open, '{', '}', template);
    const action = src.slice(open + 1, close).trim();
    i = close + 1;
    if (action.startsWith('"') || action.startsWith("'")) {
      top.body.push({ t: 'text', text: quoted(action, template)[0] });
    } else if (/^range\s/.test(action)) {
      stack.push({ path: parsePath(action.slice(5), template), body: [] });
    } else if (action === 'end') {
      const done = stack.pop();
      const parent = stack[stack.length - 1];
      if (done?.path === undefined || parent === undefined) fail(template, '{end} without {range}');
      parent.body.push({ t: 'range', path: done.path, body: done.body });
    } else if (action === '') fail(template, 'empty {}');
    else top.body.push({ t: 'path', path: parsePath(action, template) });
  }
  if (stack.length !== 1) fail(template, '{range} without {end}');
  return stack[0]?.body ?? [];
}

function isObject(v: Json): v is { [k: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function children(v: Json): Json[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

function recursive(v: Json, name: string, out: Json[]): void {
  if (isObject(v) && name in v) out.push(v[name] as Json);
  for (const c of children(v)) recursive(c, name, out);
}

function compare(a: Json, op: string, b: Json): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a === 'number' && typeof b === 'number') {
    if (op === '<') return a < b;
    if (op === '<=') return a <= b;
    if (op === '>') return a > b;
    return a >= b;
  }
  return false;
}

function step(nodes: readonly Json[], seg: Segment, root: Json): Json[] {
  const out: Json[] = [];
  for (const v of nodes) {
    switch (seg.t) {
      case 'field':
        for (const n of seg.names) if (isObject(v) && n in v) out.push(v[n] as Json);
        break;
      case 'recursive':
        recursive(v, seg.name, out);
        break;
      case 'wildcard':
        out.push(...children(v));
        break;
      case 'index':
        if (Array.isArray(v)) {
          const item = v[seg.index < 0 ? v.length + seg.index : seg.index];
          if (item !== undefined) out.push(item);
        }
        break;
      case 'slice':
        if (Array.isArray(v)) {
          const norm = (x: number | undefined, d: number): number =>
            x === undefined ? d : x < 0 ? Math.max(0, v.length + x) : Math.min(v.length, x);
          const by = seg.step ?? 1;
          for (let i = norm(seg.start, 0); i < norm(seg.end, v.length) && by > 0; i += by) {
            out.push(v[i] as Json);
          }
        }
        break;
      case 'filter':
        for (const item of Array.isArray(v) ? v : children(v)) {
          const found = evaluate(seg.path, item, root);
          if (
            seg.op === undefined
              ? found.length > 0
              : found.some((f) => compare(f, seg.op ?? '', seg.value ?? null))
          )
            out.push(item);
        }
        break;
    }
  }
  return out;
}

function evaluate(path: Path, current: Json, root: Json): Json[] {
  let nodes: Json[] = [path.root === '$' ? root : current];
  for (const seg of path.segments) nodes = step(nodes, seg, root);
  return nodes;
}

function text(v: Json): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function render(nodes: readonly Node[], current: Json, root: Json): string {
  let out = '';
  for (const n of nodes) {
    if (n.t === 'text') out += n.text;
    else if (n.t === 'path') out += evaluate(n.path, current, root).map(text).join(' ');
    // Like kubectl: one pass per result ({range .items[*]} visits each item).
    else for (const item of evaluate(n.path, current, root)) out += render(n.body, item, root);
  }
  return out;
}

/** Applies a template to a document (parsed JSON). Throws CliError(Usage) on a template it cannot read. */
export function applyJsonPath(template: string, doc: unknown): string {
  const nodes = parseTemplate(template);
  return render(nodes, doc as Json, doc as Json);
}
