// The Node flags the controller runs with, however it is started (image, `npm run controller`, the
// demo, tests): main.ts re-executes the process with those that are missing (docs/adr/0025).
// Why these: docs/adr/0011-controller-memory.md. This module is the one place they are written.

/**
 * A capped old generation (128 MiB holds 20 000 addresses plus a burst), a 1 MiB young generation
 * (semi-space), V8's baseline compiler only (no Maglev or TurboFan: less of the binary mapped,
 * no optimising-compiler zones), and `gc` exposed for the one collection after the initial lists
 * (manager/start-garbage.ts, ADR 0036).
 */
export const CONTROLLER_NODE_FLAGS: readonly string[] = [
  '--max-old-space-size=128',
  '--max-semi-space-size=1',
  '--max-opt=1',
  '--expose-gc',
];

/** Set in the re-executed process: it never re-executes again, whatever it finds. */
export const REEXEC_MARKER = 'IPAM_CONTROLLER_NODE_FLAGS_APPLIED';

/** `--max-old-space-size=128` → `--max-old-space-size`; V8 spells `_` and `-` alike. */
function optionName(flag: string): string {
  const eq = flag.indexOf('=');
  return (eq === -1 ? flag : flag.slice(0, eq)).replaceAll('_', '-');
}

/**
 * The controller's flags that the process was not started with. A flag counts as given when the
 * same option appears in Node's own arguments (`process.execArgv`) or in NODE_OPTIONS, with any
 * value: an operator's choice (the chart's `NODE_OPTIONS=--max-old-space-size=…`, a benchmark's
 * `--max-opt=2`) wins over the default.
 */
export function missingNodeFlags(
  execArgv: readonly string[],
  nodeOptions: string | undefined,
  wanted: readonly string[] = CONTROLLER_NODE_FLAGS,
): string[] {
  const given = new Set(
    [...execArgv, ...(nodeOptions ?? '').split(/\s+/)].filter((a) => a.startsWith('--')).map(optionName),
  );
  return wanted.filter((flag) => !given.has(optionName(flag)));
}

/** The argv for `process.execve`: this Node with the missing flags first, then as started. */
export function reexecArgv(
  missing: readonly string[],
  execPath: string,
  execArgv: readonly string[],
  argv: readonly string[],
): string[] {
  return [execPath, ...missing, ...execArgv, ...argv.slice(1)];
}

/**
 * The Node flags this process runs with, as the controller's first log line reports them: Node's
 * own arguments, then NODE_OPTIONS. However it was started (image, chart, `npm run controller`, the
 * demo, a test helper, a benchmark's mode), the line shows whether it got the controller's settings.
 */
export function effectiveNodeFlags(execArgv: readonly string[], nodeOptions: string | undefined): string[] {
  return [...execArgv, ...(nodeOptions ?? '').split(/\s+/).filter((a) => a !== '')];
}
