import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseJson, stringifyJson } from './json.js';

describe('bigint-aware JSON', () => {
  it('parses integers beyond 2^53 exactly and leaves small numbers as numbers', () => {
    const value = parseJson('{"total":9223372036854775807,"used":3,"ratio":0.5,"neg":-18446744073709551616}');
    assert.deepEqual(value, {
      total: 9223372036854775807n,
      used: 3,
      ratio: 0.5,
      neg: -18446744073709551616n,
    });
  });

  it('writes bigint as JSON numbers, not strings', () => {
    assert.equal(stringifyJson({ total: 2n ** 64n, used: 1n }), '{"total":18446744073709551616,"used":1}');
    assert.deepEqual(parseJson(stringifyJson({ n: 2n ** 63n - 1n })), { n: 2n ** 63n - 1n });
  });

  it('keeps keys the typed models would drop', () => {
    const schema = {
      type: 'object',
      'x-kubernetes-int-or-string': true,
      'x-kubernetes-preserve-unknown-fields': true,
    };
    assert.deepEqual(parseJson(stringifyJson(schema)), schema);
  });
});
