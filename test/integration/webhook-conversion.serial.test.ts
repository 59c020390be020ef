// v1alpha1 served again through our conversion webhook, on the real API server. Serial: it points the
// shared IP pool CRDs' conversion webhook at this test's server (loopback) and restores the
// packages/api/crds configuration at the end.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { ANNOTATION_CONVERSION_DATA, IPAM_GROUP, loadCrd } from '@ipam-in-cluster/api';
import { conversionSpec } from '@ipam-in-cluster/controller/webhooks';
import {
  applyCrds,
  createTestNamespace,
  ourCrds,
  testCluster,
  type TestNamespace,
} from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { startTestWebhooks, statusOf, type TestWebhooks } from '../support/webhooks.js';

const KINDS = ['InClusterIPPool', 'GlobalInClusterIPPool'] as const;
const CRDS = KINDS.map((k) => loadCrd(k).metadata.name);

let custom: k8s.CustomObjectsApi;
let ext: k8s.ApiextensionsV1Api;
let ns: TestNamespace;
let hooks: TestWebhooks;
const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

async function setConversion(conversion: unknown): Promise<void> {
  for (const name of CRDS) {
    // Replace the whole block: null first clears url/service left by the other form.
    await ext.patchCustomResourceDefinition(
      { name, body: { spec: { conversion: { strategy: 'None', webhook: null } } } },
      merge,
    );
    await ext.patchCustomResourceDefinition({ name, body: { spec: { conversion } } }, merge);
  }
}

function plural(kind: (typeof KINDS)[number]): string {
  return `${kind.toLowerCase()}s`;
}

async function get(
  kind: (typeof KINDS)[number],
  name: string,
  version: string,
): Promise<Record<string, unknown>> {
  const r: unknown =
    kind === 'InClusterIPPool'
      ? await custom.getNamespacedCustomObject({
          group: IPAM_GROUP,
          version,
          plural: plural(kind),
          namespace: ns.name,
          name,
        })
      : await custom.getClusterCustomObject({ group: IPAM_GROUP, version, plural: plural(kind), name });
  return r as Record<string, unknown>;
}

async function createV1alpha1(kind: (typeof KINDS)[number], name: string, spec: unknown): Promise<unknown> {
  const body = {
    apiVersion: `${IPAM_GROUP}/v1alpha1`,
    kind,
    metadata: { name, labels: hooks.labels, ...(kind === 'InClusterIPPool' ? { namespace: ns.name } : {}) },
    spec,
  };
  return kind === 'InClusterIPPool'
    ? custom.createNamespacedCustomObject({
        group: IPAM_GROUP,
        version: 'v1alpha1',
        plural: plural(kind),
        namespace: ns.name,
        body,
      })
    : custom.createClusterCustomObject({
        group: IPAM_GROUP,
        version: 'v1alpha1',
        plural: plural(kind),
        body,
      });
}

async function remove(kind: (typeof KINDS)[number], name: string): Promise<void> {
  await (kind === 'InClusterIPPool'
    ? custom.deleteNamespacedCustomObject({
        group: IPAM_GROUP,
        version: 'v1alpha2',
        plural: plural(kind),
        namespace: ns.name,
        name,
      })
    : custom.deleteClusterCustomObject({
        group: IPAM_GROUP,
        version: 'v1alpha2',
        plural: plural(kind),
        name,
      }));
}

before(async () => {
  const { kc } = await testCluster();
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  await applyCrds(ourCrds());
  ns = await createTestNamespace('webhook-conversion');
  hooks = await startTestWebhooks({ namespaces: [ns.name] });
  await setConversion(conversionSpec({ url: hooks.baseUrl }, hooks.ca.cert));
});

after(async () => {
  for (const kind of KINDS) {
    for (const name of [`conv-${hooks.runId}`, `conv2-${hooks.runId}`])
      await remove(kind, name).catch(() => undefined);
  }
  await setConversion(loadCrd('InClusterIPPool').spec.conversion);
  await hooks.cleanup();
  await ns.cleanup();
});

