// Scraping the controller's HTTPS diagnostics endpoint as Prometheus does with a ServiceMonitor
// (bearer token, certificate not verified: it is self-signed in memory), and reading counters.
import { request } from 'node:https';

export interface Scrape {
  status: number;
  body: string;
}

/** GET https://127.0.0.1:<port>/metrics, with `token` as bearer token if given. */
export function scrapeHttps(port: number, token?: string, path = '/metrics'): Promise<Scrape> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
        rejectUnauthorized: false,
        agent: false,
        timeout: 15_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`scrape of 127.0.0.1:${String(port)} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** The value of one sample (`name{labels}` exactly as exposed), or undefined. */
export function sample(exposition: string, series: string): number | undefined {
  const line = exposition.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}
