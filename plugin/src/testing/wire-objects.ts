// Wire objects for unit tests (no cluster): pools, claims and IPAddresses as the controller writes them,
// and IPAddressReservations as `kubectl ipam reserve` and the controller write them.
import type {
  Condition,
  IPAddressClaimWire,
  IPAddressReservation,
  IPAddressWire,
  Pool,
} from '@ipam-in-cluster/api';

const T0 = '2026-01-01T00:00:00Z';

function poolMeta(namespace: string | undefined, name: string): Pool['metadata'] {
  return {
    name,
    ...(namespace === undefined ? {} : { namespace }),
    uid: `uid-${name}`,
    resourceVersion: '1',
    generation: 1,
    creationTimestamp: T0,
  };
}

export function ipPool(
  kind: 'InClusterIPPool' | 'GlobalInClusterIPPool',
  namespace: string | undefined,
  name: string,
  spec: Record<string, unknown>,
  status?: Record<string, unknown>,
): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind,
    metadata: poolMeta(namespace, name),
    spec,
    ...(status === undefined ? {} : { status: { ipAddresses: status } }),
  } as unknown as Pool;
}

/**
 * An IPAddressReservation of `poolRef` (API group ipam.cluster.x-k8s.io unless given), holding
 * 10.0.0.11 unless `spec` says otherwise; with `readyFalseReason`, the controller's Ready=False
 * condition of that reason (e.g. Expired).
 */
export function reservation(
  namespace: string,
  name: string,
  poolRef: { apiGroup?: string; kind: string; name: string },
  spec: Partial<IPAddressReservation['spec']> = {},
  readyFalseReason?: string,
): IPAddressReservation {
  return {
    apiVersion: 'ipam-in-cluster.dev/v1alpha1',
    kind: 'IPAddressReservation',
    metadata: { namespace, name, uid: `uid-${name}`, resourceVersion: '7' },
    spec: {
      poolRef: {
        apiGroup: poolRef.apiGroup ?? 'ipam.cluster.x-k8s.io',
        kind: poolRef.kind,
        name: poolRef.name,
      },
      addresses: ['10.0.0.11'],
      ...spec,
    },
    ...(readyFalseReason === undefined
      ? {}
      : {
          status: {
            conditions: [
              {
                type: 'Ready',
                status: 'False',
                reason: readyFalseReason,
                message: '',
                lastTransitionTime: '2026-05-01T00:00:00Z',
              },
            ],
          },
        }),
  };
}

export function prefixPool(namespace: string, name: string, spec: Record<string, unknown>): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterPrefixPool',
    metadata: poolMeta(namespace, name),
    spec,
  } as unknown as Pool;
}

export function claim(
  namespace: string,
  name: string,
  poolKind: string,
  poolName: string,
  extra: { finalizers?: string[]; addressName?: string; createdAt?: string } = {},
): IPAddressClaimWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddressClaim',
    metadata: {
      name,
      namespace,
      uid: `uid-claim-${name}`,
      resourceVersion: '2',
      creationTimestamp: extra.createdAt ?? T0,
      finalizers: extra.finalizers ?? ['ipam.cluster.x-k8s.io/ReleaseAddress'],
    },
    spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: poolKind, name: poolName } },
    ...(extra.addressName === undefined ? {} : { status: { addressRef: { name: extra.addressName } } }),
  };
}

export function address(
  namespace: string,
  name: string,
  ip: string,
  prefix: number,
  poolKind: string,
  poolName: string,
  finalizers = ['ipam.cluster.x-k8s.io/ProtectAddress'],
): IPAddressWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddress',
    metadata: {
      name,
      namespace,
      uid: `uid-addr-${name}`,
      resourceVersion: '3',
      creationTimestamp: T0,
      finalizers,
      ownerReferences: [
        {
          apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
          kind: 'IPAddressClaim',
          name,
          uid: `uid-claim-${name}`,
          controller: true,
          blockOwnerDeletion: true,
        },
      ],
    },
    spec: {
      claimRef: { name },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: poolKind, name: poolName },
      address: ip,
      prefix,
    },
  };
}

