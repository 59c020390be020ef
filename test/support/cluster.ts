// The test-side view of the local control plane: one plane per test run (started by the test
// runner, or reused when already running), one namespace per test, CRDs installed on demand.
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { up } from '../cluster/control-plane.js';
import { capiCrdsDir, type CapiLine } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { waitFor } from './wait.js';

export interface TestCluster {
  kubeconfigPath: string;
  kc: k8s.KubeConfig;
}

let cluster: Promise<TestCluster> | undefined;

/** The shared control plane. The runner exports IPAM_TEST_KUBECONFIG; alone, a test starts or reuses one. */
export function testCluster(): Promise<TestCluster> {
  cluster ??= (async () => {
    const kubeconfigPath =
      process.env.IPAM_TEST_KUBECONFIG ?? (await up({ log: () => undefined })).kubeconfig;
    const kc = new k8s.KubeConfig();
    kc.loadFromFile(kubeconfigPath);
    return { kubeconfigPath, kc };
  })();
  return cluster;
}

export interface TestNamespace {
  name: string;
  /** Deletes the namespace (without waiting for it to finish terminating). */
  cleanup(): Promise<void>;
}

/**
 * The set-up the test files against the shared plane repeat: the plane, the Cluster API CRDs
 * (current line) and ours installed, and one fresh namespace per prefix, in order (clean them up
 * in after()).
 */
export async function planeWithNamespaces<const P extends readonly string[]>(
  ...prefixes: P
): Promise<TestCluster & { namespaces: { -readonly [K in keyof P]: TestNamespace } }> {
  const cluster = await testCluster();
  await applyCrds([...capiCrds(), ...ourCrds()]);
  const namespaces: TestNamespace[] = [];
  for (const prefix of prefixes) namespaces.push(await createTestNamespace(prefix));
  return { ...cluster, namespaces: namespaces as { -readonly [K in keyof P]: TestNamespace } };
}

/** Deletes a GlobalInClusterIPPool a test created by hand, in after(); gone already is fine. */
export async function deleteGlobalIPPool(custom: k8s.CustomObjectsApi, name: string): Promise<void> {
  await custom
    .deleteClusterCustomObject({
      group: 'ipam.cluster.x-k8s.io',
      version: 'v1alpha2',
      plural: 'globalinclusterippools',
      name,
    })
    .catch(() => undefined);
}

/** A fresh namespace named after the test, so tests never share state. */
export async function createTestNamespace(prefix = 'test'): Promise<TestNamespace> {
  const { kc } = await testCluster();
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const safe =
    prefix
      .toLowerCase()
      .replace(/[^a-z0-9-]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'test';
  const name = `${safe}-${randomBytes(3).toString('hex')}`;
  await core.createNamespace({
    body: { metadata: { name, labels: { 'ipam-in-cluster.test/ephemeral': 'true' } } },
  });
  return {
    name,
    cleanup: async () => {
      await core.deleteNamespace({ name }).catch(() => undefined);
    },
  };
}

function readManifests(dir: string): k8s.KubernetesObject[] {
  const objects: k8s.KubernetesObject[] = [];
  for (const file of readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()) {
    for (const doc of parseAllDocuments(readFileSync(join(dir, file), 'utf8'))) {
      const value = doc.toJS() as k8s.KubernetesObject | null;
      if (value?.kind) objects.push(value);
    }
  }
  return objects;
}

/**
 * Server-side applies CRDs and waits until every one is Established and served: on the test cluster,
 * or on the cluster of `kc`.
 */
export async function applyCrds(crds: k8s.KubernetesObject[], kc?: k8s.KubeConfig): Promise<void> {
  kc ??= (await testCluster()).kc;
  const ext = kc.makeApiClient(k8s.ApiextensionsV1Api);
  // Not KubernetesObjectApi: it re-serialises through the typed model, which drops raw JSON keys
  // such as x-kubernetes-int-or-string. A patch body is sent as is.
  const apply = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.ServerSideApply);
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await ext.patchCustomResourceDefinition(
      { name, body: crd, fieldManager: 'ipam-tests', force: true },
      apply,
    );
  }
  for (const crd of crds) {
    const name = crd.metadata?.name ?? '';
    await waitFor(
      async () => {
        const current = await ext.readCustomResourceDefinition({ name });
        return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { what: `CRD ${name} to be Established` },
    );
  }
  // Established can precede the moment the new REST handlers serve requests; list once to be sure.
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  for (const crd of crds as CrdShape[]) {
    // Versions that need the conversion webhook are not listed: on the test cluster nothing serves
    // it (outside the webhook tests), and a list that finds objects would fail.
    const webhook = crd.spec.conversion?.strategy === 'Webhook';
    for (const version of crd.spec.versions.filter((v) => v.served && (!webhook || v.storage))) {
      await waitFor(
        async () => {
          await custom.listClusterCustomObject({
            group: crd.spec.group,
            version: version.name,
            plural: crd.spec.names.plural,
            limit: 1,
          });
          return true;
        },
        { what: `${crd.spec.names.plural}.${crd.spec.group}/${version.name} to be served` },
      );
    }
  }
}

interface CrdShape extends k8s.KubernetesObject {
  spec: {
    group: string;
    names: { plural: string };
    versions: { name: string; served: boolean; storage: boolean }[];
    conversion?: { strategy?: string };
  };
}

/**
 * The real Cluster API CRDs (Cluster, IPAddressClaim, IPAddress) of a line's pinned release
 * (test/cluster/versions.env), fetched from Go modules on first use (test/cluster/capi-crds.ts).
 */
export function capiCrds(line: CapiLine = 'current'): k8s.KubernetesObject[] {
  return readManifests(capiCrdsDir(line));
}

/** Our own CRDs, from packages/api/crds (the single source). */
export function ourCrds(): k8s.KubernetesObject[] {
  return readManifests(join(repoRoot, 'packages', 'api', 'crds'));
}

/**
 * Installs the Cluster API CRDs of `line` and ours on the cluster of `kubeconfigPath` and waits
 * until they are served (`npm run crds:install`, `npm run cluster:up -- --crds`).
 */
export async function installCrds(kubeconfigPath: string, line: CapiLine = 'current'): Promise<number> {
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(kubeconfigPath);
  const crds = [...capiCrds(line), ...ourCrds()];
  await applyCrds(crds, kc);
  return crds.length;
}
