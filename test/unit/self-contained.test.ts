// The repository stands alone: a clone from a public host has no folder beside it, so no tracked
// file may read, or send a reader to, the sibling "shared" folder this project was first developed
// next to (relatively, absolutely, or as path segments). The Cluster API CRDs come from Go modules
// (test/cluster/capi-crds.ts); .ci/run proves the whole by running from a clone in a fresh folder.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../cluster/paths.js';

const forbidden: { pattern: RegExp; what: string }[] = [
  { pattern: /\.\.[/\\]shared\b/, what: 'a relative path to the sibling shared folder' },
  { pattern: /\/work\/shared\b/, what: "the development machine's shared folder" },
  { pattern: /['"]\.\.['"],\s*['"]shared['"]/, what: 'path segments of the sibling shared folder' },
];

/** Every `file:line: what` where a tracked text file points outside the repository. */
function outsideReferences(files: { path: string; text: string }[]): string[] {
  return files.flatMap(({ path, text }) =>
    text
      .split('\n')
      .flatMap((line, i) =>
        forbidden.filter(({ pattern }) => pattern.test(line)).map(({ what }) => `${path}:${i + 1}: ${what}`),
      ),
  );
}

describe('self-contained repository', () => {
  it('recognises each way of pointing at the sibling folder (and nothing else)', () => {
    const dots = '..';
    const sibling = [dots, 'shared'];
    const found = outsideReferences([
      { path: 'a.ts', text: `readFileSync('${sibling.join('/')}/capi-crds/x.yaml')` },
      { path: 'b.md', text: `see ${['', 'work', 'shared'].join('/')}/reference` },
      { path: 'c.ts', text: `join(repoRoot, '${sibling[0]}', '${sibling[1]}', 'capi-crds')` },
      { path: 'd.ts', text: 'const shared = join(cacheDir, "shared-objects"); // ../sharedness' },
    ]);
    assert.deepEqual(
      found.map((f) => f.split(':').slice(0, 2).join(':')),
      ['a.ts:1', 'b.md:1', 'c.ts:1'],
    );
  });

  it('has no tracked file that reads or names a folder beside the repository', () => {
    const paths = execFileSync('git', ['ls-files', '-z'], { cwd: repoRoot, encoding: 'utf8' })
      .split('\0')
      .filter((p) => p !== '');
    assert.ok(paths.length > 100, `git ls-files listed only ${paths.length} files in ${repoRoot}`);
    const files = paths
      .filter((path) => lstatSync(join(repoRoot, path)).isFile()) // not the chart's files/crds link
      .map((path) => ({ path, bytes: readFileSync(join(repoRoot, path)) }))
      .filter(({ bytes }) => !bytes.includes(0)) // binary
      .map(({ path, bytes }) => ({ path, text: bytes.toString('utf8') }));
    assert.deepEqual(outsideReferences(files), []);
  });
});
