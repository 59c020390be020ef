// kubectl ipam doctor: the audit as a table, or as a JSON/YAML report for `release --from-report`.
import type { IPAddressReservation } from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import type { ClaimFacts } from '../data/diagnose.js';
import { audit, makeReport, type DoctorReport, type Finding } from '../data/doctor.js';
import type { ClaimView } from '../data/model.js';
import { readClusterFact, readControllerLease, readInventory, type Session } from '../data/session.js';
import type { Palette } from '../output/colour.js';
import { toJson, toYaml } from '../output/serialize.js';
import { renderTable } from '../output/table.js';
import { DEFAULT_WIDTH, wrapText } from '../output/terminal.js';

export interface DoctorOptions {
  readonly minAgeSeconds: number;
  /** false with `--no-headers`. */
  readonly headers?: boolean;
}

function objText(f: Finding): string {
  return `${f.object.kind} ${f.object.namespace === null ? '' : `${f.object.namespace}/`}${f.object.name}`;
}

export interface DoctorLayout {
  /** Columns the default table fits (messages wrap under their finding). */
  readonly width?: number;
  /** `-o wide`: one line per finding, the whole message in a MESSAGE column. */
  readonly wide?: boolean;
  /** false: no header line (`--no-headers`). */
  readonly headers?: boolean;
  /** Cells in ASCII (the terminal cannot draw ours). */
  readonly ascii?: boolean;
  /** Some lists were forbidden and skipped: "no problems" is only about what could be read. */
  readonly partial?: boolean;
}

/**
 * The findings table. Default: SEVERITY CHECK ADDRESS, and under each finding its message (naming
 * the object), word-wrapped to `width`: object names are long and would not fit a column of an
 * 80-column table. `wide`: SEVERITY CHECK OBJECT ADDRESS MESSAGE, one line per finding.
 */
export function renderDoctor(report: DoctorReport, pal: Palette, layout: DoctorLayout = {}): string {
  const s = report.summary;
  const width = layout.width ?? DEFAULT_WIDTH;
  if (report.findings.length === 0)
    return `${pal.paint('good', layout.partial === true ? '✓ no problems found in what you may see' : '✓ no problems found')}\n`;
  const token = (f: Finding): 'error' | 'warning' | 'muted' =>
    f.severity === 'error' ? 'error' : f.severity === 'warning' ? 'warning' : 'muted';
  const message = (f: Finding): string => `${f.message}${f.releasable ? ' [releasable]' : ''}`;
  const options = { headers: layout.headers, ascii: layout.ascii };
  let table: string;
  if (layout.wide === true) {
    table = renderTable(
      [
        { header: 'SEVERITY' },
        { header: 'CHECK' },
        { header: 'OBJECT' },
        { header: 'ADDRESS' },
        { header: 'MESSAGE' },
      ],
      report.findings.map((f) => [
        pal.paint(token(f), f.severity),
        f.check,
        objText(f),
        f.address ?? '-',
        message(f),
      ]),
      options,
    );
  } else {
    const lines = renderTable(
      [{ header: 'SEVERITY' }, { header: 'CHECK' }, { header: 'ADDRESS' }],
      report.findings.map((f) => [pal.paint(token(f), f.severity), f.check, f.address ?? '-']),
      options,
    ).split('\n');
    const head = layout.headers === false ? [] : [lines[0] ?? ''];
    const rows = lines.slice(head.length);
    const blocks = report.findings.map((f, i) => {
      const ref = `${f.object.namespace === null ? '' : `${f.object.namespace}/`}${f.object.name}`;
      // Most messages name their object; the others get it in front.
      const text = f.message.includes(ref) ? message(f) : `${objText(f)}: ${message(f)}`;
      return `${rows[i] ?? ''}\n${wrapText(`  ${text}`, width, 0)}`;
    });
    table = `${[...head, ...blocks].join('\n')}\n`;
  }
  const lines = [
    `${s.errors} error${s.errors === 1 ? '' : 's'}, ${s.warnings} warning${s.warnings === 1 ? '' : 's'}, ${s.info} info`,
  ];
  let handOff: string[] = [];
  if (s.releasable > 0) {
    const scope = report.scope.allNamespaces
      ? ' -A'
      : report.scope.namespace === null
        ? ''
        : ` -n ${report.scope.namespace}`;
    handOff = wrapSteps(
      `${s.releasable} releasable: kubectl ipam doctor${scope} -o json > report.json; review it; kubectl ipam release --from-report report.json [--yes]`,
      width,
    );
  }
  return `${table}\n${[...lines.map((l) => wrapText(l, width)), ...handOff].join('\n')}\n`;
}

