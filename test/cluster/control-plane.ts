// The local control plane: etcd, kube-apiserver and kube-controller-manager on 127.0.0.1, like
// controller-runtime's envtest but with garbage collection and namespace deletion. State lives in
// .cluster/ (see paths.ts); `up` is idempotent and `down` leaves no process behind.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { controlPlaneBinaryPaths, ensureBinaries } from './binaries.js';
import { ensurePki, type Pki } from './certs.js';
import { writeKubeconfig } from './kubeconfig.js';
import { clusterDir, kubeconfigPath, statePath } from './paths.js';
import { freePort } from './ports.js';
import { etcdHealthy, httpsOk } from './probes.js';
import { isAlive, processesMentioning, startDetached, stopGroup, waitUntil } from './processes.js';
import { readPinnedVersions } from './versions.js';

export interface ControlPlaneState {
  kubernetesVersion: string;
  kubeconfig: string;
  apiServerUrl: string;
  startedAt: string;
  processes: { name: string; pid: number; port: number; log: string }[];
}

export interface UpOptions {
  /** Progress lines (to stderr by default). */
  log?: (line: string) => void;
  timeoutMs?: number;
}

export function readState(): ControlPlaneState | undefined {
  if (!existsSync(statePath)) return undefined;
  try {
    return JSON.parse(readFileSync(statePath, 'utf8')) as ControlPlaneState;
  } catch {
    return undefined;
  }
}

/** The running control plane, if every process is alive and the API server is ready. */
export async function runningControlPlane(): Promise<ControlPlaneState | undefined> {
  const state = readState();
  if (!state || !state.processes.every((p) => isAlive(p.pid))) return undefined;
  const apiserver = state.processes.find((p) => p.name === 'kube-apiserver');
  if (!apiserver) return undefined;
  const pki = ensurePki(join(clusterDir, 'pki'));
  const ready = await httpsOk(apiserver.port, '/readyz', {
    ca: pki.caCert,
    cert: pki.adminCert,
    key: pki.adminKey,
  });
  return ready ? state : undefined;
}

