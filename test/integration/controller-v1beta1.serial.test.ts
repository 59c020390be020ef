// The v1beta1 contract (Cluster API 1.6-1.10: IPAddressClaim/IPAddress v1beta1, Cluster v1beta1),
// chosen by discovery. Runs on a private control plane with the Cluster API CRDs of the v1beta1
// line (v1.10.x), so the shared plane (and every other test on it) keeps the current line's: nothing to swap back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ANNOTATION_PAUSED,
  FINALIZER_PROTECT_ADDRESS,
  FINALIZER_RELEASE_ADDRESS,
  LABEL_CLUSTER_NAME,
  type IPAddressClaimV1Beta1,
  type IPAddressV1Beta1,
} from '@ipam-in-cluster/api';
import { capiCrdsDir, capiRelease } from '../cluster/capi-crds.js';
import { repoRoot } from '../cluster/paths.js';
import { Ipam, startTestController, uniqueWatchFilter, type TestController } from '../support/controller.js';
import { staysFalse, waitFor } from '../support/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'ipam-v1beta1-'));
const env = { ...process.env, IPAM_CLUSTER_DIR: dir };
const cli = (command: string): string =>
  execFileSync(process.execPath, [...process.execArgv, join(repoRoot, 'test/cluster/cli.ts'), command], {
    env,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
const kubectl = (kubeconfig: string, ...args: string[]): string =>
  execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });

const watchFilter = uniqueWatchFilter('v1beta1');
let kubeconfig = '';
let ipam: Ipam;
let ctl: TestController | undefined;
const ns = 'v1beta1';

describe(`controller: v1beta1 contract (Cluster API ${capiRelease('v1beta1')} CRDs, private control plane)`, () => {
  before(async () => {
    kubeconfig = cli('up').trim();
    kubectl(kubeconfig, 'apply', '--server-side', '-f', capiCrdsDir('v1beta1'));
    kubectl(kubeconfig, 'apply', '--server-side', '-f', join(repoRoot, 'packages/api/crds'));
    kubectl(kubeconfig, 'wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all');
    kubectl(kubeconfig, 'create', 'namespace', ns);
    ipam = await Ipam.connect(watchFilter, 'v1beta1', kubeconfig);
    // Discovery can lag behind Established for a moment: wait until v1beta1 claims are served.
    await waitFor(async () => (await ipam.claims.list({ namespace: ns })).items.length >= 0, {
      what: 'v1beta1 served',
    });
    ctl = await startTestController({ watchFilter, kubeconfig });
  });

  after(async () => {
    try {
      await ctl?.stop();
    } finally {
      try {
        cli('down');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('discovers the v1beta1 contract and the v1beta1 Cluster', () => {
    assert.deepEqual([ctl?.manager.contract.version, ctl?.manager.clusterVersion], ['v1beta1', 'v1beta1']);
  });

  it('allocates with v1beta1 objects: owner reference, int prefix, addressRef, legacy and v1beta2 conditions', async () => {
    await ipam.createCluster('cl', ns);
    const pool = await ipam.createPool('InClusterIPPool', 'p', ns, {
      addresses: ['10.0.0.1-10.0.0.9'],
      prefix: 24,
      gateway: '10.0.0.9',
    });
    const claim = await ipam.createClaim(
      'c',
      ns,
      { kind: 'InClusterIPPool', name: 'p' },
      { clusterLabel: 'cl' },
    );
    const a = (await ipam.waitForAddress(ns, 'c')) as IPAddressV1Beta1;
    assert.equal(a.apiVersion, 'ipam.cluster.x-k8s.io/v1beta1');
    assert.deepEqual(a.spec, {
      claimRef: { name: 'c' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
      address: '10.0.0.1',
      prefix: 24,
      gateway: '10.0.0.9',
    });
    assert.deepEqual(a.metadata.finalizers, [FINALIZER_PROTECT_ADDRESS]);
    assert.deepEqual(a.metadata.ownerReferences, [
      {
        apiVersion: 'ipam.cluster.x-k8s.io/v1beta1',
        kind: 'IPAddressClaim',
        name: 'c',
        uid: claim.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
      {
        apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
        kind: 'InClusterIPPool',
        name: 'p',
        uid: pool.metadata.uid,
        controller: false,
        blockOwnerDeletion: true,
      },
    ]);
    assert.equal(a.metadata.labels?.[LABEL_CLUSTER_NAME], 'cl');
    const got = await waitFor(
      async () => {
        const c = (await ipam.claims.get({ namespace: ns, name: 'c' })) as IPAddressClaimV1Beta1;
        return c.status?.addressRef?.name === 'c' &&
          (c.status.v1beta2?.conditions ?? []).some((x) => x.type === 'Ready')
          ? c
          : undefined;
      },
      { what: 'v1beta1 claim status' },
    );
    assert.ok((got.metadata.finalizers ?? []).includes(FINALIZER_RELEASE_ADDRESS));
    const ready = got.status?.v1beta2?.conditions?.find((x) => x.type === 'Ready');
    const legacy = got.status?.conditions?.find((x) => x.type === 'Ready');
    assert.deepEqual([ready?.reason, legacy?.status], ['Allocated', 'True']);
  });

  it('honours a paused v1beta1 Cluster and releases on claim deletion', async () => {
    await ipam.createCluster('paused', ns, { paused: true });
    await ipam.createClaim('p1', ns, { kind: 'InClusterIPPool', name: 'p' }, { clusterName: 'paused' });
    await staysFalse(async () => (await ipam.findAddress(ns, 'p1')) !== undefined, 2_000, 'an IPAddress');
    await ipam.clusters.mergePatch({ namespace: ns, name: 'paused' }, { spec: { paused: false } });
    assert.equal((await ipam.waitForAddress(ns, 'p1')).spec.address, '10.0.0.2');
    await ipam.claims.delete({ namespace: ns, name: 'p1' });
    await waitFor(async () => (await ipam.claims.find({ namespace: ns, name: 'p1' })) === undefined, {
      what: 'the claim to go',
    });
    assert.equal(await ipam.findAddress(ns, 'p1'), undefined);
    // The paused annotation works the same.
    await ipam.clusters.mergePatch(
      { namespace: ns, name: 'paused' },
      { metadata: { annotations: { [ANNOTATION_PAUSED]: '' } } },
    );
  });
});
