// `npm run release:prepare -- --version 1.2.3 --repository owner/name`
// Stamps a release into the working tree before the release workflow (.github/workflows/release.yaml)
// packages it: the chart's version and appVersion, and its default image.repository set to where
// the workflow pushes the image, ghcr.io/<owner>/<name>/controller (lower-cased: registry paths
// must be, GitHub names need not). Only those three lines change; comments and layout stay.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { parse } from 'yaml';
import { chartDir as defaultChartDir } from './chart-schema.js';

const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z.-]+)?$/;
const REPOSITORY = /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/;

/** `1.2.3` from `1.2.3` or a tag `v1.2.3`; an error naming the value otherwise. */
export function releaseVersion(value: string): string {
  const version = value.startsWith('v') ? value.slice(1) : value;
  if (!SEMVER.test(version)) {
    throw new Error(`--version: "${value}" is not a release version (1.2.3, v1.2.3 or 1.2.3-rc.1)`);
  }
  return version;
}

/** Where the release workflow pushes the controller image of GitHub repository `owner/name`. */
export function imageRepositoryFor(repository: string): string {
  if (!REPOSITORY.test(repository)) {
    throw new Error(`--repository: "${repository}" is not a GitHub repository (owner/name)`);
  }
  return `ghcr.io/${repository.toLowerCase()}/controller`;
}

/** The chart's default image.repository (values.yaml). */
export function defaultImageRepository(chartDir = defaultChartDir): string {
  const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as {
    image: { repository: string };
  };
  return values.image.repository;
}

function replaceLine(file: string, text: string, pattern: RegExp, value: string): string {
  if (!pattern.test(text)) throw new Error(`${file}: no line matches ${String(pattern)}`);
  return text.replace(pattern, (_, head: string) => `${head}${value}`);
}

export interface PreparedRelease {
  version: string;
  image: string;
}

/** Writes the release's version and image repository into the chart in `chartDir`. */
export function prepareRelease(opts: {
  version: string;
  repository: string;
  chartDir?: string;
}): PreparedRelease {
  const dir = opts.chartDir ?? defaultChartDir;
  const version = releaseVersion(opts.version);
  const image = imageRepositoryFor(opts.repository);
  const chartFile = join(dir, 'Chart.yaml');
  let chart = readFileSync(chartFile, 'utf8');
  chart = replaceLine(chartFile, chart, /^(version: ).*$/m, version);
  chart = replaceLine(chartFile, chart, /^(appVersion: ).*$/m, `'${version}'`);
  const valuesFile = join(dir, 'values.yaml');
  const values = replaceLine(
    valuesFile,
    readFileSync(valuesFile, 'utf8'),
    /^(image:\n(?:[ ]{2}#.*\n)*[ ]{2}repository: ).*$/m,
    image,
  );
  writeFileSync(chartFile, chart);
  writeFileSync(valuesFile, values);
  const written = parse(chart) as { version: string; appVersion: string };
  if (
    written.version !== version ||
    written.appVersion !== version ||
    defaultImageRepository(dir) !== image
  ) {
    throw new Error(`${dir}: the chart does not read back as version ${version}, image ${image}`);
  }
  return { version, image };
}

function main(): void {
  const { values } = parseArgs({
    options: { version: { type: 'string' }, repository: { type: 'string' } },
  });
  if (values.version === undefined || values.repository === undefined) {
    throw new Error('usage: release:prepare -- --version 1.2.3 --repository owner/name');
  }
  const { version, image } = prepareRelease({ version: values.version, repository: values.repository });
  process.stdout.write(`chart ${version} (appVersion ${version}), image.repository ${image}\n`);
}

if (process.argv[1]?.endsWith('release-prepare.ts')) {
  try {
    main();
  } catch (error) {
    process.stderr.write(`release:prepare: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  }
}
