import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WorkQueue } from '../queue/work-queue.js';
import { FakeClock } from '../util/clock.js';
import { ControllerMetrics, utilization } from './registry.js';

function sample(text: string, name: string, labels: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('ControllerMetrics', () => {
  it('uses its own registry with prefixed, convention-following names', async () => {
    const a = new ControllerMetrics();
    const b = new ControllerMetrics();
    a.reconcile('ipaddressclaim', 'error', 0.2);
    const text = (await a.render()).body;
    assert.equal(sample(text, 'capi_ipam_reconcile_total', 'controller="ipaddressclaim",result="error"'), 1);
    assert.equal(sample(text, 'capi_ipam_reconcile_errors_total', 'controller="ipaddressclaim"'), 1);
    assert.match(
      text,
      /capi_ipam_reconcile_duration_seconds_bucket\{le="0.25",controller="ipaddressclaim"\} 1/,
    );
    assert.equal(
      sample(
        (await b.render()).body,
        'capi_ipam_reconcile_total',
        'controller="ipaddressclaim",result="error"',
      ),
      undefined,
    );
    for (const m of await a.registry.getMetricsAsJSON()) {
      assert.match(m.name, /^capi_ipam_[a-z_]+$/);
      if (String(m.type) === 'counter') assert.match(m.name, /_total$/);
      else assert.doesNotMatch(m.name, /_total$/);
    }
  });

  it('feeds the queue hooks', async () => {
    const m = new ControllerMetrics();
    const clock = new FakeClock();
    const q = new WorkQueue({ name: 'ipaddressclaim', clock, metrics: m.queueMetrics('ipaddressclaim') });
    q.add('a');
    q.add('b');
    q.add('a');
    const text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_workqueue_adds_total', 'name="ipaddressclaim"'), 3);
    assert.equal(sample(text, 'capi_ipam_workqueue_depth', 'name="ipaddressclaim"'), 2);
  });

  it('pool gauges take exact bigints, carry the nearest float and are removed with the pool', async () => {
    const m = new ControllerMetrics();
    const pool = { kind: 'InClusterIPPool', namespace: 'default', name: 'p' };
    const total = 2n ** 64n;
    m.poolUsage(pool, { total, used: 3n, free: total - 3n, outOfRange: 1n });
    let text = (await m.render()).body;
    const labels = 'pool_kind="InClusterIPPool",pool_namespace="default",pool_name="p"';
    assert.equal(sample(text, 'capi_ipam_pool_size_addresses', labels), 18446744073709552000);
    assert.equal(sample(text, 'capi_ipam_pool_used_addresses', labels), 3);
    assert.equal(sample(text, 'capi_ipam_pool_out_of_range_addresses', labels), 1);
    m.poolQuarantined(pool, 2);
    text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_pool_quarantined_addresses', labels), 2);
    m.poolRemoved(pool);
    text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_pool_size_addresses', labels), undefined);
    assert.equal(sample(text, 'capi_ipam_pool_quarantined_addresses', labels), undefined);
  });

  it('forecast gauges: the days series only while the pool fills up, and removed with the pool', async () => {
    const m = new ControllerMetrics();
    const pool = { kind: 'GlobalInClusterIPPool', namespace: '', name: 'g' };
    const labels = 'pool_kind="GlobalInClusterIPPool",pool_namespace="",pool_name="g"';
    m.poolForecast(pool, { netAllocationsPerHour: 2.5, daysToExhaustion: 4.2 });
    let text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_pool_allocation_rate_per_hour', labels), 2.5);
    assert.equal(sample(text, 'capi_ipam_pool_days_to_exhaustion', labels), 4.2);
    m.poolForecast(pool, { netAllocationsPerHour: -1 });
    text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_pool_allocation_rate_per_hour', labels), -1);
    assert.equal(sample(text, 'capi_ipam_pool_days_to_exhaustion', labels), undefined);
    assert.doesNotMatch(text, /^capi_ipam_pool_days_to_exhaustion\{.*Inf$/m);
    m.poolRemoved(pool);
    text = (await m.render()).body;
    assert.equal(sample(text, 'capi_ipam_pool_allocation_rate_per_hour', labels), undefined);
  });

  it('utilization is exact before rounding, even for huge pools', () => {
    assert.equal(utilization({ total: 10n, used: 9n, free: 1n, outOfRange: 0n }), 0.9);
    assert.equal(utilization({ total: 0n, used: 0n, free: 0n, outOfRange: 0n }), 0);
    assert.equal(utilization({ total: 2n ** 128n, used: 2n ** 127n, free: 2n ** 127n, outOfRange: 0n }), 0.5);
  });

  it('records allocations, informers and leader status', async () => {
    const m = new ControllerMetrics();
    m.allocation('InClusterIPPool', 0.002, 'success');
    m.allocationFailure('InClusterIPPool', 'PoolExhausted');
    m.informerRestart('ipaddresses');
    m.informerEvent('ipaddresses', 'add');
    m.leaderStatus('7bb7acb4.ipam.cluster.x-k8s.io', true);
    const text = (await m.render()).body;
    assert.equal(
      sample(
        text,
        'capi_ipam_allocation_failures_total',
        'pool_kind="InClusterIPPool",reason="PoolExhausted"',
      ),
      1,
    );
    assert.equal(
      sample(
        text,
        'capi_ipam_allocation_duration_seconds_count',
        'pool_kind="InClusterIPPool",result="success"',
      ),
      1,
    );
    assert.equal(sample(text, 'capi_ipam_informer_restarts_total', 'resource="ipaddresses"'), 1);
    assert.equal(sample(text, 'capi_ipam_informer_events_total', 'resource="ipaddresses",type="add"'), 1);
    assert.equal(
      sample(text, 'capi_ipam_leader_election_status', 'name="7bb7acb4.ipam.cluster.x-k8s.io"'),
      1,
    );
  });

  it('counts admission answers per webhook path, operation and code', async () => {
    const m = new ControllerMetrics();
    const hook = m.admissionHook();
    const path = '/validate-ipam-cluster-x-k8s-io-v1alpha2-inclusterippool';
    hook({ path, operation: 'UPDATE', code: 400 });
    hook({ path, operation: 'UPDATE', code: 400 });
    hook({ path, operation: 'DELETE', code: 200 });
    const text = (await m.render()).body;
    const labels = (op: string, code: number) => `webhook="${path}",operation="${op}",code="${String(code)}"`;
    assert.equal(sample(text, 'capi_ipam_webhook_requests_total', labels('UPDATE', 400)), 2);
    assert.equal(sample(text, 'capi_ipam_webhook_requests_total', labels('DELETE', 200)), 1);
  });

  it('counts Events dropped by a rate limit, per type, reason and limit', async () => {
    const m = new ControllerMetrics();
    m.eventDropped('Normal', 'AddressAllocated', 'budget');
    m.eventDropped('Normal', 'AddressAllocated', 'budget');
    m.eventDropped('Warning', 'PoolExhausted', 'object');
    const text = (await m.render()).body;
    const name = 'capi_ipam_events_dropped_total';
    assert.equal(sample(text, name, 'type="Normal",reason="AddressAllocated",limit="budget"'), 2);
    assert.equal(sample(text, name, 'type="Warning",reason="PoolExhausted",limit="object"'), 1);
  });
});
