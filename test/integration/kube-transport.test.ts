// KubeTransport against the real API server: requests share keep-alive connections (client-node's
// own agent for applyToHTTPSOptions does not keep connections alive, so every request would pay a
// TLS handshake). Connections are counted at the https agent's createConnection.
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { Agent as HttpsAgent } from 'node:https';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { KubeTransport, loadKubeConfig } from '@ipam-in-cluster/kube';
import { testCluster } from '../support/cluster.js';

describe('kube transport', () => {
  let connections = 0;
  const count = (): number => connections;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- restored in after(), called with apply(this)
  const original = HttpsAgent.prototype.createConnection;
  let kubeconfigPath: string;
  before(async () => {
    ({ kubeconfigPath } = await testCluster());
    HttpsAgent.prototype.createConnection = function (this: HttpsAgent, ...args) {
      connections++;
      return original.apply(this, args);
    };
  });
  after(() => {
    HttpsAgent.prototype.createConnection = original;
  });

  it('reuses its connections across requests, sequential and concurrent', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
    connections = 0;
    for (let i = 0; i < 20; i++) await transport.request({ method: 'GET', path: '/version' });
    assert.equal(connections, 1, '20 sequential requests, one connection');
    const burst = () =>
      Promise.all(
        Array.from({ length: 40 }, () => transport.request({ method: 'GET', path: '/api/v1/namespaces' })),
      );
    await burst();
    const afterFirst = count();
    assert.ok(
      afterFirst >= 1 && afterFirst <= 40,
      `40 concurrent requests: ${String(afterFirst)} connections`,
    );
    await burst();
    assert.equal(count(), afterFirst, 'a second burst reuses the pooled connections');
  });

  it('replaces its connection pool after agentTtlMs', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig, {
      agentTtlMs: 0,
    });
    connections = 0;
    for (let i = 0; i < 5; i++) await transport.request({ method: 'GET', path: '/version' });
    assert.equal(connections, 5);
  });

  it('reads the credentials once per credentialsTtlMs, not per request', async () => {
    const { kubeConfig } = loadKubeConfig({ kubeconfig: kubeconfigPath });
    let readings = 0;
    const apply = kubeConfig.applyToHTTPSOptions.bind(kubeConfig);
    kubeConfig.applyToHTTPSOptions = async (options) => {
      readings++;
      await apply(options);
    };
    const cached = new KubeTransport(kubeConfig);
    await Promise.all(Array.from({ length: 10 }, () => cached.request({ method: 'GET', path: '/version' })));
    for (let i = 0; i < 10; i++) await cached.request({ method: 'GET', path: '/version' });
    assert.equal(readings, 1, '20 requests within a second, one reading');
    readings = 0;
    const uncached = new KubeTransport(kubeConfig, { credentialsTtlMs: 0 });
    for (let i = 0; i < 5; i++) await uncached.request({ method: 'GET', path: '/version' });
    assert.equal(readings, 5, 'credentialsTtlMs 0: every request reads them');
  });

  it('maps a timeout to TimeoutError and an HTTP error to ApiException with the Status body', async () => {
    const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig);
    await assert.rejects(
      // A watch never ends by itself: the 200 ms timeout must cut it.
      transport.request({
        method: 'GET',
        path: '/api/v1/namespaces',
        query: { watch: true },
        timeoutMs: 200,
      }),
      (error: Error) => error.name === 'TimeoutError',
    );
    await assert.rejects(
      transport.request({ method: 'GET', path: '/api/v1/namespaces/no-such-namespace-here' }),
      (error: { code?: number; body?: string }) =>
        error.code === 404 && typeof error.body === 'string' && error.body.includes('"reason":"NotFound"'),
    );
  });

  it('asks for gzip by default and for identity with compression: false (the controller)', async () => {
    const encodings: (string | undefined)[] = [];
    const onResponse = (message: unknown): void => {
      const { request, response } = message as { request: { path: string }; response: IncomingMessage };
      if (!request.path.startsWith('/apis/apiextensions.k8s.io/v1/customresourcedefinitions')) return;
      encodings.push(response.headers['content-encoding']);
    };
    subscribe('http.client.response.finish', onResponse);
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
      unsubscribe('http.client.response.finish', onResponse);
    }
  });
});
