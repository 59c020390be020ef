// Runs inside the image build stage: copies exactly what the controller needs at run time into
// /out — the bundle controller/image/bundle.mjs wrote (every dependency is inside it, so no
// node_modules): main.mjs, its lazily imported chunks/, and their source maps (unused unless
// NODE_OPTIONS=--enable-source-maps).
import { cpSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const src = process.argv[2] ?? '/src';
const out = process.argv[3] ?? '/out';
mkdirSync(join(out, 'controller'), { recursive: true });
for (const entry of ['main.mjs', 'main.mjs.map', 'chunks']) {
  cpSync(join(src, 'controller/dist/bundle', entry), join(out, 'controller', entry), { recursive: true });
}
process.stdout.write(`assembled controller/dist/bundle into ${out}/controller\n`);
