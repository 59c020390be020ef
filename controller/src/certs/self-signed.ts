// A self-signed serving certificate written with node:crypto alone: an ECDSA P-256 key, and the
// X.509 v3 DER assembled here (a dozen fixed fields). The HTTPS diagnostics endpoint needs one at
// every start in its default mode. Measured with the compiled controller (node --expose-gc, RSS
// after gc, 3 runs): @peculiar/x509 (x509-issue.ts) 48 → 60 MB and 0.2–0.9 s; this 49 → 52 MB
// and 16–54 ms.
import { createHash, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { KeyPairPem } from './types.js';

function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

const tlv = (tag: number, ...content: Buffer[]): Buffer => {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), length(body.length), body]);
};
const seq = (...c: Buffer[]): Buffer => tlv(0x30, ...c);

/**
 * A non-negative DER INTEGER of these big-endian bytes, minimally encoded: leading zero bytes go,
 * and one 0x00 comes back when the first byte left has its high bit set (else it would read as
 * negative). OpenSSL refuses anything else ("illegal padding").
 */
export function derUnsignedInteger(bytes: Uint8Array): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const body = Buffer.from(bytes.subarray(start));
  return tlv(0x02, (body[0] ?? 0) >= 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body);
}

function oid(dotted: string): Buffer {
  const [a = 0, b = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * a + b];
  for (const n of rest) {
    const chunk = [n % 128];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v % 128));
    bytes.push(...chunk);
  }
  return tlv(0x06, Buffer.from(bytes));
}

/** UTCTime (YYMMDDHHMMSSZ) before 2050, GeneralizedTime after, as RFC 5280 requires. */
function time(d: Date): Buffer {
  const iso = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(iso.slice(2))) : tlv(0x18, Buffer.from(iso));
}

function ipBytes(ip: string): Buffer {
  if (isIPv4(ip)) return Buffer.from(ip.split('.').map(Number));
  if (!isIPv6(ip)) throw new Error(`not an IP address: ${ip}`);
  const [head = '', tail = ''] = ip.split('::');
  const h = head === '' ? [] : head.split(':');
  const t = ip.includes('::') ? (tail === '' ? [] : tail.split(':')) : [];
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return Buffer.from(groups.flatMap((g) => [parseInt(g, 16) >> 8, parseInt(g, 16) & 0xff]));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

export interface SelfSignedOptions {
  /** DNS names (the first is the CN). */
  dnsNames: string[];
  ipAddresses?: string[];
  /** Validity; default 365 days. */
  validityMs?: number;
  now?: Date;
}

/** A self-signed serving certificate (CA:false, digitalSignature, serverAuth) and its key. */
export function selfSignedCertificate(options: SelfSignedOptions): KeyPairPem {
  const now = options.now ?? new Date();
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const serial = randomBytes(16);
  const name = seq(
    tlv(0x31, seq(oid('2.5.4.3'), tlv(0x0c, Buffer.from(options.dnsNames[0] ?? 'localhost')))),
  );
  const sans = [
    ...options.dnsNames.map((n) => tlv(0x82, Buffer.from(n))),
    ...(options.ipAddresses ?? []).map((ip) => tlv(0x87, ipBytes(ip))),
  ];
  const critical = tlv(0x01, Buffer.from([0xff]));
  const extensions = [
    seq(oid('2.5.29.19'), critical, tlv(0x04, seq())), // basicConstraints: not a CA
    seq(oid('2.5.29.15'), critical, tlv(0x04, tlv(0x03, Buffer.from([0x07, 0x80])))), // digitalSignature
    seq(oid('2.5.29.37'), tlv(0x04, seq(oid('1.3.6.1.5.5.7.3.1')))), // serverAuth
    seq(oid('2.5.29.17'), tlv(0x04, seq(...sans))),
    // subjectKeyIdentifier: SHA-1 of the key bits (RFC 5280 method 1, over the whole SPKI here).
    seq(oid('2.5.29.14'), tlv(0x04, tlv(0x04, createHash('sha1').update(spki).digest()))),
  ];
  const tbs = seq(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    derUnsignedInteger(serial),
    ECDSA_SHA256,
    name,
    seq(
      time(new Date(now.getTime() - 5 * 60_000)),
      time(new Date(now.getTime() + (options.validityMs ?? 365 * 86_400_000))),
    ),
    name,
    spki,
    tlv(0xa3, seq(...extensions)),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const der = seq(tbs, ECDSA_SHA256, tlv(0x03, Buffer.from([0]), signature));
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .trimEnd();
  return {
    cert: `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}
