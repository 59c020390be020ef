// Webhook port benchmark (`npm run bench:webhook`, issue 20 part 2): the controller as the image
// runs it (the bundle under the ENTRYPOINT's Node flags, 128 MB heap) on a private control plane,
// its webhook server on loopback; AdmissionReviews are POSTed straight to the port, R times each:
//   - oversized: a 20 MB body (1.4 million addresses; the was 16 MB), Content-Length and chunked;
//   - maximal: the costliest legal request (an UPDATE with 2 000 fully written IPv6 ranges and
//     2 000 excluded addresses in the new and the old spec, filled up to the 7 MiB body limit);
//   - maximal xS: S maximal requests at once on one HTTP/2 session, and on S HTTP/1.1 connections.
// Prints per kind: answer code, request latency, the slowest /healthz or /readyz answer while it was
// served (seen from this process), the controller's own longest event-loop delay meanwhile
// (nodejs_eventloop_lag_max_seconds, reset by each scrape), and its RSS (now and peak); whether the
// process is still alive at the end.
//
//   --runs R      requests of each kind (default 5)
//   --entries N   entries per list of the maximal request (default the limit, 2 000)
//   --streams S   maximal requests sent at once (default 20), on one HTTP/2 session and on S
//                 HTTP/1.1 connections: what all bodies hold together is bounded (503 past it)
//   --hold H      first open H idle TLS connections from other loopback addresses (60 each from
//                 127.0.0.2 on) and keep them through every run: a client hoarding connections
//                 while the bodies arrive (the port holds at most 256, src/webhooks/connection-gate.ts)
//   --mode M      bundle (default) | dist | source
//   --json        one JSON object on stdout instead of the table
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { MAX_POOL_LIST_ENTRIES } from '@ipam-in-cluster/controller/webhooks';
import { repoRoot } from '../cluster/paths.js';
import { freePort } from '../cluster/ports.js';
import {
  ControllerProcess,
  imageNodeFlags,
  metricValue,
  type ControllerMode,
} from '../support/controller-process.js';
import { startIpamPlane } from '../support/ipam-plane.js';
import {
  holdConnections,
  maximalPoolAddress,
  maximalReview,
  oversizedReview,
  postAdmission,
  postAdmissionsHttp2,
  probesDuring,
  writeLoopbackServingCert,
} from '../support/webhook-requests.js';
import { mebibytes, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    entries: { type: 'string', default: String(MAX_POOL_LIST_ENTRIES) },
    streams: { type: 'string', default: '20' },
    hold: { type: 'string', default: '0' },
    mode: { type: 'string', default: 'bundle' },
    json: { type: 'boolean', default: false },
  },
});
const R = Number(values.runs);
const N = Number(values.entries);
const S = Number(values.streams);
const H = Number(values.hold);
const mode = values.mode as ControllerMode;
if (![R, N, S].every((n) => Number.isInteger(n) && n >= 1))
  throw new Error('--runs, --entries and --streams take whole numbers ≥ 1');
if (!Number.isInteger(H) || H < 0) throw new Error('--hold takes a whole number ≥ 0');
if (!['bundle', 'dist', 'source'].includes(mode)) throw new Error('--mode: bundle | dist | source');

const log = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

interface Row {
  kind: string;
  codes: number[];
  latencyMs: number[];
  probeMaxMs: number[];
  probeFailures: number;
  /** The controller's own event-loop delay, max over the request (nodejs_eventloop_lag_max_seconds). */
  loopMaxMs: number[];
}

