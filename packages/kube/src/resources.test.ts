import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  apiVersionOf,
  ipAddressResource,
  LeaseResource,
  NamespaceResource,
  poolResource,
  resourcePath,
} from './resources.js';

describe('resource paths', () => {
  it('builds core, group, namespaced, cluster-scoped and status paths', () => {
    assert.equal(resourcePath(NamespaceResource, { name: 'a' }), '/api/v1/namespaces/a');
    assert.equal(
      resourcePath(LeaseResource, { namespace: 'ns', name: 'l' }),
      '/apis/coordination.k8s.io/v1/namespaces/ns/leases/l',
    );
    assert.equal(
      resourcePath(ipAddressResource('v1beta1')),
      '/apis/ipam.cluster.x-k8s.io/v1beta1/ipaddresses',
    );
    assert.equal(
      resourcePath(poolResource('GlobalInClusterIPPool'), {
        namespace: 'ignored',
        name: 'g',
        subresource: 'status',
      }),
      '/apis/ipam.cluster.x-k8s.io/v1alpha2/globalinclusterippools/g/status',
    );
    assert.equal(apiVersionOf(NamespaceResource), 'v1');
    assert.equal(apiVersionOf(poolResource('InClusterPrefixPool')), 'ipam.cluster.x-k8s.io/v1alpha2');
  });
});
