import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CONTROLLER_NODE_FLAGS, effectiveNodeFlags, missingNodeFlags, reexecArgv } from './node-flags.js';

describe('missingNodeFlags', () => {
  it('wants every controller flag from a bare node', () => {
    assert.deepEqual(missingNodeFlags([], undefined), [...CONTROLLER_NODE_FLAGS]);
    assert.deepEqual(missingNodeFlags(['--conditions=source', '--import', 'tsx'], ''), [
      ...CONTROLLER_NODE_FLAGS,
    ]);
  });

  it('wants nothing once they are on the command line (the re-executed process)', () => {
    assert.deepEqual(missingNodeFlags([...CONTROLLER_NODE_FLAGS, '--import', 'tsx'], undefined), []);
  });

  it("keeps an operator's value, from NODE_OPTIONS or the command line, whatever it is", () => {
    // The chart's heap cap (controller.maxHeapSizeMiB) comes in NODE_OPTIONS.
    assert.deepEqual(missingNodeFlags([], '--max-old-space-size=512  --enable-source-maps'), [
      '--max-semi-space-size=1',
      '--max-opt=1',
      '--expose-gc',
    ]);
    assert.deepEqual(missingNodeFlags(['--max-opt=2', '--max_semi_space_size=4', '--expose_gc'], undefined), [
      '--max-old-space-size=128',
    ]);
  });

  it('does not take a value for an option name', () => {
    assert.deepEqual(missingNodeFlags(['--stack-size', '--max-opt=1'], '--max-old-space-size 256'), [
      '--max-semi-space-size=1',
      '--expose-gc',
    ]);
  });
});

describe('reexecArgv', () => {
  it("puts the missing flags before Node's own arguments, then the script and its arguments", () => {
    assert.deepEqual(
      reexecArgv(
        ['--max-opt=1'],
        '/usr/bin/node',
        ['--import', 'tsx'],
        ['/usr/bin/node', '/app/main.ts', '--kubeconfig', 'k'],
      ),
      ['/usr/bin/node', '--max-opt=1', '--import', 'tsx', '/app/main.ts', '--kubeconfig', 'k'],
    );
  });
});

describe('effectiveNodeFlags', () => {
  it("lists Node's own arguments, then NODE_OPTIONS' words", () => {
    assert.deepEqual(
      effectiveNodeFlags(['--max-semi-space-size=1', '--import', 'tsx'], ' --max-old-space-size=200  '),
      ['--max-semi-space-size=1', '--import', 'tsx', '--max-old-space-size=200'],
    );
    assert.deepEqual(effectiveNodeFlags([], undefined), []);
  });
});
