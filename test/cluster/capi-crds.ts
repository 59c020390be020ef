// The Cluster API CRDs (Cluster, IPAddressClaim, IPAddress) that the demo, the tests and
// `npm run crds:install` install, at the releases pinned in versions.env. They come from Go modules,
// like the control plane's binaries: `go mod download -json sigs.k8s.io/cluster-api@<version>` puts
// the module into Go's module cache, and its CRD folder (core/config/crd/bases from v1.11 on,
// config/crd/bases before) holds the files as upstream ships them. The three files are copied
// unchanged to $IPAM_CACHE_DIR/capi-crds-<version>/ (default ~/.cache/ipam-in-cluster), so a warm
// cache needs neither Go nor the network.
//
// IPAM_CAPI_CRDS_DIR overrides the source: a folder with one sub-folder per release, each holding the
// three files (<dir>/v1.14.2/cluster.x-k8s.io_clusters.yaml, ...). The pinned release's folder is
// used, else the single folder of the same minor line (a patch release does not change the API:
// v1.14.0's and v1.14.2's files are byte for byte the same).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir, capiCrdsOverride } from './paths.js';
import { readPinnedVersions } from './versions.js';

export const CAPI_MODULE = 'sigs.k8s.io/cluster-api';

/** The files each release folder holds, named as upstream names them. */
export const CAPI_CRD_FILES = [
  'cluster.x-k8s.io_clusters.yaml',
  'ipam.cluster.x-k8s.io_ipaddressclaims.yaml',
  'ipam.cluster.x-k8s.io_ipaddresses.yaml',
] as const;

/** `current`: the pinned release of the current line (IPAM contract v1beta2); `v1beta1`: of 1.6-1.10. */
export type CapiLine = 'current' | 'v1beta1';

/** The pinned Cluster API release of a line (test/cluster/versions.env). */
export function capiRelease(line: CapiLine): string {
  const versions = readPinnedVersions();
  return line === 'current' ? versions.capi : versions.capiV1beta1;
}

export interface CapiCrdSource {
  /** Where fetched releases are cached (capi-crds-<version>/). */
  cacheDir: string;
  /** A folder of release folders to use instead (IPAM_CAPI_CRDS_DIR). */
  overrideDir?: string | undefined;
}

const defaultSource: CapiCrdSource = { cacheDir, overrideDir: capiCrdsOverride };

/** The folder holding the three CRD files of a line's pinned release, fetched on first use. */
export function capiCrdsDir(line: CapiLine = 'current'): string {
  return capiCrdsFolder(capiRelease(line));
}

/** The folder holding the three CRD files of `version`: the override's, else the cache's (filled first). */
export function capiCrdsFolder(version: string, source: CapiCrdSource = defaultSource): string {
  if (source.overrideDir !== undefined) return overrideFolder(version, source.overrideDir);
  const dir = join(source.cacheDir, `capi-crds-${version}`);
  if (!complete(dir)) fetchCapiCrds(version, source.cacheDir, dir);
  return dir;
}

const complete = (dir: string): boolean => CAPI_CRD_FILES.every((f) => existsSync(join(dir, f)));

function overrideFolder(version: string, dir: string): string {
  const exact = join(dir, version);
  if (complete(exact)) return exact;
  const line = `${version.split('.').slice(0, 2).join('.')}.`;
  const sameLine = existsSync(dir) ? readdirSync(dir).filter((name) => name.startsWith(line)) : [];
  const only = sameLine.length === 1 ? sameLine[0] : undefined;
  if (only !== undefined && complete(join(dir, only))) return join(dir, only);
  throw new Error(
    `IPAM_CAPI_CRDS_DIR=${dir} has no folder ${version} (nor one single ${line}* folder) holding ` +
      `${CAPI_CRD_FILES.join(', ')}; unset it to fetch the CRDs from Go modules`,
  );
}

interface GoModDownload {
  Dir?: string;
  Error?: string;
}

function fetchCapiCrds(version: string, cache: string, dir: string): void {
  const module = `${CAPI_MODULE}@${version}`;
  mkdirSync(cache, { recursive: true });
  const result = spawnSync('go', ['mod', 'download', '-json', module], {
    // Outside any Go module, so the download is not resolved against one.
    cwd: cache,
    encoding: 'utf8',
    env: { ...process.env, GOFLAGS: '-mod=mod', GOTOOLCHAIN: 'local', GO111MODULE: 'on' },
  });
  if (result.error) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new Error(
      missing
        ? `Go is not installed; it fetches the Cluster API CRDs (go mod download ${module}): install Go >= 1.26, or set IPAM_CAPI_CRDS_DIR`
        : `go mod download ${module}: ${result.error.message}`,
    );
  }
  let info: GoModDownload = {};
  try {
    info = JSON.parse(result.stdout) as GoModDownload;
  } catch {
    // Not JSON: go failed before downloading; stderr says why.
  }
  if (result.status !== 0 || info.Dir === undefined) {
    const why = info.Error ?? (result.stderr.trim() || `exit status ${String(result.status)}`);
    throw new Error(`go mod download ${module} failed: ${why}`);
  }
  const moduleDir = info.Dir;
  const bases = ['core/config/crd/bases', 'config/crd/bases']
    .map((b) => join(moduleDir, b))
    .find((b) => complete(b));
  if (bases === undefined) {
    throw new Error(
      `${module} (${moduleDir}) has neither core/config/crd/bases nor config/crd/bases with ${CAPI_CRD_FILES.join(', ')}`,
    );
  }
  // Written beside the target and renamed, so a concurrent reader never sees a partial folder.
  const tmp = `${dir}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp);
  for (const file of CAPI_CRD_FILES) writeFileSync(join(tmp, file), readFileSync(join(bases, file)));
  try {
    renameSync(tmp, dir);
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    if (!complete(dir)) throw error; // else another process filled it first
  }
}
