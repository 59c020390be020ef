// The chart packages real copies of packages/api/crds in charts/ipam-in-cluster/files/crds (a symlink
// made every helm command warn, and `helm package` would follow it anyway). packages/api/crds stays
// the single source: `npm run chart:crds` copies it, and a test fails when the copies differ.
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CRD_DIR } from '@ipam-in-cluster/api';
import { chartDir } from './chart-schema.js';

export const chartCrdDir = join(chartDir, 'files', 'crds');

const yamlFiles = (dir: string) =>
  readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();

/** Files that are missing, extra or different in the chart's copy (empty when in sync). */
export function chartCrdDrift(): string[] {
  const source = yamlFiles(CRD_DIR);
  let copies: string[];
  try {
    copies = yamlFiles(chartCrdDir);
  } catch {
    return source.map((f) => `${f}: missing`);
  }
  const drift = copies.filter((f) => !source.includes(f)).map((f) => `${f}: not in packages/api/crds`);
  for (const f of source) {
    if (!copies.includes(f)) drift.push(`${f}: missing`);
    else if (!readFileSync(join(CRD_DIR, f)).equals(readFileSync(join(chartCrdDir, f))))
      drift.push(`${f}: differs`);
  }
  return drift;
}

export function syncChartCrds(): void {
  rmSync(chartCrdDir, { recursive: true, force: true });
  mkdirSync(chartCrdDir, { recursive: true });
  for (const f of yamlFiles(CRD_DIR)) copyFileSync(join(CRD_DIR, f), join(chartCrdDir, f));
}

if (process.argv[1]?.endsWith('chart-crds.ts')) {
  syncChartCrds();
  process.stdout.write('copied packages/api/crds to charts/ipam-in-cluster/files/crds\n');
}
