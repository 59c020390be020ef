// The release workflow's own tools: release:prepare stamps version and image repository into the
// chart, release:krew renders the krew manifest with the archives' sha256 sums.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { chartDir } from '../tools/chart-schema.js';
import { krewArchives, krewTemplatePath, parseSums, renderKrewManifest } from '../tools/krew-manifest.js';
import { defaultImageRepository, prepareRelease } from '../tools/release-prepare.js';

describe('release:prepare', () => {
  const work = mkdtempSync(join(tmpdir(), 'ipam-release-prepare-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });
  const copy = (name: string): string => {
    const dir = join(work, name);
    mkdirSync(dir);
    for (const file of ['Chart.yaml', 'values.yaml']) copyFileSync(join(chartDir, file), join(dir, file));
    return dir;
  };

  it('the source chart pulls the image of its own appVersion from ghcr.io', () => {
    assert.match(defaultImageRepository(), /^ghcr\.io\/[a-z0-9_.-]+\/[a-z0-9_.-]+\/controller$/);
    const values = parse(readFileSync(join(chartDir, 'values.yaml'), 'utf8')) as { image: { tag: string } };
    assert.equal(values.image.tag, '', 'an empty tag means the chart appVersion');
  });

  it('sets version, appVersion and a lower-case image repository, and changes no other line', () => {
    const dir = copy('ok');
    const before = {
      chart: readFileSync(join(dir, 'Chart.yaml'), 'utf8').split('\n'),
      values: readFileSync(join(dir, 'values.yaml'), 'utf8').split('\n'),
    };
    const result = prepareRelease({
      version: 'v1.2.3-rc.1',
      repository: 'Some-Org/IPAM.in-cluster',
      chartDir: dir,
    });
    assert.deepEqual(result, { version: '1.2.3-rc.1', image: 'ghcr.io/some-org/ipam.in-cluster/controller' });
    const chartText = readFileSync(join(dir, 'Chart.yaml'), 'utf8');
    const chart = parse(chartText) as { version: string; appVersion: string };
    assert.equal(chart.version, '1.2.3-rc.1');
    assert.equal(chart.appVersion, '1.2.3-rc.1');
    assert.equal(defaultImageRepository(dir), result.image);
    const changed = (a: string[], b: string[]) => a.filter((line, i) => line !== b[i]).length;
    assert.equal(changed(chartText.split('\n'), before.chart), 2);
    assert.equal(changed(readFileSync(join(dir, 'values.yaml'), 'utf8').split('\n'), before.values), 1);
  });

  it('names the bad value', () => {
    const dir = copy('bad');
    assert.throws(
      () => prepareRelease({ version: '1.2', repository: 'o/r', chartDir: dir }),
      /--version: "1\.2" is not a release version/,
    );
    assert.throws(
      () => prepareRelease({ version: '1.2.3', repository: 'just-a-name', chartDir: dir }),
      /--repository: "just-a-name" is not a GitHub repository \(owner\/name\)/,
    );
    assert.equal(
      readFileSync(join(dir, 'Chart.yaml'), 'utf8'),
      readFileSync(join(chartDir, 'Chart.yaml'), 'utf8'),
    );
  });
});

describe('release:krew', () => {
  const template = readFileSync(krewTemplatePath, 'utf8');
  const archives = krewArchives(template);
  const sumOf = (i: number) => i.toString(16).padStart(2, '0').repeat(32);
  const sumsText = archives.map((a, i) => `${sumOf(i)}  ${a}`).join('\n') + `\n${sumOf(99)} *LICENSE\n`;

  it('knows one archive per platform', () => {
    assert.deepEqual(archives, [
      'kubectl-ipam_linux_amd64.tar.gz',
      'kubectl-ipam_linux_arm64.tar.gz',
      'kubectl-ipam_darwin_arm64.tar.gz',
      'kubectl-ipam_darwin_amd64.tar.gz',
      'kubectl-ipam_windows_amd64.zip',
    ]);
  });

  it('renders each platform with its own archive sum, the version and the repository', () => {
    const text = renderKrewManifest(template, {
      version: 'v1.2.3',
      repository: 'o/r',
      sums: parseSums(sumsText),
    });
    const manifest = parse(text) as {
      kind: string;
      metadata: { name: string };
      spec: { version: string; homepage: string; platforms: { uri: string; sha256: string }[] };
    };
    assert.equal(manifest.kind, 'Plugin');
    assert.equal(manifest.metadata.name, 'ipam');
    assert.equal(manifest.spec.version, 'v1.2.3');
    assert.equal(manifest.spec.homepage, 'https://github.com/o/r');
    assert.deepEqual(
      manifest.spec.platforms.map((p) => [p.uri, p.sha256]),
      archives.map((a, i) => [`https://github.com/o/r/releases/download/v1.2.3/${a}`, sumOf(i)]),
    );
    assert.doesNotMatch(text, /\{\{/);
  });

  it('fails naming the archive without a sum, and a malformed sums line', () => {
    const missing = parseSums(sumsText);
    missing.delete('kubectl-ipam_darwin_amd64.tar.gz');
    assert.throws(
      () => renderKrewManifest(template, { version: '1.2.3', repository: 'o/r', sums: missing }),
      /no sha256 for kubectl-ipam_darwin_amd64\.tar\.gz in the sums file/,
    );
    assert.throws(
      () => parseSums('abc  kubectl-ipam_linux_amd64.tar.gz\n'),
      /sums line 1: .* is not "<sha256> {2}<file>"/,
    );
  });
});
