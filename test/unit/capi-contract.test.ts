// Our contract mapping against the real Cluster API CRDs of both pinned lines (test/cluster/versions.env,
// fetched from Go modules by test/cluster/capi-crds.ts): every IPAddress we build, every claim we
// write and every status patch fit upstream's schemas, where the API server would prune or reject.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments } from 'yaml';
import {
  contractFor,
  LABEL_CLUSTER_NAME,
  type Condition,
  type CustomResourceDefinition,
  type AddressClaim,
  type JSONSchemaProps,
} from '@ipam-in-cluster/api';
import { capiCrdsDir, capiRelease, type CapiLine } from '../cluster/capi-crds.js';

function capiSchema(line: CapiLine, plural: string, version: string): JSONSchemaProps {
  const text = readFileSync(join(capiCrdsDir(line), `ipam.cluster.x-k8s.io_${plural}.yaml`), 'utf8');
  const crd = parseAllDocuments(text)[0]?.toJS() as CustomResourceDefinition;
  const v = crd.spec.versions.find((x) => x.name === version);
  assert.ok(v, `${capiRelease(line)} serves ${plural}/${version}`);
  return v.schema.openAPIV3Schema;
}

/** Everything a structural schema would prune or reject: unknown keys, missing required, bad bounds. */
function schemaProblems(value: unknown, schema: JSONSchemaProps, path = ''): string[] {
  if (schema.type === 'object' && schema.properties !== undefined) {
    if (typeof value !== 'object' || value === null || Array.isArray(value))
      return [`${path}: not an object`];
    const obj = value as Record<string, unknown>;
    const props = schema.properties;
    return [
      ...(schema.required ?? []).filter((k) => !(k in obj)).map((k) => `${path}.${k}: required`),
      ...Object.entries(obj).flatMap(([k, v]) => {
        const sub = props[k];
        return sub === undefined ? [`${path}.${k}: unknown field`] : schemaProblems(v, sub, `${path}.${k}`);
      }),
    ];
  }
  if (schema.type === 'array') {
    if (!Array.isArray(value)) return [`${path}: not an array`];
    return value.flatMap((v, i) => (schema.items ? schemaProblems(v, schema.items, `${path}[${i}]`) : []));
  }
  if (schema.type === 'string') {
    if (typeof value !== 'string') return [`${path}: not a string`];
    const problems: string[] = [];
    if (schema.minLength !== undefined && value.length < schema.minLength)
      problems.push(`${path}: too short`);
    if (schema.maxLength !== undefined && value.length > schema.maxLength) problems.push(`${path}: too long`);
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value))
      problems.push(`${path}: pattern`);
    if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: enum`);
    return problems;
  }
  if (schema.type === 'integer') {
    if (typeof value !== 'number' || !Number.isInteger(value)) return [`${path}: not an integer`];
    if (schema.minimum !== undefined && value < schema.minimum) return [`${path}: below minimum`];
    if (schema.maximum !== undefined && value > schema.maximum) return [`${path}: above maximum`];
  }
  return [];
}

const at = '2026-01-02T03:04:05Z';
const readyTrue: Condition = {
  type: 'Ready',
  status: 'True',
  reason: 'Allocated',
  message: '',
  lastTransitionTime: at,
};
const readyFalse: Condition = {
  type: 'Ready',
  status: 'False',
  reason: 'PoolExhausted',
  message: 'pool pool-a has no free address',
  lastTransitionTime: at,
  observedGeneration: 1,
};

// The normalised claim every body below is written from (a v1beta2 claim with a cluster, Ready).
const claim: AddressClaim = {
  metadata: {
    name: 'claim-a',
    namespace: 'ns',
    uid: 'uid-claim',
    labels: { [LABEL_CLUSTER_NAME]: 'cluster-a' },
  },
  clusterName: 'cluster-a',
  poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'pool-a' },
  addressName: 'claim-a',
  conditions: [readyTrue],
  legacyConditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at }],
};

describe('contract mapping matches the real Cluster API CRDs', () => {
  const cases = [
    { line: 'current', version: 'v1beta2' },
    { line: 'current', version: 'v1beta1' },
    { line: 'v1beta1', version: 'v1beta1' },
  ] as const;
  const pool = { kind: 'GlobalInClusterPrefixPool', name: 'pool-a', uid: 'uid-pool' } as const;

  for (const { line, version } of cases) {
    const contract = contractFor(version);

    it(`${capiRelease(line)} ${version}: the IPAddress we build`, () => {
      const body = contract.buildIPAddress({
        claim,
        pool,
        address: 'fd00:0:0:1::',
        prefix: 64,
        gateway: 'fd00::1',
      });
      const { metadata: _m, ...rest } = body;
      assert.deepEqual(schemaProblems(rest, capiSchema(line, 'ipaddresses', version)), []);
    });

    it(`${capiRelease(line)} ${version}: the claims we write and the status patch`, () => {
      const schema = capiSchema(line, 'ipaddressclaims', version);
      const wire = contract.claimToWire(claim);
      const { metadata: _m, ...rest } = wire;
      assert.deepEqual(schemaProblems(rest, schema), []);
      const patch = contract.claimStatusPatch(claim, {
        addressName: 'claim-a',
        conditions: [readyTrue, readyFalse],
      });
      const statusSchema = schema.properties?.status;
      assert.ok(statusSchema);
      assert.deepEqual(schemaProblems(patch.status, statusSchema, '.status'), []);
    });
  }
});
