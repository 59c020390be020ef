// `clusterctl init --ipam in-cluster` from a local provider repository holding our release
// artefacts (npm run release:artifacts). There is no network and no kubelet, so the other
// providers clusterctl insists on are stand-ins: core "cluster-api" ships the real Cluster API
// CRDs (test/cluster/capi-crds.ts), kubeadm bootstrap/control-plane ship a namespace, and
// cert-manager ships its CRDs only (clusterctl's readiness check creates an Issuer and a
// Certificate). What this proves: our artefacts pass clusterctl's contract check, variable
// substitution and inventory; what it cannot prove: pods starting (no kubelet).
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { clusterctlBinaryPath, ensureBinaries } from '../cluster/binaries.js';
import { CAPI_CRD_FILES, capiCrdsDir, capiRelease } from '../cluster/capi-crds.js';
import { startPrivatePlane, type PrivatePlane } from '../support/private-plane.js';
import { NAMESPACE, renderComponents, renderMetadata } from '../tools/release-artifacts.js';
import { defaultImageRepository } from '../tools/release-prepare.js';

const capiVersion = capiRelease('current');
const ourVersion = '0.1.0';

function certManagerStandIn(): string {
  const crd = (kind: string, plural: string, scope: string) => `---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: ${plural}.cert-manager.io}
spec:
  group: cert-manager.io
  names: {kind: ${kind}, plural: ${plural}, singular: ${kind.toLowerCase()}, listKind: ${kind}List}
  scope: ${scope}
  versions:
    - name: v1
      served: true
      storage: true
      schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
      subresources: {status: {}}
`;
  return `apiVersion: v1\nkind: Namespace\nmetadata: {name: cert-manager}\n${crd('Certificate', 'certificates', 'Namespaced')}${crd('Issuer', 'issuers', 'Namespaced')}${crd('ClusterIssuer', 'clusterissuers', 'Cluster')}${crd('CertificateRequest', 'certificaterequests', 'Namespaced')}`;
}

function writeRepository(root: string): string {
  const put = (path: string, text: string) => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const capiMetadata = `apiVersion: clusterctl.cluster.x-k8s.io/v1alpha3\nkind: Metadata\nreleaseSeries:\n  - {major: 1, minor: ${capiVersion.split('.')[1]}, contract: v1beta2}\n`;
  const capiCrds = CAPI_CRD_FILES.map((f) => `---\n${readFileSync(join(capiCrdsDir(), f), 'utf8')}`).join(
    '\n',
  );
  put(
    `cluster-api/${capiVersion}/core-components.yaml`,
    `apiVersion: v1\nkind: Namespace\nmetadata: {name: capi-system}\n${capiCrds}`,
  );
  put(`cluster-api/${capiVersion}/metadata.yaml`, capiMetadata);
  for (const [dir, file] of [
    ['bootstrap-kubeadm', 'bootstrap-components.yaml'],
    ['control-plane-kubeadm', 'control-plane-components.yaml'],
  ]) {
    put(
      `${dir}/${capiVersion}/${file}`,
      `apiVersion: v1\nkind: Namespace\nmetadata: {name: capi-${dir}-system}\n`,
    );
    put(`${dir}/${capiVersion}/metadata.yaml`, capiMetadata);
  }
  put('cert-manager/v1.19.0/cert-manager.yaml', certManagerStandIn());
  put(`ipam-in-cluster/v${ourVersion}/ipam-components.yaml`, renderComponents(ourVersion));
  put(`ipam-in-cluster/v${ourVersion}/metadata.yaml`, renderMetadata(ourVersion, 'v1beta2'));
  const config = join(root, 'clusterctl.yaml');
  writeFileSync(
    config,
    `providers:
  - {name: cluster-api, type: CoreProvider, url: ${root}/cluster-api/${capiVersion}/core-components.yaml}
  - {name: kubeadm, type: BootstrapProvider, url: ${root}/bootstrap-kubeadm/${capiVersion}/bootstrap-components.yaml}
  - {name: kubeadm, type: ControlPlaneProvider, url: ${root}/control-plane-kubeadm/${capiVersion}/control-plane-components.yaml}
  - {name: in-cluster, type: IPAMProvider, url: ${root}/ipam-in-cluster/v${ourVersion}/ipam-components.yaml}
cert-manager:
  url: ${root}/cert-manager/v1.19.0/cert-manager.yaml
  version: v1.19.0
`,
  );
  return config;
}

describe('clusterctl init --ipam in-cluster', () => {
  let plane: PrivatePlane;
  let repo: string;
  let config: string;
  const kubectl = (...args: string[]) =>
    execFileSync('kubectl', ['--kubeconfig', plane.kubeconfig, ...args], { encoding: 'utf8' });

  before(() => {
    ensureBinaries('clusterctl');
    plane = startPrivatePlane('clusterctl');
    repo = mkdtempSync(join(tmpdir(), 'ipam-clusterctl-repo-'));
    config = writeRepository(repo);
  });
  after(() => {
    plane.stop();
    rmSync(repo, { recursive: true, force: true });
  });

  it('installs the provider from the release artefacts', () => {
    const result = spawnSync(
      clusterctlBinaryPath(),
      [
        'init',
        '--config',
        config,
        '--kubeconfig',
        plane.kubeconfig,
        '--ipam',
        'in-cluster',
        '--wait-provider-timeout',
        '60',
      ],
      // HOME points at the temporary repository so no user clusterctl config or cache is read.
      { encoding: 'utf8', env: { ...process.env, HOME: repo, XDG_CONFIG_HOME: repo }, timeout: 240_000 },
    );
    assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
    assert.match(
      result.stdout + result.stderr,
      /Installing provider="ipam-in-cluster" version="v0\.1\.0" targetNamespace="capi-ipam-in-cluster-system"/,
    );
  });

  it('records the provider in the clusterctl inventory with the contract it was checked against', () => {
    const inventory = JSON.parse(
      kubectl('get', 'providers.clusterctl.cluster.x-k8s.io', '-A', '-o', 'json'),
    ) as {
      items: { metadata: { namespace: string }; providerName: string; type: string; version: string }[];
    };
    const ours = inventory.items.find((p) => p.type === 'IPAMProvider');
    assert.deepEqual(
      ours && { ns: ours.metadata.namespace, name: ours.providerName, version: ours.version },
      { ns: NAMESPACE, name: 'in-cluster', version: `v${ourVersion}` },
    );
  });

  it('creates our CRDs (established) and the controller Deployment with clusterctl labels', () => {
    for (const crd of [
      'inclusterippools',
      'globalinclusterippools',
      'inclusterprefixpools',
      'globalinclusterprefixpools',
    ]) {
      const status = kubectl(
        'get',
        'crd',
        `${crd}.ipam.cluster.x-k8s.io`,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Established")].status}',
      );
      assert.equal(status, 'True', crd);
    }
    const deploy = JSON.parse(
      kubectl(
        '-n',
        NAMESPACE,
        'get',
        'deployment',
        '-l',
        'cluster.x-k8s.io/provider=ipam-in-cluster',
        '-o',
        'json',
      ),
    ) as {
      items: {
        metadata: { labels: Record<string, string> };
        spec: { template: { spec: { containers: { image: string }[] } } };
      }[];
    };
    assert.equal(deploy.items.length, 1);
    const [item] = deploy.items;
    assert.ok(item);
    assert.equal(item.metadata.labels['clusterctl.cluster.x-k8s.io'], '');
    // The image variable was substituted with its default.
    assert.equal(item.spec.template.spec.containers[0]?.image, `${defaultImageRepository()}:${ourVersion}`);
  });
});
