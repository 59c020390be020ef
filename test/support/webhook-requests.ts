// Requests straight to the controller's webhook port (no API server in between), for the webhook
// hardening test and bench: the largest AdmissionReview the API server can send, bodies over the
// limit, and the probes' latency while such a request is served.
import { request as httpsRequest } from 'node:https';
import { connect as http2Connect } from 'node:http2';
import { connect as netConnect } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { get as httpGet } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ADMISSION_MAX_BODY_BYTES,
  createCertificateAuthority,
  issueServingCertificate,
  MAX_POOL_LIST_ENTRIES,
  validatePath,
} from '@ipam-in-cluster/controller/webhooks';

/** Writes a serving certificate for 127.0.0.1 into `dir` (tls.crt, tls.key); returns the CA to trust. */
export async function writeLoopbackServingCert(dir: string): Promise<string> {
  const ca = await createCertificateAuthority();
  const leaf = await issueServingCertificate(ca, { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'tls.crt'), leaf.cert);
  writeFileSync(join(dir, 'tls.key'), leaf.key);
  return ca.cert;
}

const hex = (n: number): string => n.toString(16).padStart(4, '0');

/**
 * The costliest AdmissionReview the webhook accepts: an UPDATE of an InClusterIPPool whose new and
 * old spec each carry `entries` fully written IPv6 ranges in `addresses` and as many single
 * addresses in `excludedAddresses` (every entry parsed, no entry cut short), the body filled up to
 * `bytes` with an annotation. The spec is valid, so every check runs, including the consistent read
 * of the pool's IPAddresses.
 */
export function maximalReview(
  namespace: string,
  entries = MAX_POOL_LIST_ENTRIES,
  bytes = ADMISSION_MAX_BODY_BYTES - 4096,
): Buffer {
  const group = (i: number): string => `fd00:0000:0000:0000:0000:0000:${hex(i >> 8)}`;
  const addresses = Array.from(
    { length: entries },
    (_, i) => `${group(i)}:${hex((i & 255) << 8)}-${group(i)}:${hex(((i & 255) << 8) + 200)}`,
  );
  const excludedAddresses = Array.from(
    { length: entries },
    (_, i) => `${group(i)}:${hex(((i & 255) << 8) + 7)}`,
  );
  const pool = (spec: object, annotations: Record<string, string>) => ({
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind: 'InClusterIPPool',
    metadata: { name: 'maximal', namespace, annotations },
    spec,
  });
  const review = (padding: string) => ({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: 'maximal-review',
      kind: { group: 'ipam.cluster.x-k8s.io', version: 'v1alpha2', kind: 'InClusterIPPool' },
      resource: { group: 'ipam.cluster.x-k8s.io', version: 'v1alpha2', resource: 'inclusterippools' },
      name: 'maximal',
      namespace,
      operation: 'UPDATE',
      object: pool({ addresses, excludedAddresses, prefix: 64 }, { padding }),
      oldObject: pool({ addresses: addresses.slice(1), excludedAddresses, prefix: 64 }, {}),
    },
  });
  const base = Buffer.byteLength(JSON.stringify(review('')));
  if (base > bytes) throw new Error(`maximalReview: ${String(entries)} entries need ${String(base)} bytes`);
  return Buffer.from(JSON.stringify(review('x'.repeat(bytes - base))));
}

/**
 * An IPAddress of the maximal review's pool (JSON for `kubectl create -f -`): with one address in
 * use the update check runs too (it is skipped when nothing could be stranded).
 */
export function maximalPoolAddress(namespace: string): string {
  return JSON.stringify({
    apiVersion: 'ipam.cluster.x-k8s.io/v1beta2',
    kind: 'IPAddress',
    metadata: { name: 'maximal-in-use', namespace },
    spec: {
      address: 'fd00::1',
      prefix: 64,
      claimRef: { name: 'maximal-in-use' },
      poolRef: { apiGroup: 'ipam.cluster.x-k8s.io', kind: 'InClusterIPPool', name: 'maximal' },
    },
  });
}

/** An AdmissionReview of about `bytes` bytes: a CREATE whose spec.addresses lists single IPv4 addresses. */
export function oversizedReview(namespace: string, bytes: number): Buffer {
  const count = Math.ceil(bytes / 12);
  const addresses = Array.from(
    { length: count },
    (_, i) => `10.${String((i >> 16) & 255)}.${String((i >> 8) & 255)}.${String(i & 255)}`,
  );
  return Buffer.from(
    JSON.stringify({
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      request: {
        uid: 'oversized-review',
        kind: { group: 'ipam.cluster.x-k8s.io', version: 'v1alpha2', kind: 'InClusterIPPool' },
        namespace,
        operation: 'CREATE',
        object: {
          apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
          kind: 'InClusterIPPool',
          metadata: { name: 'oversized', namespace },
          spec: { addresses, prefix: 8 },
        },
      },
    }),
  );
}

export interface WebhookAnswer {
  /** HTTP status, or 0 when the connection failed before an answer. */
  code: number;
  /** The parsed JSON body (undefined when none). */
  body: unknown;
  /** Request start to the last byte of the answer. */
  ms: number;
  /** Bytes of the request body written before the answer came. */
  written: number;
  error?: string;
}

/**
 * POSTs `body` to the validating webhook of InClusterIPPool on 127.0.0.1:`port`, in 64 KiB pieces,
 * writing no more once an answer arrived. With a Content-Length the body waits for the server's
 * "100 Continue"; `chunked` sends no length, so the server can only count what arrives.
 */
