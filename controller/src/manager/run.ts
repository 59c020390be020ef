// Runs the manager as the binary does: health and metrics servers, then the manager itself.
import { createServer, type Server } from 'node:http';
import type { Logger } from '../reconcilers/types.js';
import { parseBindAddress, type Flags } from './flags.js';
import { startManager, type Manager } from './manager.js';

export interface Running {
  manager: Manager;
  readonly done: Promise<void>;
  readonly stopReason: Manager['stopReason'];
  stop(): Promise<void>;
}

async function listen(
  server: Server,
  address: string,
  log: Logger,
  what: string,
): Promise<Server | undefined> {
  const bind = parseBindAddress(address);
  if (bind === undefined) return undefined;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(bind.port, bind.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  log.info('serving', { what, address: server.address() });
  return server;
}

export async function runFromFlags(flags: Flags, log: Logger): Promise<Running> {
  let manager: Manager | undefined;
  const health = createServer((req, res) => {
    if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (req.url === '/readyz') {
      const ok = manager?.synced === true;
      res.writeHead(ok ? 200 : 503, { 'content-type': 'text/plain' }).end(ok ? 'ok' : 'caches not synced');
    } else {
      res.writeHead(404).end();
    }
  });
  const healthServer = await listen(health, flags.healthProbeBindAddress, log, 'health probes');
  const close = async (): Promise<void> => {
    if (healthServer !== undefined)
      await new Promise<void>((resolve) =>
        healthServer.close(() => {
          resolve();
        }),
      );
  };
  try {
    manager = await startManager({
      kubeconfig: flags.kubeconfig,
      namespace: flags.namespace,
      watchFilter: flags.watchFilter,
      leaderElect: flags.leaderElect,
      leaderElectionNamespace: flags.leaderElectionNamespace,
      ...(flags.leaderElectionId === undefined ? {} : { leaderElectionId: flags.leaderElectionId }),
      claimWorkers: flags.claimWorkers,
      poolWorkers: flags.poolWorkers,
      highUtilizationPercent: flags.highUtilizationThreshold,
      shutdownTimeoutMs: flags.shutdownTimeoutSeconds * 1000,
      log,
    });
  } catch (error) {
    await close();
    throw error;
  }
  const m = manager;
  const done = m.done.then(close);
  return {
    manager: m,
    done,
    get stopReason() {
      return m.stopReason;
    },
    stop: async () => {
      await m.stop();
      await done;
    },
  };
}
