import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  WARN_GATEWAY_IN_PREFIXES,
  WARN_PREFIX_LENGTH_128,
  checkIPPoolUpdate,
  checkPrefixPoolUpdate,
  formatRange,
  ipPoolUpdateRejection,
  validateIPPoolSpec,
  validatePrefixPoolSpec,
  type FieldError,
  type IPPoolSpecInput,
  type PrefixPoolSpec,
} from '../src/index.js';
import { must } from './helpers.js';

const ok4: IPPoolSpecInput = { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' };

function pm(errors: readonly FieldError[]): [string, string][] {
  return errors.map((e) => [e.path, e.message]);
}

describe('validateIPPoolSpec (§11.2, §15.3)', () => {
  const valid: [string, IPPoolSpecInput][] = [
    ['simple IPv4', ok4],
    [
      'IPv6 with excluded',
      {
        addresses: ['fd00::10-fd00::20', 'fd00::/120'],
        prefix: 120,
        gateway: 'fd00::1',
        excludedAddresses: ['fd00::15'],
      },
    ],
    ['prefix 0', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 0, gateway: '10.0.0.1' }],
    ['grace period', { ...ok4, addressReuseGracePeriodSeconds: 30 }],
    ['excluded outside the subnet', { ...ok4, excludedAddresses: ['192.168.0.0/16'] }],
    [
      'IPv4-mapped addresses with an IPv6 gateway',
      { addresses: ['::ffff:10.0.0.0/120'], prefix: 120, gateway: '::ffff:10.0.0.1' },
    ],
  ];
  for (const [name, spec] of valid) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(validateIPPoolSpec(spec), []);
    });
  }

  const invalid: [string, IPPoolSpecInput, [string, string][]][] = [
    ['addresses required', { addresses: [], prefix: 24 }, [['spec.addresses', 'addresses is required']]],
    [
      'invalid gateway (Go message)',
      { ...ok4, gateway: 'invalid' },
      [['spec.gateway', 'ParseAddr("invalid"): unable to parse IP']],
    ],
    [
      'different subnets',
      { addresses: ['10.0.0.10-10.0.0.20', '10.0.1.5'], prefix: 24 },
      [['spec.addresses[1]', 'provided address belongs to a different subnet than others']],
    ],
    [
      'garbage address',
      { addresses: ['garbage'], prefix: 24 },
      [['spec.addresses[0]', 'provided address is not a valid IP, range, nor CIDR']],
    ],
    [
      'negative prefix',
      { addresses: ['10.0.0.1'], prefix: -1 },
      [['spec.prefix', 'a valid prefix is required']],
    ],
    [
      'prefix 9999',
      { addresses: ['10.0.0.1'], prefix: 9999 },
      [['spec.prefix', 'provided prefix is not valid']],
    ],
    [
      'prefix 33 on IPv4',
      { addresses: ['10.0.0.1'], prefix: 33 },
      [['spec.prefix', 'provided prefix is not valid']],
    ],
    [
      'reversed range',
      { addresses: ['10.0.0.20-10.0.0.10'], prefix: 24 },
      [['spec.addresses[0]', 'provided address is not a valid IP, range, nor CIDR']],
    ],
    [
      '/33 CIDR',
      { addresses: ['10.0.0.0/33'], prefix: 24 },
      [['spec.addresses[0]', 'provided address is not a valid IP, range, nor CIDR']],
    ],
    [
      'v4 addresses + v6 gateway',
      { ...ok4, gateway: 'fd00::1' },
      [['spec.gateway', 'provided gateway and addresses are of mixed IP families']],
    ],
    [
      'v6 addresses + v4 gateway',
      { addresses: ['fd00::10'], prefix: 64, gateway: '10.0.0.1' },
      [['spec.gateway', 'provided gateway and addresses are of mixed IP families']],
    ],
    [
      'mixed address families',
      {
        addresses: ['fd00::1', 'fd00::100-fd00::200', '10.0.1.0', '10.0.0.2-10.0.0.250'],
        prefix: 24,
        gateway: '10.0.0.1',
      },
      [
        ['spec.addresses', 'provided addresses are of mixed IP families'],
        ['spec.gateway', 'provided gateway and addresses are of mixed IP families'],
      ],
    ],
    [
      'mixed excluded families',
      {
        addresses: ['10.0.1.0', '10.0.0.2-10.0.0.250'],
        prefix: 24,
        gateway: '10.0.0.1',
        excludedAddresses: ['fd00::1', '10.0.0.4'],
      },
      [
        ['spec.excludedAddresses', 'provided addresses are of mixed IP families'],
        ['spec.excludedAddresses', 'addresses and excluded addresses are of mixed IP families'],
      ],
    ],
    [
      'addresses v4 + excluded v6',
      {
        addresses: ['10.0.1.0', '10.0.0.2-10.0.0.250'],
        prefix: 24,
        gateway: '10.0.0.1',
        excludedAddresses: ['fd00::1'],
      },
      [['spec.excludedAddresses', 'addresses and excluded addresses are of mixed IP families']],
    ],
    [
      'bad excluded entry',
      { ...ok4, excludedAddresses: ['10.0.0.5', '10.0.0.300'] },
      [['spec.excludedAddresses[1]', 'provided address is not a valid IP, range, nor CIDR']],
    ],
    [
      'negative grace period',
      { ...ok4, addressReuseGracePeriodSeconds: -1 },
      [['spec.addressReuseGracePeriodSeconds', 'addressReuseGracePeriodSeconds must not be negative']],
    ],
  ];
  for (const [name, spec, expected] of invalid) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(pm(validateIPPoolSpec(spec)), expected);
    });
  }

  // Range/CIDR below, above and straddling the subnet (8 upstream cases). The subnet comes from
  // the LOWEST address, so an entry reaching below the others moves the subnet and flags them.
  const subnetCases: [string, string[], string[]][] = [
    ['range below', ['10.0.0.10', '9.255.255.250-9.255.255.255'], ['spec.addresses[0]']],
    ['range above', ['10.0.0.10', '10.0.1.0-10.0.1.5'], ['spec.addresses[1]']],
    [
      'range straddling below',
      ['10.0.0.10', '9.255.255.250-10.0.0.5'],
      ['spec.addresses[0]', 'spec.addresses[1]'],
    ],
    ['range straddling above', ['10.0.0.10', '10.0.0.250-10.0.1.5'], ['spec.addresses[1]']],
    ['CIDR below', ['10.0.0.10', '9.255.255.0/24'], ['spec.addresses[0]']],
    ['CIDR above', ['10.0.0.10', '10.0.1.0/24'], ['spec.addresses[1]']],
    ['CIDR straddling (larger)', ['10.0.0.10', '10.0.0.0/23'], ['spec.addresses[1]']],
    [
      'CIDR straddling (larger, from below)',
      ['10.0.1.10', '10.0.0.0/16'],
      ['spec.addresses[0]', 'spec.addresses[1]'],
    ],
  ];
  for (const [name, addresses, paths] of subnetCases) {
    it(`rejects ${name} the prefix`, () => {
      const errs = validateIPPoolSpec({ addresses, prefix: 24 });
      assert.deepEqual(
        pm(errs),
        paths.map((p) => [p, 'provided address belongs to a different subnet than others']),
      );
    });
  }

  it('reports all problems at once, with the parser reason as detail', () => {
    const errs = validateIPPoolSpec({
      addresses: ['x', '10.0.0.1-10.0.0.0', '10.0.0.5'],
      prefix: -3,
      gateway: 'y',
      excludedAddresses: ['z'],
    });
    assert.deepEqual(pm(errs), [
      ['spec.prefix', 'a valid prefix is required'],
      ['spec.addresses[0]', 'provided address is not a valid IP, range, nor CIDR'],
      ['spec.addresses[1]', 'provided address is not a valid IP, range, nor CIDR'],
      ['spec.gateway', 'ParseAddr("y"): unable to parse IP'],
      ['spec.excludedAddresses[0]', 'provided address is not a valid IP, range, nor CIDR'],
    ]);
    assert.equal(errs[1]?.value, 'x');
    assert.equal(errs[1].detail, 'ParseAddr("x"): unable to parse IP');
  });
});