/**
 * A line of `;`-separated steps, broken only between steps (continuations indented), so that each
 * command stays whole on one line and can be copied: a word-wrap could split the one with -n NS.
 */
export function wrapSteps(line: string, width: number): string[] {
  if (Array.from(line).length <= width) return [line];
  const steps = line.split('; ');
  const out: string[] = [];
  let current = '';
  steps.forEach((step, i) => {
    const piece = i < steps.length - 1 ? `${step};` : step;
    if (current === '') current = piece;
    else if (Array.from(current).length + 1 + Array.from(piece).length <= width) current += ` ${piece}`;
    else {
      out.push(current);
      current = `    ${piece}`;
    }
  });
  out.push(current);
  return out;
}

/**
 * The IPAddressReservations in scope; undefined (with a note on stderr) when the reader may not list
 * them (the other checks still run); none when the CRD is not installed.
 */
async function readReservations(
  ctx: CommandContext,
  session: Session,
  all: boolean,
): Promise<IPAddressReservation[] | undefined> {
  try {
    const { items } = await session.client.reservations().list(all ? {} : { namespace: session.namespace });
    return items;
  } catch (error) {
    const kind = classifyApiError(error).kind;
    if (kind === 'Forbidden') {
      ctx.err(
        `note: you may not list ipaddressreservations.ipam-in-cluster.dev${all ? '' : ` in ${session.namespace}`}: reservations were not checked\n`,
      );
      return undefined;
    }
    // No IPAddressReservation CRD: there are none to check.
    if (kind === 'NotFound') return [];
    throw error;
  }
}

export async function runDoctor(ctx: CommandContext, options: DoctorOptions): Promise<void> {
  if (!Number.isFinite(options.minAgeSeconds) || options.minAgeSeconds < 0)
    throw new CliError(ExitCode.Usage, '--min-age must be a number of seconds ≥ 0');
  const session = await ctx.session();
  const all = ctx.globals.allNamespaces;
  const now = ctx.now();
  const inv = await readInventory(session, { namespace: session.namespace, allNamespaces: all });
  for (const w of inv.warnings) ctx.err(`warning: ${w}\n`);
  const lease = await readControllerLease(session, now);
  const reservations = await readReservations(ctx, session, all);
  // Cluster facts only for claims that have no address (the only ones the diagnosis needs them for).
  const claims = inv.claims.filter((c) => all || c.namespace === session.namespace);
  const needFacts = claims.filter((c) => c.addressName === undefined || c.deleting);
  const clusters = new Map<string, ClaimFacts['cluster']>();
  await Promise.all(
    needFacts.map(async (c) => {
      clusters.set(`${c.namespace}/${c.name}`, await readClusterFact(session, c));
    }),
  );
  const scoped = all
    ? inv
    : { ...inv, addresses: inv.addresses.filter((a) => a.namespace === session.namespace), claims };
  const findings = audit(scoped, {
    now,
    minAgeSeconds: options.minAgeSeconds,
    factsFor: (c: ClaimView) => ({ cluster: clusters.get(`${c.namespace}/${c.name}`), lease, now }),
    reservations,
  });
  const report = makeReport(findings, {
    now,
    context: session.context,
    namespace: session.namespace,
    allNamespaces: all,
  });
  const out = ctx.globals.output;
  ctx.out(
    out === 'json'
      ? toJson(report)
      : out === 'yaml'
        ? toYaml(report)
        : renderDoctor(report, ctx.palette, {
            width: ctx.globals.width,
            wide: out === 'wide',
            headers: options.headers,
            ascii: !ctx.globals.unicode,
            partial: inv.coverage.skipped.length > 0 || reservations === undefined,
          }),
  );
  if (report.summary.errors + report.summary.warnings > 0) throw new DoctorFindings();
}

/** Not an error to print: doctor already printed its report; only the exit code says "problems". */
export class DoctorFindings extends CliError {
  constructor() {
    super(ExitCode.Findings, '');
  }
}
