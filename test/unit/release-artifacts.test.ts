// clusterctl release artefacts: ipam-components.yaml rendered from the chart and metadata.yaml.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse, parseAllDocuments } from 'yaml';
import { NAMESPACE, PROVIDER_LABEL, renderComponents, renderMetadata } from '../tools/release-artifacts.js';
import { defaultImageRepository } from '../tools/release-prepare.js';

interface Obj {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: { versions?: { name: string; served: boolean }[] };
}

describe('release artefacts', () => {
  const text = renderComponents('0.1.0');
  const objects = parseAllDocuments(text).map((d) => d.toJS() as Obj);

  it('label every object for clusterctl and drop helm-only labels', () => {
    for (const obj of objects) {
      assert.equal(
        obj.metadata.labels?.[PROVIDER_LABEL],
        'ipam-in-cluster',
        `${obj.kind} ${obj.metadata.name}`,
      );
      assert.ok(!('app.kubernetes.io/managed-by' in (obj.metadata.labels ?? {})));
    }
  });

  it('install into capi-ipam-in-cluster-system with its Namespace, the five CRDs and cert-manager certificates', () => {
    assert.ok(objects.some((o) => o.kind === 'Namespace' && o.metadata.name === NAMESPACE));
    assert.ok(
      objects
        .filter((o) => o.metadata.namespace !== undefined)
        .every((o) => o.metadata.namespace === NAMESPACE),
    );
    // The four pool kinds and IPAddressReservation (docs/adr/0030-reservations.md).
    assert.equal(objects.filter((o) => o.kind === 'CustomResourceDefinition').length, 5);
    assert.equal(objects.filter((o) => o.kind === 'Certificate').length, 1);
  });

  it('use clusterctl variables with non-empty defaults (clusterctl treats an empty default as unset)', () => {
    assert.ok(
      text.includes(`image: \${IPAM_IN_CLUSTER_IMAGE_REPOSITORY:=${defaultImageRepository()}}:0.1.0`),
      'the chart default repository, tagged with the version as the release workflow pushes it',
    );
    assert.doesNotMatch(text, /\$\{[A-Z_]+(:=)?\}/, 'a variable without a default blocks clusterctl init');
  });

  it('label every CRD with the contract metadata.yaml names, mapped to a version the CRD serves', () => {
    const crds = objects.filter((o) => o.kind === 'CustomResourceDefinition');
    assert.equal(crds.length, 5);
    for (const contract of ['v1beta2', 'v1beta1'] as const) {
      const meta = parse(renderMetadata('0.1.0', contract)) as { releaseSeries: { contract: string }[] };
      for (const series of meta.releaseSeries) {
        for (const crd of crds) {
          const value = crd.metadata.labels?.[`cluster.x-k8s.io/${series.contract}`] ?? '';
          const served = (crd.spec?.versions ?? []).filter((v) => v.served).map((v) => v.name);
          assert.ok(
            served.includes(value),
            `${crd.metadata.name}: cluster.x-k8s.io/${series.contract}=${value}`,
          );
        }
      }
    }
  });

  it('map the release series to the requested contract', () => {
    for (const contract of ['v1beta2', 'v1beta1'] as const) {
      const meta = parse(renderMetadata('0.1.0', contract)) as { kind: string; releaseSeries: unknown[] };
      assert.equal(meta.kind, 'Metadata');
      assert.deepEqual(meta.releaseSeries, [{ major: 0, minor: 1, contract }]);
    }
  });
});
