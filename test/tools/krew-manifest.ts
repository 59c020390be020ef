// `npm run release:krew -- --version 1.2.3 --repository owner/name --sums SHA256SUMS [--out ipam.yaml]`
// Renders the krew manifest (plugin/krew/ipam.yaml, a template) for a release: the version, the
// GitHub repository the archives are downloaded from, and each archive's sha256 taken from the
// release's SHA256SUMS (`sha256sum` output: "<64 hex>  <file>"). Fails, naming the archive, when a
// platform's archive has no sum, so a manifest never ships with a missing or made-up checksum.
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { repoRoot } from '../cluster/paths.js';
import { releaseVersion } from './release-prepare.js';

export const krewTemplatePath = join(repoRoot, 'plugin', 'krew', 'ipam.yaml');

/** file name -> sha256, from `sha256sum` output (text or binary mode, "*" before the name). */
export function parseSums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (!match?.[1] || !match[2]) {
      throw new Error(`sums line ${i + 1}: "${line}" is not "<sha256>  <file>"`);
    }
    sums.set(basename(match[2]), match[1]);
  });
  return sums;
}

/** The archive file names the template downloads, one per platform, in order. */
export function krewArchives(template: string): string[] {
  return [...template.matchAll(/^\s*uri: \S+\/([^/\s]+)$/gm)].map((m) => m[1] ?? '');
}

export interface KrewRelease {
  version: string;
  repository: string;
  sums: Map<string, string>;
}

export function renderKrewManifest(template: string, release: KrewRelease): string {
  const version = releaseVersion(release.version);
  if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(release.repository)) {
    throw new Error(`--repository: "${release.repository}" is not a GitHub repository (owner/name)`);
  }
  let archive: string | undefined;
  const lines = template.split('\n').flatMap((line) => {
    if (line.startsWith('#')) return []; // the template's own header
    const uri = /^\s*uri: \S+\/([^/\s]+)$/.exec(line);
    if (uri) archive = uri[1];
    if (!line.includes('{{SHA256}}')) return [line];
    if (archive === undefined) throw new Error(`template: a sha256 comes before any uri: ${line.trim()}`);
    const sum = release.sums.get(archive);
    if (sum === undefined) throw new Error(`no sha256 for ${archive} in the sums file`);
    archive = undefined;
    return [line.replace('{{SHA256}}', sum)];
  });
  const text = [
    `# krew manifest for kubectl-ipam v${version} (rendered from plugin/krew/ipam.yaml by npm run release:krew).`,
    ...lines,
  ]
    .join('\n')
    .replaceAll('{{VERSION}}', version)
    .replaceAll('{{REPOSITORY}}', release.repository);
  const left = /\{\{[A-Z0-9_]+\}\}/.exec(text);
  if (left) throw new Error(`template: ${left[0]} is not filled in`);
  parse(text); // throws on a broken manifest
  return text;
}

function main(): void {
  const { values } = parseArgs({
    options: {
      version: { type: 'string' },
      repository: { type: 'string' },
      sums: { type: 'string' },
      out: { type: 'string' },
    },
  });
  if (values.version === undefined || values.repository === undefined || values.sums === undefined) {
    throw new Error(
      'usage: release:krew -- --version 1.2.3 --repository owner/name --sums SHA256SUMS [--out FILE]',
    );
  }
  const text = renderKrewManifest(readFileSync(krewTemplatePath, 'utf8'), {
    version: values.version,
    repository: values.repository,
    sums: parseSums(readFileSync(values.sums, 'utf8')),
  });
  if (values.out === undefined) process.stdout.write(text);
  else writeFileSync(values.out, text);
}

if (process.argv[1]?.endsWith('krew-manifest.ts')) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`release:krew: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
