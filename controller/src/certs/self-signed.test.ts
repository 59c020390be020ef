import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { describe, it } from 'node:test';
import { inspectCertificate, verifyPair } from './x509.js';
import { derUnsignedInteger, selfSignedCertificate } from './self-signed.js';

describe('selfSignedCertificate', () => {
  it('is a valid X.509 v3 certificate signed by its own key, for the names and addresses asked', () => {
    const now = new Date('2026-12-07T03:00:00Z');
    const pair = selfSignedCertificate({
      dnsNames: ['localhost', 'ipam-7d9f-x2'],
      ipAddresses: ['127.0.0.1', '::1', '2001:db8::a:1'],
      validityMs: 30 * 86_400_000,
      now,
    });
    const c = new X509Certificate(pair.cert);
    assert.ok(c.verify(c.publicKey), 'self-signature verifies');
    assert.ok(c.checkPrivateKey(createPrivateKey(pair.key)));
    assert.ok(verifyPair(pair));
    assert.equal(c.subject, 'CN=localhost');
    assert.equal(c.issuer, 'CN=localhost');
    assert.equal(c.ca, false);
    assert.deepEqual(c.keyUsage, ['1.3.6.1.5.5.7.3.1']);
    const info = inspectCertificate(pair.cert);
    assert.deepEqual(info.dnsNames, ['localhost', 'ipam-7d9f-x2']);
    assert.deepEqual(info.ipAddresses, ['127.0.0.1', '0:0:0:0:0:0:0:1', '2001:DB8:0:0:0:0:A:1']);
    assert.equal(info.notBefore.getTime(), now.getTime() - 5 * 60_000);
    assert.equal(info.notAfter.getTime(), now.getTime() + 30 * 86_400_000);
    assert.ok(c.checkHost('localhost') !== undefined && c.checkIP('127.0.0.1') !== undefined);
  });

  it('writes GeneralizedTime from 2050 on and a fresh key and serial each time', () => {
    const late = selfSignedCertificate({ dnsNames: ['localhost'], now: new Date('2049-12-01T00:00:00Z') });
    assert.equal(inspectCertificate(late.cert).notAfter.toISOString(), '2050-12-01T00:00:00.000Z');
    const again = selfSignedCertificate({ dnsNames: ['localhost'] });
    assert.notEqual(
      new X509Certificate(again.cert).serialNumber,
      new X509Certificate(late.cert).serialNumber,
    );
    assert.notEqual(again.key, late.key);
  });

  // One serial in 256 began with 0x00 and a byte below 0x80: a non-minimal INTEGER, which OpenSSL
  // refuses ("illegal padding"), so one start in 256 had no diagnostics certificate (seen in CI).
  it('encodes the serial as a minimal non-negative INTEGER, whatever its random bytes', () => {
    const hex = (bytes: number[]) => derUnsignedInteger(Uint8Array.from(bytes)).toString('hex');
    assert.equal(hex([0x00, 0x12, 0x34]), '02021234');
    assert.equal(hex([0x00, 0x00, 0x92]), '02020092');
    assert.equal(hex([0x92, 0x01]), '0203009201');
    assert.equal(hex([0x7f]), '02017f');
    assert.equal(hex([0x00, 0x00]), '020100');
    // And whole certificates: in 512, one serial or more starts with a zero byte in 6 runs of 7.
    for (let i = 0; i < 512; i++) {
      const { cert } = selfSignedCertificate({ dnsNames: ['localhost'] });
      assert.doesNotThrow(() => new X509Certificate(cert), `certificate ${String(i)}`);
    }
  });
});
