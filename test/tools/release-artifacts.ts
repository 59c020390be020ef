// `npm run release:artifacts [-- --version 0.1.0 --contract v1beta2 --out artifacts]`
// Produces the clusterctl release artefacts, like upstream's:
//   ipam-components.yaml  the chart rendered for clusterctl (namespace capi-ipam-in-cluster-system,
//                         cert-manager certificates, clusterctl ${VAR:=default} variables, the
//                         image tagged <version> as the release workflow pushes it, every object
//                         labelled cluster.x-k8s.io/provider: ipam-in-cluster)
//   metadata.yaml         release series -> Cluster API contract
// The controller speaks both contracts (chosen by discovery); clusterctl maps a release series to
// one, so the artefacts are produced per contract (v1beta2 for CAPI >= 1.11, v1beta1 for 1.6-1.10).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseAllDocuments, stringify } from 'yaml';
import { repoRoot } from '../cluster/paths.js';
import { helm, kubeVersionFlag } from '../support/helm.js';
import { defaultImageRepository } from './release-prepare.js';

export const PROVIDER_LABEL = 'cluster.x-k8s.io/provider';
export const PROVIDER_NAME = 'ipam-in-cluster';
export const NAMESPACE = 'capi-ipam-in-cluster-system';

/**
 * Values set to clusterctl variables, which clusterctl substitutes at `clusterctl init` time; the
 * defaults are the chart's (after `npm run release:prepare`, the image the release pushed).
 */
const variables = (): Record<string, string> => ({
  'image.repository': `\${IPAM_IN_CLUSTER_IMAGE_REPOSITORY:=${defaultImageRepository()}}`,
});

interface K8sObject {
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
}

const helmOnlyLabels = ['helm.sh/chart', 'app.kubernetes.io/managed-by'];

export function renderComponents(version: string): string {
  const args = [
    'template',
    'capi-ipam-in-cluster',
    join(repoRoot, 'charts', 'ipam-in-cluster'),
    '--namespace',
    NAMESPACE,
    kubeVersionFlag(),
    '--set',
    'webhook.certificates.mode=certManager',
    '--set',
    'replicaCount=1',
    '--set-string',
    `image.tag=${version}`,
    '--set',
    'crds.keep=false',
  ];
  for (const [key, value] of Object.entries(variables())) args.push('--set-string', `${key}=${value}`);
  const result = helm(args);
  if (result.status !== 0) throw new Error(`helm template failed: ${result.stderr.trim()}`);
  const objects = parseAllDocuments(result.stdout)
    .map((d) => d.toJS() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
  const namespace: K8sObject = { kind: 'Namespace', metadata: { name: NAMESPACE } };
  const all = [{ apiVersion: 'v1', ...namespace }, ...objects];
  for (const obj of all) {
    const labels = { ...obj.metadata.labels };
    for (const key of helmOnlyLabels) Reflect.deleteProperty(labels, key);
    labels[PROVIDER_LABEL] = PROVIDER_NAME;
    obj.metadata.labels = labels;
  }
  // clusterctl keeps CRDs on delete unless asked; the helm keep annotation means nothing to it.
  return all.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
}

export function renderMetadata(version: string, contract: 'v1beta2' | 'v1beta1'): string {
  const [major, minor] = version.split('.').map(Number);
  return stringify({
    apiVersion: 'clusterctl.cluster.x-k8s.io/v1alpha3',
    kind: 'Metadata',
    releaseSeries: [{ major, minor, contract }],
  });
}

function main(): void {
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      contract: { type: 'string', default: 'v1beta2' },
      out: { type: 'string', default: join(repoRoot, 'artifacts') },
    },
  });
  const version =
    values.version ??
    (JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as { version: string }).version;
  if (values.contract !== 'v1beta2' && values.contract !== 'v1beta1') {
    throw new Error(
      `--contract: "${values.contract}" is not a Cluster API IPAM contract (v1beta2 or v1beta1)`,
    );
  }
  const dir = join(values.out, `v${version}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'ipam-components.yaml'), renderComponents(version));
  writeFileSync(join(dir, 'metadata.yaml'), renderMetadata(version, values.contract));
  process.stdout.write(`wrote ${dir}/ipam-components.yaml and metadata.yaml (contract ${values.contract})\n`);
}

if (process.argv[1]?.endsWith('release-artifacts.ts')) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`release:artifacts: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
