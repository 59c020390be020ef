// A self-signed serving certificate that lives only in memory, for the HTTPS diagnostics server
// when no certificate directory is given — what controller-runtime's metrics server does when its
// CertDir is empty (a CA and a certificate for `localhost`, one year). Scrapers either skip
// verification (the usual ServiceMonitor for kube-rbac-proxy-style endpoints) or are given a
// certificate directory instead. Renewed in memory at 2/3 of its life, so a long-running process
// never serves an expired certificate.
import { hostname } from 'node:os';
import { StaticCertificateSource } from './file-source.js';
import { createCertificateAuthority, issueServingCertificate, needsRenewal } from './generate.js';

const DAY_MS = 24 * 60 * 60 * 1000;

export interface InMemoryCertificateOptions {
  /** Validity of the CA and the certificate (default 365 days). */
  validityMs?: number;
  /** How often to check whether renewal is due (default 1 hour). */
  checkIntervalMs?: number;
  onError?: (error: unknown) => void;
}

export class InMemoryCertificateSource extends StaticCertificateSource {
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: InMemoryCertificateOptions) {
    super();
  }

  /** Generates the first certificate and starts the renewal check. */
  static async start(options: InMemoryCertificateOptions = {}): Promise<InMemoryCertificateSource> {
    const source = new InMemoryCertificateSource(options);
    await source.renew();
    source.#timer = setInterval(
      () => {
        const current = source.current();
        if (current !== undefined && needsRenewal(current.cert, new Date()))
          source.renew().catch((error: unknown) => options.onError?.(error));
      },
      options.checkIntervalMs ?? 60 * 60_000,
    );
    source.#timer.unref();
    return source;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** A new CA and serving certificate (listeners are told). */
  async renew(): Promise<void> {
    const validityMs = this.options.validityMs ?? 365 * DAY_MS;
    const ca = await createCertificateAuthority({ commonName: 'localhost-ca', validityMs });
    const names = [...new Set(['localhost', hostname()].filter((n) => /^[a-z0-9.-]+$/i.test(n)))];
    const serving = await issueServingCertificate(ca, {
      dnsNames: names,
      ipAddresses: ['127.0.0.1', '::1'],
      validityMs,
    });
    // The chain, so a client that pins the CA can verify it.
    this.set({ cert: serving.cert + ca.cert, key: serving.key });
  }
}
