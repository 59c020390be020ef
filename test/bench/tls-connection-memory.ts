// What a keep-alive TLS connection costs the process that opens it (issue 17, memory): a local HTTPS
// server in a child process (so its memory is not counted) that answers after 300 ms, and this
// process sending --connections requests at once, ten rounds, through one keep-alive agent with a
// client certificate, as the controller's transport does. Prints RssAnon before and after, per way
// of connecting: `per-request` (TLS options on every request: one SecureContext per connection, as
// node:https builds them), `shared` (one SecureContext for all), `capped` (at most 16 sockets).
//
//   npx tsx --conditions=source test/bench/tls-connection-memory.ts [--connections 64]
// Needs `openssl` for a throw-away certificate. Prints numbers; never fails on them.
import { execFileSync, fork } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent, createServer, request, type RequestOptions } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import { parseArgs } from 'node:util';
import { CONTROLLER_NODE_FLAGS } from '@ipam-in-cluster/controller/node-flags';

const { values } = parseArgs({
  options: {
    connections: { type: 'string', default: '64' },
    serve: { type: 'string' },
    certs: { type: 'string' },
    mode: { type: 'string' },
    port: { type: 'string' },
  },
});

function rssAnonMiB(): number {
  const kb = /RssAnon:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  return Number(kb) / 1024;
}

async function client(dir: string, port: number, mode: string, n: number): Promise<void> {
  const tls = {
    ca: readFileSync(join(dir, 'cert.pem')),
    cert: readFileSync(join(dir, 'cert.pem')),
    key: readFileSync(join(dir, 'key.pem')),
  };
  const shared = createSecureContext(tls);
  const agent = new Agent({ keepAlive: true, ...(mode === 'capped' ? { maxSockets: 16 } : {}) });
  const options: RequestOptions = {
    host: '127.0.0.1',
    port,
    path: '/',
    agent,
    ...tls,
    ...(mode === 'shared' ? { secureContext: shared } : {}),
  };
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = request(options, (res) => {
        res.resume();
        res.on('end', resolve);
      });
      req.on('error', reject);
      req.end();
    });
  await one();
  const before = rssAnonMiB();
  for (let round = 0; round < 10; round++) await Promise.all(Array.from({ length: n }, one));
  const after = rssAnonMiB();
  const sockets = Object.values(agent.freeSockets).reduce((s, list) => s + (list?.length ?? 0), 0);
  process.stdout.write(
    `${mode.padEnd(12)} sockets ${String(sockets).padStart(3)}  RssAnon ${before.toFixed(1)} -> ${after.toFixed(1)} MB (+${(after - before).toFixed(1)})\n`,
  );
  agent.destroy();
}

if (values.serve !== undefined) {
  const dir = values.serve;
  const server = createServer(
    {
      key: readFileSync(join(dir, 'key.pem')),
      cert: readFileSync(join(dir, 'cert.pem')),
      requestCert: true,
      rejectUnauthorized: false,
    },
    (_req, res) => {
      setTimeout(() => res.end(JSON.stringify({ kind: 'Status', pad: 'x'.repeat(2000) })), 300);
    },
  );
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.send?.(typeof address === 'object' && address !== null ? address.port : 0);
  });
} else if (values.mode !== undefined) {
  await client(values.certs ?? '', Number(values.port), values.mode, Number(values.connections));
} else {
  const dir = mkdtempSync(join(tmpdir(), 'ipam-tls-bench-'));
  execFileSync(
    'openssl',
    [
      ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'],
      ...['-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1'],
      ...['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    ],
    { stdio: 'ignore' },
  );
  const server = fork(import.meta.filename, ['--serve', dir], { stdio: 'inherit' });
  const port = await new Promise<number>((resolve) => {
    server.once('message', (p) => {
      resolve(Number(p));
    });
  });
  try {
    process.stdout.write(`${values.connections} requests at once, 10 rounds, one keep-alive agent\n`);
    // Each way in a fresh process of its own (under the controller's Node flags), one after another.
    for (const mode of ['per-request', 'shared', 'capped']) {
      execFileSync(
        process.execPath,
        [
          ...CONTROLLER_NODE_FLAGS,
          ...process.execArgv,
          import.meta.filename,
          ...['--mode', mode, '--certs', dir, '--port', String(port), '--connections', values.connections],
        ],
        { stdio: 'inherit', env: { ...process.env, NODE_OPTIONS: '' } },
      );
    }
  } finally {
    server.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}
