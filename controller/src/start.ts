// The controller binary once main.ts has settled its Node flags: parse flags, start diagnostics, the
// webhook server (every replica) and the manager, stop gracefully on SIGTERM/SIGINT (stop intake,
// drain in-flight reconciles, release the Lease, stop informers, stop the webhook server, close the
// diagnostics servers).
import { getHeapStatistics } from 'node:v8';
import { parseFlags } from './config/flags.js';
import { createLogger } from './log/logger.js';
import { runFromConfig } from './manager/run.js';
import { effectiveNodeFlags } from './node-flags.js';

/** Runs the controller with `args` (the command line after the script); resolves to the exit code. */
export async function runController(args: readonly string[]): Promise<number> {
  const parsed = parseFlags(args, {
    writeOut: (s) => process.stdout.write(s),
    writeErr: (s) => process.stderr.write(s),
  });
  if (!parsed.ok) {
    for (const e of parsed.errors) process.stderr.write(`error: ${e}\n`);
    return parsed.exitCode;
  }
  const { config } = parsed;
  const log = createLogger({ level: config.log.level, format: config.log.format, name: 'manager' });
  // Every way of starting the controller should end with the same settings (docs/adr/0025): say which.
  log.info('node runtime', {
    node: process.version,
    nodeFlags: effectiveNodeFlags(process.execArgv, process.env.NODE_OPTIONS).join(' '),
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 1048576),
  });
  // Handlers first: a SIGTERM that arrives while the manager is still starting (it may already be
  // leading and logging) must stop it gracefully once it is up, not kill the process outright.
  let running: Awaited<ReturnType<typeof runFromConfig>> | undefined;
  const signalled = { any: false }; // an object: set in the handler, which TypeScript does not follow
  // Aborts a start still waiting for the API server (discovery retries while it is unavailable).
  const starting = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received, shutting down', { signal });
    signalled.any = true;
    starting.abort();
    if (running !== undefined) void running.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  try {
    running = await runFromConfig(config, log, starting.signal);
  } catch (error) {
    if (signalled.any) return 0; // stopped while starting: nothing ran yet, a clean exit
    log.error('start-up failed', { error });
    return 1;
  }
  if (signalled.any) void running.stop();
  await running.done;
  // Leadership lost: exit non-zero so the pod restarts and stands again (controller-runtime does the same).
  return running.stopReason === 'leadership-lost' ? 1 : 0;
}
