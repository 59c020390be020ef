import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pool } from './types.js';
import {
  parseRfc3339,
  reservationHolder,
  reservedAddresses,
  validateReservation,
  validateReservationInPool,
} from './reservation.js';

const NOW = Date.parse('2026-12-07T10:00:00Z');

function res(spec: Record<string, unknown>): unknown {
  return {
    metadata: { namespace: 'ns', name: 'r' },
    spec: {
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'pool' },
      addresses: ['10.0.0.10'],
      ...spec,
    },
  };
}

const paths = (errors: { path: string; message: string }[]) => errors.map((e) => `${e.path}: ${e.message}`);

const pool: Pool = {
  apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
  kind: 'InClusterIPPool',
  metadata: { namespace: 'ns', name: 'pool' },
  spec: { addresses: ['10.0.0.0/24'], prefix: 24, gateway: '10.0.0.1' },
};

describe('validateReservation', () => {
  it('accepts single IPs, a-b ranges and CIDRs of one family with a note and a future expiry', () => {
    const { errors, parsed } = validateReservation(
      res({
        addresses: ['10.0.0.10', '10.0.0.20-10.0.0.22', '10.0.0.32/30'],
        note: 'LB',
        expiresAt: '2027-01-31T00:00:00Z',
      }),
      NOW,
    );
    assert.deepEqual(errors, []);
    assert.equal(parsed.size, 8n);
  });

  it('names the field and the value of every problem', () => {
    const { errors } = validateReservation(
      res({
        poolRef: { apiGroup: 'example.com', kind: 'InClusterPrefixPool', name: '' },
        addresses: ['10.0.0.1', 'fd00::1', '10.0.0.9-10.0.0.3', 'nope'],
        note: 'x'.repeat(257),
        expiresAt: '2026-12-07T09:00:00Z',
      }),
      NOW,
    );
    assert.deepEqual(paths(errors), [
      'spec.poolRef.apiGroup: must be "ipam.cluster.x-k8s.io"',
      'spec.poolRef.kind: unsupported pool kind: supported values: "InClusterIPPool", "GlobalInClusterIPPool"',
      'spec.poolRef.name: must name the pool',
      'spec.addresses[2]: is not a valid IP, range, nor CIDR (range 10.0.0.9 to 10.0.0.3 not valid: start is after end)',
      'spec.addresses[3]: is not a valid IP, range, nor CIDR (ParseAddr("nope"): unable to parse IP)',
      'spec.addresses[1]: is IPv6 but spec.addresses[0] is IPv4: one family per reservation',
      'spec.note: must be at most 256 characters',
      'spec.expiresAt: is in the past (now 2026-12-07T10:00:00.000Z)',
    ]);
    assert.equal(errors[3]?.value, '10.0.0.9-10.0.0.3');
    assert.equal(errors[4]?.value, 'nope');
  });

  it('refuses more than 4096 addresses and a date that is not RFC 3339', () => {
    const { errors } = validateReservation(res({ addresses: ['10.0.0.0/19'], expiresAt: '2027-01-31' }), NOW);
    assert.deepEqual(paths(errors), [
      'spec.addresses: covers 8192 addresses; a reservation holds at most 4096',
      'spec.expiresAt: must be an RFC 3339 date-time, e.g. 2027-01-31T00:00:00Z',
    ]);
  });

  it('lets a past expiry through when no clock is given (the reconciler marks it Expired)', () => {
    assert.deepEqual(validateReservation(res({ expiresAt: '2020-01-01T00:00:00Z' }), undefined).errors, []);
  });
});

describe('validateReservationInPool', () => {
  it('refuses addresses outside the allocatable space and of the other family', () => {
    const addresses = ['10.0.0.250-10.0.1.5', 'fd00::1', '10.0.0.1', '10.0.0.7'];
    const { parsed } = validateReservation(res({ addresses }), NOW);
    assert.deepEqual(paths(validateReservationInPool(parsed, addresses, pool)), [
      'spec.addresses[0]: is not inside the allocatable addresses of InClusterIPPool ns/pool',
      'spec.addresses[1]: is IPv6 but InClusterIPPool ns/pool is IPv4',
      // the gateway is not allocatable
      'spec.addresses[2]: is not inside the allocatable addresses of InClusterIPPool ns/pool',
    ]);
  });
});

describe('helpers', () => {
  it('describe the holder as the requested-address code reports it', () => {
    assert.equal(reservationHolder('ns', 'lb'), 'IPAddressReservation ns/lb');
  });

  it('enumerate the held addresses canonically', () => {
    const { parsed } = validateReservation(
      res({ addresses: ['10.0.0.30-10.0.0.31', 'FD00::0001'] }),
      undefined,
    );
    assert.deepEqual(reservedAddresses(parsed.ranges), ['10.0.0.30', '10.0.0.31', 'fd00::1']);
  });

  it('parse RFC 3339 with offsets and refuse other shapes', () => {
    assert.equal(parseRfc3339('2027-01-31T01:00:00+01:00'), Date.parse('2027-01-31T00:00:00Z'));
    assert.equal(parseRfc3339('2027-01-31 00:00:00'), undefined);
  });
});
