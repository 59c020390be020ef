// kubectl ipam reserve / unreserve (docs/adr/0030-reservations.md): hold addresses of an IP pool
// before any claim, with a note and an expiry, as an IPAddressReservation (ipam-in-cluster.dev); and
// let them go. As `release`: a dry run unless --yes (sent to the API server with dryRun=All, so the
// webhook checks it); `-o json|yaml` prints the object the server answered with.
import { formatAddr, parseAddr, rangeContains } from '@ipam-in-cluster/allocator';
import {
  conditionTime,
  IPAM_GROUP,
  LABEL_WATCH_FILTER,
  parseReservationAddresses,
  RESERVATION_API_VERSION,
  validateReservation,
  validateReservationInPool,
  type IPAddressReservation,
} from '@ipam-in-cluster/api';
import type { CommandContext } from '../cli/context.js';
import { CliError, ExitCode, toCliError } from '../errors/cli-error.js';
import { findReservationPool } from '../data/reservations.js';
import { toJson, toYaml } from '../output/serialize.js';

export interface ReserveOptions {
  readonly note: string | undefined;
  readonly until: string | undefined;
  readonly for: string | undefined;
  readonly name: string | undefined;
  readonly yes: boolean;
}

const DURATION = /^(\d+)(m|h|d|w)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;

/** expiresAt from --until (RFC 3339, or a date = its midnight UTC) or --for (30d, 12h, 90m, 2w). */
export function expiryOf(options: Pick<ReserveOptions, 'until' | 'for'>, now: Date): string | undefined {
  if (options.until !== undefined && options.for !== undefined)
    throw new CliError(ExitCode.Usage, 'reserve: give either --until or --for, not both');
  if (options.for !== undefined) {
    const m = DURATION.exec(options.for);
    if (m === null)
      throw new CliError(ExitCode.Usage, `--for "${options.for}": use a number and m, h, d or w (e.g. 30d)`);
    const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
    return conditionTime(new Date(now.getTime() + ms));
  }
  if (options.until === undefined) return undefined;
  const text = /^\d{4}-\d{2}-\d{2}$/.test(options.until) ? `${options.until}T00:00:00Z` : options.until;
  const ms = Date.parse(text);
  if (Number.isNaN(ms) || !/^\d{4}-\d{2}-\d{2}T/.test(text))
    throw new CliError(ExitCode.Usage, `--until "${options.until}": use a date (2027-01-31) or RFC 3339`);
  return text;
}

/** A default name: the pool's and the first address's (`nodes-v4-10-0-0-17`). */
export function defaultName(pool: string, first: string): string {
  return `${pool}-${first}`
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '')
    .slice(0, 63)
    .replace(/-$/, '');
}

function describeReservation(r: IPAddressReservation, pool: string): string {
  const until = r.spec.expiresAt === undefined ? ', until deleted' : `, until ${r.spec.expiresAt}`;
  const note = r.spec.note === undefined ? '' : `: ${r.spec.note}`;
  return `${r.spec.addresses.join(', ')} in ${pool} as IPAddressReservation ${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}${note}${until}`;
}

function crdMissing(error: unknown, what: string): CliError {
  const e = toCliError(error, what);
  if (e.exitCode !== ExitCode.NotFound) return e;
  return new CliError(
    ExitCode.NotFound,
    `${e.message} (is the IPAddressReservation CRD installed? it ships with the ipam-in-cluster chart)`,
    {
      cause: error,
    },
  );
}

function printObject(ctx: CommandContext, obj: unknown): boolean {
  if (ctx.globals.output === 'json') ctx.out(toJson(obj));
  else if (ctx.globals.output === 'yaml') ctx.out(toYaml(obj));
  else return false;
  return true;
}

