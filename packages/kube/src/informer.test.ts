import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { IPAddressWire } from '@ipam-in-cluster/api';
import { INDEX_POOL_REF, ipAddressByPoolRef } from './indexers.js';
import { Informer, stripManagedFields } from './informer.js';
import { ipAddressResource } from './resources.js';
import type { KubeTransport } from './transport.js';

function address(managedFields?: unknown[]): IPAddressWire {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddress',
    metadata: {
      namespace: 'ns',
      name: 'a',
      resourceVersion: '7',
      labels: { app: 'x' },
      finalizers: ['ipam.cluster.x-k8s.io/ProtectAddress'],
      ...(managedFields === undefined ? {} : { managedFields }),
    },
    spec: {
      address: '10.0.0.1',
      prefix: 24,
      claimRef: { name: 'a' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' },
    },
  };
}

describe('stripManagedFields', () => {
  it('drops metadata.managedFields and keeps everything else', () => {
    const entry = { manager: 'kubectl', operation: 'Update', fieldsType: 'FieldsV1', fieldsV1: {} };
    const original = address([entry]);
    const stripped = stripManagedFields(original);
    assert.deepEqual(stripped, address());
    assert.ok(!('managedFields' in stripped.metadata));
    // The argument is untouched (it may be a write response the caller still holds).
    assert.deepEqual((original.metadata as { managedFields?: unknown[] }).managedFields, [entry]);
    assert.equal(stripped.spec, original.spec, 'the rest is shared, not copied');
  });

  it('returns the same object when there is nothing to strip', () => {
    const plain = address();
    assert.equal(stripManagedFields(plain), plain);
    const noMeta = { kind: 'Status' };
    assert.equal(stripManagedFields(noMeta), noMeta);
  });
});

describe('Informer cache (default transform)', () => {
  // observe() needs no server: the transport is never called.
  function informer(): Informer<IPAddressWire> {
    return new Informer<IPAddressWire>({
      transport: {} as KubeTransport,
      resource: ipAddressResource('v1beta2'),
      indexers: { [INDEX_POOL_REF]: ipAddressByPoolRef },
    });
  }

  it('caches objects sharing frozen sub-objects; writing into one throws, the caller keeps its own', () => {
    const cache = informer();
    const mine = address([{ manager: 'kubectl' }]);
    cache.observe(mine);
    cache.observe({ ...address(), metadata: { ...address().metadata, name: 'b' } });
    const a = cache.get('ns', 'a');
    const b = cache.get('ns', 'b');
    assert.ok(a !== undefined && b !== undefined);
    assert.deepEqual(a, address());
    assert.equal(a.metadata.finalizers, b.metadata.finalizers);
    assert.equal(a.spec.poolRef, b.spec.poolRef);
    assert.throws(() => a.metadata.finalizers?.push('x'), TypeError);
    assert.throws(() => {
      a.spec.poolRef.name = 'q';
    }, TypeError);
    assert.deepEqual(
      cache.byIndex(INDEX_POOL_REF, 'ipam.cluster.x-k8s.io/InClusterIPPool/p').map((o) => o.metadata.name),
      ['a', 'b'],
    );
    // observe() transformed a copy: the caller's object is neither frozen nor changed.
    assert.ok(!Object.isFrozen(mine.metadata.finalizers) && !Object.isFrozen(mine.spec.poolRef));
    mine.metadata.finalizers?.push('mine');
    assert.deepEqual(cache.get('ns', 'a')?.metadata.finalizers, ['ipam.cluster.x-k8s.io/ProtectAddress']);
  });

  it('observe() skips an object already cached at the same resourceVersion, before copying it', () => {
    let transformed = 0;
    const cache = new Informer<IPAddressWire>({
      transport: {} as KubeTransport,
      resource: ipAddressResource('v1beta2'),
      transform: (o) => {
        transformed++;
        return o;
      },
    });
    const updates: string[] = [];
    cache.onUpdate((o) => updates.push(o.metadata.resourceVersion ?? ''));
    cache.observe(address());
    cache.observe(address());
    assert.equal(transformed, 1, 'the same resourceVersion again: no copy, no transform');
    assert.deepEqual(updates, []);
    cache.observe({ ...address(), metadata: { ...address().metadata, resourceVersion: '8' } });
    assert.equal(transformed, 2);
    assert.deepEqual(updates, ['8']);
  });
});

describe('Informer watch', () => {
  /** A transport that lists nothing and then streams `lines` on the first watch (later ones wait). */
  function scriptedTransport(lines: string[]): KubeTransport {
    let watches = 0;
    const waitForAbort = (signal: AbortSignal | undefined): Promise<never> =>
      new Promise((_resolve, reject) => {
        signal?.addEventListener('abort', () => {
          reject(new Error('aborted'));
        });
      });
    return {
      request: () => Promise.resolve({ metadata: { resourceVersion: '1' }, items: [] }),
      stream: (options: { signal?: AbortSignal }) => {
        watches++;
        const first = watches === 1;
        async function* events(): AsyncIterable<string> {
          if (first) yield* lines;
          await waitForAbort(options.signal);
        }
        return Promise.resolve({ lines: events() });
      },
    } as unknown as KubeTransport;
  }

  it('skips the transform for the echo of an object it already holds at that resourceVersion', async () => {
    const at = (rv: string): IPAddressWire => ({
      ...address(),
      metadata: { ...address().metadata, resourceVersion: rv },
    });
    const transformed: string[] = [];
    const cache = new Informer<IPAddressWire>({
      transport: scriptedTransport([
        JSON.stringify({ type: 'ADDED', object: at('7') }), // the echo of the observed write
        JSON.stringify({ type: 'MODIFIED', object: at('6') }), // older than the cache
        JSON.stringify({ type: 'MODIFIED', object: at('8') }),
      ]),
      resource: ipAddressResource('v1beta2'),
      transform: (o) => {
        transformed.push(o.metadata.resourceVersion ?? '');
        return o;
      },
    });
    const updates: string[] = [];
    cache.onUpdate((o) => updates.push(o.metadata.resourceVersion ?? ''));
    cache.observe(at('7'));
    await cache.start();
    for (let i = 0; i < 100 && cache.latestResourceVersion !== '8'; i++)
      await new Promise((r) => setImmediate(r));
    await cache.stop();
    assert.deepEqual(transformed, ['7', '8'], 'observe() and the one newer event');
    assert.deepEqual(updates, ['8']);
    assert.equal(cache.get('ns', 'a')?.metadata.resourceVersion, '8');
  });
});
