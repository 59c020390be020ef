import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { copyWithout, MAX_SHAPES, shapeCount } from './literal-copy.js';

describe('copyWithout', () => {
  it('equals a rest copy for any JSON object and key, and leaves the source alone', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('__proto__', 'managedFields', '0', 'a"b\\c')),
          fc.jsonValue(),
        ),
        fc.oneof(fc.string(), fc.constant('managedFields')),
        (source, dropped) => {
          const before = JSON.stringify(source);
          const { [dropped]: _gone, ...expected } = source;
          const copy = copyWithout(source, dropped);
          assert.deepStrictEqual(copy, expected);
          assert.equal(Object.getPrototypeOf(copy), Object.prototype);
          assert.ok(!Object.hasOwn(copy, dropped));
          assert.notEqual(copy, source);
          assert.equal(JSON.stringify(source), before);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps an own __proto__ key as data, not as the prototype', () => {
    const source = JSON.parse('{"__proto__": {"polluted": true}, "a": 1, "managedFields": []}') as object;
    const copy = copyWithout(source, 'managedFields') as Record<string, unknown>;
    assert.equal(Object.getPrototypeOf(copy), Object.prototype);
    assert.deepEqual(Object.getOwnPropertyDescriptor(copy, '__proto__')?.value, { polluted: true });
    assert.equal((copy as { polluted?: unknown }).polluted, undefined);
  });

  it('compiles at most MAX_SHAPES key lists and copies the rest by spread', () => {
    for (let i = 0; i < MAX_SHAPES + 10; i++) {
      const copy = copyWithout({ [`only-${String(i)}`]: i, drop: true }, 'drop');
      assert.deepStrictEqual(copy, { [`only-${String(i)}`]: i });
    }
    assert.equal(shapeCount(), MAX_SHAPES);
  });
});
