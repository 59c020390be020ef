// The client's own cost per API request (`npm run bench:transport`): KubeTransport's CPU and the TLS
// connections it opens, against this checkout's control plane (`npm run cluster:up` first), with
// none of the controller's logic around it. Prints numbers; never a timed test.
//
//   --requests N      objects written per round (default 2000): a POST each, then a merge PATCH each
//   --concurrency C   requests in flight (default 64, as bench:e2e's client)
//   --rounds R        rounds (default 3); each prints its own line, the median is the figure
//
// CPU is this process's (user + system, process.cpuUsage) over the round, per request: everything the
// client does for one request (credentials, headers, serialising, the socket, reading and parsing the
// response). Connections are counted at the https agent's createConnection: with keep-alive, a round
// should open at most C of them, none after the first round.
import { Agent as HttpsAgent } from 'node:https';
import { parseArgs } from 'node:util';
import {
  KubeTransport,
  loadKubeConfig,
  NamespaceResource,
  ObjectClient,
  type KubeObject,
} from '@ipam-in-cluster/kube';
import { kubeconfigPath } from '../cluster/paths.js';
import { inParallel } from './plain-writer.js';
import { percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '64' },
    rounds: { type: 'string', default: '3' },
  },
});
const N = Number(values.requests);
const C = Number(values.concurrency);
const R = Number(values.rounds);
if (![N, C, R].every((n) => Number.isInteger(n) && n >= 1))
  throw new Error('--requests, --concurrency, --rounds: whole numbers ≥ 1');

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

let connections = 0;
// eslint-disable-next-line @typescript-eslint/unbound-method -- called with apply(this)
const createConnection = HttpsAgent.prototype.createConnection;
HttpsAgent.prototype.createConnection = function (this: HttpsAgent, ...args) {
  connections++;
  return createConnection.apply(this, args);
};

async function main(): Promise<void> {
  const transport = new KubeTransport(loadKubeConfig({ kubeconfig: kubeconfigPath }).kubeConfig, {
    compression: false,
  });
  const namespaces = new ObjectClient<KubeObject>(transport, NamespaceResource);
  const configMaps = new ObjectClient<ConfigMap>(transport, {
    group: '',
    version: 'v1',
    kind: 'ConfigMap',
    plural: 'configmaps',
    namespaced: true,
  });
  const namespace = `bench-transport-${String(process.pid)}`;
  await namespaces.create({ metadata: { name: namespace } });
  const perRequest: number[] = [];
  try {
    for (let round = 0; round < R; round++) {
      const names = Array.from({ length: N }, (_, i) => `r${String(round)}-${String(i)}`);
      connections = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await inParallel(names, C, async (name) => {
        await configMaps.create({
          metadata: { name, namespace },
          data: { address: '10.0.0.1', prefix: '16' },
        });
        await configMaps.mergePatch({ namespace, name }, { data: { ready: 'true' } });
      });
      const wallMs = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const micros = (cpu.user + cpu.system) / (2 * N);
      perRequest.push(micros);
      process.stdout.write(
        `round ${String(round + 1)}: ${String(2 * N)} requests in ${wallMs.toFixed(0)} ms (${((2 * N) / (wallMs / 1000)).toFixed(0)}/s), client CPU ${micros.toFixed(0)} µs a request, ${String(connections)} connections opened\n`,
      );
    }
  } finally {
    await namespaces.delete({ name: namespace });
  }
  const sorted = [...perRequest].sort((a, b) => a - b);
  process.stdout.write(
    `client CPU a request, median of ${String(R)}: ${percentile(sorted, 50).toFixed(0)} µs\n`,
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:transport failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
