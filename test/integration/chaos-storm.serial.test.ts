// Chaos: two controller replicas with leader election (separate processes) on a private control
// plane; claims across namespaced/global, IPv4/IPv6 pools (one nearly exhausted, one grown) while
// each leader is SIGKILLed after leading 2-5 s, kube-apiserver restarts once, a free address is
// excluded and claims are deleted and recreated. Then: every claim Ready within 60 s of the storm's
// end, no duplicate address, every address inside its pool's layout, pool counts equal a recount;
// after deleting every claim, no IPAddress is left and every pool shows zero used. The full size
// waits on past 60 s (IPAM_CHAOS_READY_WAIT_MS, 5 min) to measure all-Ready, checks the rest, fails
// on the 60 s at the end, and then measures the plain-client ceiling on the same plane.
//
// Reduced inside `npm test` (300 claims, 45 s storm). Full size: IPAM_CHAOS=full (3000 claims,
// 90 s storm), e.g. `npm run test:chaos`. IPAM_CHAOS_CLAIMS / IPAM_CHAOS_STORM_MS / IPAM_CHAOS_SEED /
// IPAM_CHAOS_MODE=dist / IPAM_CHAOS_CEILING=true / IPAM_CHAOS_CONTROLLER_ARGS /
// IPAM_CHAOS_APISERVER_RESTART=false (leader kills alone) override. After all-Ready it prints where
// the time went after the last leader kill (recoveryPhases). Figures: docs/performance.md, "Chaos".
import assert from 'node:assert/strict';
import { loadavg } from 'node:os';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ControllerMode } from '../support/controller-process.js';
import { checkInvariants, invariantFailures, type PoolRef } from '../support/ipam-invariants.js';
import { startIpamPlane, type IpamPlane } from '../support/ipam-plane.js';
import { ScratchDir } from '../support/scratch-dir.js';
import { waitFor } from '../support/wait.js';
import { inParallel } from '../bench/plain-writer.js';
import {
  NAMESPACES,
  notReady,
  measureCeiling,
  planPools,
  recoveryPhases,
  replicaLogTails,
  runStorm,
  setUpStorm,
  type StormReport,
} from '../chaos/storm.js';

