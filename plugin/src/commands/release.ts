// kubectl ipam release: dry run by default; --yes acts; --force for addresses whose claim exists;
// --from-report releases the releasable findings of a doctor report with the report's preconditions.
import { readFileSync } from 'node:fs';
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode } from '../errors/cli-error.js';
import { releasableFromReport } from '../data/doctor.js';
import {
  applyRelease,
  planRelease,
  releaseTargetOf,
  type ReleasePlan,
  type ReleaseTarget,
} from '../data/release.js';
import { findAddresses, readInventoryAndPool } from '../data/resolve.js';
import { toJson, toYaml } from '../output/serialize.js';

export interface ReleaseOptions {
  readonly pool: string | undefined;
  readonly fromReport: string | undefined;
  readonly yes: boolean;
  readonly force: boolean;
}

export function renderPlan(plan: ReleasePlan, dryRun: boolean): string {
  const t = plan.target;
  const lines: string[] = [];
  const head = `${t.address} from pool ${t.pool ?? '?'} (IPAddress ${t.namespace}/${t.name}, resourceVersion ${t.resourceVersion}, claim ${t.claimName}${t.claimExists ? '' : ' — gone'})`;
  if (plan.refused !== undefined) {
    lines.push(`Refusing to release ${head}:`, `  ${plan.refused}`);
    return `${lines.join('\n')}\n`;
  }
  lines.push(`${dryRun ? 'Would release' : 'Releasing'} ${head}:`);
  plan.steps.forEach((s, i) => lines.push(`  ${i + 1}. ${s}`));
  for (const w of plan.warnings) lines.push(`  warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

/** What to re-run with after a dry run: `--force --yes` where a claim still exists. */
export function dryRunAdvice(plans: readonly ReleasePlan[], force: boolean): string {
  const refused = plans.filter((p) => p.refused !== undefined).length;
  const flags = force ? '--force --yes' : '--yes';
  if (refused === 0) return `Re-run with ${flags} to release.`;
  if (refused === plans.length)
    return `Re-run with --force --yes to release anyway (the controller will allocate ${refused === 1 ? 'its claim' : 'their claims'} an address again).`;
  return `Re-run with --yes to release the ${plans.length - refused} without a claim, or with --force --yes to release all ${plans.length}.`;
}

function readReport(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CliError(
      ExitCode.NotFound,
      `cannot read report ${file}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CliError(
      ExitCode.Usage,
      `report ${file} is not JSON (write it with: kubectl ipam doctor -o json > ${file})`,
    );
  }
}

export async function runRelease(
  ctx: CommandContext,
  targets: readonly string[],
  options: ReleaseOptions,
): Promise<void> {
  if (options.fromReport === undefined && targets.length === 0) {
    throw new CliError(
      ExitCode.Usage,
      'release: name at least one address or IPAddress, or pass --from-report FILE',
    );
  }
  if (options.fromReport !== undefined && targets.length > 0)
    throw new CliError(ExitCode.Usage, 'release: give either addresses or --from-report, not both');
  const session = await ctx.session();
  const all = ctx.globals.allNamespaces;

  let releaseTargets: ReleaseTarget[];
  if (options.fromReport !== undefined) {
    let items;
    try {
      items = releasableFromReport(readReport(options.fromReport));
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw new CliError(
        ExitCode.Usage,
        `report ${options.fromReport}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    // The report's uid and resourceVersion are the preconditions: anything changed since is skipped.
    releaseTargets = items.map((it) => ({
      namespace: it.object.namespace ?? '',
      name: it.object.name,
      uid: it.object.uid,
      resourceVersion: it.object.resourceVersion,
      address: it.address,
      pool: it.pool ?? undefined,
      claimName: it.claim,
      claimExists: false,
      claimDeleting: false,
      finalizers: ['ipam.cluster.x-k8s.io/ProtectAddress'],
    }));
    if (releaseTargets.length === 0) {
      ctx.out(`Nothing to release: ${options.fromReport} has no releasable findings.\n`);
      return;
    }
  } else {
    const { inv, pool } = await readInventoryAndPool(session, { pool: options.pool, allNamespaces: all });
    for (const w of inv.warnings) ctx.err(`warning: ${w}\n`);
    releaseTargets = [];
    for (const t of targets) {
      const found = findAddresses(inv, t, { namespace: session.namespace, allNamespaces: all, pool });
      if (found.length === 0)
        throw new CliError(
          ExitCode.NotFound,
          `no IPAddress holds or is named ${t}${all ? '' : ` in namespace ${session.namespace} (try -A)`}`,
        );
      if (found.length > 1) {
        throw new CliError(
          ExitCode.Usage,
          `${t} is held by ${found.length} IPAddresses: ${found.map((a) => `${a.namespace}/${a.name} (${a.poolId ?? '?'})`).join(', ')}`,
          {
            hint: 'name the IPAddress (NAMESPACE/NAME) or add --pool',
          },
        );
      }
      for (const a of found) releaseTargets.push(releaseTargetOf(a));
    }
  }

  const plans = releaseTargets.map((t) => planRelease(t, { force: options.force }));
  const json = ctx.globals.output === 'json' || ctx.globals.output === 'yaml';
  let worst: ExitCode = ExitCode.Ok;
  const results: Record<string, unknown>[] = [];
  for (const plan of plans) {
    if (!json) ctx.out(renderPlan(plan, !options.yes));
    if (plan.refused !== undefined) {
      worst = ExitCode.Refused;
      results.push({
        ipAddress: `${plan.target.namespace}/${plan.target.name}`,
        address: plan.target.address,
        outcome: 'refused',
        message: plan.refused,
      });
      continue;
    }
    if (!options.yes) {
      results.push({
        ipAddress: `${plan.target.namespace}/${plan.target.name}`,
        address: plan.target.address,
        outcome: 'dry-run',
        steps: plan.steps,
        warnings: plan.warnings,
      });
      continue;
    }
    const r = await applyRelease(session, plan, { force: options.force, actor: ctx.globals.as });
    results.push({
      ipAddress: `${plan.target.namespace}/${plan.target.name}`,
      address: plan.target.address,
      outcome: r.outcome,
      message: r.message,
    });
    if (!json) ctx.out(`  → ${r.message}\n`);
    if (r.outcome === 'refused' || r.outcome === 'conflict') worst = ExitCode.Refused;
    if (r.outcome === 'failed') worst = worst === ExitCode.Ok ? ExitCode.Error : worst;
  }
  if (json) {
    const doc = {
      apiVersion: 'kubectl-ipam/v1alpha1',
      kind: 'ReleaseResult',
      dryRun: !options.yes,
      items: results,
    };
    ctx.out(ctx.globals.output === 'json' ? toJson(doc) : toYaml(doc));
  } else if (!options.yes) {
    ctx.out(`Dry run: nothing changed. ${dryRunAdvice(plans, options.force)}\n`);
  }
  if (worst !== ExitCode.Ok)
    throw new CliError(
      worst,
      worst === ExitCode.Refused ? 'some addresses were not released (see above)' : 'release failed',
    );
}