export async function runReserve(
  ctx: CommandContext,
  poolText: string,
  addresses: readonly string[],
  options: ReserveOptions,
): Promise<void> {
  if (addresses.length === 0)
    throw new CliError(ExitCode.Usage, 'reserve: name at least one address, range or CIDR');
  const expiresAt = expiryOf(options, ctx.now());
  const session = await ctx.session();
  const pool = await findReservationPool(session, poolText);
  const poolNs = pool.metadata.namespace;
  const namespace = poolNs ?? session.namespace;
  const filter = pool.metadata.labels?.[LABEL_WATCH_FILTER];
  const name = options.name ?? defaultName(pool.metadata.name ?? 'pool', addresses[0] ?? '');
  const body: IPAddressReservation = {
    apiVersion: RESERVATION_API_VERSION,
    kind: 'IPAddressReservation',
    metadata: {
      name,
      namespace,
      ...(filter === undefined ? {} : { labels: { [LABEL_WATCH_FILTER]: filter } }),
    },
    spec: {
      poolRef: { apiGroup: IPAM_GROUP, kind: pool.kind, name: pool.metadata.name ?? '' },
      addresses: [...addresses],
      ...(options.note === undefined ? {} : { note: options.note }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
    },
  };
  // The same checks as the webhook's, before anything is sent: a clear exit 2.
  const { errors, parsed } = validateReservation(body, ctx.now().getTime());
  if (errors.length === 0) errors.push(...validateReservationInPool(parsed, body.spec.addresses, pool));
  if (errors.length > 0) {
    throw new CliError(
      ExitCode.Usage,
      errors.map((e) => `${e.path} "${String(e.value)}": ${e.message}`).join('; '),
    );
  }
  let created: IPAddressReservation;
  try {
    created = await session.client.reservations().create(body, { dryRun: !options.yes });
  } catch (error) {
    const e = crdMissing(error, `create IPAddressReservation ${namespace}/${name}`);
    if (e.exitCode === ExitCode.Error && /denied the request|is invalid/.test(e.message))
      throw new CliError(ExitCode.Usage, e.message, { cause: error });
    throw e;
  }
  if (printObject(ctx, created)) return;
  const where = `${pool.kind} ${poolNs === undefined ? '' : `${poolNs}/`}${pool.metadata.name ?? ''}`;
  ctx.out(`${options.yes ? 'Reserved' : 'Would reserve'} ${describeReservation(created, where)}\n`);
  if (!options.yes) ctx.out('Re-run with --yes to reserve.\n');
}

export async function runUnreserve(
  ctx: CommandContext,
  target: string,
  options: { yes: boolean },
): Promise<void> {
  const session = await ctx.session();
  const all = ctx.globals.allNamespaces;
  const client = session.client.reservations();
  let victims: IPAddressReservation[];
  const ip = parseAddr(target);
  try {
    if (ip.ok) {
      const { items } = await client.list(all ? {} : { namespace: session.namespace });
      victims = items.filter((r) =>
        parseReservationAddresses(r.spec.addresses).ranges.some((range) => rangeContains(range, ip.value)),
      );
    } else {
      const slash = target.indexOf('/');
      const ref =
        slash < 0
          ? { namespace: session.namespace, name: target }
          : { namespace: target.slice(0, slash), name: target.slice(slash + 1) };
      const found = await client.find(ref);
      victims = found === undefined ? [] : [found];
    }
  } catch (error) {
    throw crdMissing(error, 'read IPAddressReservations');
  }
  const what = ip.ok ? `holds ${formatAddr(ip.value)}` : `is named ${target}`;
  if (victims.length === 0) {
    throw new CliError(
      ExitCode.NotFound,
      `no IPAddressReservation ${what}${all ? '' : ` in namespace ${session.namespace} (try -A)`}`,
    );
  }
  if (victims.length > 1) {
    throw new CliError(
      ExitCode.Usage,
      `${target} is held by ${String(victims.length)} IPAddressReservations: ${victims.map((r) => `${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}`).join(', ')}`,
      { hint: 'name the reservation (NAMESPACE/NAME)' },
    );
  }
  const [r] = victims as [IPAddressReservation];
  const ref = { namespace: r.metadata.namespace, name: r.metadata.name ?? '' };
  try {
    await client.delete(ref, {
      dryRun: !options.yes,
      ...(r.metadata.uid === undefined ? {} : { preconditions: { uid: r.metadata.uid } }),
    });
  } catch (error) {
    throw crdMissing(error, `delete IPAddressReservation ${ref.namespace ?? ''}/${ref.name}`);
  }
  if (printObject(ctx, r)) return;
  const pool = `${r.spec.poolRef.kind} ${r.spec.poolRef.name}`;
  ctx.out(`${options.yes ? 'Released' : 'Would release'} ${describeReservation(r, pool)}\n`);
  if (!options.yes) ctx.out('Re-run with --yes to release.\n');
}