const full = process.env.IPAM_CHAOS === 'full';
const claims = Number(process.env.IPAM_CHAOS_CLAIMS ?? (full ? 3000 : 300));
const stormMs = Number(process.env.IPAM_CHAOS_STORM_MS ?? (full ? 90_000 : 45_000));
const mode = (process.env.IPAM_CHAOS_MODE ?? 'source') as ControllerMode;
const seed = process.env.IPAM_CHAOS_SEED === undefined ? undefined : Number(process.env.IPAM_CHAOS_SEED);
/** IPAM_CHAOS_APISERVER_RESTART=false: leader kills without the kube-apiserver restart (failover alone). */
const apiServerRestart = process.env.IPAM_CHAOS_APISERVER_RESTART !== 'false';
const controllerArgs = (process.env.IPAM_CHAOS_CONTROLLER_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
/** The requirement: every claim Ready within this long after the storm's end. */
const READY_WITHIN_MS = 60_000;
/** How long to keep waiting for all-Ready (to measure it) before giving up; full size: 5 min. */
const readyWaitMs = Number(process.env.IPAM_CHAOS_READY_WAIT_MS ?? (full ? 300_000 : READY_WITHIN_MS));

const load = (): string =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
const out = (line: string): void => {
  console.log(`chaos: ${line}`);
};

let env: IpamPlane | undefined;
let report: StormReport | undefined;
const logs = new ScratchDir('ipam-chaos-logs-');

describe(`chaos: ${String(claims)} claims, leader SIGKILLs, an apiserver restart (private plane)`, () => {
  before(async () => {
    env = await startIpamPlane('chaos');
  });

  afterEach(logs.noteOutcome);
  after(async () => {
    await report?.stop();
    logs.finish();
    // Full size: the API server's ceiling on this plane (a plain client doing the same writes, the
    // bench's measure), to put the time-to-Ready in proportion; the replicas are stopped by now.
    if (env !== undefined && (full || process.env.IPAM_CHAOS_CEILING === 'true')) {
      try {
        const c = await measureCeiling(env, Math.min(claims, 600));
        out(
          `ceiling: plain client ${c.claimsPerSecond.toFixed(1)} claims/s (${String(c.claims)} claims: create ${String(c.createMs)} ms + writes ${String(c.allocateMs)} ms); ` +
            `${String(claims)} claims at that rate: ${String(Math.round(claims / c.claimsPerSecond))} s; load ${load()}`,
        );
      } catch (error) {
        out(`ceiling not measured: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    env?.stop();
  });

  it('no duplicate, every claim Ready, counts exact, everything released', async () => {
    assert.ok(env !== undefined);
    const { ipam } = env;
    const pools = planPools(claims);
    const refs: PoolRef[] = pools.map((p) => ({
      kind: p.kind,
      ...(p.namespace === undefined ? {} : { namespace: p.namespace }),
      name: p.name,
    }));
    await setUpStorm(env, pools);
    out(`load average before the storm: ${load()}`);
    const r = await runStorm(env, pools, {
      claims,
      stormMs,
      mode,
      log: out,
      logDir: logs.path,
      controllerArgs,
      apiServerRestart,
      ...(seed === undefined ? {} : { seed }),
    });
    report = r;
    out(
      `storm: seed ${String(r.seed)}, ${String(r.claimsCreated)} claims created, ${String(r.deletes)} deletes, ` +
        `${String(r.kills.length)} leader SIGKILLs, ${String(r.leaderChanges)} leader changes, ` +
        `${apiServerDown(r)}, ${String(r.stormMs)} ms; load ${load()}`,
    );

    // Every claim Ready within 60 s of the storm's end (the issue's requirement): the claims deleted
    // during the storm must be gone and created again, and every claim allocated, by then. Asserted
    // at the end; until then we keep waiting (up to readyWaitMs) to measure how long it does take,
    // and check the invariants and the release either way.
    let missing: string[] = [];
    let readyAt = Number.NaN;
    let readyWall = Number.NaN;
    let atStormEnd: number | undefined;
    let lastProgress = performance.now();
    try {
      await waitFor(
        async () => {
          missing = await notReady(ipam, r.expected);
          readyAt = performance.now();
          readyWall = Date.now();
          atStormEnd ??= missing.length;
          if (readyAt - lastProgress > 15_000) {
            lastProgress = readyAt;
            out(
              `${String(missing.length)} claims not Ready ${String(Math.round((readyAt - r.stormEndedAt) / 1000))} s after the storm`,
            );
          }
          return missing.length === 0;
        },
        {
          what: 'every claim Ready',
          timeoutMs: Math.max(0, r.stormEndedAt + readyWaitMs - performance.now()),
          intervalMs: full ? 2_000 : 500,
        },
      );
      await r.settled;
    } catch (error) {
      out(
        `not Ready: ${missing.slice(0, 20).join(', ')}${missing.length > 20 ? ` (+${String(missing.length - 20)})` : ''}`,
      );
      out(replicaLogTails(r));
      for (const line of recoveryPhases(r, undefined)) out(`after the last kill: ${line}`);
      throw error;
    }
    // Seen Ready by a list that answered readyMs after the storm's end.
    const readyMs = Math.round(readyAt - r.stormEndedAt);
    out(
      `${String(atStormEnd)} claims not Ready at the storm's end; all Ready ${String(readyMs)} ms after it`,
    );
    for (const line of recoveryPhases(r, readyWall)) out(`after the last kill: ${line}`);

    // Invariants; pool status may trail the last IPAddress event by its debounce: poll briefly.
    let failures: string[] = [];
    try {
      await waitFor(
        async () => {
          failures = invariantFailures(await checkInvariants(ipam, NAMESPACES, refs));
          return failures.length === 0;
        },
        { what: 'invariants', timeoutMs: 20_000, intervalMs: 1_000 },
      );
    } catch {
      out(`invariant failures:\n  ${failures.slice(0, 40).join('\n  ')}`);
      out(replicaLogTails(r));
      assert.deepEqual(failures, [], 'invariants after the storm');
    }
    const addresses = (await Promise.all(NAMESPACES.map((ns) => ipam.listAddresses(ns)))).flat().length;
    assert.equal(addresses, r.expected.size, 'one IPAddress per claim');

    // Delete every claim: nothing left, every pool at zero used.
    const t1 = performance.now();
    const all = (
      await Promise.all(NAMESPACES.map(async (ns) => (await ipam.claims.listAll({ namespace: ns })).items))
    ).flat();
    await inParallel(all, 32, async (c) => {
      await ipam.claims
        .delete({ namespace: c.metadata.namespace ?? '', name: c.metadata.name ?? '' })
        .catch(() => undefined);
    });
    await waitFor(
      async () =>
        (await Promise.all(NAMESPACES.map((ns) => ipam.listAddresses(ns)))).every((l) => l.length === 0),
      { what: 'every IPAddress gone', timeoutMs: full ? 300_000 : 120_000, intervalMs: full ? 2_000 : 500 },
    );
    await waitFor(
      async () =>
        (
          await Promise.all(
            NAMESPACES.map(async (ns) => (await ipam.claims.list({ namespace: ns })).items.length),
          )
        ).every((n) => n === 0),
      { what: 'every claim gone', timeoutMs: 60_000, intervalMs: 500 },
    );
    let final: string[] = [];
    await waitFor(
      async () => {
        const rep = await checkInvariants(ipam, NAMESPACES, refs);
        final = invariantFailures(rep);
        const zero = [...rep.recounts.values()].every((c) => c.used === 0n && c.free === c.total);
        return final.length === 0 && zero;
      },
      { what: 'every pool at zero used, status equal to the recount', timeoutMs: 20_000, intervalMs: 500 },
    ).catch((error: unknown) => {
      out(`after deletion: ${final.join('; ')}`);
      throw error;
    });
    const releaseMs = Math.round(performance.now() - t1);

    out(
      `summary: seed ${String(r.seed)}, ${String(r.claimsCreated)} claims created, ${String(r.deletes)} deleted and ${String(r.recreates)} recreated, ` +
        `${String(r.kills.length)} leader SIGKILLs, ${String(r.replicasStarted)} replicas started, ${String(r.replicaExits.filter((e) => e.signal !== 'SIGKILL').length)} exited by themselves, ` +
        `${String(r.leaderChanges)} leader changes, ${apiServerDown(r)}, ` +
        `pool edits: ${r.poolEdits.map((e) => e.what).join('; ')}; storm ${String(r.stormMs)} ms, all Ready ${String(readyMs)} ms after it, ` +
        `all released ${String(releaseMs)} ms after deleting`,
    );
    assert.ok(r.kills.length >= 2, `only ${String(r.kills.length)} kills`);
    if (apiServerRestart) assert.ok(r.apiServerRestart !== undefined, 'kube-apiserver was restarted');
    assert.ok(
      readyMs <= READY_WITHIN_MS,
      `every claim must be Ready within ${String(READY_WITHIN_MS / 1000)} s of the storm's end; it took ${String(readyMs)} ms`,
    );
  });
});

/** The kube-apiserver restart's downtime, or that the storm had none (IPAM_CHAOS_APISERVER_RESTART=false). */
function apiServerDown(r: StormReport): string {
  const ms = r.apiServerRestart?.downtimeMs;
  return ms === undefined ? 'no apiserver restart' : `apiserver down ${String(Math.round(ms))} ms`;
}
