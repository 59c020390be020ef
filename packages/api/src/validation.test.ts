import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPPoolSpec, Pool, PrefixPoolSpec } from './types.js';
import { validatePool } from './validation.js';

function ipPool(spec: IPPoolSpec): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: { name: 'p' },
    spec,
  };
}

function prefixPool(spec: PrefixPoolSpec): Pool {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'GlobalInClusterPrefixPool',
    metadata: { name: 'p' },
    spec,
  };
}

// The same forms the CRD integration test sends: what the CEL rules must accept is valid here too,
// and what they reject is invalid here too (the CEL rules are a subset of this validation).
describe('validatePool', () => {
  const validIP: IPPoolSpec[] = [
    { addresses: ['192.168.1.1/24'], prefix: 24 },
    { addresses: ['10.0.0.1'], prefix: 0 },
    { addresses: ['fe80::1%eth0'], prefix: 64, gateway: 'fe80::ff%eth0' },
    { addresses: ['fe80::1%eth0-fe80::9%eth0'], prefix: 64 },
    { addresses: ['::ffff:1.2.3.4', '::FFFF:1.2.3.0/120', '::ffff:102:305-::ffff:102:309'], prefix: 120 },
    { addresses: ['::/0'], prefix: 0 },
    { addresses: ['2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'], prefix: 32 },
    { addresses: ['10.0.0.0/24', '10.0.0.5-10.0.0.9', '10.0.0.5', '10.0.0.5'], prefix: 24 },
  ];
  for (const spec of validIP) {
    it(`accepts ${JSON.stringify(spec)}`, () => {
      assert.deepEqual(validatePool(ipPool(spec)).errors, []);
    });
  }

  const invalidIP: [IPPoolSpec, string][] = [
    [{ addresses: [], prefix: 24 }, 'spec.addresses'],
    [{ addresses: ['10.0.0.300'], prefix: 24 }, 'spec.addresses[0]'],
    [{ addresses: ['10.0.0.1-fd00::1'], prefix: 24 }, 'spec.addresses[0]'],
    [{ addresses: ['10.0.0.1'], prefix: 33 }, 'spec.prefix'],
    [{ addresses: ['10.0.0.1'], prefix: 24, gateway: 'fd00::1' }, 'spec.gateway'],
    [{ addresses: ['10.0.0.0/24'], prefix: 24, excludedAddresses: ['fd00::1'] }, 'spec.excludedAddresses'],
  ];
  for (const [spec, path] of invalidIP) {
    it(`rejects ${JSON.stringify(spec)} at ${path}`, () => {
      const { errors } = validatePool(ipPool(spec));
      assert.ok(
        errors.some((e) => e.path === path),
        JSON.stringify(errors),
      );
    });
  }

  it('routes prefix pools to the prefix validation, with its warnings', () => {
    assert.deepEqual(validatePool(prefixPool({ prefixes: ['fd00::/48'], allocationPrefixLength: 64 })), {
      errors: [],
      warnings: [],
    });
    assert.equal(
      validatePool(prefixPool({ prefixes: ['::ffff:0:0/96'], allocationPrefixLength: 120 })).errors.length,
      0,
    );
    assert.equal(
      validatePool(prefixPool({ prefixes: ['fd00::/48'], allocationPrefixLength: 128 })).warnings.length,
      1,
    );
    const { errors } = validatePool(prefixPool({ prefixes: ['fd00::1/64'], allocationPrefixLength: 64 }));
    assert.deepEqual(
      errors.map((e) => [e.path, e.message]),
      [['spec.prefixes[0]', 'CIDR must be network-aligned']],
    );
  });
});
