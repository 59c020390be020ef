// Where the local control plane keeps its state, binaries and logs.
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** Repository root (two levels above test/cluster). */
export const repoRoot = resolve(here, '..', '..');
/** Per-checkout state: PKI, etcd data, logs, kubeconfig, pids. Ignored by git. */
export const clusterDir = process.env.IPAM_CLUSTER_DIR ?? join(repoRoot, '.cluster');
/** Built binaries, shared by every checkout on the machine and keyed by version. */
export const cacheDir = process.env.IPAM_CACHE_DIR ?? join(homedir(), '.cache', 'ipam-in-cluster');
export const buildScript = join(here, 'build-binaries.sh');
export const versionsFile = join(here, 'versions.env');
/**
 * Optional: a folder of Cluster API CRDs (<dir>/<release>/*.yaml) to use instead of fetching them
 * from Go modules (test/cluster/capi-crds.ts).
 */
export const capiCrdsOverride = process.env.IPAM_CAPI_CRDS_DIR || undefined;

export const kubeconfigPath = join(clusterDir, 'kubeconfig');
export const statePath = join(clusterDir, 'state.json');