export async function up(opts: UpOptions = {}): Promise<ControlPlaneState> {
  const log = opts.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const existing = await runningControlPlane();
  if (existing) return existing;
  await down(); // a half-started or crashed plane: clear it before starting afresh

  ensureBinaries('control-plane');
  const bin = controlPlaneBinaryPaths();
  const versions = readPinnedVersions();
  mkdirSync(clusterDir, { recursive: true });
  const logs = join(clusterDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const pki = ensurePki(join(clusterDir, 'pki'));
  const processes: ControlPlaneState['processes'] = [];
  const tls = { ca: pki.caCert, cert: pki.adminCert, key: pki.adminKey };

  try {
    const etcdPort = await freePort();
    const etcdPeerPort = await freePort();
    const etcdLog = join(logs, 'etcd.log');
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${etcdPeerPort}`;
    const etcdPid = startDetached(
      bin.etcd,
      [
        `--data-dir=${join(clusterDir, 'etcd')}`,
        `--listen-client-urls=${etcdUrl}`,
        `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`,
        `--initial-advertise-peer-urls=${peerUrl}`,
        `--initial-cluster=default=${peerUrl}`,
        // Tests do not need durability; skipping fsync makes etcd several times faster here.
        '--unsafe-no-fsync=true',
        '--quota-backend-bytes=4294967296',
        '--log-level=warn',
      ],
      etcdLog,
    );
    processes.push({ name: 'etcd', pid: etcdPid, port: etcdPort, log: etcdLog });
    log(`etcd ${versions.etcd} starting on ${etcdUrl}`);
    await waitUntil(() => etcdHealthy(etcdPort), { what: 'etcd', pid: etcdPid, logFile: etcdLog, timeoutMs });

    const apiPort = await freePort();
    const apiLog = join(logs, 'kube-apiserver.log');
    const apiUrl = `https://127.0.0.1:${apiPort}`;
    const apiPid = startDetached(bin.kubeApiserver, apiServerArgs(pki, apiPort, etcdUrl), apiLog);
    processes.push({ name: 'kube-apiserver', pid: apiPid, port: apiPort, log: apiLog });
    log(`kube-apiserver ${versions.kubernetes} starting on ${apiUrl}`);
    await waitUntil(() => httpsOk(apiPort, '/readyz', tls), {
      what: 'kube-apiserver',
      pid: apiPid,
      logFile: apiLog,
      timeoutMs,
    });

    writeKubeconfig(kubeconfigPath, {
      server: apiUrl,
      caFile: pki.caCert,
      certFile: pki.adminCert,
      keyFile: pki.adminKey,
      user: 'ipam-admin',
    });
    const kcmKubeconfig = join(clusterDir, 'controller-manager.kubeconfig');
    writeKubeconfig(kcmKubeconfig, {
      server: apiUrl,
      caFile: pki.caCert,
      certFile: pki.controllerManagerCert,
      keyFile: pki.controllerManagerKey,
      user: 'system:kube-controller-manager',
    });

    const kcmPort = await freePort();
    const kcmLog = join(logs, 'kube-controller-manager.log');
    const kcmPid = startDetached(
      bin.kubeControllerManager,
      [
        `--kubeconfig=${kcmKubeconfig}`,
        `--authentication-kubeconfig=${kcmKubeconfig}`,
        `--authorization-kubeconfig=${kcmKubeconfig}`,
        // Only what makes the API behave like a real cluster for us: owner-reference garbage
        // collection, namespace deletion and default service accounts.
        '--controllers=garbagecollector,namespace,serviceaccount',
        '--leader-elect=false',
        '--bind-address=127.0.0.1',
        `--secure-port=${kcmPort}`,
        `--cert-dir=${join(clusterDir, 'kcm-certs')}`,
        `--root-ca-file=${pki.caCert}`,
        `--service-account-private-key-file=${pki.serviceAccountKey}`,
        '--concurrent-namespace-syncs=10',
        '--concurrent-gc-syncs=20',
      ],
      kcmLog,
    );
    processes.push({ name: 'kube-controller-manager', pid: kcmPid, port: kcmPort, log: kcmLog });
    log(`kube-controller-manager ${versions.kubernetes} starting`);
    await waitUntil(() => httpsOk(kcmPort, '/healthz', {}), {
      what: 'kube-controller-manager',
      pid: kcmPid,
      logFile: kcmLog,
      timeoutMs,
    });

    const state: ControlPlaneState = {
      kubernetesVersion: versions.kubernetes,
      kubeconfig: kubeconfigPath,
      apiServerUrl: apiUrl,
      startedAt: new Date().toISOString(),
      processes,
    };
    writeFileSync(statePath, `${JSON.stringify(state, null, 2)}\n`);
    return state;
  } catch (error) {
    for (const p of processes.reverse()) await stopGroup(p.pid, 5_000);
    throw error;
  }
}

function apiServerArgs(pki: Pki, port: number, etcdUrl: string): string[] {
  return [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    // Loopback cannot be written into the kubernetes Service endpoints; nothing here needs them.
    '--endpoint-reconciler-type=none',
    `--secure-port=${port}`,
    `--cert-dir=${join(clusterDir, 'apiserver-certs')}`,
    `--tls-cert-file=${pki.servingCert}`,
    `--tls-private-key-file=${pki.servingKey}`,
    `--client-ca-file=${pki.caCert}`,
    `--service-account-issuer=https://127.0.0.1:${port}`,
    `--service-account-key-file=${pki.serviceAccountPub}`,
    `--service-account-signing-key-file=${pki.serviceAccountKey}`,
    '--service-cluster-ip-range=10.0.0.0/24',
    '--authorization-mode=RBAC',
    '--allow-privileged=true',
    // The default is 1000 req/s in flight; a benchmark pushing thousands of claims needs headroom.
    '--max-requests-inflight=2000',
    '--max-mutating-requests-inflight=1000',
    '--v=1',
  ];
}

/** Stops every process of the plane (also strays found by their command line) and removes its state. */
export async function down(): Promise<number> {
  const state = readState();
  const pids = new Set<number>();
  for (const p of [...(state?.processes ?? [])].reverse()) if (isAlive(p.pid)) pids.add(p.pid);
  for (const pid of processesMentioning(clusterDir)) pids.add(pid);
  for (const pid of pids) await stopGroup(pid);
  rmSync(clusterDir, { recursive: true, force: true });
  return pids.size;
}
