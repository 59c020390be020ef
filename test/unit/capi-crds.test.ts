// The Cluster API CRDs come from the Go module sigs.k8s.io/cluster-api at the pinned releases, are
// cached by version, and IPAM_CAPI_CRDS_DIR still overrides them (test/cluster/capi-crds.ts).
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CAPI_CRD_FILES, capiCrdsFolder, capiRelease } from '../cluster/capi-crds.js';

interface Crd {
  kind: string;
  metadata: { name: string };
  spec: { versions: { name: string; served: boolean }[] };
}

const readCrd = (dir: string, file: string) => parse(readFileSync(join(dir, file), 'utf8')) as Crd;
const served = (crd: Crd) => crd.spec.versions.filter((v) => v.served).map((v) => v.name);

/** Runs `fn` with no `go` on PATH. */
function withoutGo<T>(fn: () => T): T {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent';
  try {
    return fn();
  } finally {
    process.env.PATH = path;
  }
}

describe('Cluster API CRDs from Go modules', () => {
  const work = mkdtempSync(join(tmpdir(), 'ipam-capi-crds-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });
  const cache = join(work, 'cache');
  const current = capiRelease('current');
  const v1beta1 = capiRelease('v1beta1');

  it('pins one release of each line in versions.env', () => {
    assert.match(current, /^v1\.1[1-9]\.\d+$/, 'current line: IPAM contract v1beta2 (Cluster API >= 1.11)');
    assert.match(v1beta1, /^v1\.([6-9]|10)\.\d+$/, 'v1beta1 line: Cluster API 1.6-1.10');
  });

  it('fetches each release into <cache>/capi-crds-<version> with the three CRDs as upstream names them', () => {
    for (const [version, ipamVersions] of [
      [current, ['v1beta2']],
      [v1beta1, ['v1beta1']],
    ] as const) {
      const dir = capiCrdsFolder(version, { cacheDir: cache });
      assert.equal(dir, join(cache, `capi-crds-${version}`));
      assert.deepEqual(readdirSync(dir).sort(), [...CAPI_CRD_FILES]);
      const names = CAPI_CRD_FILES.map((f) => readCrd(dir, f).metadata.name);
      assert.deepEqual(names, [
        'clusters.cluster.x-k8s.io',
        'ipaddressclaims.ipam.cluster.x-k8s.io',
        'ipaddresses.ipam.cluster.x-k8s.io',
      ]);
      const ipaddresses = served(readCrd(dir, 'ipam.cluster.x-k8s.io_ipaddresses.yaml'));
      for (const v of ipamVersions) assert.ok(ipaddresses.includes(v), `${version} serves ${v}`);
      if (version === v1beta1) assert.ok(!ipaddresses.includes('v1beta2'), `${version} predates v1beta2`);
    }
    assert.deepEqual(readdirSync(cache).sort(), [`capi-crds-${current}`, `capi-crds-${v1beta1}`].sort());
  });

  it('serves a cached release without Go, and says Go is missing when a release is not cached', () => {
    const dir = withoutGo(() => capiCrdsFolder(current, { cacheDir: cache }));
    assert.equal(dir, join(cache, `capi-crds-${current}`));
    const empty = join(work, 'empty-cache');
    assert.throws(
      () => withoutGo(() => capiCrdsFolder(current, { cacheDir: empty })),
      /Go is not installed; it fetches the Cluster API CRDs \(go mod download sigs\.k8s\.io\/cluster-api@v1\./,
    );
    assert.deepEqual(readdirSync(empty), [], 'nothing half-written');
  });

  it('names the module and version when the release does not exist', () => {
    assert.throws(
      () => capiCrdsFolder('v1.14.999', { cacheDir: cache }),
      /go mod download sigs\.k8s\.io\/cluster-api@v1\.14\.999 failed: /,
    );
  });

  it('IPAM_CAPI_CRDS_DIR: the release folder, else the one folder of the same minor line, else an error', () => {
    const override = join(work, 'override');
    const fetched = join(cache, `capi-crds-${current}`);
    const line = current.split('.').slice(0, 2).join('.');
    mkdirSync(override);
    cpSync(fetched, join(override, `${line}.0`), { recursive: true });
    assert.equal(
      capiCrdsFolder(current, { cacheDir: cache, overrideDir: override }),
      join(override, `${line}.0`),
    );
    cpSync(fetched, join(override, current), { recursive: true });
    assert.equal(
      capiCrdsFolder(current, { cacheDir: cache, overrideDir: override }),
      join(override, current),
    );
    assert.throws(
      () => capiCrdsFolder(v1beta1, { cacheDir: cache, overrideDir: override }),
      new RegExp(`IPAM_CAPI_CRDS_DIR=${override} has no folder ${v1beta1.replaceAll('.', '\\.')} `),
    );
  });
});
