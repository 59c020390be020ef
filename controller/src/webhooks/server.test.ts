// The HTTPS server end to end on loopback: AdmissionReview and ConversionReview over TLS, error
// codes, certificate rotation (StaticCertificateSource and files on disk) while clients keep calling.
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import {
  createCertificateAuthority,
  inspectCertificate,
  issueServingCertificate,
  needsRenewal,
  verifyPair,
} from '../certs/x509.js';
import type { KeyPairPem } from '../certs/types.js';
import { FileCertificateSource, StaticCertificateSource } from '../certs/file-source.js';
import {
  CLAIM_FINALIZER_WEBHOOK_NAME,
  CLAIM_MATCH_CONDITION,
  CONVERSION_PATH,
  mutatingWebhookConfiguration,
  SPEC_CHANGE_MATCH_CONDITION,
  validatePath,
  validatingWebhookConfiguration,
} from './manifests.js';
import type { RunningWebhookServer } from './server.js';
import { loopbackServingPair, startLoopbackServer } from './server.test-helper.js';

function post(
  port: number,
  path: string,
  body: unknown,
  ca: string,
  agent?: Agent,
  contentType = 'application/json',
): Promise<{ code: number; body: unknown; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const data = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        ca,
        agent: agent ?? false,
        headers: { 'content-type': contentType, 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        const fingerprint = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          resolve({
            code: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString() || 'null') as unknown,
            fingerprint,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const createReview = {
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid: 'abc',
    kind: { group: 'ipam.cluster.x-k8s.io', version: 'v1alpha2', kind: 'InClusterIPPool' },
    operation: 'CREATE',
    namespace: 'ns',
    object: { metadata: { name: 'p', namespace: 'ns' }, spec: { addresses: ['bad'], prefix: 24 } },
  },
};

/**
 * POSTs a body of `size` bytes: with a Content-Length, only the headers are sent until the server
 * answers (so a 413 can only come before the body was read); chunked, the body is written in 16 KiB
 * pieces until the server answers.
 */
function postRaw(
  port: number,
  path: string,
  ca: string,
  size: number,
  mode: 'content-length' | 'chunked',
): Promise<{ code: number; message: string; connection: string | undefined }> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    if (mode === 'content-length') headers['content-length'] = size;
    const req = request(
      { host: '127.0.0.1', port, path, method: 'POST', ca, agent: false, headers },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString() || '{}') as { message?: string };
          resolve({
            code: res.statusCode ?? 0,
            message: body.message ?? '',
            connection: res.headers.connection,
          });
          req.destroy();
        });
      },
    );
    req.on('error', (error) => {
      if (!answered) reject(error);
    });
    if (mode === 'content-length') {
      req.flushHeaders();
      return;
    }
    const piece = Buffer.alloc(16 * 1024, 0x20);
    let sent = 0;
    const write = (): void => {
      while (!answered && sent < size) {
        sent += piece.length;
        if (!req.write(piece)) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered) req.end();
    };
    write();
  });
}

describe('certificates', () => {
  it('issues a CA and a serving certificate with the requested SANs', async () => {
    const ca = await createCertificateAuthority();
    const leaf = await issueServingCertificate(ca, {
      dnsNames: ['svc.ns.svc', 'svc.ns.svc.cluster.local'],
      ipAddresses: ['127.0.0.1'],
    });
    assert.ok(verifyPair(leaf, ca.cert));
    assert.ok(inspectCertificate(ca.cert).isCA);
    const info = inspectCertificate(leaf.cert);
    assert.deepEqual(info.dnsNames, ['svc.ns.svc', 'svc.ns.svc.cluster.local']);
    assert.deepEqual(info.ipAddresses, ['127.0.0.1']);
    assert.equal(info.isCA, false);
    const other = await createCertificateAuthority();
    assert.equal(verifyPair(leaf, other.cert), false);
  });
  it('renews at two thirds of the lifetime', async () => {
    const ca = await createCertificateAuthority();
    const now = new Date();
    const leaf = await issueServingCertificate(ca, { dnsNames: ['x'], validityMs: 90 * 86_400_000, now });
    assert.equal(needsRenewal(leaf.cert, new Date(now.getTime() + 50 * 86_400_000)), false);
    assert.equal(needsRenewal(leaf.cert, new Date(now.getTime() + 61 * 86_400_000)), true);
  });
});

