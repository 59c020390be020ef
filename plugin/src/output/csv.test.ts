import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { csvField, renderCsv } from './csv.js';

describe('RFC 4180 CSV', () => {
  it('quotes only fields with a comma, a quote, CR or LF, doubling quotes', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField(''), '');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField('two\nlines'), '"two\nlines"');
    assert.equal(csvField('cr\r'), '"cr\r"');
    assert.equal(csvField(' spaced '), ' spaced ');
  });

  it('writes a header record and one line per row, LF-terminated; no header when undefined', () => {
    assert.equal(renderCsv(['a', 'b'], [['1', 'x,y']]), 'a,b\n1,"x,y"\n');
    assert.equal(renderCsv(undefined, [['1', '2']]), '1,2\n');
    assert.equal(renderCsv(['a'], []), 'a\n');
  });
});
