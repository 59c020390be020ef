// Certificates provided from outside (cert-manager, a mounted Secret, any file the operator
// manages): read tls.crt/tls.key from --webhook-cert-dir, watch the directory and reload when the
// content changes. Kubernetes updates a mounted Secret by swapping a `..data` symlink, which
// fs.watch on the directory reports; a slow poll catches anything a watcher misses. A half-written
// pair (key and certificate do not match) is ignored until both files agree.
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CertificateSource, ServingCertificate } from './types.js';
import { verifyPair } from './x509.js';

export interface FileCertificateSourceOptions {
  dir: string;
  certName?: string;
  keyName?: string;
  /** Poll interval as a safety net for missed watch events (default 10 s). */
  pollMs?: number;
  onError?: (error: Error) => void;
}

export class FileCertificateSource implements CertificateSource {
  private cert: ServingCertificate | undefined;
  private readonly listeners = new Set<(c: ServingCertificate) => void>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private readonly certPath: string;
  private readonly keyPath: string;

  constructor(private readonly options: FileCertificateSourceOptions) {
    this.certPath = join(
      options.dir,
      options.certName === undefined || options.certName === '' ? 'tls.crt' : options.certName,
    );
    this.keyPath = join(
      options.dir,
      options.keyName === undefined || options.keyName === '' ? 'tls.key' : options.keyName,
    );
  }

  /** Reads the pair once (throws if it is missing or does not match), then starts watching. */
  async start(): Promise<void> {
    const pair = await this.read();
    if (pair === undefined)
      throw new Error(`no matching certificate and key in ${this.certPath} and ${this.keyPath}`);
    this.cert = pair;
    try {
      this.watcher = watch(this.options.dir, () => {
        this.schedule();
      });
      this.watcher.on('error', (error) => this.options.onError?.(error));
    } catch (error) {
      this.options.onError?.(error as Error);
    }
    this.timer = setInterval(() => {
      void this.reload();
    }, this.options.pollMs ?? 10_000);
    this.timer.unref();
  }

  stop(): void {
    this.watcher?.close();
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.debounce !== undefined) clearTimeout(this.debounce);
  }

  current(): ServingCertificate | undefined {
    return this.cert;
  }

  onChange(listener: (c: ServingCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Re-reads the files now; notifies listeners if the pair changed. */
  async reload(): Promise<boolean> {
    const pair = await this.read();
    if (
      pair === undefined ||
      (this.cert !== undefined && pair.cert === this.cert.cert && pair.key === this.cert.key)
    )
      return false;
    this.cert = pair;
    for (const l of this.listeners) l(pair);
    return true;
  }

  private schedule(): void {
    if (this.debounce !== undefined) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => {
      void this.reload();
    }, 100);
  }

  private async read(): Promise<ServingCertificate | undefined> {
    try {
      const [cert, key] = await Promise.all([
        readFile(this.certPath, 'utf8'),
        readFile(this.keyPath, 'utf8'),
      ]);
      return verifyPair({ cert, key }) ? { cert, key } : undefined;
    } catch (error) {
      this.options.onError?.(error as Error);
      return undefined;
    }
  }
}

/** A fixed or programmatically rotated certificate (tests, and the self-managed mode's output). */
export class StaticCertificateSource implements CertificateSource {
  private readonly listeners = new Set<(c: ServingCertificate) => void>();

  constructor(private cert?: ServingCertificate) {}

  current(): ServingCertificate | undefined {
    return this.cert;
  }

  set(cert: ServingCertificate): void {
    if (this.cert !== undefined && this.cert.cert === cert.cert && this.cert.key === cert.key) return;
    this.cert = cert;
    for (const l of this.listeners) l(cert);
  }

  onChange(listener: (c: ServingCertificate) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
