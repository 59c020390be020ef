/**
 * Bind addresses in the Go form the upstream flags use: `:8080` (all interfaces), `host:port`,
 * `[v6]:port`; `0` or the empty string disables the listener (controller-runtime semantics).
 */

/** Where to listen; host undefined means all interfaces. Port 0 picks a free port (tests). */
export interface BindAddress {
  readonly host: string | undefined;
  readonly port: number;
}

export type BindAddressResult =
  | { readonly ok: true; readonly value: BindAddress | undefined }
  | { readonly ok: false; readonly error: string };

/** Parses a bind address; `{ ok: true, value: undefined }` means disabled. */
export function parseBindAddress(input: string): BindAddressResult {
  const s = input.trim();
  if (s === '' || s === '0') return { ok: true, value: undefined };
  const colon = s.lastIndexOf(':');
  if (colon === -1) return { ok: false, error: 'must be host:port, :port, or 0 to disable' };
  let host = s.slice(0, colon);
  const portText = s.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  else if (host.includes(':'))
    return { ok: false, error: 'an IPv6 host must be in brackets, e.g. [::1]:8080' };
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535)
    return { ok: false, error: 'port must be a number between 0 and 65535' };
  return { ok: true, value: { host: host === '' ? undefined : host, port: Number(portText) } };
}

/** The Go form of an address, for logs and --help. */
export function formatBindAddress(a: BindAddress): string {
  const host = a.host === undefined ? '' : a.host.includes(':') ? `[${a.host}]` : a.host;
  return `${host}:${String(a.port)}`;
}
