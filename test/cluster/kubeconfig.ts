// Writes a self-contained kubeconfig (certificates embedded) for one user of the local plane.
import { readFileSync, writeFileSync } from 'node:fs';

export interface KubeconfigInput {
  server: string;
  caFile: string;
  certFile: string;
  keyFile: string;
  user: string;
}

const b64 = (file: string) => readFileSync(file).toString('base64');

export function writeKubeconfig(path: string, input: KubeconfigInput): void {
  const text = `apiVersion: v1
kind: Config
clusters:
- name: ipam-local
  cluster:
    server: ${input.server}
    certificate-authority-data: ${b64(input.caFile)}
users:
- name: ${input.user}
  user:
    client-certificate-data: ${b64(input.certFile)}
    client-key-data: ${b64(input.keyFile)}
contexts:
- name: ipam-local
  context:
    cluster: ipam-local
    user: ${input.user}
current-context: ipam-local
`;
  writeFileSync(path, text, { mode: 0o600 });
}
