// Entry point of kubectl-ipam: wires process I/O to the program. Nothing else lives here.
// No top-level await, so the same file bundles to CommonJS for the standalone (SEA) binary.
import { run } from './cli/program.js';

void run(process.argv.slice(2), {
  out: (s) => process.stdout.write(s),
  err: (s) => process.stderr.write(s),
  isTTY: process.stdout.isTTY,
  env: process.env,
}).then((code) => {
  process.exitCode = code;
});
