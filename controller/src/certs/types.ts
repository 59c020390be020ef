// The shapes shared by the certificate sources (certs/) and the webhook server that serves with them:
// PEM pairs, what is read back from a certificate, and the options of issuing one.

export interface KeyPairPem {
  /** PEM certificate. */
  cert: string;
  /** PEM PKCS#8 private key. */
  key: string;
}

export interface CertificateInfo {
  notBefore: Date;
  notAfter: Date;
  subject: string;
  dnsNames: string[];
  ipAddresses: string[];
  isCA: boolean;
  fingerprint256: string;
}

export interface CaOptions {
  commonName?: string;
  /** Validity; default 365 days. */
  validityMs?: number;
  now?: Date;
}

export interface ServingOptions {
  /** DNS names (e.g. `<service>.<namespace>.svc`); the first is the CN. */
  dnsNames: string[];
  ipAddresses?: string[];
  /** Validity; default 90 days. */
  validityMs?: number;
  now?: Date;
}

export interface ServingCertificate {
  /** PEM chain (leaf first). */
  cert: string;
  /** PEM private key. */
  key: string;
}

/** Where the serving certificate comes from (files on disk, or a Secret the controller manages). */
export interface CertificateSource {
  current(): ServingCertificate | undefined;
  /** Called after every change of the certificate. Returns an unsubscribe function. */
  onChange(listener: (certificate: ServingCertificate) => void): () => void;
}
