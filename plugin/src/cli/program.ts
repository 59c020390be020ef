// The commander program: global flags, one sub-command per file in ../commands, usage errors as
// CliError (exit 2). Commands receive a CommandContext and never parse argv themselves.
import { Command, CommanderError, Option } from 'commander';
// Commands are imported when they run: `--help` loads no cluster code, `pools` no browser, and
// `browse` draws its first frame before the Kubernetes client is loaded.
import { DEFAULT_CHUNK_SIZE, POOL_SORTS, POOL_SORT_ALIASES, type PoolSort } from '../commands/pool-sorts.js';
import { colourEnabled } from '../output/colour.js';
import { printDocument } from '../output/documents.js';
import { parseTemplate } from '../output/jsonpath.js';
import { terminalWidth, unicodeCapable, widthKnown, wrapText } from '../output/terminal.js';
import { parseOutput, renderedFormat } from '../output/formats.js';
import {
  makeContext,
  type CommandContext,
  COMMAND_OUTPUTS,
  type GlobalOptions,
  type ProgramIO,
} from './context.js';
import { CliError, ExitCode, formatError, toCliError } from '../errors/cli-error.js';
import { DEFAULT_REQUEST_TIMEOUT, parseRequestTimeout } from './request-timeout.js';

export const VERSION = '0.1.0';