describe('checkIPPoolUpdate (§11.2 update)', () => {
  it('rejects removing, excluding, gatewaying or reserving allocated addresses, as a-b ranges', () => {
    const allocated = [
      '10.0.0.10',
      '10.0.0.11',
      '10.0.0.12',
      '10.0.0.13',
      '10.0.0.15',
      'garbage',
      '10.0.0.0',
    ];
    const out = must(
      checkIPPoolUpdate(
        {
          addresses: ['10.0.0.0-10.0.0.20'],
          prefix: 24,
          gateway: '10.0.0.15',
          excludedAddresses: ['10.0.0.11-10.0.0.12'],
        },
        allocated,
      ),
    );
    assert.deepEqual(out.map(formatRange), [
      '10.0.0.0-10.0.0.0',
      '10.0.0.11-10.0.0.12',
      '10.0.0.15-10.0.0.15',
    ]);
    assert.equal(
      ipPoolUpdateRejection(out),
      'pool addresses do not contain allocated addresses: [10.0.0.0-10.0.0.0 10.0.0.11-10.0.0.12 10.0.0.15-10.0.0.15]',
    );
  });
  it('allows an update that keeps every allocation', () => {
    assert.deepEqual(
      must(checkIPPoolUpdate({ addresses: ['10.0.0.10-10.0.0.30'], prefix: 24 }, ['10.0.0.10', '10.0.0.20'])),
      [],
    );
  });
  it('fails as a value when the new spec has no layout', () => {
    const r = checkIPPoolUpdate({ addresses: ['nope'], prefix: 24 }, []);
    assert.ok(!r.ok);
  });
});