describe('v1alpha1 through the conversion webhook', () => {
  for (const kind of KINDS) {
    it(`${kind}: a v1alpha1 manifest applies, reads as v1alpha2, and reads back as v1alpha1 with defaults`, async () => {
      const name = `conv-${hooks.runId}`;
      await waitFor(
        async () => {
          await createV1alpha1(kind, name, { subnet: '10.0.0.0/24', gateway: '10.0.0.1' });
          return true;
        },
        { what: 'the API server to use the conversion webhook', timeoutMs: 30_000 },
      );
      const hub = await get(kind, name, 'v1alpha2');
      assert.deepEqual(hub.spec, { addresses: ['10.0.0.1-10.0.0.254'], prefix: 24, gateway: '10.0.0.1' });
      const annotations = (hub.metadata as { annotations?: Record<string, string> }).annotations ?? {};
      assert.ok(annotations[ANNOTATION_CONVERSION_DATA]?.includes('"subnet":"10.0.0.0/24"'));
      const old = await get(kind, name, 'v1alpha1');
      assert.equal(old.apiVersion, `${IPAM_GROUP}/v1alpha1`);
      assert.deepEqual(old.spec, {
        subnet: '10.0.0.0/24',
        start: '10.0.0.1',
        end: '10.0.0.254',
        prefix: 24,
        gateway: '10.0.0.1',
      });
      assert.equal(
        (old.metadata as { annotations?: Record<string, string> }).annotations?.[ANNOTATION_CONVERSION_DATA],
        undefined,
      );
    });

    it(`${kind}: a v1alpha2 edit shows through v1alpha1; v1alpha2-only fields survive a v1alpha1 write`, async () => {
      const name = `conv2-${hooks.runId}`;
      await createV1alpha1(kind, name, { addresses: ['10.1.0.10-10.1.0.20'], prefix: 24 });
      const patchTarget = {
        group: IPAM_GROUP,
        version: 'v1alpha2',
        plural: plural(kind),
        name,
        body: { spec: { excludedAddresses: ['10.1.0.15'] } },
      };
      await (kind === 'InClusterIPPool'
        ? custom.patchNamespacedCustomObject({ ...patchTarget, namespace: ns.name }, merge)
        : custom.patchClusterCustomObject(patchTarget, merge));
      const old = await get(kind, name, 'v1alpha1');
      assert.deepEqual(old.spec, { addresses: ['10.1.0.10-10.1.0.20'], prefix: 24 });
      // Write back through v1alpha1 (kubectl edit/replace with the old version).
      const replaceTarget = { group: IPAM_GROUP, version: 'v1alpha1', plural: plural(kind), name, body: old };
      await (kind === 'InClusterIPPool'
        ? custom.replaceNamespacedCustomObject({ ...replaceTarget, namespace: ns.name })
        : custom.replaceClusterCustomObject(replaceTarget));
      const hub = await get(kind, name, 'v1alpha2');
      assert.deepEqual(hub.spec, {
        addresses: ['10.1.0.10-10.1.0.20'],
        prefix: 24,
        excludedAddresses: ['10.1.0.15'],
      });
    });

    it(`${kind}: a v1alpha1 manifest with an invalid subnet is refused with the field`, async () => {
      const status = await statusOf(createV1alpha1(kind, `bad-${hooks.runId}`, { subnet: '10.0.0.0' }));
      assert.ok(status !== undefined && status.code >= 400);
      assert.match(status.message ?? '', /spec\.subnet: Invalid value: "10\.0\.0\.0": netip\.ParsePrefix/);
    });

    it(`${kind}: converted v1alpha1 objects go through the v1alpha2 validating webhook`, async () => {
      const status = await statusOf(
        createV1alpha1(kind, `bad2-${hooks.runId}`, { addresses: ['10.2.0.1', 'nope'], prefix: 24 }),
      );
      assert.equal(status?.code, 422);
      assert.match(
        status.message ?? '',
        /admission webhook "validation\..*" denied the request: .*spec\.addresses\[1\]: Invalid value: "nope"/,
      );
    });
  }
});
