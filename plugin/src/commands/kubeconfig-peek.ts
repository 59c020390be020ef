// The kubeconfig context name for the browser's header, read from the file's text without loading
// the Kubernetes client: --context, else the `current-context` of the first kubeconfig file that sets
// one (kubectl's merge rule), from --kubeconfig, $KUBECONFIG, or ~/.kube/config. undefined when
// unsure (in-cluster, unreadable file); the session's own answer replaces it once it is open.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export function peekContext(
  globals: { readonly kubeconfig: string | undefined; readonly context: string | undefined },
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (globals.context !== undefined) return globals.context;
  const files =
    globals.kubeconfig !== undefined
      ? [globals.kubeconfig]
      : env.KUBECONFIG !== undefined && env.KUBECONFIG !== ''
        ? env.KUBECONFIG.split(delimiter).filter((f) => f !== '')
        : [join(homedir(), '.kube', 'config')];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const m = /^current-context:[ \t]*(.*?)[ \t]*$/m.exec(text);
    const raw = m?.[1];
    if (raw === undefined || raw === '' || raw === '""' || raw === "''") continue;
    return raw.replace(/^"(.*)"$|^'(.*)'$/, '$1$2');
  }
  return undefined;
}
