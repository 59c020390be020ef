// What the webhook server's tests share: a pool reader with nothing stored, a serving certificate
// for loopback, and a server on a free loopback port serving the pool webhooks over that reader.
import type { CertificateSource, KeyPairPem } from '../certs/types.js';
import { issueServingCertificate } from '../certs/x509.js';
import { PoolWebhooks, type PoolClusterReader } from './pools.js';
import { startHttpsWebhookServer, type RunningWebhookServer, type WebhookServerOptions } from './server.js';

export const emptyPoolReader: PoolClusterReader = {
  allocations: () => Promise.resolve([]),
  pools: () => Promise.resolve([]),
};

/** A serving certificate for localhost and 127.0.0.1, signed by `ca`. */
export function loopbackServingPair(ca: KeyPairPem): Promise<KeyPairPem> {
  return issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
}

/** The server on 127.0.0.1, a free port, with `certificates`; `options` add to or replace the rest. */
export function startLoopbackServer(
  certificates: CertificateSource,
  options: Partial<WebhookServerOptions> = {},
): Promise<RunningWebhookServer> {
  return startHttpsWebhookServer({
    port: 0,
    host: '127.0.0.1',
    certificates,
    pools: new PoolWebhooks({ reader: emptyPoolReader }),
    ...options,
  });
}