describe('validatePrefixPoolSpec (§11.4, §15.3)', () => {
  const valid: [string, PrefixPoolSpec][] = [
    ['disjoint prefixes', { prefixes: ['fd00::/48', 'fd01::/48'] }],
    ['allocLen 56', { prefixes: ['fd00::/48'], allocationPrefixLength: 56 }],
    ['allocLen 96', { prefixes: ['fd00::/64'], allocationPrefixLength: 96 }],
    ['allocLen 64 explicit', { prefixes: ['fd00::/64'], allocationPrefixLength: 64 }],
    [
      'excluded and gateway',
      {
        prefixes: ['fd00::/48'],
        gateway: 'fd00::1',
        excludedPrefixes: ['fd00::/64', 'fd00:0:0:5::1-fd00:0:0:5::9'],
      },
    ],
  ];
  for (const [name, spec] of valid) {
    it(`accepts ${name}`, () => {
      assert.deepEqual(validatePrefixPoolSpec(spec), { errors: [], warnings: [] });
    });
  }
  const invalid: [string, PrefixPoolSpec, [string, string][]][] = [
    ['prefixes required', { prefixes: [] }, [['spec.prefixes', 'prefixes is required']]],
    [
      'allocLen out of range',
      { prefixes: ['fd00::/48'], allocationPrefixLength: 129 },
      [['spec.allocationPrefixLength', 'allocationPrefixLength must be between 1 and 128']],
    ],
    [
      'non-CIDR',
      { prefixes: ['fd00::1'] },
      [['spec.prefixes[0]', 'provided entry is not a valid IPv6 CIDR']],
    ],
    ['IPv4 prefix', { prefixes: ['10.0.0.0/8'] }, [['spec.prefixes[0]', 'only IPv6 prefixes are supported']]],
    ['not aligned', { prefixes: ['fd00::1/64'] }, [['spec.prefixes[0]', 'CIDR must be network-aligned']]],
    [
      'not aligned and longer than allocLen',
      { prefixes: ['fd00::1/72'] },
      [
        ['spec.prefixes[0]', 'CIDR must be network-aligned'],
        ['spec.prefixes[0]', 'CIDR prefix length must be <= allocationPrefixLength (64)'],
      ],
    ],
    [
      'IPv4 gateway',
      { prefixes: ['fd00::/48'], gateway: '10.0.0.1' },
      [['spec.gateway', 'provided gateway must be IPv6']],
    ],
    [
      'bad gateway',
      { prefixes: ['fd00::/48'], gateway: 'x' },
      [['spec.gateway', 'ParseAddr("x"): unable to parse IP']],
    ],
    [
      'IPv4 excluded',
      { prefixes: ['fd00::/48'], excludedPrefixes: ['10.0.0.0/24'] },
      [['spec.excludedPrefixes[0]', 'only IPv6 excluded prefixes are supported']],
    ],
    [
      'bad excluded',
      { prefixes: ['fd00::/48'], excludedPrefixes: ['fd00::/200'] },
      [['spec.excludedPrefixes[0]', 'provided entry is not a valid IP, range, nor CIDR']],
    ],
  ];
  for (const [name, spec, expected] of invalid) {
    it(`rejects ${name}`, () => {
      assert.deepEqual(pm(validatePrefixPoolSpec(spec).errors), expected);
    });
  }
  it('warns for /128, and for a gateway inside the prefixes at /128 only', () => {
    assert.deepEqual(
      validatePrefixPoolSpec({ prefixes: ['fd00::/120'], allocationPrefixLength: 128, gateway: 'fd00::1' })
        .warnings,
      [WARN_PREFIX_LENGTH_128, WARN_GATEWAY_IN_PREFIXES],
    );
    assert.deepEqual(
      validatePrefixPoolSpec({ prefixes: ['fd00::/120'], allocationPrefixLength: 128 }).warnings,
      [WARN_PREFIX_LENGTH_128],
    );
    assert.deepEqual(validatePrefixPoolSpec({ prefixes: ['fd00::/48'], gateway: 'fd99::1' }).warnings, []);
  });
});

