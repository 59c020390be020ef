// One entry point that hands out typed clients for every kind we use, all on one transport.
import type {
  ClusterWire,
  ContractVersion,
  GlobalInClusterIPPool,
  GlobalInClusterPrefixPool,
  InClusterIPPool,
  InClusterPrefixPool,
  IPAddressClaimWire,
  IPAddressReservation,
  IPAddressWire,
  PoolKind,
} from '@ipam-in-cluster/api';
import type { CoreEvent, KubeObject, Lease, Namespace, Secret } from './core-types.js';
import { ObjectClient } from './object-client.js';
import {
  clusterResource,
  EventResource,
  ipAddressClaimResource,
  ipAddressResource,
  LeaseResource,
  NamespaceResource,
  poolResource,
  ReservationResource,
  SecretResource,
  type ResourceDescriptor,
} from './resources.js';
import type { KubeTransport } from './transport.js';

export interface PoolByKind {
  InClusterIPPool: InClusterIPPool;
  GlobalInClusterIPPool: GlobalInClusterIPPool;
  InClusterPrefixPool: InClusterPrefixPool;
  GlobalInClusterPrefixPool: GlobalInClusterPrefixPool;
}

export class KubeClient {
  readonly transport: KubeTransport;

  constructor(transport: KubeTransport) {
    this.transport = transport;
  }

  /** A client for any resource (for kinds without a typed shortcut below). */
  resource<T extends KubeObject>(resource: ResourceDescriptor): ObjectClient<T> {
    return new ObjectClient<T>(this.transport, resource);
  }

  pools<K extends PoolKind>(kind: K): ObjectClient<PoolByKind[K]> {
    return new ObjectClient<PoolByKind[K]>(this.transport, poolResource(kind));
  }

  ipAddressClaims(version: ContractVersion): ObjectClient<IPAddressClaimWire> {
    return new ObjectClient<IPAddressClaimWire>(this.transport, ipAddressClaimResource(version));
  }

  reservations(): ObjectClient<IPAddressReservation> {
    return new ObjectClient<IPAddressReservation>(this.transport, ReservationResource);
  }

  ipAddresses(version: ContractVersion): ObjectClient<IPAddressWire> {
    return new ObjectClient<IPAddressWire>(this.transport, ipAddressResource(version));
  }

  clusters(version: ContractVersion): ObjectClient<ClusterWire> {
    return new ObjectClient<ClusterWire>(this.transport, clusterResource(version));
  }

  leases(): ObjectClient<Lease> {
    return new ObjectClient<Lease>(this.transport, LeaseResource);
  }

  events(): ObjectClient<CoreEvent> {
    return new ObjectClient<CoreEvent>(this.transport, EventResource);
  }

  namespaces(): ObjectClient<Namespace> {
    return new ObjectClient<Namespace>(this.transport, NamespaceResource);
  }

  secrets(): ObjectClient<Secret> {
    return new ObjectClient<Secret>(this.transport, SecretResource);
  }
}