interface RawGlobals {
  kubeconfig?: string;
  context?: string;
  namespace?: string;
  allNamespaces?: boolean;
  as?: string;
  asGroup?: string[];
  output?: string;
  color?: boolean;
  verbose?: boolean;
  requestTimeout?: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function globalsFrom(raw: RawGlobals, io: ProgramIO): GlobalOptions {
  // kubectl: "requesting uid or groups without impersonating a user" is a usage error, before any request.
  if ((raw.asGroup ?? []).length > 0 && raw.as === undefined)
    throw new CliError(ExitCode.Usage, '--as-group needs --as USER (groups are impersonated with a user)');
  const outputSpec = parseOutput(raw.output ?? 'table');
  return {
    kubeconfig: raw.kubeconfig,
    context: raw.context,
    namespace: raw.namespace,
    allNamespaces: raw.allNamespaces === true,
    as: raw.as,
    asGroup: raw.asGroup ?? [],
    output: renderedFormat(outputSpec),
    outputSpec,
    requestTimeoutMs: parseRequestTimeout(raw.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT),
    width: terminalWidth({ env: io.env, isTTY: io.isTTY, columns: io.columns }),
    widthKnown: widthKnown({ env: io.env, isTTY: io.isTTY }),
    unicode: unicodeCapable(io.env),
    colour: colourEnabled({ noColorFlag: raw.color === false, env: io.env, isTTY: io.isTTY }),
    verbose: raw.verbose === true,
  };
}

/** Commands that print prose (not tables): their text is word-wrapped when the width is known. */
const PROSE_COMMANDS: ReadonlySet<string> = new Set([
  'explain',
  'inspect',
  'release',
  'reserve',
  'unreserve',
]);

function checkOutput(command: string, globals: GlobalOptions): void {
  const allowed = COMMAND_OUTPUTS[command] ?? ['table'];
  const { choice, template } = globals.outputSpec;
  if (!allowed.includes(choice)) {
    const list = allowed.map((f) => (f === 'jsonpath' ? 'jsonpath=TEMPLATE' : f)).join(', ');
    throw new CliError(
      ExitCode.Usage,
      choice === 'wide'
        ? `${command} has no wide output (it would print the same as the default); use one of: ${list}`
        : `${command} does not print -o ${choice}; use one of: ${list}`,
    );
  }
  if (template !== undefined) parseTemplate(template);
}

const GLOBAL_EXAMPLES = `
Examples:
  kubectl ipam pools -A
  kubectl ipam explain nodes-v4
  kubectl ipam explain capi-a/nodes-v4 10.0.0.17
  kubectl ipam explain claim md-0-x7k2-ip0
  kubectl ipam inspect 10.0.0.17
  kubectl ipam release 10.0.0.17 --pool capi-a/nodes-v4          # dry run
  kubectl ipam doctor -A -o json > report.json && kubectl ipam release --from-report report.json --yes`;

function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`;
}

/** Builds the program; `ran` receives the context of the command that ran (for tests). */
export function buildProgram(io: ProgramIO): {
  program: Command;
  contextOf: (cmd: Command) => CommandContext;
} {
  const program = new Command('kubectl ipam');
  const contextOf = (cmd: Command): CommandContext =>
    makeContext(globalsFrom(cmd.optsWithGlobals<RawGlobals>(), io), io);
  /**
   * Runs a command with its context after checking -o; for `-o name|jsonpath` the command prints its
   * json document into a buffer, which is then turned into names or the template's text (also when
   * the command ends with an error after printing, as doctor does when it finds problems).
   */
  const runCommand = async (cmd: Command, body: (ctx: CommandContext) => Promise<void>): Promise<void> => {
    const globals = globalsFrom(cmd.optsWithGlobals<RawGlobals>(), io);
    checkOutput(cmd.name(), globals);
    const spec = globals.outputSpec;
    if (spec.choice !== 'name' && spec.choice !== 'jsonpath') {
      const prose = PROSE_COMMANDS.has(cmd.name()) && globals.output === 'table' && globals.widthKnown;
      return body(
        makeContext(
          globals,
          prose
            ? {
                ...io,
                out: (s) => {
                  io.out(wrapText(s, globals.width));
                },
              }
            : io,
        ),
      );
    }
    let json = '';
    const ctx = makeContext(globals, {
      ...io,
      out: (s) => {
        json += s;
      },
    });
    try {
      await body(ctx);
    } finally {
      if (json !== '') io.out(printDocument(spec, json));
    }
  };

  program
    .description(
      'IP address management for Cluster API in-cluster pools: occupancy, explanations, leaks, safe release.',
    )
    .version(VERSION, '--version', 'print the plugin version')
    // Every sub-command's --help lists these global flags too, as kubectl's do ("kubectl options").
    .configureHelp({ showGlobalOptions: true })
    .option('--kubeconfig <file>', 'path to the kubeconfig file (default: $KUBECONFIG or ~/.kube/config)')
    .option('--context <name>', 'the kubeconfig context to use')
    .option(
      '-n, --namespace <ns>',
      'namespace of namespaced pools and claims (default: the context namespace)',
    )
    .option('-A, --all-namespaces', 'pools, addresses and claims of every namespace')
    .option('--as <user>', 'user to impersonate')
    .option('--as-group <group>', 'group to impersonate (needs --as; repeatable)', collect)
    .addOption(
      new Option(
        '-o, --output <format>',
        "output format: table|wide|json|yaml|name|jsonpath=TEMPLATE|csv (which ones: each command's help)",
      ).default('table'),
    )
    .option('--no-color', 'no colours (also: NO_COLOR=1, or when stdout is not a terminal)')
    .option('-v, --verbose', 'on errors, print causes and stack traces')
    .option(
      '--request-timeout <duration>',
      'give up on a single server request after this long (30s, 2m); 0: never (as kubectl)',
      DEFAULT_REQUEST_TIMEOUT,
    )
    .showSuggestionAfterError(true)
    .configureOutput({
      writeOut: (s) => {
        io.out(s);
      },
      writeErr: (s) => {
        io.err(s);
      },
      // Commander's own usage errors; ours are printed by run().
      outputError: (s, write) => {
        write(s);
      },
    })
    .exitOverride()
    .addHelpText(
      'after',
      `
A pool is named NAME (looked up in the namespace, then among global pools), NAMESPACE/NAME, or
global/NAME (or NAME with --global) for GlobalInClusterIPPool / GlobalInClusterPrefixPool.
${GLOBAL_EXAMPLES}`,
    );

  program
    .command('pools')
    .description('utilisation of every pool (IP and prefix, namespaced and global)')
    .addOption(
      new Option('--sort <by>', `sort by: ${POOL_SORTS.join('|')} (utilisation: same as utilization)`)
        .default('name')
        .argParser((v: string): PoolSort => {
          const sort = POOL_SORT_ALIASES[v] ?? (POOL_SORTS as readonly string[]).find((s) => s === v);
          if (sort === undefined)
            throw new CliError(
              ExitCode.Usage,
              `--sort: unknown value "${v}" (use one of: ${POOL_SORTS.join(', ')})`,
            );
          return sort as PoolSort;
        }),
    )
    .option(
      '--kind <kind>',
      'only pools of this kind: pool|global|prefix|global-prefix (repeatable)',
      collect,
    )
    .option(
      '-l, --selector <selector>',
      'only pools with these labels (kubectl label selector: a=b, a!=b, a in (x,y), !a), asked of the API server',
    )
    .option('--no-headers', 'no header line (table, wide and csv output)')
    .option(
      '--chunk-size <n>',
      'list IPAddresses (of recounted pools) N at a time (bounds memory; costs the API server more); 0: one request from its watch cache',
      (v) => Number(v),
      DEFAULT_CHUNK_SIZE,
    )
    .option(
      '--recount',
      'count every pool from its IPAddresses (exact, also duplicates and out-of-range), not from its status',
    )
    .addHelpText(
      'after',
      `
Total comes from each pool's spec. Used, free and out-of-range come from the pool's status when the
controller wrote it for the current spec; other pools (no status yet, spec changed since, pool
deleting, controller's Lease expired) are counted from their IPAddresses. -o wide shows which
(COUNTS), -o json|yaml in countsFrom and recountReason. FULL-IN (-o wide) is when the pool is full
at its recent net allocation rate (status.forecast). Output: table, wide, json, yaml, name,
jsonpath=TEMPLATE, csv (exact counts, columns in plugin/README.md).
${examples([
  'kubectl ipam pools -A --sort utilization',
  'kubectl ipam pools -n capi-a -l cluster.x-k8s.io/cluster-name=prod',
  'kubectl ipam pools -A -o jsonpath=\'{range .items[*]}{.id}{"\\t"}{.counts.free}{"\\n"}{end}\'',
  'kubectl ipam pools -A -o name --kind global',
  'kubectl ipam pools -A -o csv > pools.csv',
])}`,
    )
    .action(
      async (
        opts: {
          sort: PoolSort;
          kind?: string[];
          selector?: string;
          headers: boolean;
          chunkSize: number;
          recount?: boolean;
        },
        cmd: Command,
      ) => {
        await runCommand(cmd, async (ctx) => {
          const { runPools } = await import('../commands/pools.js');
          await runPools(ctx, {
            sort: opts.sort,
            kinds: opts.kind ?? [],
            selector: opts.selector,
            headers: opts.headers,
            chunkSize: opts.chunkSize,
            recount: opts.recount === true,
          });
        });
      },
    );

  program
    .command('explain')
    .description(
      'why a pool looks the way it does, why an address is (not) allocatable, why a claim is pending',
    )
    .argument('<pool|claim>', 'a pool (NAME, NAMESPACE/NAME, global/NAME), or the word "claim"')
    .argument('[address|claim-name]', 'an address of the pool, or the claim name after "claim"')
    .option('--global', 'the pool is a global pool')
    .option('--kind <kind>', 'the pool kind when a name is ambiguous: pool|global|prefix|global-prefix')
    .option('--limit <n>', 'at most this many free ranges to list', (v) => Number.parseInt(v, 10), 20)
    .addHelpText(
      'after',
      `
Output: table, json, yaml, jsonpath=TEMPLATE.
${examples([
  'kubectl ipam explain nodes-v4                       # the pool: ranges, exclusions, free blocks',
  'kubectl ipam explain capi-a/nodes-v4 10.0.0.17      # why this address is (not) handed out',
  'kubectl ipam explain global/shared-dc1 10.1.0.12',
  'kubectl ipam explain claim md-0-x7k2-ip0            # why a claim is pending',
])}`,
    )
    .action(
      async (
        first: string,
        second: string | undefined,
        opts: { global?: boolean; kind?: string; limit: number },
        cmd: Command,
      ) => {
        await runCommand(cmd, async (ctx) => {
          const { runExplain } = await import('../commands/explain.js');
          await runExplain(ctx, first, second, {
            global: opts.global === true,
            kind: opts.kind,
            limit: opts.limit,
          });
        });
      },
    );

  program
    .command('inspect')
    .description('an IPAddress with its claim, owner chain (Machine, Cluster), finalizers and age')
    .argument('<address|ipaddress-name>', 'an IP address or the name of an IPAddress object')
    .option('--pool <pool>', 'only addresses of this pool')
    .addHelpText(
      'after',
      `
Output: table, json, yaml, name, jsonpath=TEMPLATE.
${examples([
  'kubectl ipam inspect 10.0.0.17',
  'kubectl ipam inspect md-0-x7k2-ip0 -n capi-a',
  'kubectl ipam inspect fd00::10 --pool capi-a/nodes-v6 -o yaml',
])}`,
    )
    .action(async (target: string, opts: { pool?: string }, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const { runInspect } = await import('../commands/inspect.js');
        await runInspect(ctx, target, { pool: opts.pool });
      });
    });

  program
    .command('release')
    .description(
      'force-release addresses (dry run unless --yes): remove the ProtectAddress finalizer and delete the IPAddress',
    )
    .argument('[address|ipaddress-name...]', 'IP addresses or IPAddress names')
    .option('--pool <pool>', 'only addresses of this pool')
    .option('--from-report <file>', 'release the releasable findings of a `doctor -o json` report')
    .option('--yes', 'really do it (default: dry run, print what would change)')
    .option('--force', 'also release addresses whose claim still exists')
    .addHelpText(
      'after',
      `
Output: table, json, yaml, jsonpath=TEMPLATE.
${examples([
  'kubectl ipam release 10.0.0.17 --pool capi-a/nodes-v4        # dry run: the exact API calls',
  'kubectl ipam release capi-a/orphan-1 --yes',
  'kubectl ipam doctor -A -o json > report.json && kubectl ipam release --from-report report.json --yes',
])}`,
    )
    .action(
      async (
        targets: string[],
        opts: { pool?: string; fromReport?: string; yes?: boolean; force?: boolean },
        cmd: Command,
      ) => {
        await runCommand(cmd, async (ctx) => {
          const { runRelease } = await import('../commands/release.js');
          await runRelease(ctx, targets, {
            pool: opts.pool,
            fromReport: opts.fromReport,
            yes: opts.yes === true,
            force: opts.force === true,
          });
        });
      },
    );

  program
    .command('doctor')
    .description(
      'leak and consistency audit: orphaned addresses, pending claims, out-of-range and duplicate addresses, missing finalizers',
    )
    .option(
      '--min-age <seconds>',
      'ignore problems on objects younger than this (the controller may still be working)',
      (v) => Number.parseInt(v, 10),
      30,
    )
    .option('--no-headers', 'no header line (table and wide output)')
    .addHelpText(
      'after',
      `
The table wraps each finding's message under it to fit the terminal; -o wide prints one line per
finding with the whole message. Output: table, wide, json, yaml, name, jsonpath=TEMPLATE.
${examples([
  'kubectl ipam doctor -A',
  'kubectl ipam doctor -n capi-a -o wide',
  'kubectl ipam doctor -A -o json > report.json && kubectl ipam release --from-report report.json',
])}`,
    )
    .action(async (opts: { minAge: number; headers: boolean }, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const { runDoctor } = await import('../commands/doctor.js');
        await runDoctor(ctx, { minAgeSeconds: opts.minAge, headers: opts.headers });
      });
    });

  program
    .command('browse')
    .description('interactive browser (the default on a terminal)')
    .option('--read-only', 'hide release')
    .addHelpText('after', examples(['kubectl ipam browse -A', 'kubectl ipam browse -n capi-a --read-only']))
    .action(async (opts: { readOnly?: boolean }, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const { runBrowse } = await import('../commands/browse.js');
        await runBrowse(ctx, { readOnly: opts.readOnly === true });
      });
    });

  program
    .command('completion')
    .description('print a shell completion script: bash, zsh or fish')
    .argument('<shell>', 'bash|zsh|fish')
    .addHelpText(
      'after',
      `
kubectl (>= 1.26) completes \`kubectl ipam …\` itself through kubectl_complete-ipam, shipped next to
kubectl-ipam: put both on PATH. These scripts complete the kubectl-ipam command.
${examples(['kubectl ipam completion bash > /etc/bash_completion.d/kubectl-ipam'])}`,
    )
    .action(async (shell: string, _opts: unknown, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const { runCompletion } = await import('../commands/completion.js');
        runCompletion(ctx, shell, program);
      });
    });

  // Words after the program name that are no sub-command reach this action (it takes no arguments
  // but accepts them, so a typo is "unknown command, did you mean …", not "too many arguments").
  program.allowExcessArguments(true);
  program.action(async (_opts: unknown, cmd: Command) => {
    // No sub-command: the browser on a terminal, help otherwise.
    if (cmd.args.length > 0) {
      const word = cmd.args[0] ?? '';
      const near = closestCommand(
        word,
        program.commands.map((c) => c.name()),
      );
      throw new CliError(
        ExitCode.Usage,
        `unknown command "${word}"${near === undefined ? '' : `, did you mean ${near}?`}`,
        { hint: 'see kubectl ipam --help' },
      );
    }
    if (io.isTTY) {
      const { runBrowse } = await import('../commands/browse.js');
      await runBrowse(contextOf(cmd), { readOnly: false });
    } else io.out(program.helpInformation());
  });

  program
    .command('reserve')
    .description(
      'hold addresses of an IP pool before any claim, with a note and an expiry (dry run unless --yes): an IPAddressReservation',
    )
    .argument('<pool>', 'NAME, NAMESPACE/NAME or global/NAME of an InClusterIPPool or GlobalInClusterIPPool')
    .argument('<address...>', 'IPs, FROM-TO ranges or CIDRs of the pool')
    .option('--note <text>', 'why the addresses are held (shown by explain and the browser)')
    .option('--until <date>', 'lapses then: a date (2027-01-31, midnight UTC) or RFC 3339')
    .option('--for <duration>', 'lapses after: 90m, 12h, 30d, 2w')
    .option('--name <name>', 'the reservation name (default: POOL-FIRSTADDRESS)')
    .option('--yes', 'really do it (default: dry run, checked by the API server)')
    .addHelpText(
      'after',
      `
Output: table, json, yaml, jsonpath=TEMPLATE.
${examples([
  'kubectl ipam reserve capi-a/nodes-v4 10.0.0.17-10.0.0.18 --note "new load balancer" --until 2027-01-31',
  'kubectl ipam reserve global/shared 192.168.10.0/29 --for 30d --name lab-block --yes',
])}`,
    )
    .action(
      async (
        pool: string,
        addresses: string[],
        opts: { note?: string; until?: string; for?: string; name?: string; yes?: boolean },
        cmd: Command,
      ) => {
        await runCommand(cmd, async (ctx) => {
          const { runReserve } = await import('../commands/reserve.js');
          await runReserve(ctx, pool, addresses, {
            note: opts.note,
            until: opts.until,
            for: opts.for,
            name: opts.name,
            yes: opts.yes === true,
          });
        });
      },
    );

  program
    .command('unreserve')
    .description('delete an IPAddressReservation, by name or by an address it holds (dry run unless --yes)')
    .argument('<name|address>', 'NAME, NAMESPACE/NAME, or an IP the reservation holds')
    .option('--yes', 'really do it (default: dry run, checked by the API server)')
    .addHelpText(
      'after',
      `
Output: table, json, yaml, jsonpath=TEMPLATE.
${examples(['kubectl ipam unreserve 10.0.0.17 -n capi-a', 'kubectl ipam unreserve capi-a/nodes-v4-10-0-0-17 --yes'])}`,
    )
    .action(async (target: string, opts: { yes?: boolean }, cmd: Command) => {
      await runCommand(cmd, async (ctx) => {
        const { runUnreserve } = await import('../commands/reserve.js');
        await runUnreserve(ctx, target, { yes: opts.yes === true });
      });
    });

  return { program, contextOf };
}

