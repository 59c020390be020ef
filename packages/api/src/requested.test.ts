import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildPoolLayout, parseAddr, type Addr, type IPPoolSpec } from '@ipam-in-cluster/allocator';
import { ClaimReadyReason } from './conditions.js';
import { ANNOTATION_REQUESTED_ADDRESS } from './constants.js';
import { requestedAddress, requestRefusal } from './requested.js';

const ask = (value: string) => ({ [ANNOTATION_REQUESTED_ADDRESS]: value });

function layoutOf(spec: IPPoolSpec) {
  const l = buildPoolLayout(spec);
  assert.ok(l.ok);
  return l.value;
}

function addr(s: string): Addr {
  const a = parseAddr(s);
  assert.ok(a.ok);
  return a.value;
}

describe('requestedAddress', () => {
  it('is none without the annotation', () => {
    assert.deepEqual(requestedAddress(undefined, 'ip'), { kind: 'none' });
    assert.deepEqual(requestedAddress({ other: '10.0.0.1' }, 'ip'), { kind: 'none' });
  });

  it('normalises any textual form of one address to its canonical text', () => {
    for (const [value, canonical] of [
      ['10.0.0.7', '10.0.0.7'],
      [' 10.0.0.7 ', '10.0.0.7'],
      ['FD00:0000::0A', 'fd00::a'],
      ['fe80::1%eth0', 'fe80::1'],
    ] as const) {
      const r = requestedAddress(ask(value), 'ip');
      assert.ok(r.kind === 'address', value);
      assert.equal(r.address, canonical);
      assert.equal(r.value, value);
    }
  });

  it('refuses what is not one address, naming the annotation and the value', () => {
    for (const value of ['', 'ten', '10.0.0.0/24', '10.0.0.1-10.0.0.5', '010.0.0.1', '10.0.0.256']) {
      const r = requestedAddress(ask(value), 'ip');
      assert.ok(r.kind === 'refused', value);
      assert.equal(r.reason, ClaimReadyReason.RequestedAddressInvalid);
      assert.match(
        r.message,
        new RegExp(`^annotation ${ANNOTATION_REQUESTED_ADDRESS}=".*" is not one IP address`),
      );
      assert.ok(r.message.includes(JSON.stringify(value)), r.message);
    }
  });

  it('refuses any request on a prefix pool', () => {
    const r = requestedAddress(ask('fd00::/64'), 'prefix');
    assert.ok(r.kind === 'refused');
    assert.equal(r.reason, ClaimReadyReason.RequestedAddressUnsupported);
    assert.match(r.message, /prefix pools do not take a requested address/);
  });
});

describe('requestRefusal', () => {
  const layout = layoutOf({
    addresses: ['10.0.0.0/24', '10.0.1.0-10.0.1.9'],
    excludedAddresses: ['10.0.0.20-10.0.0.29'],
    prefix: 24,
    gateway: '10.0.0.1',
  });
  const pool = 'InClusterIPPool ns/p';

  it('allows a free allocatable address, and names the holders of a taken one', () => {
    assert.equal(requestRefusal(layout, addr('10.0.0.5'), [], pool), undefined);
    assert.deepEqual(requestRefusal(layout, addr('10.0.0.5'), ['IPAddressClaim ns/a'], pool), {
      reason: ClaimReadyReason.RequestedAddressTaken,
      message: 'requested address 10.0.0.5 is taken by IPAddressClaim ns/a in InClusterIPPool ns/p',
    });
  });

  it('names the exclusion entry, the gateway, the reserved kind, or that it is outside the pool', () => {
    const cases: [string, string, RegExp][] = [
      [
        '10.0.0.25',
        ClaimReadyReason.RequestedAddressExcluded,
        /excluded by spec\.excludedAddresses\[0\] \(10\.0\.0\.20-10\.0\.0\.29\)/,
      ],
      ['10.0.0.1', ClaimReadyReason.RequestedAddressIsGateway, /is the gateway \(spec\.gateway\)/],
      ['10.0.0.0', ClaimReadyReason.RequestedAddressReserved, /reserved: network address of 10\.0\.0\.0\/24/],
      ['10.0.0.255', ClaimReadyReason.RequestedAddressReserved, /broadcast address/],
      [
        '10.0.2.1',
        ClaimReadyReason.RequestedAddressNotInPool,
        /is not in InClusterIPPool ns\/p: not inside any spec\.addresses entry/,
      ],
      ['fd00::1', ClaimReadyReason.RequestedAddressNotInPool, /not inside any spec\.addresses entry/],
    ];
    for (const [a, reason, message] of cases) {
      const r = requestRefusal(layout, addr(a), [], pool);
      assert.equal(r?.reason, reason, a);
      assert.match(r.message, message);
      assert.ok(r.message.startsWith(`requested address ${a} `), r.message);
    }
  });

  it('hands out the network address when the pool allocates reserved addresses', () => {
    const open = layoutOf({ addresses: ['10.0.0.0/24'], prefix: 24, allocateReservedIPAddresses: true });
    assert.equal(requestRefusal(open, addr('10.0.0.0'), [], pool), undefined);
  });
});
