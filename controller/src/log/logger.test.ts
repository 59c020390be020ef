import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger, errorMessage, levelFromVerbosity, type LoggerOptions } from './logger.js';

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => new Date(0), write: (l) => lines.push(l), ...options });
  return { log, lines, records: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('logger', () => {
  it('writes one JSON object per line with ts, level, logger, constant msg and fields', () => {
    const { log, lines, records } = capture({ name: 'controller' });
    log
      .named('claim')
      .child({ controller: 'ipaddressclaim' })
      .info('allocated address', { key: 'ns/a', total: 2n ** 64n });
    assert.equal(lines.length, 1);
    assert.ok(lines[0]?.endsWith('\n'));
    assert.deepEqual(records()[0], {
      ts: '1970-01-01T00:00:00.000Z',
      level: 'info',
      logger: 'controller.claim',
      msg: 'allocated address',
      controller: 'ipaddressclaim',
      key: 'ns/a',
      total: '18446744073709551616',
    });
  });

  it('filters by level', () => {
    const { log, lines } = capture({ level: 'warn' });
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    assert.equal(lines.length, 2);
    assert.equal(log.enabled('info'), false);
  });

  it('logs an error as its message with causes; the stack only at debug', () => {
    const error = new Error('create failed', { cause: new Error('connection reset') });
    const info = capture();
    info.log.error('reconcile failed', { error });
    assert.equal(info.records()[0]?.error, 'create failed: connection reset');
    assert.equal(info.records()[0]?.errorStack, undefined);
    const debug = capture({ level: 'debug' });
    debug.log.error('reconcile failed', { error });
    assert.match(String(debug.records()[0]?.errorStack), /create failed/);
  });

  it('does not let fields overwrite the record keys', () => {
    const { log, records } = capture();
    log.info('m', { msg: 'x', level: 'y' });
    assert.equal(records()[0]?.msg, 'm');
    assert.equal(records()[0]?._msg, 'x');
  });

  it('text format is one readable line', () => {
    const { log, lines } = capture({ format: 'text', name: 'pool' });
    log.warn('pool exhausted', { pool: 'default/p', free: 0, note: 'two words' });
    assert.equal(
      lines[0],
      '1970-01-01T00:00:00.000Z WARN  [pool] pool exhausted pool=default/p free=0 note="two words"\n',
    );
  });

  it('maps -v to levels and renders aggregate errors', () => {
    assert.equal(levelFromVerbosity(0), 'info');
    assert.equal(levelFromVerbosity(2), 'debug');
    assert.equal(
      errorMessage(new AggregateError([new Error('a'), new Error('b')], 'patch failed')),
      'patch failed [a; b]',
    );
    assert.equal(errorMessage('plain'), 'plain');
  });
});
