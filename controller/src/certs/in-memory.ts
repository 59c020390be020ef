// A self-signed serving certificate that lives only in memory, for the HTTPS diagnostics server
// when no certificate directory is given — what controller-runtime's metrics server does when its
// CertDir is empty (a certificate for `localhost`, one year). Scrapers skip verification (the
// usual ServiceMonitor for such endpoints) or are given a certificate directory instead. Renewed
// in memory at 2/3 of its life, so a long-running process never serves an expired certificate.
import { hostname } from 'node:os';
import { StaticCertificateSource } from './file-source.js';
import { needsRenewal } from './x509.js';
import { selfSignedCertificate } from './self-signed.js';

export interface InMemoryCertificateOptions {
  /** Validity (default 365 days). */
  validityMs?: number;
  /** How often to check whether renewal is due (default 1 hour). */
  checkIntervalMs?: number;
}

export class InMemoryCertificateSource extends StaticCertificateSource {
  #timer: NodeJS.Timeout | undefined;

  private constructor(private readonly options: InMemoryCertificateOptions) {
    super();
  }

  /** Makes the first certificate and starts the renewal check. */
  static start(options: InMemoryCertificateOptions = {}): InMemoryCertificateSource {
    const source = new InMemoryCertificateSource(options);
    source.renew();
    source.#timer = setInterval(
      () => {
        const current = source.current();
        if (current !== undefined && needsRenewal(current.cert, new Date())) source.renew();
      },
      options.checkIntervalMs ?? 60 * 60_000,
    );
    source.#timer.unref();
    return source;
  }

  stop(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
  }

  /** A new key and certificate (listeners are told). */
  renew(): void {
    const names = [...new Set(['localhost', hostname()].filter((n) => /^[a-z0-9.-]+$/i.test(n)))];
    this.set(
      selfSignedCertificate({
        dnsNames: names,
        ipAddresses: ['127.0.0.1', '::1'],
        ...(this.options.validityMs === undefined ? {} : { validityMs: this.options.validityMs }),
      }),
    );
  }
}