describe('webhook server over TLS', () => {
  let ca: KeyPairPem;
  let source: StaticCertificateSource;
  let server: RunningWebhookServer;

  before(async () => {
    ca = await createCertificateAuthority();
    source = new StaticCertificateSource(await loopbackServingPair(ca));
    server = await startLoopbackServer(source);
  });
  after(async () => {
    await server.close(1000);
  });

  it('answers an AdmissionReview with the same uid and a 422 Status', async () => {
    const res = await post(server.port, validatePath('InClusterIPPool'), createReview, ca.cert);
    assert.equal(res.code, 200);
    const body = res.body as {
      apiVersion: string;
      response: { uid: string; allowed: boolean; status: { code: number } };
    };
    assert.equal(body.apiVersion, 'admission.k8s.io/v1');
    assert.equal(body.response.uid, 'abc');
    assert.equal(body.response.allowed, false);
    assert.equal(body.response.status.code, 422);
  });

  it('answers a ConversionReview', async () => {
    const res = await post(
      server.port,
      CONVERSION_PATH,
      {
        apiVersion: 'apiextensions.k8s.io/v1',
        kind: 'ConversionReview',
        request: {
          uid: 'c1',
          desiredAPIVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
          objects: [
            {
              apiVersion: 'ipam.cluster.x-k8s.io/v1alpha1',
              kind: 'GlobalInClusterIPPool',
              metadata: { name: 'g' },
              spec: { subnet: '10.0.0.0/24' },
            },
          ],
        },
      },
      ca.cert,
    );
    const body = res.body as {
      response: { uid: string; result: { status: string }; convertedObjects: { spec: unknown }[] };
    };
    assert.equal(body.response.uid, 'c1');
    assert.equal(body.response.result.status, 'Success');
    assert.deepEqual(body.response.convertedObjects[0]?.spec, {
      addresses: ['10.0.0.1-10.0.0.254'],
      prefix: 24,
    });
  });

  it('refuses a body over the admission limit with 413 before reading it, and closes the connection', async () => {
    const small = await startLoopbackServer(source, { maxBodyBytes: 64 * 1024 });
    try {
      const path = validatePath('InClusterIPPool');
      // Headers only: the answer comes although no byte of the body was sent.
      const declared = await postRaw(small.port, path, ca.cert, 65 * 1024, 'content-length');
      assert.equal(declared.code, 413);
      assert.match(declared.message, /request body larger than 65536 bytes/);
      assert.equal(declared.connection, 'close');
      const chunked = await postRaw(small.port, path, ca.cert, 1024 * 1024, 'chunked');
      assert.equal(chunked.code, 413);
      // Under the limit the request is read and answered (400: spaces are not a review).
      assert.equal((await postRaw(small.port, path, ca.cert, 60 * 1024, 'chunked')).code, 400);
      assert.equal((await post(small.port, path, createReview, ca.cert)).code, 200);
    } finally {
      await small.close(1000);
    }
  });

  it('refuses unknown paths, other content types and non-reviews', async () => {
    assert.equal((await post(server.port, '/nope', {}, ca.cert)).code, 404);
    assert.equal(
      (await post(server.port, validatePath('InClusterIPPool'), {}, ca.cert, undefined, 'text/plain')).code,
      415,
    );
    assert.equal(
      (await post(server.port, validatePath('InClusterIPPool'), { kind: 'x' }, ca.cert)).code,
      400,
    );
  });

  it('rotates the certificate while a keep-alive client keeps calling, without a failed request', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const before = (await post(server.port, validatePath('InClusterIPPool'), createReview, ca.cert, agent))
      .fingerprint;
    let failures = 0;
    let calls = 0;
    const fingerprints = new Set<string>();
    const state = { stop: false };
    const loop = (async () => {
      while (!state.stop) {
        try {
          const r = await post(server.port, validatePath('InClusterIPPool'), createReview, ca.cert, agent);
          if (r.code !== 200) failures++;
          calls++;
        } catch {
          failures++;
        }
      }
    })();
    const next = await loopbackServingPair(ca);
    source.set(next);
    await new Promise((r) => setTimeout(r, 200));
    // A fresh connection sees the new certificate.
    const fresh = await post(server.port, validatePath('InClusterIPPool'), createReview, ca.cert);
    fingerprints.add(fresh.fingerprint);
    state.stop = true;
    await loop;
    agent.destroy();
    assert.equal(failures, 0);
    assert.ok(calls > 5, `calls ${calls}`);
    assert.notEqual(fresh.fingerprint, before);
    assert.equal(fresh.fingerprint, inspectCertificate(next.cert).fingerprint256);
  });
});