export function postAdmission(
  port: number,
  ca: string,
  body: Buffer,
  framing: 'content-length' | 'chunked' = 'content-length',
): Promise<WebhookAnswer> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let answered = false;
    let written = 0;
    const headers: Record<string, string | number> = { 'content-type': 'application/json' };
    // With a length, ask first (Expect: 100-continue): the body goes only after "continue", so a
    // refusal is read cleanly instead of racing the body being written.
    if (framing === 'content-length') {
      headers['content-length'] = body.length;
      headers.expect = '100-continue';
    }
    const req = httpsRequest(
      {
        host: '127.0.0.1',
        port,
        path: validatePath('InClusterIPPool'),
        method: 'POST',
        ca,
        agent: false,
        headers,
      },
      (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text === '' ? undefined : JSON.parse(text);
          } catch {
            parsed = text;
          }
          resolve({ code: res.statusCode ?? 0, body: parsed, ms: performance.now() - t0, written });
          req.destroy();
        });
      },
    );
    req.on('error', (error) => {
      if (!answered)
        resolve({ code: 0, body: undefined, ms: performance.now() - t0, written, error: error.message });
    });
    const piece = 64 * 1024;
    const write = (): void => {
      while (!answered && written < body.length) {
        const chunk = body.subarray(written, written + piece);
        written += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', write);
          return;
        }
      }
      if (!answered) req.end();
    };
    if (framing === 'content-length') req.once('continue', write);
    else write();
    req.flushHeaders();
  });
}

/**
 * `n` copies of `body` POSTed at once on one HTTP/2 session (one client, one connection, as many
 * streams as it likes), without a length: the server counts what arrives. Every answer's code (0 for
 * a stream that failed) and the time until the last one.
 */
export async function postAdmissionsHttp2(
  port: number,
  ca: string,
  body: Buffer,
  n: number,
): Promise<{ codes: number[]; ms: number }> {
  const t0 = performance.now();
  const session = http2Connect(`https://127.0.0.1:${String(port)}`, { ca });
  session.on('error', () => undefined);
  try {
    const codes = await Promise.all(
      Array.from(
        { length: n },
        () =>
          new Promise<number>((resolve) => {
            const stream = session.request({
              ':method': 'POST',
              ':path': validatePath('InClusterIPPool'),
              'content-type': 'application/json',
            });
            let code = 0;
            stream.on('response', (h) => {
              code = Number(h[':status']);
            });
            stream.on('data', () => undefined);
            // The answer is complete at 'end' (a refused stream's own body may never finish).
            stream.on('end', () => {
              resolve(code);
            });
            stream.on('error', () => {
              resolve(code);
            });
            stream.end(body);
          }),
      ),
    );
    return { codes, ms: performance.now() - t0 };
  } finally {
    session.destroy();
  }
}

export interface ProbeLatency {
  /** Probe requests answered 200 while the request was served. */
  answered: number;
  /** Probe requests that failed or did not answer 200. */
  failed: number;
  /** Slowest probe answer, ms. */
  maxMs: number;
}

function probeOnce(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = httpGet({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => {
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error(`GET ${path} timed out`)));
  });
}

/**
 * Calls /healthz and /readyz on `probePort` in turn, one at a time, until `work` settles; returns
 * `work`'s result and the probes' latency meanwhile.
 */
export async function probesDuring<T>(
  probePort: number,
  work: Promise<T>,
): Promise<{ result: T; probes: ProbeLatency }> {
  const state = { done: false };
  const probes: ProbeLatency = { answered: 0, failed: 0, maxMs: 0 };
  const loop = (async () => {
    for (let i = 0; !state.done; i++) {
      const t = performance.now();
      try {
        const code = await probeOnce(probePort, i % 2 === 0 ? '/healthz' : '/readyz');
        if (code === 200) probes.answered++;
        else probes.failed++;
      } catch {
        probes.failed++;
      }
      probes.maxMs = Math.max(probes.maxMs, performance.now() - t);
      await new Promise((r) => setTimeout(r, 10));
    }
  })();
  try {
    return { result: await work, probes };
  } finally {
    state.done = true;
    await loop;
  }
}

/** Idle TLS connections opened to the webhook port, and how many the server closed before or during the handshake. */
export interface HeldConnections {
  held: TLSSocket[];
  refused: number;
}

/**
 * Opens `count` TLS connections to 127.0.0.1:`port` (50 at a time, spread over `from`, the local
 * addresses they come from) and keeps those the server lets finish their handshake, idle, as a
 * client hoarding connections would. Destroy `held` when done.
 */
export async function holdConnections(
  port: number,
  ca: string,
  count: number,
  from: readonly string[],
): Promise<HeldConnections> {
  const held: TLSSocket[] = [];
  let refused = 0;
  for (let i = 0; i < count; i += 50) {
    await Promise.all(
      Array.from(
        { length: Math.min(50, count - i) },
        (_, j) =>
          new Promise<void>((resolve) => {
            // From a chosen local address: tls.connect takes none itself, so over a socket of our own.
            const raw = netConnect({ host: '127.0.0.1', port, localAddress: from[(i + j) % from.length] });
            const socket = tlsConnect({ socket: raw, host: '127.0.0.1', ca, ALPNProtocols: ['h2'] }, () => {
              held.push(socket);
              resolve();
            });
            raw.on('error', () => undefined);
            socket.on('error', () => undefined);
            socket.once('close', () => {
              const at = held.indexOf(socket);
              if (at === -1) refused++;
              else held.splice(at, 1);
              resolve();
            });
          }),
      ),
    );
  }
  return { held, refused };
}
