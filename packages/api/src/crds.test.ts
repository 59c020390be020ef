import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  CONTRACT_LABELS,
  IPAM_GROUP,
  LABEL_MOVE_HIERARCHY,
  POOL_KIND_INFO,
  POOL_KINDS,
  OWN_GROUP,
  RESERVATION_CRD_NAME,
  RESERVATION_KIND,
  RESERVATION_VERSION,
  type PoolKind,
} from './constants.js';
import { crdFileName, loadCrd, loadCrds, type JSONSchemaProps } from './crds.js';
import {
  RESERVATION_MAX_ENTRIES,
  RESERVATION_NOTE_MAX_LENGTH,
  RESERVATION_POOL_KINDS,
} from './reservation.js';

function specOf(kind: PoolKind): JSONSchemaProps {
  const version = loadCrd(kind).spec.versions[0];
  assert.ok(version);
  const spec = version.schema.openAPIV3Schema.properties?.spec;
  assert.ok(spec, `${kind} has spec`);
  return spec;
}

function statusOf(kind: PoolKind): JSONSchemaProps {
  const version = loadCrd(kind).spec.versions[0];
  assert.ok(version);
  const status = version.schema.openAPIV3Schema.properties?.status;
  assert.ok(status, `${kind} has status`);
  return status;
}

function prop(schema: JSONSchemaProps, name: string): JSONSchemaProps {
  const p = schema.properties?.[name];
  assert.ok(p, `property ${name}`);
  return p;
}