describe('webhook server: connections', () => {
  /** A server with these connection limits, and the refusals it reports. */
  async function limitedServer(limits: { maxConnections: number; maxConnectionsPerPeer: number }) {
    const ca = await createCertificateAuthority();
    const refused: string[] = [];
    const server = await startLoopbackServer(new StaticCertificateSource(await loopbackServingPair(ca)), {
      connectionLimits: limits,
      onConnectionRefused: (reason) => refused.push(reason),
    });
    return { ca, server, refused };
  }

  /** An idle TLS connection offering HTTP/2 from 127.0.0.1: whether it finished its handshake. */
  function idleConnection(port: number, ca: string, sockets: TLSSocket[]): Promise<boolean> {
    return new Promise<boolean>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port, ca, ALPNProtocols: ['h2'] }, () => {
        resolve(true);
      });
      socket.on('error', () => {
        resolve(false);
      });
      socket.on('close', () => {
        resolve(false);
      });
      sockets.push(socket);
    });
  }

  /** An admission request from 127.0.0.2 (the API server, another address): its HTTP code. */
  async function codeFromOtherAddress(port: number, ca: string): Promise<number> {
    const other = new Agent({ localAddress: '127.0.0.2' });
    try {
      return (await post(port, validatePath('InClusterIPPool'), createReview, ca, other)).code;
    } finally {
      other.destroy();
    }
  }

  it('holds at most the per-address limit from one address, and answers another address meanwhile', async () => {
    const { ca, server, refused } = await limitedServer({ maxConnections: 16, maxConnectionsPerPeer: 4 });
    const sockets: TLSSocket[] = [];
    try {
      // Six at once from 127.0.0.1: four finish their handshake, two are closed before it.
      const handshakes = await Promise.all(
        Array.from({ length: 6 }, () => idleConnection(server.port, ca.cert, sockets)),
      );
      assert.equal(handshakes.filter(Boolean).length, 4);
      assert.deepEqual(refused, ['peer', 'peer']);
      assert.equal(await codeFromOtherAddress(server.port, ca.cert), 200);
    } finally {
      for (const socket of sockets) socket.destroy();
      await server.close(1000);
    }
  });
});

