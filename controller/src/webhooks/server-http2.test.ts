// The webhook server over HTTP/2, as kube-apiserver calls it: many admission calls on one session,
// a too-large body refused before it is read (the stream closed, the session kept), the bound on
// what all bodies hold together (many streams of one connection), and a certificate reload that
// sends open sessions a GOAWAY so the next one handshakes anew.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { createCertificateAuthority, inspectCertificate } from '../certs/x509.js';
import type { KeyPairPem } from '../certs/types.js';
import { StaticCertificateSource } from '../certs/file-source.js';
import { ClaimFinalizerWebhook } from './claim-finalizer.js';
import { CLAIM_FINALIZER_PATH, validatePath } from './manifests.js';
import type { RunningWebhookServer } from './server.js';
import { loopbackServingPair, startLoopbackServer } from './server.test-helper.js';

const claimReview = (uid: string) => ({
  apiVersion: 'admission.k8s.io/v1',
  kind: 'AdmissionReview',
  request: {
    uid,
    kind: { group: 'ipam.cluster.x-k8s.io', version: 'v1beta2', kind: 'IPAddressClaim' },
    operation: 'CREATE',
    namespace: 'ns',
    object: {
      metadata: { name: uid, namespace: 'ns' },
      spec: { poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'p' } },
    },
  },
});

interface Answer {
  status: number;
  body: string;
  rstCode: number | undefined;
}

/** One request on `session`; `body` undefined sends the headers only and leaves the stream open. */
function h2post(
  session: ClientHttp2Session,
  path: string,
  body: string | undefined,
  headers: Record<string, string | number> = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/json',
      ...headers,
    });
    let status = 0;
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      status = Number(h[':status']);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', reject);
    // Once the answer is complete, and the RST_STREAM that may follow it was read. (Node's client
    // emits 'close' only when its own body is written too, which a server that stopped reading it
    // never lets happen; Go's client, the API server's, stops writing on the RST.)
    stream.on('end', () => {
      setTimeout(() => {
        resolve({ status, body: Buffer.concat(chunks).toString(), rstCode: stream.rstCode });
      }, 50);
    });
    if (body !== undefined) stream.end(body);
  });
}

