// `kubectl-ipam __complete ARGS… WORD`: Cobra's completion protocol, which kubectl (>= 1.26) uses for
// plugins. kubectl runs `kubectl_complete-ipam ARGS… WORD` (bin/kubectl_complete-ipam calls this) and
// reads stdout: one candidate per line (`value<TAB>description`), then `:<directive>`.
// Completes sub-commands, flags, flag values (--sort, -o, --kind, -n, --pool), pool names (NAME or
// NAMESPACE/NAME, and global/NAME), claim names after `explain claim`, and a pool's allocated
// addresses after `explain POOL` (and for inspect/release). Flags such as --kubeconfig, --context,
// -n, -A and --as on the line are used to read the cluster; a failure gives no candidates.
import type { Command, Option } from 'commander';
import { POOL_KIND_INFO } from '@ipam-in-cluster/api';
import { COMMAND_OUTPUTS, type ProgramIO } from '../cli/context.js';
import { ExitCode } from '../errors/cli-error.js';
import { KIND_SHORT } from '../data/model.js';
import type { AddressName, PoolName } from '../data/names.js';
import { POOL_SORTS } from './pool-sorts.js';

/** Cobra's ShellCompDirective bits. */
export const Directive = {
  Default: 0,
  Error: 1,
  NoSpace: 2,
  NoFileComp: 4,
  KeepOrder: 32,
} as const;

export interface Candidate {
  readonly value: string;
  readonly description?: string;
}

export interface Completion {
  readonly candidates: readonly Candidate[];
  readonly directive: number;
}

const KINDS = ['pool', 'global', 'prefix', 'global-prefix'];

/** What the words before the one being completed say. */
export interface Line {
  command: Command | undefined;
  positionals: string[];
  /** Flag values by long name (without --); boolean flags as 'true'. */
  flags: Map<string, string[]>;
  /** The flag whose value is the word being completed (`--sort <TAB>`). */
  pending: Option | undefined;
}

function findOption(options: readonly Option[], flag: string): Option | undefined {
  return options.find((o) => o.long === flag || o.short === flag || o.long === flag.replace(/^--no-/, '--'));
}

function optionName(o: Option): string {
  return (o.long ?? o.short ?? '').replace(/^--?/, '');
}

function takesValue(o: Option): boolean {
  return o.required || o.optional;
}

function readLine(program: Command, words: readonly string[]): Line {
  const line: Line = { command: undefined, positionals: [], flags: new Map(), pending: undefined };
  const options = (): Option[] => [...(line.command?.options ?? []), ...program.options];
  let onlyArgs = false;
  for (let i = 0; i < words.length; i++) {
    const w = words[i] ?? '';
    if (!onlyArgs && w === '--') {
      onlyArgs = true;
      continue;
    }
    if (!onlyArgs && w.startsWith('-') && w !== '-') {
      const eq = w.indexOf('=');
      const flag = eq < 0 ? w : w.slice(0, eq);
      const o = findOption(options(), flag);
      if (o === undefined) continue;
      const name = optionName(o);
      let value = 'true';
      if (takesValue(o)) {
        if (eq >= 0) value = w.slice(eq + 1);
        else if (i + 1 < words.length) value = words[++i] ?? '';
        else {
          line.pending = o;
          break;
        }
      }
      line.flags.set(name, [...(line.flags.get(name) ?? []), value]);
      continue;
    }
    if (line.command === undefined) {
      const c = program.commands.find((x) => x.name() === w);
      if (c !== undefined) {
        line.command = c;
        continue;
      }
    }
    line.positionals.push(w);
  }
  return line;
}

function startingWith(prefix: string, candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((c) => c.value.startsWith(prefix));
}

function flagCandidates(line: Line, program: Command): Candidate[] {
  const opts = [...(line.command?.options ?? []), ...program.options].filter((o) => !o.hidden);
  const out: Candidate[] = [];
  for (const o of opts) {
    for (const f of [o.long, o.short])
      if (f !== undefined) out.push({ value: f, description: o.description });
  }
  out.push({ value: '--help', description: 'help for this command' });
  return out;
}

/** The cluster reads a completion may need, opened lazily from the flags on the line. */
export interface Reader {
  readonly allNamespaces: boolean;
  namespace(): Promise<string>;
  pools(namespace: string | undefined): Promise<PoolName[]>;
  claims(namespace: string | undefined): Promise<{ namespace: string; name: string }[]>;
  addresses(namespace: string | undefined): Promise<AddressName[]>;
  namespaces(): Promise<string[]>;
}

