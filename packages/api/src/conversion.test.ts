import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ANNOTATION_CONVERSION_DATA, POOL_API_VERSION } from './constants.js';
import {
  convertPoolObject,
  ipPoolToV1Alpha1,
  ipPoolToV1Alpha2,
  POOL_API_VERSION_V1ALPHA1,
  type ConvertibleKind,
  type IPPoolSpecV1Alpha1,
  type IPPoolV1Alpha1,
  type IPPoolV1Alpha2,
} from './conversion.js';
import type { IPPoolSpec } from './types.js';

const KINDS: ConvertibleKind[] = ['InClusterIPPool', 'GlobalInClusterIPPool'];

function spoke(
  kind: ConvertibleKind,
  spec: IPPoolSpecV1Alpha1,
  annotations?: Record<string, string>,
): IPPoolV1Alpha1 {
  return {
    apiVersion: POOL_API_VERSION_V1ALPHA1,
    kind,
    metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

function hub(kind: ConvertibleKind, spec: IPPoolSpec, annotations?: Record<string, string>): IPPoolV1Alpha2 {
  return {
    apiVersion: POOL_API_VERSION,
    kind,
    metadata: { name: 'p', namespace: 'ns', ...(annotations ? { annotations } : {}) },
    spec,
  };
}

function up(o: IPPoolV1Alpha1): IPPoolV1Alpha2 {
  const r = ipPoolToV1Alpha2(o);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

describe('v1alpha1 -> v1alpha2 (upstream §15.5)', () => {
  for (const kind of KINDS) {
    describe(kind, () => {
      it('turns start/end/subnet/prefix into one range', () => {
        const out = up(
          spoke(kind, {
            subnet: '1.1.1.1/28',
            start: '1.1.1.1',
            end: '1.1.1.10',
            prefix: 28,
            gateway: '1.1.1.14',
          }),
        );
        assert.deepEqual(out.spec, { addresses: ['1.1.1.1-1.1.1.10'], prefix: 28, gateway: '1.1.1.14' });
      });
      it('copies addresses when there is no subnet/start/end', () => {
        const out = up(spoke(kind, { addresses: ['10.0.0.1', '10.0.0.5-10.0.0.9'], prefix: 24 }));
        assert.deepEqual(out.spec, { addresses: ['10.0.0.1', '10.0.0.5-10.0.0.9'], prefix: 24 });
      });
      it('defaults prefix from the subnet', () => {
        const out = up(spoke(kind, { subnet: '1.1.1.0/24', start: '1.1.1.10', end: '1.1.1.20' }));
        assert.deepEqual(out.spec, { addresses: ['1.1.1.10-1.1.1.20'], prefix: 24 });
      });
      it('defaults start/end from the subnet (network + 1 .. last - 1)', () => {
        assert.deepEqual(up(spoke(kind, { subnet: '1.1.1.0/24' })).spec, {
          addresses: ['1.1.1.1-1.1.1.254'],
          prefix: 24,
        });
        assert.deepEqual(up(spoke(kind, { subnet: '1.1.1.77/24' })).spec, {
          addresses: ['1.1.1.1-1.1.1.254'],
          prefix: 24,
        });
        assert.deepEqual(up(spoke(kind, { subnet: 'fd00::/120' })).spec, {
          addresses: ['fd00::1-fd00::fe'],
          prefix: 120,
        });
      });
      it('appends the range after existing addresses', () => {
        const out = up(
          spoke(kind, {
            addresses: ['10.0.0.200'],
            subnet: '10.0.0.0/24',
            start: '10.0.0.10',
            end: '10.0.0.20',
          }),
        );
        assert.deepEqual(out.spec.addresses, ['10.0.0.200', '10.0.0.10-10.0.0.20']);
      });
      it('stores the defaulted v1alpha1 object in the conversion-data annotation', () => {
        const out = up(spoke(kind, { subnet: '1.1.1.0/24', gateway: '1.1.1.1' }));
        const data = JSON.parse(out.metadata.annotations?.[ANNOTATION_CONVERSION_DATA] ?? '{}') as Record<
          string,
          unknown
        >;
        assert.deepEqual(data, {
          apiVersion: POOL_API_VERSION_V1ALPHA1,
          kind,
          spec: { subnet: '1.1.1.0/24', start: '1.1.1.1', end: '1.1.1.254', prefix: 24, gateway: '1.1.1.1' },
        });
      });
      it('rejects an unparsable subnet with a spec.subnet field error', () => {
        const r = ipPoolToV1Alpha2(spoke(kind, { subnet: '1.1.1.0' }));
        assert.ok(!r.ok);
        assert.equal(r.error.path, 'spec.subnet');
        assert.equal(r.error.message, 'netip.ParsePrefix("1.1.1.0"): no \'/\'');
      });
      it('keeps Go quirks for /32 subnets (reversed range, "invalid IP" past the ends)', () => {
        assert.deepEqual(up(spoke(kind, { subnet: '10.0.0.5/32' })).spec.addresses, ['10.0.0.6-10.0.0.4']);
        assert.deepEqual(up(spoke(kind, { subnet: '0.0.0.0/32' })).spec.addresses, ['0.0.0.1-invalid IP']);
      });
      it('copies status unchanged', () => {
        const s = {
          ...spoke(kind, { addresses: ['10.0.0.1'], prefix: 24 }),
          status: { ipAddresses: { total: 1, used: 0, free: 1, outOfRange: 0 } },
        };
        assert.deepEqual(up(s).status, s.status);
      });
    });
  }
});

describe('v1alpha2 -> v1alpha1', () => {
  for (const kind of KINDS) {
    it(`${kind}: keeps addresses unmodified and drops v1alpha2-only fields from the spec`, () => {
      const out = ipPoolToV1Alpha1(
        hub(kind, {
          addresses: ['10.0.0.1-10.0.0.9', '10.0.1.0/24'],
          prefix: 16,
          gateway: '10.0.0.254',
          excludedAddresses: ['10.0.0.5'],
          allocateReservedIPAddresses: true,
        }),
      );
      assert.deepEqual(out.spec, {
        addresses: ['10.0.0.1-10.0.0.9', '10.0.1.0/24'],
        prefix: 16,
        gateway: '10.0.0.254',
      });
      assert.equal(out.apiVersion, POOL_API_VERSION_V1ALPHA1);
    });
    it(`${kind}: restores the original v1alpha1 spec when it still matches, and removes the annotation`, () => {
      const stored = up(spoke(kind, { subnet: '1.1.1.1/24', gateway: '1.1.1.1' }));
      const out = ipPoolToV1Alpha1(stored);
      assert.deepEqual(out.spec, {
        subnet: '1.1.1.1/24',
        start: '1.1.1.1',
        end: '1.1.1.254',
        prefix: 24,
        gateway: '1.1.1.1',
      });
      assert.equal(out.metadata.annotations, undefined);
    });
    it(`${kind}: does not restore a stale v1alpha1 spec after a v1alpha2 edit`, () => {
      const stored = up(spoke(kind, { subnet: '1.1.1.0/24' }));
      const edited = { ...stored, spec: { ...stored.spec, addresses: ['1.1.1.1-1.1.1.100'] } };
      assert.deepEqual(ipPoolToV1Alpha1(edited).spec, { addresses: ['1.1.1.1-1.1.1.100'], prefix: 24 });
    });
  }
});

describe('round trips', () => {
  it('addresses, gateway and prefix survive v1alpha2 -> v1alpha1 -> v1alpha2', () => {
    const h = hub('InClusterIPPool', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' });
    assert.deepEqual(up(ipPoolToV1Alpha1(h)).spec, h.spec);
  });
  it('start/end/subnet survive v1alpha1 -> v1alpha2 -> v1alpha1, with defaults filled in', () => {
    const s = spoke('GlobalInClusterIPPool', {
      subnet: '10.0.0.0/24',
      start: '10.0.0.10',
      end: '10.0.0.20',
      gateway: '10.0.0.1',
    });
    assert.deepEqual(ipPoolToV1Alpha1(up(s)).spec, { ...s.spec, prefix: 24 });
  });
  it('v1alpha2-only fields survive a v1alpha1 read-modify-write (our improvement)', () => {
    const h = hub('InClusterIPPool', {
      addresses: ['10.0.0.0/24'],
      prefix: 24,
      excludedAddresses: ['10.0.0.7'],
      addressReuseGracePeriodSeconds: 30,
    });
    assert.deepEqual(up(ipPoolToV1Alpha1(h)).spec, h.spec);
    // ...but not when the v1alpha1 client changed the addresses: the old extras may not fit any more.
    const down = ipPoolToV1Alpha1(h);
    const edited = { ...down, spec: { ...down.spec, addresses: ['10.0.1.0/24'] } };
    assert.deepEqual(up(edited).spec, { addresses: ['10.0.1.0/24'], prefix: 24 });
  });

  const addr = fc.oneof(
    fc.ipV4(),
    fc.tuple(fc.ipV4(), fc.ipV4()).map(([a, b]) => `${a}-${b}`),
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`),
    fc.ipV6(),
    fc.string(),
  );
  const hubSpec = fc.record(
    {
      addresses: fc.array(addr, { maxLength: 4 }),
      prefix: fc.integer({ min: 0, max: 128 }),
      gateway: fc.oneof(fc.constant(''), fc.ipV4(), fc.ipV6()),
      allocateReservedIPAddresses: fc.boolean(),
      excludedAddresses: fc.array(addr, { maxLength: 3 }),
      addressReuseGracePeriodSeconds: fc.nat(),
    },
    { requiredKeys: ['addresses', 'prefix'] },
  );
  const spokeSpec = fc.record(
    {
      subnet: fc.oneof(
        fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([a, b]) => `${a}/${b}`),
        fc.tuple(fc.ipV6(), fc.integer({ min: 0, max: 128 })).map(([a, b]) => `${a}/${b}`),
      ),
      start: fc.ipV4(),
      end: fc.ipV4(),
      prefix: fc.integer({ min: 1, max: 128 }),
      gateway: fc.ipV4(),
      addresses: fc.array(addr, { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
  const kind = fc.constantFrom<ConvertibleKind>(...KINDS);

  it('property: any hub survives v1alpha2 -> v1alpha1 -> v1alpha2 (spec and status)', () => {
    fc.assert(
      fc.property(kind, hubSpec, (k, spec) => {
        const h = { ...hub(k, spec), status: { ipAddresses: { total: 3, used: 1, free: 2, outOfRange: 0 } } };
        const back = up(ipPoolToV1Alpha1(h));
        const expected: IPPoolSpec = { ...spec };
        if (expected.gateway === '') delete expected.gateway;
        assert.deepEqual(back.spec, expected);
        assert.deepEqual(back.status, h.status);
      }),
      { numRuns: 500 },
    );
  });

  it('property: any v1alpha1 object comes back as itself plus its defaults, and its hub is stable', () => {
    fc.assert(
      fc.property(kind, spokeSpec, (k, spec) => {
        const first = up(spoke(k, spec));
        const down = ipPoolToV1Alpha1(first);
        // Defaults only add: every field that was set comes back unchanged.
        for (const [key, value] of Object.entries(spec))
          assert.deepEqual(down.spec[key as keyof IPPoolSpecV1Alpha1], value, key);
        // Converting what a v1alpha1 client read back up gives the same hub.
        const again = up(down);
        assert.deepEqual(again.spec, first.spec);
        assert.deepEqual(ipPoolToV1Alpha1(again).spec, down.spec);
      }),
      { numRuns: 500 },
    );
  });

  it('property: metadata other than the conversion annotation is never touched', () => {
    fc.assert(
      fc.property(
        kind,
        hubSpec,
        fc.dictionary(fc.constantFrom('a', 'b/c', 'x.io/y'), fc.string()),
        (k, spec, annotations) => {
          const h = hub(k, spec, { ...annotations });
          h.metadata.labels = { l: 'v' };
          const down = ipPoolToV1Alpha1(h);
          const back = up(down);
          for (const o of [down, back]) {
            assert.equal(o.metadata.name, 'p');
            assert.deepEqual(o.metadata.labels, { l: 'v' });
            const { [ANNOTATION_CONVERSION_DATA]: _dropped, ...rest } = o.metadata.annotations ?? {};
            assert.deepEqual(rest, { ...annotations });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('convertPoolObject (ConversionReview items)', () => {
  it('converts both ways and leaves same-version objects alone', () => {
    const v1 = {
      apiVersion: POOL_API_VERSION_V1ALPHA1,
      kind: 'InClusterIPPool',
      metadata: { name: 'a', uid: 'u' },
      spec: { subnet: '10.0.0.0/30' },
    };
    const r = convertPoolObject(v1, POOL_API_VERSION);
    assert.ok(r.ok);
    assert.deepEqual(r.value.spec, { addresses: ['10.0.0.1-10.0.0.2'], prefix: 30 });
    const same = convertPoolObject(r.value, POOL_API_VERSION);
    assert.ok(same.ok);
    assert.equal(same.value, r.value);
    const back = convertPoolObject(r.value, POOL_API_VERSION_V1ALPHA1);
    assert.ok(back.ok);
    assert.deepEqual(back.value.spec, {
      subnet: '10.0.0.0/30',
      start: '10.0.0.1',
      end: '10.0.0.2',
      prefix: 30,
    });
  });
  it('fails on prefix pools, unknown versions and a bad subnet, with a message', () => {
    const bad = [
      convertPoolObject(
        { apiVersion: POOL_API_VERSION, kind: 'InClusterPrefixPool', metadata: {} },
        POOL_API_VERSION_V1ALPHA1,
      ),
      convertPoolObject(
        { apiVersion: 'ipam.cluster.x-k8s.io/v9', kind: 'InClusterIPPool', metadata: {} },
        POOL_API_VERSION,
      ),
      convertPoolObject(
        { apiVersion: POOL_API_VERSION_V1ALPHA1, kind: 'InClusterIPPool', metadata: {} },
        'v2',
      ),
      convertPoolObject(
        {
          apiVersion: POOL_API_VERSION_V1ALPHA1,
          kind: 'InClusterIPPool',
          metadata: {},
          spec: { subnet: 'x' },
        },
        POOL_API_VERSION,
      ),
      convertPoolObject('nope', POOL_API_VERSION),
    ];
    for (const r of bad) assert.ok(!r.ok && r.message.length > 0);
    const subnet = bad[3];
    assert.ok(subnet && !subnet.ok);
    assert.match(subnet.message, /^spec\.subnet: Invalid value: "x": netip\.ParsePrefix/);
  });
});