describe('certificates from files', () => {
  it('loads tls.crt/tls.key and reloads on a Secret-style atomic swap', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'webhook-certs-'));
    try {
      const ca = await createCertificateAuthority();
      const first = await loopbackServingPair(ca);
      writeFileSync(join(dir, 'tls.crt'), first.cert);
      writeFileSync(join(dir, 'tls.key'), first.key);
      const files = new FileCertificateSource({ dir, pollMs: 200 });
      await files.start();
      assert.equal(files.current()?.cert, first.cert);
      const changed = new Promise<string>((resolve) =>
        files.onChange((c) => {
          resolve(c.cert);
        }),
      );
      const second = await loopbackServingPair(ca);
      // Half-written pair (new cert, old key): ignored.
      writeFileSync(join(dir, 'tls.crt.tmp'), second.cert);
      renameSync(join(dir, 'tls.crt.tmp'), join(dir, 'tls.crt'));
      assert.equal(await files.reload(), false);
      writeFileSync(join(dir, 'tls.key.tmp'), second.key);
      renameSync(join(dir, 'tls.key.tmp'), join(dir, 'tls.key'));
      assert.equal(await changed, second.cert);
      files.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('webhook configurations from one source', () => {
  it('use the upstream names, paths and policies', () => {
    const options = {
      name: 'ipam',
      target: { service: { name: 'svc', namespace: 'ns' } },
      caBundlePem: 'PEM',
    };
    const m = mutatingWebhookConfiguration(options);
    const v = validatingWebhookConfiguration(options);
    // The four pool kinds, then the claim finalizer (docs/adr/0037-claim-finalizer-at-admission.md).
    assert.equal(m.webhooks.length, 5);
    const claim = m.webhooks[4];
    assert.ok(claim);
    assert.equal(claim.name, 'finalizer.ipaddressclaim.ipam-in-cluster.dev');
    assert.equal(claim.clientConfig.service?.path, '/mutate-ipam-cluster-x-k8s-io-ipaddressclaim');
    assert.deepEqual(
      [claim.failurePolicy, claim.timeoutSeconds, claim.sideEffects, claim.reinvocationPolicy],
      ['Ignore', 2, 'None', 'Never'],
    );
    assert.deepEqual(claim.rules, [
      {
        apiGroups: ['ipam.cluster.x-k8s.io'],
        apiVersions: ['*'],
        operations: ['CREATE'],
        resources: ['ipaddressclaims'],
        scope: 'Namespaced',
      },
    ]);
    assert.deepEqual(claim.matchConditions, [CLAIM_MATCH_CONDITION]);
    // Whatever policy the pool webhooks get, the claim's stays Ignore.
    assert.equal(
      mutatingWebhookConfiguration({ ...options, failurePolicy: 'Fail' }).webhooks[4]?.failurePolicy,
      'Ignore',
    );
    // The four pool kinds, then IPAddressReservation (docs/adr/0030-reservations.md).
    assert.equal(v.webhooks.length, 5);
    const reservation = v.webhooks[4];
    assert.ok(reservation);
    assert.equal(reservation.name, 'validation.ipaddressreservation.ipam-in-cluster.dev');
    assert.deepEqual(reservation.rules, [
      {
        apiGroups: ['ipam-in-cluster.dev'],
        apiVersions: ['v1alpha1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['ipaddressreservations'],
        scope: 'Namespaced',
      },
    ]);
    const w = v.webhooks[0];
    assert.ok(w);
    assert.equal(w.name, 'validation.inclusterippool.ipam.cluster.x-k8s.io');
    assert.deepEqual(w.clientConfig, {
      service: {
        name: 'svc',
        namespace: 'ns',
        path: '/validate-ipam-cluster-x-k8s-io-v1alpha2-inclusterippool',
      },
      caBundle: Buffer.from('PEM').toString('base64'),
    });
    assert.deepEqual(
      [w.failurePolicy, w.sideEffects, w.matchPolicy, w.admissionReviewVersions],
      ['Fail', 'None', 'Equivalent', ['v1']],
    );
    assert.deepEqual(w.rules[0]?.operations, ['CREATE', 'UPDATE', 'DELETE']);
    const last = m.webhooks[3];
    assert.ok(last);
    assert.equal(last.name, 'default.globalinclusterprefixpool.ipam.cluster.x-k8s.io');
    assert.equal(
      last.clientConfig.service?.path,
      '/mutate-ipam-cluster-x-k8s-io-v1alpha2-globalinclusterprefixpool',
    );
    assert.deepEqual(last.rules[0]?.operations, ['CREATE', 'UPDATE']);
  });

  it('send CREATE, DELETE and spec-changing UPDATEs only, on every pool webhook of both', () => {
    const options = { name: 'ipam', target: { url: 'https://127.0.0.1:9443' } };
    const hooks = [
      ...mutatingWebhookConfiguration(options).webhooks,
      ...validatingWebhookConfiguration(options).webhooks,
    ].filter((w) => w.name !== CLAIM_FINALIZER_WEBHOOK_NAME);
    assert.equal(hooks.length, 9);
    for (const w of hooks) assert.deepEqual(w.matchConditions, [SPEC_CHANGE_MATCH_CONDITION], w.name);
    const { name, expression } = SPEC_CHANGE_MATCH_CONDITION;
    assert.match(name, /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a qualified name');
    // Everything that is not an UPDATE matches before an object is read (DELETE has no object,
    // CREATE no oldObject); test/integration/webhook-pools.test.ts runs it on the API server.
    assert.ok(expression.startsWith("request.operation != 'UPDATE' || "), expression);
  });
});