export interface ControllerStatusOptions {
  /** The generation the controller computed the counts for (default: the pool's). */
  readonly observedGeneration?: number | undefined;
  /** DuplicateAddresses True: an address is held by more than one IPAddress. */
  readonly duplicates?: boolean;
  /** Ready's message (the controller names unparsable IPAddresses there; empty otherwise). */
  readonly readyMessage?: string;
  /** Leave observedGeneration out of the conditions (as the upstream provider does). */
  readonly unstamped?: boolean;
}

/**
 * `pool` with the status our controller writes in one patch: status.ipAddresses and the Ready,
 * Exhausted, HighUtilization and DuplicateAddresses conditions stamped with observedGeneration.
 */
export function withControllerStatus(
  pool: Pool,
  counts: {
    total: number | bigint;
    used: number | bigint;
    free: number | bigint;
    outOfRange: number | bigint;
    quarantined?: number | bigint;
    /** IP pools: addresses held by IPAddressReservations (ADR 0030). */
    reserved?: number | bigint;
  },
  options: ControllerStatusOptions = {},
): Pool {
  const generation = options.observedGeneration ?? pool.metadata.generation ?? 1;
  const stamp = options.unstamped === true ? {} : { observedGeneration: generation };
  const c = (type: string, status: 'True' | 'False', reason: string, message = ''): Condition => ({
    type,
    status,
    reason,
    message,
    lastTransitionTime: T0,
    ...stamp,
  });
  const free = BigInt(counts.free);
  return {
    ...pool,
    status: {
      ipAddresses: counts,
      conditions: [
        c('Ready', 'True', 'Valid', options.readyMessage ?? ''),
        free === 0n
          ? c('Exhausted', 'True', 'NoFreeAddresses')
          : c('Exhausted', 'False', 'FreeAddressesAvailable'),
        c('HighUtilization', 'False', 'BelowThreshold'),
        options.duplicates === true
          ? c('DuplicateAddresses', 'True', 'DuplicatesFound', 'held by more than one IPAddress')
          : c('DuplicateAddresses', 'False', 'NoDuplicates'),
      ],
    },
  };
}

/**
 * IPAddresses `<namespace>1` to `<namespace>4` of the IP pool `pool` (10.0.0.10-10.0.0.20): two
 * holding 10.0.0.10, one out of range, one unparsable.
 */
export function awkwardAddresses(namespace: string, pool: string): IPAddressWire[] {
  return [
    address(namespace, `${namespace}1`, '10.0.0.10', 24, 'InClusterIPPool', pool),
    address(namespace, `${namespace}2`, '10.0.0.10', 24, 'InClusterIPPool', pool),
    address(namespace, `${namespace}3`, '10.0.0.99', 24, 'InClusterIPPool', pool),
    address(namespace, `${namespace}4`, 'not-an-ip', 24, 'InClusterIPPool', pool),
  ];
}

/**
 * IPAddresses `<names>1` to `<names>3` of an IPv6 pool over fd00::/64: its first and last addresses
 * and one outside it.
 */
export function v6Addresses(namespace: string, names: string, kind: string, pool: string): IPAddressWire[] {
  return [
    address(namespace, `${names}1`, 'fd00::1', 64, kind, pool),
    address(namespace, `${names}2`, 'fd00::ffff:ffff:ffff:fffe', 64, kind, pool),
    address(namespace, `${names}3`, 'fd01::1', 64, kind, pool),
  ];
}

/** IPAddresses `p1` to `p3` of an InClusterPrefixPool over fd10::/56 (/64 each): two in it, one not. */
export function prefixAddresses(namespace: string, pool: string): IPAddressWire[] {
  return [
    address(namespace, 'p1', 'fd10::', 64, 'InClusterPrefixPool', pool),
    address(namespace, 'p2', 'fd10:0:0:1::', 64, 'InClusterPrefixPool', pool),
    address(namespace, 'p3', 'fd20::', 64, 'InClusterPrefixPool', pool),
  ];
}
