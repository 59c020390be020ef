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
});