async function main(): Promise<void> {
  if (mode === 'bundle') {
    log('bundling controller (controller/image/bundle.mjs)');
    execFileSync(process.execPath, [join(repoRoot, 'controller/image/bundle.mjs')], {
      cwd: repoRoot,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  }
  log('starting a private control plane');
  const env = await startIpamPlane('bench-webhook');
  const dir = mkdtempSync(join(tmpdir(), 'ipam-bench-webhook-'));
  const ca = await writeLoopbackServingCert(join(dir, 'certs'));
  const port = await freePort();
  const ns = 'bench-webhook';
  env.kubectl('create', 'namespace', ns);
  execFileSync('kubectl', ['--kubeconfig', env.kubeconfig, 'create', '-f', '-'], {
    input: maximalPoolAddress(ns),
    stdio: ['pipe', 'ignore', 'inherit'],
  });
  const ctl = await ControllerProcess.start({
    kubeconfig: env.kubeconfig,
    name: 'bench-webhook-controller',
    mode,
    ...(mode === 'source' ? { nodeFlags: imageNodeFlags() } : {}),
    logFile: join(dir, 'controller.log'),
    args: [
      '--namespace',
      ns,
      '--log-level',
      'warn',
      `--webhook-bind-address=127.0.0.1:${String(port)}`,
      `--webhook-cert-dir=${join(dir, 'certs')}`,
    ],
  });
  try {
    await ctl.waitReady(90_000);
    const idleRss = ctl.stats()?.rssBytes ?? NaN;
    const hoarders = Array.from({ length: Math.ceil(H / 60) }, (_, i) => `127.0.0.${String(2 + i)}`);
    const hoarded = H === 0 ? undefined : await holdConnections(port, ca, H, hoarders);
    if (hoarded !== undefined)
      log(
        `holding ${String(hoarded.held.length)} of ${String(H)} connections (${String(hoarded.refused)} refused); RSS ${mebibytes(ctl.stats()?.rssBytes ?? NaN).toFixed(1)} MiB`,
      );
    const kinds: [string, () => Promise<{ codes: number[]; ms: number }>][] = [];
    const one =
      (send: () => ReturnType<typeof postAdmission>) =>
      async (): Promise<{ codes: number[]; ms: number }> => {
        const { code, ms } = await send();
        return { codes: [code], ms };
      };
    const oversized = oversizedReview(ns, 16 * 1024 * 1024);
    const maximal = maximalReview(ns, N);
    log(`oversized body ${String(oversized.length)} bytes, maximal body ${String(maximal.length)} bytes`);
    kinds.push(['oversized, Content-Length', one(() => postAdmission(port, ca, oversized))]);
    kinds.push(['oversized, chunked', one(() => postAdmission(port, ca, oversized, 'chunked'))]);
    kinds.push([`maximal (${String(N)} entries per list)`, one(() => postAdmission(port, ca, maximal))]);
    kinds.push([
      `maximal x${String(S)}, one HTTP/2 session`,
      () => postAdmissionsHttp2(port, ca, maximal, S),
    ]);
    kinds.push([
      `maximal x${String(S)}, HTTP/1.1, chunked`,
      async () => {
        const answers = await Promise.all(
          Array.from({ length: S }, () => postAdmission(port, ca, maximal, 'chunked')),
        );
        return { codes: answers.map((a) => a.code), ms: Math.max(...answers.map((a) => a.ms)) };
      },
    ]);
    const rows: Row[] = kinds.map(([kind]) => ({
      kind,
      codes: [],
      latencyMs: [],
      probeMaxMs: [],
      probeFailures: 0,
      loopMaxMs: [],
    }));
    for (let run = 0; run < R; run++) {
      for (const [i, [, send]] of kinds.entries()) {
        const row = rows[i];
        if (row === undefined) continue;
        await ctl.metrics(); // resets the controller's event-loop delay histogram (prom-client)
        const { result, probes } = await probesDuring(ctl.probePort, send());
        const lagMax = metricValue((await ctl.metrics()) ?? '', 'nodejs_eventloop_lag_max_seconds');
        row.loopMaxMs.push((lagMax ?? NaN) * 1000);
        row.codes.push(...result.codes);
        row.latencyMs.push(result.ms);
        row.probeMaxMs.push(probes.maxMs);
        row.probeFailures += probes.failed;
      }
    }
    const stats = ctl.stats();
    for (const socket of hoarded?.held ?? []) socket.destroy();
    const out = {
      mode,
      runs: R,
      alive: ctl.alive,
      held: hoarded?.held.length ?? 0,
      rssIdleMiB: mebibytes(idleRss),
      rssAfterMiB: mebibytes(stats?.rssBytes ?? NaN),
      rssPeakMiB: mebibytes(stats?.peakRssBytes ?? NaN),
      rows: rows.map((r) => ({
        kind: r.kind,
        codes: [...new Set(r.codes)],
        latencyMsP50: percentile(
          [...r.latencyMs].sort((a, b) => a - b),
          50,
        ),
        latencyMsMax: Math.max(...r.latencyMs),
        probeMaxMsP50: percentile(
          [...r.probeMaxMs].sort((a, b) => a - b),
          50,
        ),
        probeMaxMs: Math.max(...r.probeMaxMs),
        probeFailures: r.probeFailures,
        loopMaxMsP50: percentile(
          [...r.loopMaxMs].sort((a, b) => a - b),
          50,
        ),
        loopMaxMs: Math.max(...r.loopMaxMs),
      })),
    };
    if (values.json) {
      process.stdout.write(`${JSON.stringify(out)}\n`);
      return;
    }
    const f = (n: number): string => n.toFixed(0).padStart(8);
    console.log(
      `controller (${mode}): alive ${String(out.alive)}, ${String(out.held)} connections held, RSS idle ${out.rssIdleMiB.toFixed(1)} MiB, after ${out.rssAfterMiB.toFixed(1)} MiB, peak ${out.rssPeakMiB.toFixed(1)} MiB`,
    );
    console.log(
      `${'request'.padEnd(36)} codes   p50 ms   max ms  probe p50  probe max  loop p50  loop max  probe failures`,
    );
    for (const r of out.rows) {
      console.log(
        `${r.kind.padEnd(36)} ${r.codes.join(',').padEnd(5)}${f(r.latencyMsP50)} ${f(r.latencyMsMax)}   ${f(r.probeMaxMsP50)}   ${f(r.probeMaxMs)} ${f(r.loopMaxMsP50)}  ${f(r.loopMaxMs)}  ${String(r.probeFailures).padStart(6)}`,
      );
    }
  } finally {
    await ctl.stop(10_000).catch(() => undefined);
    env.stop();
  }
}

await main();
