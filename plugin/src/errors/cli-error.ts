// Every failure the user sees is a CliError: one human line, an exit code, details for --verbose.
// The Kubernetes client is not imported here (the CLI must start without it): the data layer, which
// is the only thing that talks to the cluster, registers kube's classifier when it loads
// (./kube-errors.ts). Before that, no error can be a Kubernetes error.
import type { classifyApiError } from '@ipam-in-cluster/kube';

let classify: typeof classifyApiError | undefined;

/** Called by ./kube-errors.ts when the Kubernetes client is loaded. */
export function useKubeErrorClassifier(classifier: typeof classifyApiError): void {
  classify = classifier;
}

/** Exit codes (documented in plugin/README.md). */
export const ExitCode = {
  Ok: 0,
  /** Anything unexpected (a bug, or an API error with no better code). */
  Error: 1,
  /** Bad flags or arguments: unknown option, bad address, ambiguous pool name. */
  Usage: 2,
  /** The named pool, address, claim or file does not exist. */
  NotFound: 3,
  /** No kubeconfig, or the API server cannot be reached. */
  NoCluster: 4,
  /** Not allowed: 401 / 403 from the API server. */
  Forbidden: 5,
  /** Refused or lost a race: the claim still exists (use --force), or the object changed (resourceVersion). */
  Refused: 6,
  /** doctor found problems (the report is still printed). */
  Findings: 7,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  readonly exitCode: ExitCode;
  /** A second line with what to do, shown after the message. */
  readonly hint: string | undefined;
  constructor(exitCode: ExitCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/**
 * Turns anything thrown into a CliError. `what` names the operation for the message
 * ("list IPAddresses", "delete IPAddress a/b").
 */
export function toCliError(error: unknown, what?: string): CliError {
  if (error instanceof CliError) return error;
  if (error instanceof Error && error.name === 'KubeConfigError')
    return new CliError(ExitCode.NoCluster, error.message, { cause: error });
  if (classify === undefined) {
    const message = error instanceof Error ? error.message : String(error);
    return new CliError(ExitCode.Error, what === undefined ? message : `cannot ${what}: ${message}`, {
      cause: error,
    });
  }
  const c = classify(error);
  const doing = what === undefined ? '' : `cannot ${what}: `;
  switch (c.kind) {
    case 'Timeout':
      return new CliError(
        ExitCode.NoCluster,
        `${doing}the API server did not answer in time (${c.message})`,
        {
          hint: 'it may be overloaded or hung; --request-timeout sets how long to wait (0: no limit, as kubectl)',
          cause: error,
        },
      );
    case 'Network':
      return new CliError(ExitCode.NoCluster, `${doing}cannot reach the API server (${c.message})`, {
        hint: 'check --kubeconfig / --context and that the cluster is running',
        cause: error,
      });
    case 'Unauthorized':
      return new CliError(ExitCode.Forbidden, `${doing}not authenticated (401): ${c.message}`, {
        hint: 'your credentials were rejected; log in again or check the kubeconfig user',
        cause: error,
      });
    case 'Forbidden':
      return new CliError(ExitCode.Forbidden, `${doing}permission denied: ${c.message}`, { cause: error });
    case 'NotFound':
      return new CliError(ExitCode.NotFound, `${doing}${c.message}`, { cause: error });
    case 'Conflict':
    case 'Invalid':
      return new CliError(ExitCode.Refused, `${doing}${c.message}`, { cause: error });
    case 'Unknown':
      return new CliError(ExitCode.Error, `${doing}${c.message}`, { cause: error });
    default:
      return new CliError(ExitCode.Error, `${doing}${c.message}`, { cause: error });
  }
}

/** The text printed for an error: `error: message`, the hint, and with --verbose the cause chain and stack. */
export function formatError(error: CliError, verbose: boolean): string {
  const lines = [`error: ${error.message}`];
  if (error.hint !== undefined) lines.push(`hint: ${error.hint}`);
  if (verbose) {
    for (let cause: unknown = error.cause, depth = 0; cause !== undefined && depth < 5; depth++) {
      if (cause instanceof Error) {
        lines.push(`caused by: ${cause.stack ?? cause.message}`);
        const body = (cause as { body?: unknown }).body;
        if (typeof body === 'string' && body !== '') lines.push(`response: ${body}`);
        cause = cause.cause;
      } else {
        lines.push(`caused by: ${typeof cause === 'string' ? cause : JSON.stringify(cause)}`);
        break;
      }
    }
    if (error.cause === undefined && error.stack !== undefined) lines.push(error.stack);
  }
  return `${lines.join('\n')}\n`;
}
