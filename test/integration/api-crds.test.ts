// Our CRDs on a real kube-apiserver: they install (which also proves every CEL rule compiles within
// the cost budget of this server version, or the apply would fail), accept what the upstream provider
// accepts, and reject clearly invalid single objects with a message that names the field.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { IPAM_GROUP, POOL_KIND_INFO, POOL_KINDS, POOL_VERSION, type PoolKind } from '@ipam-in-cluster/api';
import {
  applyCrds,
  createTestNamespace,
  ourCrds,
  testCluster,
  type TestNamespace,
} from '../support/cluster.js';

type Spec = Record<string, unknown>;

let custom: k8s.CustomObjectsApi;
let ext: k8s.ApiextensionsV1Api;
let ns: TestNamespace;

function body(kind: PoolKind, name: string, spec: Spec): Record<string, unknown> {
  return {
    apiVersion: `${IPAM_GROUP}/${POOL_VERSION}`,
    kind,
    metadata: { name, ...(POOL_KIND_INFO[kind].namespaced ? { namespace: ns.name } : {}) },
    spec,
  };
}

/** Creates the pool; with dryRun the server validates fully but stores nothing (global names never clash). */
async function create(
  kind: PoolKind,
  name: string,
  spec: Spec,
  dryRun = true,
): Promise<Record<string, unknown>> {
  const info = POOL_KIND_INFO[kind];
  const common = {
    group: IPAM_GROUP,
    version: POOL_VERSION,
    plural: info.plural,
    body: body(kind, name, spec),
    ...(dryRun ? { dryRun: 'All' } : {}),
  };
  const created: unknown = info.namespaced
    ? await custom.createNamespacedCustomObject({ ...common, namespace: ns.name })
    : await custom.createClusterCustomObject(common);
  return created as Record<string, unknown>;
}

/** The API server's message for a rejected create, or undefined if it was accepted. */
async function rejection(kind: PoolKind, spec: Spec): Promise<{ code: number; message: string } | undefined> {
  try {
    await create(kind, 'invalid', spec);
    return undefined;
  } catch (error) {
    if (!(error instanceof k8s.ApiException)) throw error;
    const status = JSON.parse(String(error.body)) as { message?: string };
    return { code: error.code, message: status.message ?? '' };
  }
}

before(async () => {
  const { kc } = await testCluster();
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await applyCrds(ourCrds());
  ns = await createTestNamespace('api-crds');
});

after(async () => {
  await ns.cleanup();
});