function liveReader(line: Line): Reader {
  const one = (name: string): string | undefined => line.flags.get(name)?.at(-1);
  const session = (async () => {
    const { openSession } = await import('../data/session.js');
    return openSession({
      kubeconfig: one('kubeconfig'),
      context: one('context'),
      namespace: one('namespace'),
      as: one('as'),
      asGroups: line.flags.get('as-group') ?? [],
    });
  })();
  // No unhandled rejection when nothing needs the cluster: each use awaits it again.
  session.catch(() => undefined);
  const names = import('../data/names.js');
  /** No cluster (no kubeconfig, unreachable): no names, and the rest of the answer still stands. */
  const orNone = async <T>(read: () => Promise<T[]>): Promise<T[]> => {
    try {
      return await read();
    } catch {
      return [];
    }
  };
  return {
    allNamespaces: line.flags.has('all-namespaces'),
    namespace: async () => (await session.catch(() => undefined))?.namespace ?? 'default',
    pools: (ns) => orNone(async () => (await names).listPoolNames(await session, ns)),
    claims: (ns) => orNone(async () => (await names).listClaimNames(await session, ns)),
    addresses: (ns) => orNone(async () => (await names).listAddressNames(await session, ns)),
    namespaces: () => orNone(async () => (await names).listNamespaceNames(await session)),
  };
}

/** Pool arguments: NAME (namespace), NAMESPACE/NAME (with -A, or once a `NS/` is typed), global/NAME. */
async function poolCandidates(reader: Reader, word: string): Promise<Candidate[]> {
  const slash = word.indexOf('/');
  const typedNs = slash > 0 && !word.startsWith('global/') ? word.slice(0, slash) : undefined;
  const ns = typedNs ?? (reader.allNamespaces ? undefined : await reader.namespace());
  const pools = await reader.pools(ns);
  return pools.map((p) => ({
    value:
      p.namespace === undefined
        ? `global/${p.name}`
        : reader.allNamespaces || typedNs !== undefined
          ? `${p.namespace}/${p.name}`
          : p.name,
    description: p.kind,
  }));
}

/** The IPAddresses of the pool named `text` (as explain resolves it: kind by name, namespace). */
async function poolAddressCandidates(
  reader: Reader,
  text: string,
  kind: string | undefined,
): Promise<Candidate[]> {
  const parts = text.split('/');
  const isGlobal = parts[0] === 'global' && parts.length === 2;
  const name = parts.at(-1) ?? text;
  const poolNs = parts.length === 2 && !isGlobal ? parts[0] : undefined;
  const home = poolNs ?? (reader.allNamespaces ? undefined : await reader.namespace());
  const pools = (await reader.pools(home)).filter(
    (p) =>
      p.name === name &&
      (isGlobal ? p.namespace === undefined : poolNs === undefined || p.namespace === poolNs) &&
      (kind === undefined || KIND_SHORT[p.kind] === kind),
  );
  if (pools.length === 0) return [];
  // A global pool's addresses live in every namespace; a namespaced pool's in its own.
  const anyGlobal = pools.some((p) => p.namespace === undefined);
  const addresses = await reader.addresses(anyGlobal ? undefined : pools[0]?.namespace);
  const out: Candidate[] = [];
  for (const a of addresses) {
    const pool = pools.find(
      (p) => p.kind === a.poolKind && p.name === a.poolName && (p.namespace ?? a.namespace) === a.namespace,
    );
    if (pool === undefined) continue;
    const value = POOL_KIND_INFO[pool.kind].family === 'prefix' ? `${a.address}/${a.prefix}` : a.address;
    out.push({ value, description: `${a.namespace}/${a.name}` });
  }
  return out.sort((x, y) => x.value.localeCompare(y.value, 'en', { numeric: true }));
}

/** Addresses for inspect/release: those of --pool, else every IPAddress in scope. */
async function addressCandidates(reader: Reader, line: Line): Promise<Candidate[]> {
  const pool = line.flags.get('pool')?.at(-1);
  if (pool !== undefined) return poolAddressCandidates(reader, pool, undefined);
  const ns = reader.allNamespaces ? undefined : await reader.namespace();
  return (await reader.addresses(ns)).map((a) => ({
    value: a.address,
    description: `${a.namespace}/${a.name} (${a.poolKind} ${a.poolName})`,
  }));
}

