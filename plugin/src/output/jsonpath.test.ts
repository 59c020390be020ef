import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliError, ExitCode } from '../errors/cli-error.js';
import { applyJsonPath } from './jsonpath.js';

const DOC = {
  kind: 'PoolList',
  items: [
    {
      name: 'a',
      namespace: 'capi-a',
      counts: { total: '245', used: '200' },
      severity: 'warning',
      utilisationPercent: 81.63,
      conditions: [
        { type: 'Ready', status: 'True' },
        { type: 'Exhausted', status: 'False' },
      ],
    },
    {
      name: 'b',
      namespace: null,
      counts: { total: '4', used: '0' },
      severity: 'empty',
      utilisationPercent: 0,
    },
    {
      name: 'c',
      namespace: 'capi-b',
      counts: { total: '1', used: '1' },
      severity: 'full',
      utilisationPercent: 100,
    },
  ],
};

describe('-o jsonpath (kubectl template subset)', () => {
  it('fields and wildcards: results of one action joined by a space', () => {
    assert.equal(applyJsonPath('{.items[*].name}', DOC), 'a b c');
    assert.equal(applyJsonPath('{.items[*].counts.total}', DOC), '245 4 1');
    assert.equal(applyJsonPath("{.items[0]['name']}", DOC), 'a');
    assert.equal(applyJsonPath('{.kind}', DOC), 'PoolList');
  });
  it('indexes, negative indexes and slices', () => {
    assert.equal(applyJsonPath('{.items[-1].name}', DOC), 'c');
    assert.equal(applyJsonPath('{.items[0:2].name}', DOC), 'a b');
    assert.equal(applyJsonPath('{.items[1:].name}', DOC), 'b c');
    assert.equal(applyJsonPath('{.items[::2].name}', DOC), 'a c');
    assert.equal(applyJsonPath('{.items[7].name}', DOC), '');
  });
  it('range/end with literals, and @ inside the loop', () => {
    assert.equal(
      applyJsonPath('{range .items[*]}{.name}{"\\t"}{.counts.used}/{.counts.total}{"\\n"}{end}', DOC),
      'a\t200/245\nb\t0/4\nc\t1/1\n',
    );
    assert.equal(applyJsonPath('{range .items[*].name}[{@}]{end}', DOC), '[a][b][c]');
    assert.equal(
      applyJsonPath('{range .items[*]}{.name}:{range .conditions[*]}{.type},{end};{end}', DOC),
      'a:Ready,Exhausted,;b:;c:;',
    );
  });
  it('filters on strings, numbers and existence', () => {
    assert.equal(applyJsonPath('{.items[?(@.severity=="full")].name}', DOC), 'c');
    assert.equal(applyJsonPath("{.items[?(@.severity!='full')].name}", DOC), 'a b');
    assert.equal(applyJsonPath('{.items[?(@.utilisationPercent > 50)].name}', DOC), 'a c');
    assert.equal(applyJsonPath('{.items[?(@.conditions)].name}', DOC), 'a');
    assert.equal(applyJsonPath('{.items[0].conditions[?(@.type=="Ready")].status}', DOC), 'True');
  });
  it('recursive descent, non-strings as JSON, null', () => {
    assert.equal(applyJsonPath('{..used}', DOC), '200 0 1');
    assert.equal(applyJsonPath('{.items[1].counts}', DOC), '{"total":"4","used":"0"}');
    assert.equal(applyJsonPath('{.items[1].namespace}', DOC), 'null');
  });
  it("kubectl's relaxed form without braces", () => {
    assert.equal(applyJsonPath('.items[*].name', DOC), 'a b c');
    assert.equal(applyJsonPath('kind', DOC), 'PoolList');
  });
  it('unreadable templates are usage errors naming the template', () => {
    for (const t of ['{.items[', '{range .items[*]}{.name}', '{end}', '{.items[x]}', '{"open}']) {
      assert.throws(
        () => applyJsonPath(t, DOC),
        (e: unknown) =>
          e instanceof CliError && e.exitCode === ExitCode.Usage && e.message.includes('-o jsonpath'),
        t,
      );
    }
  });
});