describe('our CRDs on a real API server', () => {
  it('are Established with their CEL rules (which therefore fit the cost budget)', async () => {
    for (const kind of POOL_KINDS) {
      const crd = await ext.readCustomResourceDefinition({ name: POOL_KIND_INFO[kind].crdName });
      assert.ok(
        crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'),
        `${kind} Established`,
      );
      assert.ok(
        crd.status?.conditions?.every((c) => c.type !== 'NonStructuralSchema'),
        `${kind} structural`,
      );
      const spec = crd.spec.versions[0]?.schema?.openAPIV3Schema?.properties?.spec;
      const rules = [
        ...(spec?.x_kubernetes_validations ?? []),
        ...Object.values(spec?.properties ?? {}).flatMap((p) => p.x_kubernetes_validations ?? []),
      ];
      assert.ok(rules.length >= 3, `${kind} keeps its CEL rules`);
    }
  });

  describe('accept what upstream accepts', () => {
    const ipPools: [string, Spec][] = [
      ['a range with a gateway', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24, gateway: '10.0.0.1' }],
      ['a CIDR with host bits', { addresses: ['192.168.1.1/24'], prefix: 24 }],
      ['prefix 0', { addresses: ['10.0.0.1'], prefix: 0 }],
      [
        'a zone on a single IP and on the gateway',
        { addresses: ['fe80::1%eth0'], prefix: 64, gateway: 'fe80::ff%eth0' },
      ],
      ['zones in a range', { addresses: ['fe80::1%eth0-fe80::9%eth0'], prefix: 64 }],
      [
        'IPv4-mapped IPv6 in every form',
        {
          addresses: ['::ffff:1.2.3.4', '::FFFF:1.2.3.0/120', '::ffff:102:305-::ffff:102:309'],
          prefix: 120,
          gateway: '::ffff:1.2.3.1',
          excludedAddresses: ['::ffff:1.2.3.5'],
        },
      ],
      ['all of IPv6', { addresses: ['::/0'], prefix: 0 }],
      [
        'a 2^96-address range',
        { addresses: ['2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'], prefix: 32 },
      ],
      [
        'overlapping and duplicate entries',
        { addresses: ['10.0.0.0/24', '10.0.0.5-10.0.0.9', '10.0.0.5', '10.0.0.5'], prefix: 24 },
      ],
      [
        'every optional field',
        {
          addresses: ['10.0.0.0/24'],
          prefix: 24,
          gateway: '10.0.0.1',
          allocateReservedIPAddresses: true,
          excludedAddresses: ['10.0.0.2', '10.0.0.100-10.0.0.120', '10.1.0.0/16'],
          addressReuseGracePeriodSeconds: 300,
        },
      ],
      ['an empty gateway', { addresses: ['10.0.0.1'], prefix: 24, gateway: '' }],
      [
        'a long list (no maxItems)',
        { addresses: Array.from({ length: 5000 }, (_, i) => `10.${(i >> 8) & 255}.${i & 255}.1`), prefix: 8 },
      ],
    ];
    for (const kind of ['InClusterIPPool', 'GlobalInClusterIPPool'] as const) {
      for (const [what, spec] of ipPools) {
        it(`${kind}: ${what}`, async () => {
          assert.equal(await rejection(kind, spec), undefined);
        });
      }
    }

    const prefixPools: [string, Spec][] = [
      ['a /48', { prefixes: ['fd00::/48'] }],
      ['::/0 with /128 allocations', { prefixes: ['::/0'], allocationPrefixLength: 128 }],
      [
        'overlapping prefixes, gateway inside, excluded ranges and CIDRs',
        {
          prefixes: ['fd00::/62', 'fd00::/63'],
          gateway: 'fd00::1',
          excludedPrefixes: ['fd00:0:0:1::/64', 'fd00::1-fd00::5', 'fd00:0:0:2::1'],
        },
      ],
      ['an IPv4-mapped prefix', { prefixes: ['::ffff:0:0/96'], allocationPrefixLength: 120 }],
      ['a gateway with a zone', { prefixes: ['fd00::/48'], gateway: 'fe80::1%eth0' }],
    ];
    for (const kind of ['InClusterPrefixPool', 'GlobalInClusterPrefixPool'] as const) {
      for (const [what, spec] of prefixPools) {
        it(`${kind}: ${what}`, async () => {
          assert.equal(await rejection(kind, spec), undefined);
        });
      }
    }
  });

  describe('reject clearly invalid specs, naming the field', () => {
    const ipPools: [string, Spec, RegExp][] = [
      [
        'no addresses',
        { addresses: [], prefix: 24 },
        /spec\.addresses: Required value: addresses is required/,
      ],
      [
        'an unparsable address',
        { addresses: ['10.0.0.300'], prefix: 24 },
        /spec\.addresses: Invalid value: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.300"/,
      ],
      [
        'a CIDR with too many bits',
        { addresses: ['10.0.0.0/33'], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.0\/33"/,
      ],
      [
        'a range across families',
        { addresses: ['10.0.0.1-fd00::1'], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.1-fd00::1"/,
      ],
      [
        'a range with a bad end',
        { addresses: ['10.0.0.1-10.0.0'], prefix: 24 },
        /spec\.addresses: .*10\.0\.0\.1-10\.0\.0/,
      ],
      ['a prefix above 128', { addresses: ['fd00::1'], prefix: 129 }, /spec\.prefix: Invalid value: 129/],
      ['a negative prefix', { addresses: ['10.0.0.1'], prefix: -1 }, /spec\.prefix: Invalid value: -1/],
      [
        'an IPv4 pool with prefix 33',
        { addresses: ['10.0.0.1'], prefix: 33 },
        /spec\.prefix: Invalid value: .*provided prefix is not valid/,
      ],
      [
        'an unparsable gateway',
        { addresses: ['10.0.0.1'], prefix: 24, gateway: 'gw' },
        /spec\.gateway: .*not a valid IP address: "gw"/,
      ],
      [
        'a gateway of the other family',
        { addresses: ['10.0.0.1'], prefix: 24, gateway: 'fd00::1' },
        /spec\.gateway: .*mixed IP families: gateway is "fd00::1"/,
      ],
      [
        'excluded addresses of the other family',
        { addresses: ['10.0.0.0/24'], prefix: 24, excludedAddresses: ['fd00::1'] },
        /spec\.excludedAddresses: .*addresses and excluded addresses are of mixed IP families: excludedAddresses\[0\] is "fd00::1"/,
      ],
      [
        'an unparsable excluded address',
        { addresses: ['10.0.0.0/24'], prefix: 24, excludedAddresses: ['nope'] },
        /spec\.excludedAddresses: .*not a valid IP, range, nor CIDR: excludedAddresses\[0\] is "nope"/,
      ],
      [
        'a negative grace period',
        { addresses: ['10.0.0.1'], prefix: 24, addressReuseGracePeriodSeconds: -1 },
        /spec\.addressReuseGracePeriodSeconds: Invalid value: -1/,
      ],
      ['a missing prefix', { addresses: ['10.0.0.1'] }, /spec\.prefix: Required value/],
      // The value is quoted, so what cannot be seen can be read (issue 20).
      [
        'a trailing space',
        { addresses: ['10.0.0.1 '], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.1 "/,
      ],
      [
        'a newline',
        { addresses: ['10.0.0.1\n'], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.1\\n"/,
      ],
      [
        'a NUL',
        { addresses: ['10.0.0.1\u0000'], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.1\\x00"/,
      ],
      [
        'a zone alone, with an IPv6 prefix (an address error, not a prefix error)',
        { addresses: ['%eth0'], prefix: 64 },
        /^(?!.*spec\.prefix:).*spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "%eth0"/,
      ],
      [
        'a zone on an IPv4 address',
        { addresses: ['10.0.0.1%eth0'], prefix: 24 },
        /spec\.addresses: .*not a valid IP, range, nor CIDR: addresses\[0\] is "10\.0\.0\.1%eth0"/,
      ],
    ];
    for (const kind of ['InClusterIPPool', 'GlobalInClusterIPPool'] as const) {
      for (const [what, spec, expected] of ipPools) {
        it(`${kind}: ${what}`, async () => {
          const r = await rejection(kind, spec);
          assert.ok(r, 'rejected');
          assert.equal(r.code, 422);
          assert.match(r.message, expected);
        });
      }
    }

    const prefixPools: [string, Spec, RegExp][] = [
      ['no prefixes', { prefixes: [] }, /spec\.prefixes: Required value: prefixes is required/],
      [
        'a single IP',
        { prefixes: ['fd00::1'] },
        /spec\.prefixes: .*not a valid IPv6 CIDR: prefixes\[0\] is "fd00::1"/,
      ],
      [
        'an IPv4 prefix',
        { prefixes: ['10.0.0.0/8'] },
        /spec\.prefixes: .*only IPv6 prefixes are supported: prefixes\[0\] is "10\.0\.0\.0\/8"/,
      ],
      [
        'a misaligned prefix',
        { prefixes: ['fd00::1/64'] },
        /spec\.prefixes: .*CIDR must be network-aligned: prefixes\[0\] is "fd00::1\/64"/,
      ],
      [
        'a prefix longer than the allocation length',
        { prefixes: ['fd00::/48'], allocationPrefixLength: 40 },
        /spec\.prefixes: .*must be <= allocationPrefixLength: prefixes\[0\] is "fd00::\/48"/,
      ],
      [
        'allocationPrefixLength 0',
        { prefixes: ['fd00::/48'], allocationPrefixLength: 0 },
        /spec\.allocationPrefixLength: Invalid value: 0/,
      ],
      [
        'allocationPrefixLength 129',
        { prefixes: ['fd00::/48'], allocationPrefixLength: 129 },
        /spec\.allocationPrefixLength: Invalid value: 129/,
      ],
      [
        'an IPv4 gateway',
        { prefixes: ['fd00::/48'], gateway: '10.0.0.1' },
        /spec\.gateway: .*"10\.0\.0\.1".*must be IPv6/,
      ],
      [
        'an unparsable gateway',
        { prefixes: ['fd00::/48'], gateway: 'x' },
        /spec\.gateway: .*not a valid IP address/,
      ],
      [
        'an IPv4 excluded entry',
        { prefixes: ['fd00::/48'], excludedPrefixes: ['10.0.0.1'] },
        /spec\.excludedPrefixes: .*only IPv6 excluded prefixes are supported: excludedPrefixes\[0\] is "10\.0\.0\.1"/,
      ],
      [
        'an unparsable excluded entry',
        { prefixes: ['fd00::/48'], excludedPrefixes: ['fd00::x'] },
        /spec\.excludedPrefixes: .*not a valid IP, range, nor CIDR: excludedPrefixes\[0\] is "fd00::x"/,
      ],
    ];
    for (const kind of ['InClusterPrefixPool', 'GlobalInClusterPrefixPool'] as const) {
      for (const [what, spec, expected] of prefixPools) {
        it(`${kind}: ${what}`, async () => {
          const r = await rejection(kind, spec);
          assert.ok(r, 'rejected');
          assert.equal(r.code, 422);
          assert.match(r.message, expected);
        });
      }
    }
  });

  describe('stored objects', () => {
    it('defaults allocationPrefixLength to 64 and keeps it immutable', async () => {
      const created = await create('InClusterPrefixPool', 'immutable', { prefixes: ['fd00::/48'] }, false);
      assert.deepEqual(created.spec, { prefixes: ['fd00::/48'], allocationPrefixLength: 64 });
      const patch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
      const common = {
        group: IPAM_GROUP,
        version: POOL_VERSION,
        plural: 'inclusterprefixpools',
        namespace: ns.name,
        name: 'immutable',
      };
      await assert.rejects(
        custom.patchNamespacedCustomObject(
          { ...common, body: { spec: { allocationPrefixLength: 56 } } },
          patch,
        ),
        (error: unknown) =>
          error instanceof k8s.ApiException &&
          /spec\.allocationPrefixLength: Forbidden: allocationPrefixLength is immutable/.test(
            String(error.body),
          ),
      );
      // Other fields stay editable.
      await custom.patchNamespacedCustomObject({ ...common, body: { spec: { gateway: 'fd00::1' } } }, patch);
    });

    it('stores status counts up to 2^63-1 exactly, and conditions', async () => {
      await create('InClusterIPPool', 'huge', { addresses: ['::/0'], prefix: 0 }, false);
      const { kc } = await testCluster();
      const max = '9223372036854775807';
      const status =
        `{"status":{"ipAddresses":{"total":${max},"used":1,"free":${max},"outOfRange":0},` +
        `"conditions":[{"type":"Ready","status":"True","reason":"Valid","message":"",` +
        `"lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`;
      const path = `/apis/${IPAM_GROUP}/${POOL_VERSION}/namespaces/${ns.name}/inclusterippools/huge/status`;
      const patched = await raw(kc, 'PATCH', path, status, 'application/merge-patch+json');
      assert.equal(patched.code, 200, patched.body);
      // Read the raw JSON: JSON.parse would round the number.
      const read = await raw(kc, 'GET', path.replace(/\/status$/, ''));
      assert.match(read.body, new RegExp(`"total":${max}[,}]`));
      assert.match(read.body, /"reason":"Valid"/);
    });
  });
});

async function raw(
  kc: k8s.KubeConfig,
  method: string,
  path: string,
  payload?: string,
  contentType?: string,
): Promise<{ code: number; body: string }> {
  const server = kc.getCurrentCluster()?.server;
  assert.ok(server, 'kubeconfig has a server');
  const url = new URL(path, server);
  const opts: import('node:https').RequestOptions = {
    method,
    headers: contentType === undefined ? {} : { 'Content-Type': contentType },
  };
  await kc.applyToHTTPSOptions(opts);
  return new Promise((resolve, reject) => {
    const req = request(url, opts, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        resolve({ code: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.on('error', reject);
    req.end(payload);
  });
}
