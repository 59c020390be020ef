import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiException } from '@kubernetes/client-node';
import { classifyApiError, isAlreadyExists, isConflict, isNotFound } from './errors.js';

// Bodies as the API server sends them (client-node puts the raw text in ApiException.body).
function status(code: number, reason: string, message: string, details?: object): string {
  return JSON.stringify({
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    details,
    code,
  });
}

describe('classifyApiError', () => {
  it('tells AlreadyExists from Conflict by reason (both 409)', () => {
    const exists = new ApiException(
      409,
      'x',
      status(409, 'AlreadyExists', 'ipaddresses "a" already exists'),
      {},
    );
    const conflict = new ApiException(
      409,
      'x',
      status(
        409,
        'Conflict',
        'Operation cannot be fulfilled on ipaddresses "a": the object has been modified',
      ),
      {},
    );
    assert.equal(classifyApiError(exists).kind, 'AlreadyExists');
    assert.equal(classifyApiError(exists).retriable, false);
    assert.equal(classifyApiError(conflict).kind, 'Conflict');
    assert.equal(classifyApiError(conflict).retriable, true);
    assert.ok(isAlreadyExists(exists) && isConflict(conflict));
  });

  it('reads NotFound, message and status', () => {
    const e = new ApiException(
      404,
      'x',
      status(404, 'NotFound', 'ipaddressclaims "c" not found', { name: 'c' }),
      {},
    );
    assert.deepEqual(classifyApiError(e), {
      kind: 'NotFound',
      status: 404,
      reason: 'NotFound',
      message: 'ipaddressclaims "c" not found',
      retriable: false,
    });
    assert.ok(isNotFound(e));
  });

  it('keeps field causes of Invalid', () => {
    const e = new ApiException(
      422,
      'x',
      status(422, 'Invalid', 'InClusterIPPool "p" is invalid', {
        causes: [{ reason: 'FieldValueInvalid', message: 'Invalid value: 129', field: 'spec.prefix' }],
      }),
      {},
    );
    const c = classifyApiError(e);
    assert.equal(c.kind, 'Invalid');
    assert.deepEqual(c.causes, [
      { field: 'spec.prefix', reason: 'FieldValueInvalid', message: 'Invalid value: 129' },
    ]);
  });

  it('maps 429 with retryAfterSeconds, 410 Expired, 5xx, 403, 401, 400, 415', () => {
    const tooMany = classifyApiError(
      new ApiException(429, 'x', status(429, 'TooManyRequests', 'slow down', { retryAfterSeconds: 3 }), {}),
    );
    assert.equal(tooMany.kind, 'TooManyRequests');
    assert.equal(tooMany.retryAfterSeconds, 3);
    assert.equal(
      classifyApiError(new ApiException(429, 'x', '', { 'Retry-After': '7' })).retryAfterSeconds,
      7,
    );
    assert.equal(
      classifyApiError(new ApiException(410, 'x', status(410, 'Expired', 'too old'), {})).kind,
      'Gone',
    );
    assert.equal(
      classifyApiError(new ApiException(500, 'x', status(500, 'InternalError', 'boom'), {})).kind,
      'ServerError',
    );
    assert.equal(
      classifyApiError(new ApiException(504, 'x', status(504, 'Timeout', 't'), {})).kind,
      'Timeout',
    );
    assert.equal(
      classifyApiError(new ApiException(403, 'x', status(403, 'Forbidden', 'no'), {})).kind,
      'Forbidden',
    );
    assert.equal(
      classifyApiError(new ApiException(401, 'x', status(401, 'Unauthorized', 'no'), {})).kind,
      'Unauthorized',
    );
    assert.equal(
      classifyApiError(new ApiException(400, 'x', status(400, 'BadRequest', 'no'), {})).kind,
      'BadRequest',
    );
    const unsupported = classifyApiError(
      new ApiException(415, 'x', status(415, 'UnsupportedMediaType', 'no'), {}),
    );
    assert.equal(unsupported.kind, 'BadRequest');
    assert.equal(unsupported.retriable, false);
  });

  it('falls back to the status code when the body is not JSON', () => {
    const c = classifyApiError(new ApiException(503, 'x', '<html>unavailable</html>', {}));
    assert.equal(c.kind, 'ServerError');
    assert.equal(c.message, 'HTTP 503');
    assert.ok(c.retriable);
  });

  it('classifies a watch ERROR event Status object', () => {
    const c = classifyApiError({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      code: 410,
      reason: 'Expired',
      message: 'too old resource version',
    });
    assert.equal(c.kind, 'Gone');
    assert.equal(c.status, 410);
  });

  it('classifies undici network errors and timeouts', () => {
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), { code: 'ECONNREFUSED' }),
    });
    const c = classifyApiError(refused);
    assert.equal(c.kind, 'Network');
    assert.ok(c.retriable);
    assert.match(c.message, /ECONNREFUSED/);
    const headers = new TypeError('fetch failed', {
      cause: Object.assign(new Error('Headers Timeout Error'), { code: 'UND_ERR_HEADERS_TIMEOUT' }),
    });
    assert.equal(classifyApiError(headers).kind, 'Timeout');
    assert.equal(
      classifyApiError(new DOMException('The operation was aborted due to timeout', 'TimeoutError')).kind,
      'Timeout',
    );
    assert.equal(classifyApiError(Object.assign(new Error('Gone'), { statusCode: 410 })).kind, 'Gone');
  });

  it('leaves anything else Unknown and not retriable', () => {
    assert.deepEqual(classifyApiError(new Error('bug')), {
      kind: 'Unknown',
      message: 'bug',
      retriable: false,
    });
    assert.equal(classifyApiError('text').kind, 'Unknown');
  });
});