/** Levenshtein distance (commander's suggestion uses the same measure). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row.push(
        Math.min(
          (prev[j] ?? 0) + 1,
          (row[j - 1] ?? 0) + 1,
          (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
        ),
      );
    prev = row;
  }
  return prev[b.length] ?? 0;
}

/** The sub-command a mistyped word most likely meant (at most a third of it wrong), if any. */
export function closestCommand(word: string, commands: readonly string[]): string | undefined {
  let best: { name: string; d: number } | undefined;
  for (const name of commands) {
    const d = editDistance(word.toLowerCase(), name);
    if (d <= Math.max(1, Math.floor(name.length / 3)) && (best === undefined || d < best.d))
      best = { name, d };
  }
  return best?.name;
}

/** Parses argv (without node and script) and runs; returns the exit code. Never throws. */
export async function run(argv: readonly string[], io: ProgramIO): Promise<number> {
  const { program } = buildProgram(io);
  const verbose = argv.includes('-v') || argv.includes('--verbose');
  // Cobra's completion protocol, which kubectl uses for plugins (bin/kubectl_complete-ipam).
  if (argv[0] === '__complete') {
    const { complete } = await import('../commands/complete.js');
    return complete(argv.slice(1), program, io);
  }
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return ExitCode.Ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help / version exit 0; usage errors were already printed by commander.
      if (error.exitCode === 0) return ExitCode.Ok;
      return ExitCode.Usage;
    }
    const e = toCliError(error);
    if (e.message !== '') io.err(formatError(e, verbose));
    return e.exitCode;
  }
}
