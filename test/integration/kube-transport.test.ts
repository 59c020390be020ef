// KubeTransport against the real API server: requests share connections (client-node's
// applySecurityAuthentication alone builds a new undici Agent, so a new TLS connection, for every
// request). Connections are counted from undici's own diagnostics channel.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { KubeTransport, loadKubeConfig } from '@ipam-in-cluster/kube';
import { testCluster } from '../support/cluster.js';

describe('kube transport', () => {
  let connections = 0;
  const onConnected = (): void => {
    connections++;
  };
  let kubeconfigPath: string;
  before(async () => {
    ({ kubeconfigPath } = await testCluster());
    subscribe('undici:client:connected', onConnected);
  });
  after(() => {
    unsubscribe('undici:client:connected', onConnected);
  });

  it('reuses its connections across requests, sequential and concurrent', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
    connections = 0;
    for (let i = 0; i < 20; i++) await transport.request({ method: 'GET', path: '/version' });
    assert.equal(connections, 1, '20 sequential requests, one connection');
    await Promise.all(
      Array.from({ length: 40 }, () => transport.request({ method: 'GET', path: '/api/v1/namespaces' })),
    );
    // HTTP/2 multiplexes them on the one connection.
    assert.equal(connections, 1, '40 concurrent requests, still one connection');
  });

  it('replaces its connection pool after dispatcherTtlMs', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig, {
      dispatcherTtlMs: 0,
    });
    connections = 0;
    for (let i = 0; i < 5; i++) await transport.request({ method: 'GET', path: '/version' });
    assert.equal(connections, 5);
  });

  it('asks for gzip by default and for identity with compression: false (the controller)', async () => {
    const encodings: (string | undefined)[] = [];
    const onHeaders = (message: unknown): void => {
      const { request, response } = message as {
        request: { path: string };
        // HTTP/1.1: [name, value, …] as Buffers; HTTP/2 (what the API server speaks): an object.
        response: { headers: Buffer[] | Record<string, string | string[] | undefined> };
      };
      if (!request.path.startsWith('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')) return;
      const raw = response.headers;
      let encoding: string | undefined;
      if (Array.isArray(raw)) {
        for (let i = 0; i + 1 < raw.length; i += 2) {
          if (String(raw[i]).toLowerCase() === 'content-encoding') encoding = String(raw[i + 1]);
        }
      } else {
        const v = raw['content-encoding'];
        encoding = Array.isArray(v) ? v.join(',') : v;
      }
      encodings.push(encoding);
    };
    subscribe('undici:request:headers', onHeaders);
    try {
      const { kubeConfig } = loadKubeConfig({ kubeconfig: kubeconfigPath });
      // The CRDs (Cluster API's and ours) make a list well over the server's 128 KB threshold.
      const path = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions';
      const zipped = await new KubeTransport(kubeConfig).request<{ items: unknown[] }>({
        method: 'GET',
        path,
      });
      const plain = await new KubeTransport(kubeConfig, { compression: false }).request<{ items: unknown[] }>(
        {
          method: 'GET',
          path,
        },
      );
      assert.deepEqual(encodings, ['gzip', undefined]);
      assert.ok(plain.items.length > 0);
      assert.equal(plain.items.length, zipped.items.length, 'same list either way');
    } finally {
      unsubscribe('undici:request:headers', onHeaders);
    }
  });
});