describe('checkPrefixPoolUpdate (§11.4 update)', () => {
  const old: PrefixPoolSpec = { prefixes: ['fd01::/62'] };
  it('rejects a changed allocation length', () => {
    assert.equal(
      checkPrefixPoolUpdate(old, { prefixes: ['fd01::/62'], allocationPrefixLength: 56 }, []).rejection,
      'spec.allocationPrefixLength is immutable',
    );
    // 0 and 64 are the same effective length.
    assert.equal(
      checkPrefixPoolUpdate(old, { prefixes: ['fd01::/62'], allocationPrefixLength: 64 }, []).rejection,
      undefined,
    );
  });
  it('rejects orphaned or newly excluded allocations, sorted', () => {
    const inUse = [
      { address: 'fd01::', prefix: 64 },
      { address: 'fd01:0:0:3::', prefix: 64 },
      { address: 'fd01:0:0:1::', prefix: 64 },
    ];
    const shrink = checkPrefixPoolUpdate(
      old,
      { prefixes: ['fd01:0:0:1::/64'], excludedPrefixes: ['fd01:0:0:3::/64'] },
      inUse,
    );
    assert.deepEqual(shrink.nonAllocatable, ['fd01:0:0:3::', 'fd01::']);
    assert.equal(shrink.rejection, 'existing allocations become non-allocatable: [fd01:0:0:3:: fd01::]');
  });
  it('allows excluding an unallocated prefix and setting a gateway', () => {
    const r = checkPrefixPoolUpdate(
      old,
      { prefixes: ['fd01::/62'], excludedPrefixes: ['fd01:0:0:2::/64'], gateway: 'fd01::1' },
      [{ address: 'fd01::', prefix: 64 }],
    );
    assert.equal(r.rejection, undefined);
  });
});
