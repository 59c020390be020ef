// metav1.MicroTime on the wire: RFC 3339 in UTC with exactly six fractional digits. The API server
// accepts fewer, but Lease fields written by client-go always have six; we match so that tools which
// compare the strings (and humans) see one format.
export function formatMicroTime(date: Date): string {
  const iso = date.toISOString(); // 2026-01-02T03:04:05.678Z
  return `${iso.slice(0, -1)}000Z`;
}

/** Parses a MicroTime or RFC 3339 time; undefined when absent or malformed. */
export function parseMicroTime(value: string | undefined): Date | undefined {
  if (value === undefined || value === '') return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
