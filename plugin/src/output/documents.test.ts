import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { namesOf, printDocument } from './documents.js';

describe('-o name and -o jsonpath from a json document', () => {
  it('kubectl names: lower-case kind, group, name; each object once', () => {
    assert.deepEqual(
      namesOf({
        kind: 'PoolList',
        items: [
          { kind: 'InClusterIPPool', name: 'a', namespace: 'ns' },
          { kind: 'GlobalInClusterIPPool', name: 'g', namespace: null },
        ],
      }),
      ['inclusterippool.ipam.cluster.x-k8s.io/a', 'globalinclusterippool.ipam.cluster.x-k8s.io/g'],
    );
    // AddressList items carry no kind.
    assert.deepEqual(namesOf({ kind: 'AddressList', items: [{ name: 'm-0' }] }), [
      'ipaddress.ipam.cluster.x-k8s.io/m-0',
    ]);
    // doctor: the findings' objects, each once.
    const report = {
      kind: 'DoctorReport',
      findings: [
        { check: 'orphaned-address', object: { kind: 'IPAddress', name: 'o-1' } },
        { check: 'missing-finalizer', object: { kind: 'IPAddress', name: 'o-1' } },
        { check: 'pending-claim', object: { kind: 'IPAddressClaim', name: 'c' } },
      ],
    };
    assert.deepEqual(namesOf(report), [
      'ipaddress.ipam.cluster.x-k8s.io/o-1',
      'ipaddressclaim.ipam.cluster.x-k8s.io/c',
    ]);
    assert.deepEqual(namesOf({ kind: 'PoolExplanation' }), []);
  });
  it('prints names one a line, and templates as kubectl does (no newline added)', () => {
    const json = JSON.stringify({ kind: 'AddressList', items: [{ name: 'a' }, { name: 'b' }] });
    assert.equal(
      printDocument({ choice: 'name' }, json),
      'ipaddress.ipam.cluster.x-k8s.io/a\nipaddress.ipam.cluster.x-k8s.io/b\n',
    );
    assert.equal(printDocument({ choice: 'jsonpath', template: '{.items[*].name}' }, json), 'a b');
  });
});