describe('CRD manifests', () => {
  it('parse into exactly the four pool CRDs and our IPAddressReservation', () => {
    const crds = loadCrds();
    assert.deepEqual(crds.map((c) => c.spec.names.kind).sort(), [...POOL_KINDS, RESERVATION_KIND].sort());
  });

  it('define IPAddressReservation in our own group, namespaced, v1alpha1 with status', () => {
    const crd = loadCrds().find((c) => c.spec.names.kind === RESERVATION_KIND);
    assert.ok(crd);
    assert.equal(crd.metadata.name, RESERVATION_CRD_NAME);
    assert.equal(crd.spec.group, OWN_GROUP);
    assert.equal(crd.spec.scope, 'Namespaced');
    assert.deepEqual(
      Object.keys(crd.metadata.labels ?? {}).sort(),
      [LABEL_MOVE_HIERARCHY, ...Object.keys(CONTRACT_LABELS)].sort(),
    );
    for (const key of Object.keys(CONTRACT_LABELS))
      assert.equal(crd.metadata.labels?.[key], RESERVATION_VERSION);
    assert.deepEqual(
      crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.subresources]),
      [[RESERVATION_VERSION, true, true, { status: {} }]],
    );
    const spec = crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.spec;
    assert.ok(spec);
    assert.deepEqual(spec.required, ['poolRef', 'addresses']);
    assert.equal(prop(spec, 'note').maxLength, RESERVATION_NOTE_MAX_LENGTH);
    assert.equal(prop(spec, 'addresses').maxItems, RESERVATION_MAX_ENTRIES);
    assert.equal(prop(spec, 'expiresAt').format, 'date-time');
    const rules = collectRules(spec);
    assert.ok(rules.some((r) => RESERVATION_POOL_KINDS.every((k) => r.rule.includes(`'${k}'`))));
  });

  it('are named like controller-gen names them', () => {
    assert.equal(crdFileName('InClusterIPPool'), 'ipam.cluster.x-k8s.io_inclusterippools.yaml');
    assert.equal(
      crdFileName('GlobalInClusterPrefixPool'),
      'ipam.cluster.x-k8s.io_globalinclusterprefixpools.yaml',
    );
  });

  for (const kind of POOL_KINDS) {
    describe(kind, () => {
      const info = POOL_KIND_INFO[kind];
      const crd = loadCrd(kind);

      it('has the upstream names, scope and categories', () => {
        assert.equal(crd.metadata.name, `${info.plural}.${IPAM_GROUP}`);
        assert.equal(crd.spec.group, IPAM_GROUP);
        assert.equal(crd.spec.scope, info.namespaced ? 'Namespaced' : 'Cluster');
        assert.deepEqual(crd.spec.names, {
          categories: ['cluster-api'],
          kind,
          listKind: `${kind}List`,
          plural: info.plural,
          singular: info.singular,
        });
      });

      it('carries the clusterctl move-hierarchy label and the contract labels, naming a served version', () => {
        assert.deepEqual(crd.metadata.labels, { [LABEL_MOVE_HIERARCHY]: '', ...CONTRACT_LABELS });
        const served = crd.spec.versions.filter((v) => v.served).map((v) => v.name);
        for (const value of Object.values(CONTRACT_LABELS)) assert.ok(served.includes(value), value);
      });

      it('stores v1alpha2 (IP pools also serve the deprecated v1alpha1), with a status subresource', () => {
        assert.deepEqual(
          crd.spec.versions.map((v) => [v.name, v.served, v.storage, v.deprecated ?? false]),
          info.family === 'ip'
            ? [
                ['v1alpha2', true, true, false],
                ['v1alpha1', true, false, true],
              ]
            : [['v1alpha2', true, true, false]],
        );
        for (const v of crd.spec.versions) assert.deepEqual(v.subresources, { status: {} });
      });

      if (info.family === 'ip') {
        it('converts v1alpha1 through the webhook at /convert (ConversionReview v1)', () => {
          const conversion = crd.spec.conversion as
            | {
                strategy: string;
                webhook: { conversionReviewVersions: string[]; clientConfig: { service: { path: string } } };
              }
            | undefined;
          assert.ok(conversion);
          assert.equal(conversion.strategy, 'Webhook');
          assert.deepEqual(conversion.webhook.conversionReviewVersions, ['v1']);
          assert.equal(conversion.webhook.clientConfig.service.path, '/convert');
        });

        it('has the upstream v1alpha1 schema and printer columns (First/Last on the real fields)', () => {
          const v1 = crd.spec.versions.find((v) => v.name === 'v1alpha1');
          assert.ok(v1);
          const spec = v1.schema.openAPIV3Schema.properties?.spec;
          assert.ok(spec);
          assert.deepEqual(Object.keys(spec.properties ?? {}).sort(), [
            'addresses',
            'end',
            'gateway',
            'prefix',
            'start',
            'subnet',
          ]);
          assert.equal(spec.properties?.prefix?.maximum, 128);
          assert.equal(spec.required, undefined);
          assert.deepEqual(
            v1.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath]),
            [
              ['Subnet', '.spec.subnet'],
              ['First', '.spec.start'],
              ['Last', '.spec.end'],
              ...(info.namespaced ? [['Addresses', '.spec.addresses']] : []),
              ['Total', '.status.ipAddresses.total'],
              ['Free', '.status.ipAddresses.free'],
              ['Used', '.status.ipAddresses.used'],
            ],
          );
          assert.deepEqual(
            v1.schema.openAPIV3Schema.properties?.status,
            crd.spec.versions[0]?.schema.openAPIV3Schema.properties?.status,
          );
        });
      } else {
        it('has no conversion (single version)', () => {
          assert.equal(crd.spec.conversion, undefined);
        });
      }

      it('has the upstream printer columns, then Ready and Age', () => {
        const first =
          info.family === 'ip' ? ['Addresses', '.spec.addresses'] : ['Prefixes', '.spec.prefixes'];
        assert.deepEqual(
          crd.spec.versions[0]?.additionalPrinterColumns?.map((c) => [c.name, c.jsonPath, c.type]),
          [
            [first[0], first[1], 'string'],
            ['Total', '.status.ipAddresses.total', 'integer'],
            ['Free', '.status.ipAddresses.free', 'integer'],
            ['Used', '.status.ipAddresses.used', 'integer'],
            ['Ready', '.status.conditions[?(@.type=="Ready")].status', 'string'],
            ['Age', '.metadata.creationTimestamp', 'date'],
          ],
        );
      });

      it('has the upstream status counts as int64 and our conditions as a map list', () => {
        const status = statusOf(kind);
        const counts = prop(status, 'ipAddresses');
        assert.deepEqual(counts.required, ['free', 'outOfRange', 'total', 'used']);
        // IP pools: our optional `reserved` (IPAddressReservations, docs/adr/0030-reservations.md).
        if (info.family === 'ip') assert.equal(prop(counts, 'reserved').format, 'int64');
        for (const field of ['total', 'used', 'free', 'outOfRange']) {
          assert.deepEqual(
            { type: prop(counts, field).type, format: prop(counts, field).format },
            { type: 'integer', format: 'int64' },
          );
        }
        const conditions = prop(status, 'conditions');
        assert.equal(conditions['x-kubernetes-list-type'], 'map');
        assert.deepEqual(conditions['x-kubernetes-list-map-keys'], ['type']);
        assert.deepEqual(conditions.items?.required, [
          'lastTransitionTime',
          'message',
          'reason',
          'status',
          'type',
        ]);
      });

      it('does not bound list sizes or entry lengths (upstream accepts any)', () => {
        const spec = specOf(kind);
        for (const [name, field] of Object.entries(spec.properties ?? {})) {
          if (field.type !== 'array') continue;
          assert.equal(field.maxItems, undefined, `${name} maxItems`);
          assert.equal(field.minItems, undefined, `${name} minItems`);
          assert.equal(field.items?.maxLength, undefined, `${name} items maxLength`);
        }
      });

      it('has a message on every CEL rule', () => {
        const rules = collectRules(specOf(kind));
        assert.ok(rules.length > 0);
        for (const r of rules) {
          assert.ok(r.message !== undefined || r.messageExpression !== undefined, r.rule);
          assert.ok(!r.rule.includes('\n'), `single-line rule: ${r.rule}`);
        }
      });
    });
  }

  describe('IP pool schema', () => {
    const spec = specOf('InClusterIPPool');

    it('requires addresses and prefix', () => {
      assert.deepEqual(spec.required, ['addresses', 'prefix']);
    });

    it('bounds prefix to 0..128', () => {
      assert.deepEqual(
        {
          type: prop(spec, 'prefix').type,
          min: prop(spec, 'prefix').minimum,
          max: prop(spec, 'prefix').maximum,
        },
        { type: 'integer', min: 0, max: 128 },
      );
    });

    it('has every upstream field with its type', () => {
      assert.deepEqual(
        Object.fromEntries(Object.entries(spec.properties ?? {}).map(([k, v]) => [k, v.type])),
        {
          addresses: 'array',
          prefix: 'integer',
          gateway: 'string',
          allocateReservedIPAddresses: 'boolean',
          excludedAddresses: 'array',
          addressReuseGracePeriodSeconds: 'integer',
        },
      );
      const grace = prop(spec, 'addressReuseGracePeriodSeconds');
      assert.deepEqual([grace.format, grace.minimum], ['int32', 0]);
      assert.equal(prop(spec, 'addresses').items?.type, 'string');
      assert.equal(prop(spec, 'excludedAddresses').items?.type, 'string');
    });

    it('is identical for the global kind', () => {
      assert.deepEqual(specOf('GlobalInClusterIPPool'), spec);
      assert.deepEqual(statusOf('GlobalInClusterIPPool'), statusOf('InClusterIPPool'));
    });
  });

  describe('prefix pool schema', () => {
    const spec = specOf('InClusterPrefixPool');

    it('requires prefixes', () => {
      assert.deepEqual(spec.required, ['prefixes']);
    });

    it('defaults allocationPrefixLength to 64 within 1..128', () => {
      const len = prop(spec, 'allocationPrefixLength');
      assert.deepEqual([len.type, len.default, len.minimum, len.maximum], ['integer', 64, 1, 128]);
    });

    it('has every upstream field with its type', () => {
      assert.deepEqual(
        Object.fromEntries(Object.entries(spec.properties ?? {}).map(([k, v]) => [k, v.type])),
        {
          prefixes: 'array',
          allocationPrefixLength: 'integer',
          gateway: 'string',
          excludedPrefixes: 'array',
        },
      );
    });

    it('is identical for the global kind', () => {
      assert.deepEqual(specOf('GlobalInClusterPrefixPool'), spec);
      assert.deepEqual(statusOf('GlobalInClusterPrefixPool'), statusOf('InClusterPrefixPool'));
    });
  });
});

function collectRules(schema: JSONSchemaProps): NonNullable<JSONSchemaProps['x-kubernetes-validations']> {
  return [
    ...(schema['x-kubernetes-validations'] ?? []),
    ...Object.values(schema.properties ?? {}).flatMap(collectRules),
    ...(schema.items === undefined ? [] : collectRules(schema.items)),
  ];
}
