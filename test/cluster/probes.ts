// Health probes for etcd (plain HTTP) and the Kubernetes components (HTTPS with our client cert).
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

export function etcdHealthy(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/health', timeout: 2000 }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        resolve(res.statusCode === 200 && body.includes('"health":"true"'));
      });
    });
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
  });
}

export interface ClientTls {
  ca?: string;
  cert?: string;
  key?: string;
}

/** GET https://127.0.0.1:port/path and report whether it answered 200 "ok". */
export function httpsOk(port: number, path: string, tls: ClientTls): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet(
      {
        host: '127.0.0.1',
        port,
        path,
        timeout: 2000,
        ca: tls.ca ? readFileSync(tls.ca) : undefined,
        cert: tls.cert ? readFileSync(tls.cert) : undefined,
        key: tls.key ? readFileSync(tls.key) : undefined,
        rejectUnauthorized: Boolean(tls.ca),
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => {
          resolve(res.statusCode === 200 && body.trim() === 'ok');
        });
      },
    );
    req.on('error', () => {
      resolve(false);
    });
    req.on('timeout', () => req.destroy());
  });
}
