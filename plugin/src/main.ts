// Entry point of kubectl-ipam: wires process I/O to the program. Nothing else lives here.
import { run } from './cli/program.js';

const code = await run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY,
  env: process.env,
});
process.exitCode = code;
