// X.509 for the webhook server: a self-signed CA and a serving certificate it signs, ECDSA P-256
// keys from node:crypto's WebCrypto, certificates built by @peculiar/x509 (docs/adr/0008).
// reflect-metadata must load before @peculiar/x509 (its DI container needs the Reflect polyfill);
// ES modules evaluate imports in order, so it is the first import here.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { randomBytes, webcrypto, X509Certificate, createPrivateKey } from 'node:crypto';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

type CryptoKey = webcrypto.CryptoKey;

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
const DAY_MS = 24 * 60 * 60 * 1000;

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

function serial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f; // positive
  return bytes.toString('hex');
}

async function exportKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  const b64 = Buffer.from(der)
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
}

async function importKey(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, ALG, true, ['sign']);
}

export interface CaOptions {
  commonName?: string;
  /** Validity; default 365 days. */
  validityMs?: number;
  now?: Date;
}

/** A self-signed CA (basicConstraints CA:true, keyCertSign). */
export async function createCertificateAuthority(options: CaOptions = {}): Promise<KeyPairPem> {
  const now = options.now ?? new Date();
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${options.commonName ?? 'ipam-in-cluster-webhook-ca'}, O=k8s-sig-cluster-lifecycle`,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + (options.validityMs ?? 365 * DAY_MS)),
    keys,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
}

export interface ServingOptions {
  /** DNS names (e.g. `<service>.<namespace>.svc`); the first is the CN. */
  dnsNames: string[];
  ipAddresses?: string[];
  /** Validity; default 90 days. */
  validityMs?: number;
  now?: Date;
}

/** A serving certificate for the webhook Service, signed by `ca`. */
export async function issueServingCertificate(ca: KeyPairPem, options: ServingOptions): Promise<KeyPairPem> {
  const now = options.now ?? new Date();
  const caCert = new x509.X509Certificate(ca.cert);
  const caKey = await importKey(ca.key);
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const names: x509.JsonGeneralName[] = [
    ...options.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${options.dnsNames[0] ?? options.ipAddresses?.[0] ?? 'webhook'}`,
    issuer: caCert.subject,
    notBefore: new Date(now.getTime() - 5 * 60_000),
    notAfter: new Date(now.getTime() + (options.validityMs ?? 90 * DAY_MS)),
    publicKey: keys.publicKey,
    signingKey: caKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(caCert),
    ],
  });
  return { cert: cert.toString('pem') + '\n', key: await exportKey(keys.privateKey) };
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