describe('webhook server over HTTP/2', () => {
  let ca: KeyPairPem;
  let source: StaticCertificateSource;
  let server: RunningWebhookServer;
  const connections: string[] = [];

  before(async () => {
    ca = await createCertificateAuthority();
    source = new StaticCertificateSource(await loopbackServingPair(ca));
    server = await startLoopbackServer(source, {
      claims: new ClaimFinalizerWebhook(),
      maxBodyBytes: 64 * 1024,
    });
    server.server.on('secureConnection', (socket: TLSSocket) =>
      connections.push(String(socket.alpnProtocol)),
    );
  });
  after(async () => {
    await server.close(1000);
  });

  const open = (): ClientHttp2Session => connect(`https://127.0.0.1:${String(server.port)}`, { ca: ca.cert });

  it('answers 50 admission calls at once on one session', async () => {
    connections.length = 0;
    const session = open();
    try {
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          h2post(session, CLAIM_FINALIZER_PATH, JSON.stringify(claimReview(`u${String(i)}`))),
        ),
      );
      for (const [i, a] of answers.entries()) {
        assert.equal(a.status, 200);
        const review = JSON.parse(a.body) as { response: { uid: string; allowed: boolean; patch: string } };
        assert.equal(review.response.uid, `u${String(i)}`);
        assert.match(Buffer.from(review.response.patch, 'base64').toString(), /ReleaseAddress/);
      }
      assert.deepEqual(connections, ['h2']);
    } finally {
      session.close();
    }
  });

  it('refuses a too-large body (announced, or as it arrives), closes only that stream, and keeps the session', async () => {
    const session = open();
    try {
      const path = validatePath('InClusterIPPool');
      const refused = await h2post(session, path, undefined, { 'content-length': 65 * 1024 });
      assert.equal(refused.status, 413);
      assert.match(refused.body, /request body larger than 65536 bytes/);
      assert.equal(refused.rstCode, constants.NGHTTP2_NO_ERROR);
      // No length announced: counted as it arrives, refused as soon as it passes the limit.
      const streamed = await h2post(session, path, ' '.repeat(1024 * 1024));
      assert.equal(streamed.status, 413);
      assert.equal(streamed.rstCode, constants.NGHTTP2_NO_ERROR);
      const next = await h2post(session, CLAIM_FINALIZER_PATH, JSON.stringify(claimReview('after')));
      assert.equal(next.status, 200);
    } finally {
      session.destroy();
    }
  });

  it('refuses a body that would pass what all bodies may hold together with 503, and recovers', async () => {
    const bounded = await startLoopbackServer(source, {
      maxBodyBytes: 64 * 1024,
      maxBufferedBytes: 100 * 1024,
    });
    const session = connect(`https://127.0.0.1:${String(bounded.port)}`, { ca: ca.cert });
    try {
      const path = validatePath('InClusterIPPool');
      const piece = ' '.repeat(60 * 1024);
      // A: 60 KiB sent, the body not finished: the server holds it.
      const held = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
      const heldAnswer = new Promise<number>((resolve) => {
        held.on('response', (h) => {
          resolve(Number(h[':status']));
        });
      });
      held.write(piece);
      await new Promise((r) => setTimeout(r, 200));
      // B: 60 KiB more would be 120 KiB held.
      const refused = await h2post(session, path, piece);
      assert.equal(refused.status, 503);
      assert.match(refused.body, /too many request bodies in flight/);
      // C: a declared length that would not fit is refused before any byte of it is sent.
      const declared = await h2post(session, path, undefined, { 'content-length': 60 * 1024 });
      assert.equal(declared.status, 503);
      assert.equal(declared.rstCode, constants.NGHTTP2_NO_ERROR);
      held.end();
      assert.equal(await heldAnswer, 400, 'A is read to its end: spaces are not JSON');
      // A's bytes are given back: the same body now fits.
      assert.equal((await h2post(session, path, piece)).status, 400);
    } finally {
      session.destroy();
      await bounded.close(1000);
    }
  });

  it('sends open sessions a GOAWAY when the certificate changes; the next session gets the new one', async () => {
    const session = open();
    try {
      assert.equal(
        (await h2post(session, CLAIM_FINALIZER_PATH, JSON.stringify(claimReview('a')))).status,
        200,
      );
      const goaway = new Promise<void>((resolve) =>
        session.once('goaway', () => {
          resolve();
        }),
      );
      const next = await loopbackServingPair(ca);
      source.set(next);
      await goaway;
      const fresh = open();
      try {
        assert.equal(
          (await h2post(fresh, CLAIM_FINALIZER_PATH, JSON.stringify(claimReview('b')))).status,
          200,
        );
        const seen = (fresh.socket as TLSSocket).getPeerCertificate().fingerprint256;
        assert.equal(seen, inspectCertificate(next.cert).fingerprint256);
      } finally {
        fresh.close();
      }
    } finally {
      session.close();
    }
  });
});

describe('webhook server: connections that say nothing', () => {
  it('closes a connection whose client never sends the HTTP/2 preface; an idle client that did is kept', async () => {
    const ca = await createCertificateAuthority();
    const server = await startLoopbackServer(new StaticCertificateSource(await loopbackServingPair(ca)), {
      claims: new ClaimFinalizerWebhook(),
      handshakeTimeoutMs: 300,
    });
    // TLS with ALPN h2, then silence: Node would never count this session idle.
    const silent = tlsConnect({ host: '127.0.0.1', port: server.port, ca: ca.cert, ALPNProtocols: ['h2'] });
    silent.on('error', () => undefined);
    // Reset, not ended: 'error' (ECONNRESET) comes first, which `once` would take as a failure.
    const silentClosed = new Promise<boolean>((resolve) =>
      silent.once('close', () => {
        resolve(true);
      }),
    );
    const client = connect(`https://127.0.0.1:${String(server.port)}`, { ca: ca.cert });
    client.on('error', () => undefined);
    try {
      await once(client, 'remoteSettings');
      const waited = new Promise<boolean>((resolve) =>
        setTimeout(() => {
          resolve(false);
        }, 2_000),
      );
      assert.equal(await Promise.race([silentClosed, waited]), true, 'the silent connection was closed');
      assert.equal(client.closed || client.destroyed, false, 'the client that sent its preface is kept');
      assert.equal(
        (await h2post(client, CLAIM_FINALIZER_PATH, JSON.stringify(claimReview('c')))).status,
        200,
      );
    } finally {
      silent.destroy();
      client.close();
      await server.close(500);
    }
  });
});
