// test/README.md maps features to the tests against the control plane: every such file must appear
// in it (a new test without a row fails here), named as it is found, relative to test/.
import assert from 'node:assert/strict';
import { globSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { repoRoot } from '../cluster/paths.js';

describe('test/README.md', () => {
  it('names every integration, end-to-end and terminal test file', () => {
    const readme = readFileSync(join(repoRoot, 'test', 'README.md'), 'utf8');
    const files = globSync('{integration,e2e,tui}/**/*.test.ts', { cwd: join(repoRoot, 'test') }).sort();
    assert.ok(files.length > 30, `only ${String(files.length)} test files found`);
    const missing = files.filter((file) => !readme.includes(`\`${file.split('\\').join('/')}\``));
    assert.deepEqual(missing, [], 'add a row for each to test/README.md, under its feature');
  });
});
