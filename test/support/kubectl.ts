// kubectl against any kubeconfig (the shared plane or a private one), for tests that need a
// plain, independent client.
import { execFileSync } from 'node:child_process';

export function kubectlWith(kubeconfig: string) {
  return (args: string[], input?: string): string =>
    execFileSync('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
}
