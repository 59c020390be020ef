import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventAggregator, eventAggregationKey } from './events.js';

describe('EventAggregator', () => {
  it('folds repeats within the window into one entry with a count', () => {
    const agg = new EventAggregator(10_000, 10);
    const first = agg.record('k', 0);
    assert.equal(first.count, 1);
    assert.equal(first.name, undefined);
    first.name = 'obj.1';
    const second = agg.record('k', 5_000);
    assert.equal(second, first);
    assert.equal(second.count, 2);
    assert.equal(second.firstTimestamp, new Date(0).toISOString());
    assert.equal(second.lastTimestamp, new Date(5_000).toISOString());
  });

  it('starts a new event after a quiet window', () => {
    const agg = new EventAggregator(10_000, 10);
    agg.record('k', 0).name = 'obj.1';
    const later = agg.record('k', 20_001);
    assert.equal(later.count, 1);
    assert.equal(later.name, undefined);
  });

  it('forgets the least recently used entry beyond the limit', () => {
    const agg = new EventAggregator(60_000, 2);
    agg.record('a', 0);
    agg.record('b', 1);
    agg.record('a', 2); // a is now the most recent
    agg.record('c', 3); // evicts b
    assert.equal(agg.size, 2);
    assert.equal(agg.record('a', 4).count, 3);
    assert.equal(agg.record('b', 5).count, 1);
  });

  it('keys on object, type, reason and message', () => {
    const pool = {
      apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
      kind: 'InClusterIPPool',
      metadata: { namespace: 'n', name: 'p', uid: 'u' },
    };
    const k = eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'no free address');
    assert.equal(k, eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'no free address'));
    assert.notEqual(k, eventAggregationKey(pool, 'Warning', 'PoolExhausted', 'other'));
    assert.notEqual(k, eventAggregationKey(pool, 'Normal', 'PoolExhausted', 'no free address'));
    assert.notEqual(
      k,
      eventAggregationKey(
        { ...pool, metadata: { ...pool.metadata, uid: 'v' } },
        'Warning',
        'PoolExhausted',
        'no free address',
      ),
    );
  });
});
