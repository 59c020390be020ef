// Reads the pinned versions from versions.env so that the shell build script and the TypeScript
// harness share one source of truth.
import { readFileSync } from 'node:fs';
import { versionsFile } from './paths.js';

export interface PinnedVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
  clusterctl: string;
  /** Cluster API release of the current line (IPAM contract v1beta2), for its CRDs. */
  capi: string;
  /** Cluster API release of the v1beta1 line (1.6-1.10), for its CRDs. */
  capiV1beta1: string;
  actionlint: string;
}

export function readPinnedVersions(): PinnedVersions {
  const values = new Map<string, string>();
  for (const line of readFileSync(versionsFile, 'utf8').split('\n')) {
    const match = /^([A-Z][A-Z0-9_]*)=(\S+)$/.exec(line.trim());
    if (match?.[1] && match[2]) values.set(match[1], match[2]);
  }
  const get = (key: string): string => {
    const value = values.get(key);
    if (!value) throw new Error(`${versionsFile}: ${key} is not set`);
    return value;
  };
  return {
    kubernetes: get('KUBERNETES_VERSION'),
    etcd: get('ETCD_VERSION'),
    helm: get('HELM_VERSION'),
    clusterctl: get('CLUSTERCTL_VERSION'),
    capi: get('CAPI_VERSION'),
    capiV1beta1: get('CAPI_V1BETA1_VERSION'),
    actionlint: get('ACTIONLINT_VERSION'),
  };
}
