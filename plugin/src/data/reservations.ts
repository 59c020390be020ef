// IPAddressReservations (docs/adr/0030-reservations.md): the IP pool `kubectl ipam reserve` names,
// and the reservations of a pool for `explain POOL ADDRESS`, read from the API server (`pools`
// takes `reserved` from the pool status instead). A cluster without the CRD, or a reader who may
// not list them, simply has none.
import { rangeContains, type Addr } from '@ipam-in-cluster/allocator';
import {
  ConditionType,
  findCondition,
  IPAM_GROUP,
  parseReservationAddresses,
  ReservationReason,
  type IPAddressReservation,
  type Pool,
} from '@ipam-in-cluster/api';
import { classifyApiError } from '@ipam-in-cluster/kube';
import { CliError, ExitCode, toCliError } from '../errors/cli-error.js';
import type { PoolKey } from './model.js';
import { parsePoolName } from './resolve.js';
import type { Session } from './session.js';

/** Reservations naming the pool; those of a global pool from every namespace the reader may list. */
export async function reservationsOf(session: Session, key: PoolKey): Promise<IPAddressReservation[]> {
  let items: IPAddressReservation[];
  try {
    ({ items } = await session.client
      .reservations()
      .list(key.namespace === undefined ? {} : { namespace: key.namespace }));
  } catch (error) {
    const kind = classifyApiError(error).kind;
    if (kind === 'NotFound' || kind === 'Forbidden') return [];
    throw error;
  }
  return items.filter(
    (r) =>
      r.spec.poolRef.apiGroup === IPAM_GROUP &&
      r.spec.poolRef.kind === key.kind &&
      r.spec.poolRef.name === key.name,
  );
}

/** Whether the reservation has lapsed (the controller marked it Expired, or expiresAt passed). */
export function expired(r: IPAddressReservation, now: Date): boolean {
  if (findCondition(r.status?.conditions, ConditionType.Ready)?.reason === ReservationReason.Expired)
    return true;
  return r.spec.expiresAt !== undefined && Date.parse(r.spec.expiresAt) <= now.getTime();
}

/** The live reservations holding `addr`. */
export function holdingAddress(
  list: readonly IPAddressReservation[],
  addr: Addr,
  now: Date,
): IPAddressReservation[] {
  return list.filter(
    (r) =>
      !expired(r, now) &&
      parseReservationAddresses(r.spec.addresses).ranges.some((range) => rangeContains(range, addr)),
  );
}

/** `reserved by ns/name: note, until T` (or `until deleted`). */
export function reservationText(r: IPAddressReservation): string {
  const note = r.spec.note === undefined || r.spec.note === '' ? '' : `: ${r.spec.note}`;
  const until = r.spec.expiresAt === undefined ? 'until deleted' : `until ${r.spec.expiresAt}`;
  return `reserved by ${r.metadata.namespace ?? ''}/${r.metadata.name ?? ''}${note}, ${until}`;
}

/** The pool the argument names: NAMESPACE/NAME, global/NAME, or NAME (the namespace's, else a global one). */
export async function findReservationPool(session: Session, text: string): Promise<Pool> {
  const n = parsePoolName(text, false);
  const local = session.client.pools('InClusterIPPool');
  const global = session.client.pools('GlobalInClusterIPPool');
  try {
    if (n.scope === 'namespace') {
      const p = await local.find({ namespace: n.namespace, name: n.name });
      if (p !== undefined) return p;
    } else if (n.scope === 'global') {
      const p = await global.find({ name: n.name });
      if (p !== undefined) return p;
    } else {
      const p = await local.find({ namespace: session.namespace, name: n.name });
      // A namespace editor may not read global pools: then the namespace's pool is the one meant.
      const g = await global.find({ name: n.name }).catch((error: unknown) => {
        if (p !== undefined && classifyApiError(error).kind === 'Forbidden') return undefined;
        throw error;
      });
      if (p !== undefined && g !== undefined) {
        throw new CliError(
          ExitCode.Usage,
          `pool name "${text}" is ambiguous: ${session.namespace}/${n.name} and global/${n.name}`,
          {
            hint: 'name it as NAMESPACE/NAME or global/NAME',
          },
        );
      }
      const found = p ?? g;
      if (found !== undefined) return found;
    }
  } catch (error) {
    throw toCliError(error, `read pool ${text}`);
  }
  throw new CliError(ExitCode.NotFound, `IP pool "${text}" not found`, {
    hint: 'reservations hold addresses of InClusterIPPool and GlobalInClusterIPPool pools; list them with: kubectl ipam pools -A',
  });
}
