// The HTTPS diagnostics listener: authentication and authorisation on /metrics, a certificate
// made in memory, and hostile clients (slow, oversized, bodies, plain HTTP on the TLS port, idle
// sockets) that must never stall the process. Real listeners on 127.0.0.1:0; the reviewer is a
// table (the real API server is exercised in test/integration/controller-metrics-auth.test.ts).
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:https';
import { connect as netConnect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { FileCertificateSource } from '../certs/file-source.js';
import { InMemoryCertificateSource } from '../certs/in-memory.js';
import { selfSignedCertificate } from '../certs/self-signed.js';
import { inspectCertificate } from '../certs/x509.js';
import { MetricsAuth, type ScrapeUser } from './metrics-auth.js';
import { HealthChecks, startDiagnostics, type Diagnostics } from './server.js';

const local = { host: '127.0.0.1', port: 0 };

function scrape(
  port: number,
  headers: Record<string, string> = {},
  path = '/metrics',
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers, rejectUnauthorized: false, agent: false },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** Resolves when the server closes the socket (or after `ms`, with false). */
function closedWithin(socket: Socket, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
    socket.on('error', () => undefined);
    socket.resume();
  });
}

describe('HTTPS diagnostics', () => {
  let certificates: InMemoryCertificateSource;
  let d: Diagnostics;
  let port = 0;
  const reviews: string[] = [];

  before(async () => {
    certificates = InMemoryCertificateSource.start();
    const auth = new MetricsAuth({
      reviewer: {
        reviewToken: (token: string) =>
          Promise.resolve(
            token === 'reader' || token === 'stranger'
              ? { authenticated: true as const, user: { username: token } }
              : { authenticated: false as const },
          ),
        reviewAccess: (user: ScrapeUser, verb: string, path: string) =>
          Promise.resolve({
            allowed: user.username === 'reader' && verb === 'get' && path === '/metrics',
            reason: '',
          }),
      },
      onReview: (kind, outcome) => reviews.push(`${kind}:${outcome}`),
    });
    d = await startDiagnostics({
      probeAddress: local,
      metricsAddress: undefined,
      diagnosticsAddress: local,
      secure: { certificates, auth },
      checks: new HealthChecks(),
      metrics: () => Promise.resolve({ contentType: 'text/plain; version=0.0.4', body: 'capi_ipam_up 1\n' }),
      limits: {
        headersTimeoutMs: 500,
        requestTimeoutMs: 1_000,
        idleTimeoutMs: 1_500,
        handshakeTimeoutMs: 500,
      },
    });
    port = d.diagnostics?.port ?? 0;
  });

  after(async () => {
    await d.close(500);
    certificates.stop();
  });

  it('serves a self-signed certificate for localhost made in memory', () => {
    const info = inspectCertificate(certificates.current()?.cert ?? '');
    assert.ok(info.dnsNames.includes('localhost'));
    assert.deepEqual(info.ipAddresses.slice(0, 1), ['127.0.0.1']);
    assert.ok(info.notAfter.getTime() - Date.now() > 300 * 24 * 3600_000, 'about a year');
  });

  it('answers 401 without a token, 401 for an unknown token, 403 without permission, 200 with it', async () => {
    assert.deepEqual(await scrape(port), { status: 401, body: 'Unauthorized\n' });
    assert.equal((await scrape(port, { authorization: 'Bearer forged' })).status, 401);
    assert.deepEqual(await scrape(port, { authorization: 'Bearer stranger' }), {
      status: 403,
      body: 'Authorization denied for user stranger\n',
    });
    assert.deepEqual(await scrape(port, { authorization: 'Bearer reader' }), {
      status: 200,
      body: 'capi_ipam_up 1\n',
    });
    assert.equal((await scrape(port, { authorization: 'Bearer reader' }, '/other')).status, 404);
    assert.equal(
      (await scrape(d.probes?.port ?? 0, {}, '/metrics').catch(() => ({ status: -1 }))).status,
      -1,
    );
  });

  it('refuses request bodies with 413 and closes the connection without reading them', async () => {
    const socket = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise((resolve) => socket.once('secureConnect', resolve));
    let text = '';
    socket.on('data', (c: Buffer) => (text += c.toString()));
    socket.write(
      'GET /metrics HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer reader\r\nContent-Length: 100000000\r\n\r\n',
    );
    assert.ok(await closedWithin(socket, 5_000), 'closed');
    assert.match(text, /^HTTP\/1.1 413/);
  });

  it('answers oversized headers with 431', async () => {
    const r = await scrape(port, { authorization: 'Bearer reader', 'x-junk': 'a'.repeat(20_000) });
    assert.equal(r.status, 431);
    assert.equal((await scrape(port, { authorization: 'Bearer reader' })).status, 200);
  });

  it('closes slow, silent and plain-HTTP clients while scrapes keep being answered', async () => {
    // Slowloris: headers that never end.
    const slow = tlsConnect({ host: '127.0.0.1', port, rejectUnauthorized: false });
    await new Promise((resolve) => slow.once('secureConnect', resolve));
    slow.write('GET /metrics HTTP/1.1\r\nHost: x\r\n');
    const slowClosed = closedWithin(slow, 10_000);
    // A TCP connection that never starts the TLS handshake.
    const silent = netConnect({ host: '127.0.0.1', port });
    const silentClosed = closedWithin(silent, 10_000);
    // Plain HTTP to the TLS port.
    const plain = netConnect({ host: '127.0.0.1', port });
    plain.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    const plainClosed = closedWithin(plain, 10_000);
    assert.equal((await scrape(port, { authorization: 'Bearer reader' })).status, 200, 'not stalled');
    assert.deepEqual(await Promise.all([slowClosed, silentClosed, plainClosed]), [true, true, true]);
    assert.equal((await scrape(port, { authorization: 'Bearer reader' })).status, 200);
  });

  it('refuses to share a port with a plain listener', async () => {
    await assert.rejects(
      startDiagnostics({
        probeAddress: { host: '127.0.0.1', port: 1 },
        metricsAddress: undefined,
        diagnosticsAddress: { host: '127.0.0.1', port: 1 },
        secure: {
          certificates,
          auth: new MetricsAuth({
            reviewer: {
              reviewToken: () => Promise.reject(new Error()),
              reviewAccess: () => Promise.reject(new Error()),
            },
          }),
        },
        checks: new HealthChecks(),
        metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
      }),
      /cannot share a port/,
    );
  });

  it('serves the certificate of a directory instead (--diagnostics-cert-dir), and a replaced one after reload', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'diag-certs-'));
    const first = selfSignedCertificate({ dnsNames: ['ipam-metrics.example'] });
    writeFileSync(join(dir, 'tls.crt'), first.cert);
    writeFileSync(join(dir, 'tls.key'), first.key);
    const files = new FileCertificateSource({ dir, pollMs: 100 });
    await files.start();
    const served = await startDiagnostics({
      probeAddress: undefined,
      metricsAddress: undefined,
      diagnosticsAddress: local,
      secure: {
        certificates: files,
        auth: new MetricsAuth({
          reviewer: {
            reviewToken: () => Promise.resolve({ authenticated: false as const }),
            reviewAccess: () => Promise.resolve({ allowed: false, reason: '' }),
          },
        }),
        tlsMinVersion: 'TLSv1.3',
      },
      checks: new HealthChecks(),
      metrics: () => Promise.resolve({ contentType: 'text/plain', body: '' }),
    });
    const peer = async (): Promise<{ fingerprint: string; protocol: string | null }> => {
      const socket = tlsConnect({
        host: '127.0.0.1',
        port: served.diagnostics?.port ?? 0,
        rejectUnauthorized: false,
      });
      await new Promise((resolve) => socket.once('secureConnect', resolve));
      const result = {
        fingerprint: socket.getPeerCertificate().fingerprint256,
        protocol: socket.getProtocol(),
      };
      socket.destroy();
      return result;
    };
    try {
      assert.deepEqual(await peer(), {
        fingerprint: new X509Certificate(first.cert).fingerprint256,
        protocol: 'TLSv1.3',
      });
      const second = selfSignedCertificate({ dnsNames: ['ipam-metrics.example'] });
      writeFileSync(join(dir, 'tls.key'), second.key);
      writeFileSync(join(dir, 'tls.crt'), second.cert);
      const want = new X509Certificate(second.cert).fingerprint256;
      const deadline = Date.now() + 10_000;
      while ((await peer()).fingerprint !== want && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal((await peer()).fingerprint, want);
    } finally {
      await served.close(100);
      files.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
