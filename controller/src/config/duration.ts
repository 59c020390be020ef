/**
 * Go `time.ParseDuration` syntax (`15s`, `1m30s`, `500ms`, `1.5h`), so leader-election flags
 * take the same values as in Go providers' manifests.
 */
const UNIT_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Milliseconds, or undefined when `input` is not a Go duration. Negative durations are rejected. */
export function parseGoDuration(input: string): number | undefined {
  const s = input.trim();
  if (s === '0') return 0;
  if (
    s === '' ||
    !/^(\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)((\d+(\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h))*$/.test(s)
  )
    return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h)/g)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

/** A duration in ms in Go form, for --help defaults. */
export function formatGoDuration(ms: number): string {
  if (ms % 3_600_000 === 0 && ms > 0) return `${String(ms / 3_600_000)}h`;
  if (ms % 60_000 === 0 && ms > 0) return `${String(ms / 60_000)}m`;
  if (ms % 1000 === 0) return `${String(ms / 1000)}s`;
  return `${String(ms)}ms`;
}
