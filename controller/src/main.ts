// Entry point. First the Node flags: started without the controller's (CONTROLLER_NODE_FLAGS: heap
// cap, small young generation, baseline compiler only), the process replaces itself (execve: same
// pid, same stdio and environment) with one that has them, so the image, `npm run controller`, the
// demo and the tests all run with the same memory settings (docs/adr/0025). Only then is the
// controller itself loaded (a dynamic import: in the bundle, a chunk), so the first image is cheap.
import { missingNodeFlags, REEXEC_MARKER, reexecArgv } from './node-flags.js';

function reexecWithNodeFlags(): void {
  if (process.env[REEXEC_MARKER] !== undefined) {
    Reflect.deleteProperty(process.env, REEXEC_MARKER);
    return;
  }
  const missing = missingNodeFlags(process.execArgv, process.env.NODE_OPTIONS);
  if (missing.length === 0) return;
  try {
    if (process.execve === undefined) throw new Error('process.execve is not available on this platform');
    // Does not return: the process image is replaced.
    process.execve(process.execPath, reexecArgv(missing, process.execPath, process.execArgv, process.argv), {
      ...process.env,
      [REEXEC_MARKER]: '1',
    });
  } catch (error) {
    process.stderr.write(
      `${JSON.stringify({ level: 'warn', msg: "running with Node's default memory settings: re-executing with the controller's Node flags failed", flags: missing.join(' '), error: error instanceof Error ? error.message : String(error) })}\n`,
    );
  }
}

reexecWithNodeFlags();
const { runController } = await import('./start.js');
runController(process.argv.slice(2)).then(
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
