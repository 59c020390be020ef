import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mayHoldBigInteger, parseJson, stringifyJson } from './json.js';

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

describe('bigint-aware JSON: the plain JSON.parse fast path', () => {
  it('takes the fast path only when no 16-digit run stands outside strings', () => {
    assert.equal(mayHoldBigInteger('{"a":1,"b":"x"}'), false);
    assert.equal(mayHoldBigInteger('{"uid":"1234567890123456789","n":3}'), false);
    assert.equal(mayHoldBigInteger('{"s":"say \\"1234567890123456789\\"","n":3}'), false);
    assert.equal(mayHoldBigInteger('{"n":1234567890123456}'), true);
    assert.equal(mayHoldBigInteger('{"s":"\\\\","n":-12345678901234567890}'), true);
    assert.equal(mayHoldBigInteger('[1.2345678901234567e30]'), true);
  });

  it('gives the same values on both paths', () => {
    const texts = [
      '{"items":[{"metadata":{"uid":"9223372036854775807"},"spec":{"address":"10.0.0.1","prefix":24}}]}',
      '{"s":"9223372036854775807","n":9223372036854775807,"m":9007199254740991,"k":9007199254740993}',
      '{"f":1.5e300,"g":12345678901234567.5,"h":-0,"e":1e21}',
    ];
    for (const text of texts) {
      const viaReviver: unknown = JSON.parse(text, (_k: string, v: unknown, ctx?: { source?: string }) =>
        typeof v === 'number' &&
        !Number.isSafeInteger(v) &&
        ctx?.source !== undefined &&
        /^-?\d+$/.test(ctx.source)
          ? BigInt(ctx.source)
          : v,
      );
      assert.deepEqual(parseJson(text), viaReviver, text);
    }
    assert.deepEqual(parseJson('{"k":9007199254740993,"s":"9007199254740993"}'), {
      k: 9007199254740993n,
      s: '9007199254740993',
    });
    assert.deepEqual(parseJson('{"m":9007199254740991}'), { m: 9007199254740991 });
  });

  it('property: integers of any size round-trip exactly, inside or outside strings', () => {
    for (let i = 0; i < 2000; i++) {
      const digits = 1 + Math.floor(Math.random() * 30);
      let s = String(1 + Math.floor(Math.random() * 9));
      for (let d = 1; d < digits; d++) s += String(Math.floor(Math.random() * 10));
      const sign = Math.random() < 0.3 ? '-' : '';
      const big = BigInt(sign + s);
      const expected = Number.isSafeInteger(Number(big)) && BigInt(Number(big)) === big ? Number(big) : big;
      assert.deepEqual(parseJson(`{"s":"${sign}${s}","n":${sign}${s}}`), { s: sign + s, n: expected });
    }
  });
});
