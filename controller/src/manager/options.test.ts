import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFlags } from '../config/flags.js';
import { createLogger } from '../log/logger.js';
import { ControllerMetrics } from '../metrics/registry.js';
import { resolveOptions } from './options.js';
import { managerOptions } from './run.js';

const settings = [
  'claimWorkers',
  'poolConcurrency',
  'poolWorkers',
  'highUtilizationPercent',
  'leaderElectionId',
  'leaseDurationMs',
  'renewDeadlineMs',
  'retryPeriodMs',
] as const;

describe('manager options', () => {
  it('an in-process manager given nothing runs with the binary-without-flags settings', () => {
    const parsed = parseFlags([]);
    assert.ok(parsed.ok);
    const log = createLogger({ level: 'error', name: 'test' });
    const binary = resolveOptions(managerOptions(parsed.config, log, new ControllerMetrics()));
    const bare = resolveOptions({});
    for (const key of settings) assert.equal(bare[key], binary[key], key);
    assert.deepEqual(
      { claims: bare.claimWorkers, perPool: bare.poolConcurrency, pools: bare.poolWorkers },
      { claims: 32, perPool: 16, pools: 4 },
    );
  });

  it('--concurrency sets the workers the same way for the binary and an in-process manager', () => {
    const parsed = parseFlags(['--concurrency=3']);
    assert.ok(parsed.ok);
    const log = createLogger({ level: 'error', name: 'test' });
    const o = resolveOptions(managerOptions(parsed.config, log, new ControllerMetrics()));
    assert.deepEqual([o.claimWorkers, o.poolConcurrency, o.poolWorkers], [3, 2, 3]);
  });

  it('an empty namespace or watch filter means none', () => {
    const o = resolveOptions({ namespace: '', watchFilter: '' });
    assert.equal(o.namespace, undefined);
    assert.equal(o.watchFilter, undefined);
  });
});
