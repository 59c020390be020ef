// Restarts the kube-apiserver of a PRIVATE control plane (never the shared one) with the same
// binary, arguments, port and log file, and waits until it is ready again. Used by the chaos test.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ControlPlaneState } from '../cluster/control-plane.js';
import { ensurePki } from '../cluster/certs.js';
import { clusterDir } from '../cluster/paths.js';
import { httpsOk } from '../cluster/probes.js';
import { isAlive, stopGroup } from '../cluster/processes.js';

export interface ApiServerRestart {
  /** From the stop signal until /readyz answered 200 again. */
  downtimeMs: number;
  oldPid: number;
  newPid: number;
}

/**
 * Stops the plane's kube-apiserver (SIGTERM, SIGKILL after `graceMs`; or SIGKILL at once with
 * `hard`), optionally stays down `downMs`, starts it again and waits for /readyz.
 */
export async function restartApiServer(
  planeDir: string,
  opts: { hard?: boolean; downMs?: number; graceMs?: number; timeoutMs?: number } = {},
): Promise<ApiServerRestart> {
  if (resolve(planeDir) === resolve(clusterDir)) {
    throw new Error('refusing to restart the shared control plane; use a private plane (startPrivatePlane)');
  }
  const statePath = join(planeDir, 'state.json');
  const state = JSON.parse(readFileSync(statePath, 'utf8')) as ControlPlaneState;
  const entry = state.processes.find((p) => p.name === 'kube-apiserver');
  if (entry === undefined || !isAlive(entry.pid)) throw new Error(`no live kube-apiserver in ${statePath}`);
  const argv = readFileSync(`/proc/${String(entry.pid)}/cmdline`, 'utf8')
    .split('\0')
    .filter((s) => s !== '');
  const [binary, ...args] = argv;
  if (binary === undefined) throw new Error(`cannot read the command line of pid ${String(entry.pid)}`);

  const oldPid = entry.pid;
  const t0 = performance.now();
  if (opts.hard === true) {
    process.kill(-entry.pid, 'SIGKILL');
    while (isAlive(entry.pid)) await new Promise((r) => setTimeout(r, 20));
  } else {
    await stopGroup(entry.pid, opts.graceMs ?? 5_000);
  }
  if (opts.downMs !== undefined && opts.downMs > 0) await new Promise((r) => setTimeout(r, opts.downMs));
  // Not our child: started through `sh -c 'setsid … &'`, it is reparented to init, which reaps it
  // when `down` stops it. A child of this process would stay a zombie while `down` runs under
  // execFileSync (our event loop blocked, nobody reaps), and `down` would wait for it forever.
  const newPid = Number(
    execFileSync(
      '/bin/sh',
      [
        '-c',
        'log="$1"; shift; setsid "$@" >>"$log" 2>&1 </dev/null & echo $!',
        'sh',
        entry.log,
        binary,
        ...args,
      ],
      { encoding: 'utf8' },
    ).trim(),
  );
  const pki = ensurePki(join(planeDir, 'pki'));
  const tls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };
  const deadline = performance.now() + (opts.timeoutMs ?? 90_000);
  for (;;) {
    if (!isAlive(newPid)) throw new Error(`restarted kube-apiserver exited; see ${entry.log}`);
    if (await httpsOk(entry.port, '/readyz', tls).catch(() => false)) break;
    if (performance.now() > deadline) throw new Error(`restarted kube-apiserver not ready; see ${entry.log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const downtimeMs = performance.now() - t0;
  entry.pid = newPid;
  writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
  return { downtimeMs, oldPid, newPid };
}
