// Requested addresses (docs/adr/0029-requested-addresses.md): a claim asks for one address with the
// ipam-in-cluster.dev/requested-address annotation and gets exactly it or nothing, with a Ready
// reason that names why. Pure answers shared by the controller's reserve phase and `kubectl ipam
// explain claim`; the classification is the allocator's explainAddress, not a second one.
import {
  explainAddress,
  formatAddr,
  goQuote,
  parseAddr,
  type Addr,
  type PoolLayout,
  type PoolType,
} from '@ipam-in-cluster/allocator';
import { ClaimReadyReason } from './conditions.js';
import { ANNOTATION_REQUESTED_ADDRESS } from './constants.js';

/** The Ready reasons of a refused request. */
export type RequestedAddressReason =
  | typeof ClaimReadyReason.RequestedAddressInvalid
  | typeof ClaimReadyReason.RequestedAddressUnsupported
  | typeof ClaimReadyReason.RequestedAddressNotInPool
  | typeof ClaimReadyReason.RequestedAddressExcluded
  | typeof ClaimReadyReason.RequestedAddressIsGateway
  | typeof ClaimReadyReason.RequestedAddressReserved
  | typeof ClaimReadyReason.RequestedAddressTaken;

/** Why a requested address is not handed out: the claim's Ready reason and message. */
export interface RequestRefusal {
  readonly reason: RequestedAddressReason;
  readonly message: string;
}

/** What a claim's annotations ask for. */
export type RequestedAddress =
  | { readonly kind: 'none' }
  /** `address` is the canonical text of `addr`; `value` is the annotation as written. */
  | { readonly kind: 'address'; readonly value: string; readonly address: string; readonly addr: Addr }
  | ({ readonly kind: 'refused'; readonly value: string } & RequestRefusal);

const NONE: RequestedAddress = { kind: 'none' };

/**
 * Reads the requested-address annotation for a pool of `poolType`. An IP pool takes one address in
 * any textual form (surrounding spaces and an IPv6 zone are dropped; `010.0.0.1`, a CIDR or a range
 * are refused, by Go's netip.ParseAddr rules); a prefix pool takes none (refused: it hands out
 * sub-prefixes, and an address does not say which length).
 */
export function requestedAddress(
  annotations: Readonly<Record<string, string>> | undefined,
  poolType: PoolType,
): RequestedAddress {
  const value = annotations?.[ANNOTATION_REQUESTED_ADDRESS];
  if (value === undefined) return NONE;
  const shown = `annotation ${ANNOTATION_REQUESTED_ADDRESS}=${goQuote(value)}`;
  if (poolType === 'prefix')
    return {
      kind: 'refused',
      value,
      reason: ClaimReadyReason.RequestedAddressUnsupported,
      message: `${shown}: prefix pools do not take a requested address; remove the annotation to get the next free prefix`,
    };
  const parsed = parseAddr(value.trim());
  if (!parsed.ok)
    return {
      kind: 'refused',
      value,
      reason: ClaimReadyReason.RequestedAddressInvalid,
      message: `${shown} is not one IP address (${parsed.error.message})`,
    };
  return { kind: 'address', value, address: formatAddr(parsed.value), addr: parsed.value };
}

/**
 * How a message names who holds an address through an IPAddress: the claim it was created for
 * (`IPAddressClaim ns/claim`), naming the IPAddress too when it is not named like that claim.
 */
export function ipAddressHolder(namespace: string, name: string, claimName: string): string {
  if (claimName === name) return `IPAddressClaim ${namespace}/${claimName}`;
  if (claimName === '') return `IPAddress ${namespace}/${name}`;
  return `IPAddressClaim ${namespace}/${claimName} (IPAddress ${namespace}/${name})`;
}

/**
 * Why the pool cannot hand `addr` out to the claim, or undefined when it can. `holders` describes
 * whoever else holds the address (`IPAddressClaim ns/name`, or what the registry records for a
 * holding that is not a claim's), empty when nobody does. `poolText` names the pool in messages.
 */
export function requestRefusal(
  layout: PoolLayout,
  addr: Addr,
  holders: readonly string[],
  poolText: string,
): RequestRefusal | undefined {
  const e = explainAddress(layout, addr);
  if (!e.ok) return undefined; // an Addr always explains
  const x = e.value;
  const what = `requested address ${x.address}`;
  const why = (code: string): string =>
    x.reasons
      .filter((r) => r.code === code)
      .map((r) => r.message)
      .join('; ');
  switch (x.verdict) {
    case 'free':
    case 'allocated':
      return holders.length === 0
        ? undefined
        : {
            reason: ClaimReadyReason.RequestedAddressTaken,
            message: `${what} is taken by ${holders.join(', ')} in ${poolText}`,
          };
    case 'outside-pool':
    case 'out-of-range-allocation':
      return {
        reason: ClaimReadyReason.RequestedAddressNotInPool,
        message: `${what} is not in ${poolText}: ${why('outside-pool') || 'not allocatable'}`,
      };
    case 'excluded':
      return {
        reason: ClaimReadyReason.RequestedAddressExcluded,
        message: `${what} is ${why('excluded')} of ${poolText}`,
      };
    case 'gateway':
      return {
        reason: ClaimReadyReason.RequestedAddressIsGateway,
        message: `${what} is the gateway (spec.gateway) of ${poolText}, never allocated`,
      };
    case 'reserved':
      return {
        reason: ClaimReadyReason.RequestedAddressReserved,
        message: `${what} is ${why('reserved')} in ${poolText} (spec.allocateReservedIPAddresses: true hands it out)`,
      };
  }
}
