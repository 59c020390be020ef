// The X.509 operations the webhook server's certificates need: issuing a self-signed CA and a
// serving certificate it signs (delegated to x509-issue.ts, loaded on first use), and reading back
// what node:crypto sees in them: validity, names, whether a pair matches, when to renew (docs/adr/0008).
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { CaOptions, CertificateInfo, KeyPairPem, ServingOptions } from './types.js';

/** The issuer, loaded when a certificate is first issued (see x509-issue.ts for why). */
const issuer = (): Promise<typeof import('./x509-issue.js')> => import('./x509-issue.js');

/** A self-signed CA (basicConstraints CA:true, keyCertSign). */
export async function createCertificateAuthority(options: CaOptions = {}): Promise<KeyPairPem> {
  return (await issuer()).createCertificateAuthority(options);
}

/** A serving certificate for the webhook Service, signed by `ca`. */
export async function issueServingCertificate(ca: KeyPairPem, options: ServingOptions): Promise<KeyPairPem> {
  return (await issuer()).issueServingCertificate(ca, options);
}

/** What node:crypto reads from a PEM certificate (the first one of a chain). */
export function inspectCertificate(pem: string): CertificateInfo {
  const c = new X509Certificate(pem);
  const sans = (c.subjectAltName ?? '').split(', ').filter((s) => s !== '');
  return {
    notBefore: new Date(c.validFrom),
    notAfter: new Date(c.validTo),
    subject: c.subject,
    dnsNames: sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4)),
    ipAddresses: sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11)),
    isCA: c.ca,
    fingerprint256: c.fingerprint256,
  };
}

/** Whether `leaf` was signed by `ca` and the key matches the certificate. */
export function verifyPair(pair: KeyPairPem, ca?: string): boolean {
  try {
    const c = new X509Certificate(pair.cert);
    if (!c.checkPrivateKey(createPrivateKey(pair.key))) return false;
    return ca === undefined ? true : c.verify(new X509Certificate(ca).publicKey);
  } catch {
    return false;
  }
}

/**
 * Whether a certificate should be renewed now: past `renewFraction` (default 2/3) of its lifetime,
 * or within `minRemainingMs` of expiry, whichever comes first.
 */
export function needsRenewal(pem: string, now: Date, renewFraction = 2 / 3, minRemainingMs = 0): boolean {
  const { notBefore, notAfter } = inspectCertificate(pem);
  const life = notAfter.getTime() - notBefore.getTime();
  const renewAt = Math.min(notBefore.getTime() + life * renewFraction, notAfter.getTime() - minRemainingMs);
  return now.getTime() >= renewAt;
}