async function flagValueCandidates(o: Option, line: Line, reader: Reader, word: string): Promise<Completion> {
  const name = optionName(o);
  const none = (d: number = Directive.NoFileComp): Completion => ({ candidates: [], directive: d });
  const list = (values: readonly string[]): Completion => ({
    candidates: values.map((value) => ({ value })),
    directive: Directive.NoFileComp,
  });
  switch (name) {
    case 'sort':
      return list(POOL_SORTS);
    case 'output':
      return list(
        (COMMAND_OUTPUTS[line.command?.name() ?? ''] ?? ['table', 'wide', 'json', 'yaml']).map((f) =>
          f === 'jsonpath' ? 'jsonpath=' : f,
        ),
      );
    case 'kind':
      return list(KINDS);
    case 'namespace':
      return list(await reader.namespaces());
    case 'pool':
      return { candidates: await poolCandidates(reader, word), directive: Directive.NoFileComp };
    case 'kubeconfig':
    case 'from-report':
      return none(Directive.Default);
    default:
      return none();
  }
}

/** What to offer for `words` (the last one being completed, possibly empty). Pure but for `reader`. */
export async function completions(
  program: Command,
  words: readonly string[],
  makeReader: (line: Line) => Reader = liveReader,
): Promise<Completion> {
  const word = words.at(-1) ?? '';
  const line = readLine(program, words.slice(0, -1));
  const reader = makeReader(line);
  const done = (candidates: readonly Candidate[], directive: number = Directive.NoFileComp): Completion => ({
    candidates: startingWith(word, candidates),
    directive,
  });
  if (line.pending !== undefined) {
    const c = await flagValueCandidates(line.pending, line, reader, word);
    return { candidates: startingWith(word, c.candidates), directive: c.directive };
  }
  if (word.startsWith('--') && word.includes('=')) {
    const flag = word.slice(0, word.indexOf('='));
    const o = findOption([...(line.command?.options ?? []), ...program.options], flag);
    if (o === undefined || !takesValue(o)) return done([]);
    const value = word.slice(flag.length + 1);
    const c = await flagValueCandidates(o, line, reader, value);
    return {
      candidates: startingWith(value, c.candidates).map((x) => ({ ...x, value: `${flag}=${x.value}` })),
      directive: c.directive,
    };
  }
  if (word.startsWith('-')) return done(flagCandidates(line, program));
  const command = line.command;
  if (command === undefined)
    return done(program.commands.map((c) => ({ value: c.name(), description: c.description() })));
  const [first] = line.positionals;
  const kind = line.flags.get('kind')?.at(-1) ?? (line.flags.has('global') ? 'global' : undefined);
  switch (command.name()) {
    case 'explain':
      if (line.positionals.length === 0)
        return done([
          { value: 'claim', description: 'why a claim is (not) bound' },
          ...(await poolCandidates(reader, word)),
        ]);
      if (line.positionals.length > 1) return done([]);
      if (first === 'claim') {
        const ns = reader.allNamespaces ? undefined : await reader.namespace();
        return done(
          (await reader.claims(ns)).map((c) => ({
            value: reader.allNamespaces ? `${c.namespace}/${c.name}` : c.name,
            description: 'IPAddressClaim',
          })),
        );
      }
      return done(
        await poolAddressCandidates(reader, first ?? '', kind),
        Directive.NoFileComp | Directive.KeepOrder,
      );
    case 'inspect':
      if (line.positionals.length > 0) return done([]);
      return done(await addressCandidates(reader, line));
    case 'release':
      if (line.flags.has('from-report')) return done([]);
      return done((await addressCandidates(reader, line)).filter((c) => !line.positionals.includes(c.value)));
    case 'completion':
      return done(line.positionals.length === 0 ? ['bash', 'zsh', 'fish'].map((value) => ({ value })) : []);
    default:
      return done([]);
  }
}

/** Prints Cobra's answer: candidates (`value\tdescription`), then `:<directive>`. Exit 0. */
export async function complete(words: readonly string[], program: Command, io: ProgramIO): Promise<number> {
  let result: Completion;
  try {
    result = await completions(program, words.length === 0 ? [''] : words);
  } catch {
    result = { candidates: [], directive: Directive.Error };
  }
  const lines = result.candidates.map((c) =>
    c.description === undefined || c.description === ''
      ? c.value
      : `${c.value}\t${c.description.replace(/\s+/g, ' ')}`,
  );
  io.out([...lines, `:${result.directive}`, ''].join('\n'));
  io.err(`Completion ended with directive: ${result.directive}\n`);
  return ExitCode.Ok;
}
