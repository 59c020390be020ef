// --request-timeout as kubectl takes it: "the length of time to wait before giving up on a single
// server request"; a Go duration (1s, 2m, 1m30s, 500ms) or a bare number of seconds; "0" (kubectl's
// default) means no timeout.
import { CliError, ExitCode } from '../errors/cli-error.js';

/** kubectl's default: no timeout. */
export const DEFAULT_REQUEST_TIMEOUT = '0';

const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
  us: 0.001,
  µs: 0.001,
  ns: 0.000001,
};

/** Milliseconds for a --request-timeout value; 0 is none. Throws a usage error naming the value. */
export function parseRequestTimeout(text: string): number {
  const value = text.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const parts = /^(?:(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns))+$/.test(value)
    ? [...value.matchAll(/(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/g)]
    : undefined;
  if (parts === undefined || parts.length === 0)
    throw new CliError(
      ExitCode.Usage,
      `invalid --request-timeout "${text}": use a duration such as 30s, 2m or 1m30s (0: no timeout)`,
    );
  return Math.ceil(parts.reduce((ms, [, n, unit]) => ms + Number(n) * (UNIT_MS[unit ?? 's'] ?? 0), 0));
}
