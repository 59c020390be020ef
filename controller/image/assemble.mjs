// Runs inside the image build stage: copies exactly what the controller needs at run time into
// /out — production node_modules and, for each of our workspace packages the controller uses,
// package.json plus its compiled dist/ (without tests or source maps) and data files (crds/).
import { cpSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const src = process.argv[2] ?? '/src';
const out = process.argv[3] ?? '/out';
const workspaces = ['packages/allocator', 'packages/api', 'packages/kube', 'controller'];
const keep = (path) => !/\.test\.js$|\.test\.d\.ts$|\.map$|\.tsbuildinfo$|\.d\.ts$/.test(path);

mkdirSync(out, { recursive: true });
cpSync(join(src, 'node_modules'), join(out, 'node_modules'), { recursive: true, verbatimSymlinks: true });
cpSync(join(src, 'package.json'), join(out, 'package.json'));
for (const ws of workspaces) {
  const pkg = JSON.parse(readFileSync(join(src, ws, 'package.json'), 'utf8'));
  cpSync(join(src, ws, 'package.json'), join(out, ws, 'package.json'));
  cpSync(join(src, ws, 'dist'), join(out, ws, 'dist'), { recursive: true, filter: keep });
  for (const extra of pkg.files ?? []) {
    if (extra !== 'dist' && existsSync(join(src, ws, extra))) {
      cpSync(join(src, ws, extra), join(out, ws, extra), { recursive: true });
    }
  }
}
process.stdout.write(`assembled ${workspaces.join(', ')} into ${out}\n`);
