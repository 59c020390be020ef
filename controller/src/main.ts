// Entry point: parse flags, start the manager, stop it gracefully on SIGTERM/SIGINT.
import { CommanderError } from 'commander';
import { parseFlags } from './manager/flags.js';
import { createLogger } from './log/logger.js';
import { runFromFlags } from './manager/run.js';

async function main(): Promise<number> {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    throw error;
  }
  const log = createLogger({ level: flags.logLevel, format: flags.logFormat, name: 'manager' });
  let running;
  try {
    running = await runFromFlags(flags, log);
  } catch (error) {
    log.error('start-up failed', { error: error instanceof Error ? error.message : String(error) });
    return 1;
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    log.info('signal received, shutting down', { signal });
    void running.stop();
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  await running.done;
  return running.stopReason === 'leadership-lost' ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `${JSON.stringify({ level: 'error', msg: 'fatal', error: error instanceof Error ? error.message : String(error) })}\n`,
    );
    process.exitCode = 1;
  },
);
