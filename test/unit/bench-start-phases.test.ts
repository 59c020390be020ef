import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startPhases } from '../bench/start-phases.js';

const line = (fields: Record<string, unknown>): string =>
  JSON.stringify({ ts: '2026-11-24T16:00:00.000Z', level: 'info', logger: 'manager', ...fields });

describe('bench start phases (from the controller log)', () => {
  it('takes the slowest initial list and the leader read, streamed only if all were', () => {
    const log = [
      line({ msg: 'contract chosen', streamingLists: true }),
      '[1234:0x5678]      217 ms: Scavenge 16.5 (18.4) -> 14.4 (18.7) MB',
      line({
        msg: 'cache listed',
        resource: 'ipaddresses',
        reason: 'initial',
        objects: 20000,
        streamed: true,
        seconds: 2.68,
      }),
      line({
        msg: 'cache listed',
        resource: 'ipaddressclaims',
        reason: 'initial',
        objects: 19000,
        streamed: true,
        seconds: 2.9,
      }),
      line({
        msg: 'cache listed',
        resource: 'clusters',
        reason: 'initial',
        objects: 0,
        streamed: true,
        seconds: 0.01,
      }),
      line({
        msg: 'cache listed',
        resource: 'ipaddresses',
        reason: 'gone',
        objects: 20000,
        streamed: false,
        seconds: 9,
      }),
      line({ msg: 'consistent IPAddress read', streamed: false, seconds: 1.5 }),
      '{"truncated',
    ].join('\n');
    assert.deepEqual(startPhases(log), {
      listsSeconds: 2.9,
      listedObjects: 20000,
      leaderReadSeconds: 1.5,
      streamed: false,
    });
  });

  it('tells a skipped leader read (the cache listed after the lease was won) from a read', () => {
    const log = [
      line({ msg: 'cache listed', reason: 'initial', objects: 3, streamed: true, seconds: 0.2 }),
      line({ msg: 'consistent IPAddress read', skipped: 'listed after the lease', seconds: 0, attempts: 0 }),
    ].join('\n');
    assert.deepEqual(startPhases(log), {
      listsSeconds: 0.2,
      listedObjects: 3,
      leaderReadSeconds: 'skipped',
      streamed: true,
    });
  });

  it('says nothing when the log has no phases (level warn, or a start that failed)', () => {
    assert.deepEqual(startPhases(line({ msg: 'start-up failed', level: 'error' })), {
      listsSeconds: undefined,
      listedObjects: undefined,
      leaderReadSeconds: undefined,
      streamed: undefined,
    });
  });
});
