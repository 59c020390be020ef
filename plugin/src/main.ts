// Entry point of kubectl-ipam: wires process I/O to the program. Nothing else lives here.
// No top-level await, so the same file bundles to CommonJS for the standalone (SEA) binary.
import { enableCompileCache } from 'node:module';

// V8's code cache on disk (os.tmpdir()/node-compile-cache; NODE_DISABLE_COMPILE_CACHE=1 turns it off):
// modules loaded from here on compile once per version, not on every run. Must come before the
// program is imported, hence the dynamic import below.
enableCompileCache();

void import('./cli/program.js')
  .then(({ run }) =>
    run(process.argv.slice(2), {
      out: (s) => process.stdout.write(s),
      err: (s) => process.stderr.write(s),
      isTTY: process.stdout.isTTY,
      columns: process.stdout.columns,
      env: process.env,
    }),
  )
  .then((code) => {
    process.exitCode = code;
  });
