// The GitHub Actions workflows cannot run here (no GitHub, no registry), so CI checks what it can:
// actionlint (built from Go modules at the version pinned in test/cluster/versions.env) finds no
// problem in any workflow, and the release workflow publishes what the README and the chart promise.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { actionlintBinaryPath, ensureBinaries } from '../cluster/binaries.js';
import { repoRoot } from '../cluster/paths.js';
import { krewArchives, krewTemplatePath } from '../tools/krew-manifest.js';

const workflowsDir = join(repoRoot, '.github', 'workflows');

function actionlint(files: string[]): { status: number; output: string } {
  ensureBinaries('actionlint');
  const result = spawnSync(actionlintBinaryPath(), ['-no-color', ...files], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  if (result.error) throw result.error;
  return { status: result.status ?? 1, output: result.stdout + result.stderr };
}

interface Step {
  uses?: string;
  run?: string;
  with?: Partial<Record<string, string>>;
}
interface Job {
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: { include: Record<string, string>[] } };
  steps: Step[];
}
interface Workflow {
  on: { push: { tags: string[] } };
  jobs: Record<string, Job>;
}

describe('GitHub Actions workflows', () => {
  const work = mkdtempSync(join(tmpdir(), 'ipam-actionlint-'));
  after(() => {
    rmSync(work, { recursive: true, force: true });
  });

  it('pass actionlint', () => {
    const files = readdirSync(workflowsDir)
      .filter((f) => /\.ya?ml$/.test(f))
      .map((f) => join(workflowsDir, f));
    assert.ok(files.length > 0);
    const result = actionlint(files);
    assert.equal(result.status, 0, result.output);
  });

  it('actionlint rejects a broken workflow (the check can fail)', () => {
    const broken = join(work, 'broken.yaml');
    writeFileSync(
      broken,
      'on: push\njobs:\n  a:\n    runs-on: ubuntu-24.04\n    steps:\n      - run: echo ${{ matrix.nope }}\n',
    );
    const result = actionlint([broken]);
    assert.equal(result.status, 1, result.output);
    assert.match(result.output, /matrix/);
  });

  describe('release.yaml', () => {
    const text = readFileSync(join(workflowsDir, 'release.yaml'), 'utf8');
    const workflow = parse(text) as Workflow;
    const steps = (job: string) => workflow.jobs[job]?.steps ?? [];
    const runs = (job: string) =>
      steps(job)
        .map((s) => s.run ?? '')
        .join('\n');
    const needs = (job: string) => [workflow.jobs[job]?.needs ?? []].flat();

    it('runs on version tags only', () => {
      assert.deepEqual(Object.keys(workflow.on), ['push']);
      assert.deepEqual(workflow.on.push.tags, ['v[0-9]+.[0-9]+.[0-9]+*']);
    });

    it('pushes the controller image for amd64 and arm64 to ghcr.io under the repository name', () => {
      assert.match(text, /image=ghcr\.io\/\$repo\/controller/);
      assert.match(text, /repo=\$\{REPOSITORY,,\}/, 'lower-cased for the registry');
      assert.match(text, /REPOSITORY: \$\{\{ github\.repository \}\}/);
      const build = steps('image').find((s) => s.uses?.startsWith('docker/build-push-action@'));
      assert.ok(build?.with, 'a docker/build-push-action step');
      assert.equal(build.with.platforms, 'linux/amd64,linux/arm64');
      assert.equal(build.with.file, 'controller/Containerfile');
      assert.equal(
        build.with.tags,
        '${{ needs.prepare.outputs.image }}:${{ needs.prepare.outputs.version }}',
        'tagged with the version the chart uses as appVersion',
      );
      assert.equal(workflow.jobs.image?.permissions?.packages, 'write');
    });

    it('stamps the chart with the image and version, then pushes it as an OCI artefact after the image', () => {
      assert.deepEqual(needs('chart').sort(), ['image', 'prepare']);
      const run = runs('chart');
      const order = [
        'npm run release:prepare -- --version "$VERSION" --repository "$GITHUB_REPOSITORY"',
        'npm run release:artifacts',
        '"$helm" lint charts/ipam-in-cluster --strict',
        '"$helm" package charts/ipam-in-cluster',
        '"$helm" push',
      ].map((cmd) => run.indexOf(cmd));
      assert.ok(
        order.every((at, i) => at >= 0 && (i === 0 || at > (order[i - 1] ?? 0))),
        `in order: ${order.join()}`,
      );
      assert.match(text, /charts=oci:\/\/ghcr\.io\/\$repo\/charts/);
    });

    it('builds a standalone binary archive for every platform of the krew manifest', () => {
      const matrix = workflow.jobs.plugin?.strategy?.matrix.include ?? [];
      assert.deepEqual(
        matrix.map((m) => m.archive).sort(),
        krewArchives(readFileSync(krewTemplatePath, 'utf8')).sort(),
      );
      assert.ok(runs('plugin').includes('npm run build:sea'));
    });

    it('attaches artefacts, binaries and their sums to the release, and renders the krew manifest from the sums', () => {
      assert.deepEqual(needs('release').sort(), ['chart', 'plugin', 'prepare']);
      const run = runs('release');
      assert.match(run, /sha256sum -- \* > SHA256SUMS/);
      assert.match(run, /npm run release:krew -- .*--sums out\/SHA256SUMS --out out\/ipam\.yaml/s);
      assert.match(run, /gh release create "\$GITHUB_REF_NAME" .*out\/\*/s);
      assert.equal(workflow.jobs.release?.permissions?.contents, 'write');
    });
  });
});
