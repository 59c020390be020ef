// What one write costs kube-apiserver, by kind (`npm run bench:write-cost`): the CPU (/proc) the
// API server spends a request over --requests N (1 000) requests of each kind against a private
// plane, --rounds R (2) times, printed per kind. Prints numbers; never a timed test.
//
// Why it exists: `bench:e2e` gives the API server's CPU a claim but not what each write adds. The
// kinds are the writes the controller makes besides the contract's: the fence on the pool (a JSON
// patch of an annotation holding k pending entries, ADR 0009), the pool's status, an Event; and, for
// scale, the claim writes of the contract. "one pool, 8 at once" writes one pool object from eight
// requests in flight: the API server retries a write that lost the race on the object inside its
// own update loop, so contended writes to one object cost several times an uncontended one — why the
// fence writes one pool from one loop at a time.
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ANNOTATION_PENDING_ALLOCATIONS, conditionTime } from '@ipam-in-cluster/api';
import { ContentType } from '@ipam-in-cluster/kube';
import { startIpamPlane, type IpamPlane } from '../support/ipam-plane.js';
import { planeProcessCpuSeconds } from '../support/private-plane.js';
import { benchPools, claimBody, inParallel } from './plain-writer.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '2' },
  },
});
const N = Number(values.requests);
const rounds = Number(values.rounds);
const POOLS = 8;
const CLAIMS = 200;

function apiserverCpuSeconds(env: IpamPlane): number {
  const seconds = planeProcessCpuSeconds(env.plane.dir, 'kube-apiserver');
  if (Number.isNaN(seconds)) throw new Error('no running kube-apiserver in the plane state');
  return seconds;
}

/** A pending-allocations value of `k` entries shaped like the fence's (address, prefix, claim, at, sig). */
function pendingEntries(k: number, i: number): string {
  return JSON.stringify(
    Array.from({ length: k }, (_, j) => ({
      address: `10.0.${String(i % 200)}.${String(j)}`,
      prefix: 16,
      claim: `w/c-${String(i)}-${String(j)}`,
      at: Date.now(),
      sig: 'x'.repeat(43),
    })),
  );
}

const env = await startIpamPlane('write-cost');
try {
  env.kubectl('create', 'namespace', 'w');
  const pools = benchPools('w', POOLS, 'ipv4');
  for (const p of pools) await env.ipam.createPool('InClusterIPPool', p.name, 'w', p.spec);
  const poolName = (i: number): string => (pools[i % POOLS] as (typeof pools)[number]).name;
  const claims = Array.from({ length: CLAIMS }, (_, i) => `c${String(i)}`);
  await inParallel(claims, 32, async (name) => {
    await env.ipam.claims.create(
      claimBody(env.ipam, 'w', name, { kind: 'InClusterIPPool', name: poolName(0) }),
    );
  });
  const claimRef = (i: number) => ({ namespace: 'w', name: claims[i % CLAIMS] as string });
  const poolClient = env.ipam.pools('InClusterIPPool');

  const rows: { kind: string; inFlight: number; msPerRequest: number; perSecond: number }[] = [];
  const measure = async (kind: string, inFlight: number, write: (i: number) => Promise<unknown>) => {
    const cpu0 = apiserverCpuSeconds(env);
    const t0 = performance.now();
    await inParallel(
      Array.from({ length: N }, (_, i) => i),
      inFlight,
      async (i) => {
        await write(i);
      },
    );
    const seconds = (performance.now() - t0) / 1000;
    const msPerRequest = ((apiserverCpuSeconds(env) - cpu0) * 1000) / N;
    rows.push({ kind, inFlight, msPerRequest, perSecond: N / seconds });
    process.stdout.write(
      `${kind.padEnd(44)} ${String(inFlight).padStart(3)} in flight  ${msPerRequest.toFixed(2).padStart(6)} ms a request  ${(N / seconds).toFixed(0).padStart(5)}/s\n`,
    );
  };

  process.stdout.write(
    `kube-apiserver CPU a request, ${String(N)} requests a kind; ${String(availableParallelism())} cores, load ${(loadavg()[0] ?? NaN).toFixed(1)}\n`,
  );
  for (let round = 1; round <= rounds; round++) {
    process.stdout.write(`round ${String(round)}\n`);
    await measure('claim: merge patch (a label)', 32, (i) =>
      env.ipam.claims.mergePatch(claimRef(i), { metadata: { labels: { n: String(i) } } }),
    );
    await measure('claim: status merge patch', 32, (i) =>
      env.ipam.claims.mergePatchStatus(claimRef(i), {
        status: {
          conditions: [
            {
              type: 'Ready',
              status: 'False',
              reason: 'Bench',
              message: String(i),
              lastTransitionTime: conditionTime(new Date()),
            },
          ],
        },
      }),
    );
    await measure('pool: status merge patch', POOLS, (i) =>
      poolClient.mergePatchStatus(
        { namespace: 'w', name: poolName(i) },
        { status: { ipAddresses: { total: 65534, used: i, free: 65534 - i, outOfRange: 0 } } },
      ),
    );
    for (const k of [2, 16, 64]) {
      await measure(`pool: fence annotation, ${String(k)} entries`, POOLS, (i) =>
        poolClient.mergePatch(
          { namespace: 'w', name: poolName(i) },
          { metadata: { annotations: { [ANNOTATION_PENDING_ALLOCATIONS]: pendingEntries(k, i) } } },
        ),
      );
    }
    await measure('pool: fence annotation, 16 entries, one pool', 8, (i) =>
      poolClient.mergePatch(
        { namespace: 'w', name: poolName(0) },
        { metadata: { annotations: { [ANNOTATION_PENDING_ALLOCATIONS]: pendingEntries(16, i) } } },
      ),
    );
    await measure('event: POST', 32, (i) =>
      env.ipam.client.transport.request({
        method: 'POST',
        path: '/api/v1/namespaces/w/events',
        contentType: ContentType.Json,
        body: {
          metadata: { generateName: 'bench-' },
          involvedObject: { kind: 'IPAddressClaim', namespace: 'w', name: claimRef(i).name },
          reason: 'AddressAllocated',
          message: `Allocated 10.0.0.${String(i % 250)}/16`,
          type: 'Normal',
          source: { component: 'write-cost' },
          firstTimestamp: new Date().toISOString(),
          lastTimestamp: new Date().toISOString(),
          count: 1,
        },
      }),
    );
  }
} finally {
  env.stop();
}
