// `npm run cluster:up [-- --crds [--capi v1beta1]] | cluster:down | cluster:status`, and
// `npm run crds:install [-- --kubeconfig FILE] [--capi current|v1beta1]`: the Cluster API CRDs
// (Cluster, IPAddressClaim, IPAddress) of the pinned release, fetched from Go modules
// (test/cluster/capi-crds.ts), and ours (packages/api/crds), on the local plane or any cluster.
// `--capi v1beta1` (Cluster API 1.10.x) needs a plane without the current line's CRDs: the API
// server refuses to drop a version objects were stored in.
import { parseArgs } from 'node:util';
import { installCrds } from '../support/cluster.js';
import { capiRelease, type CapiLine } from './capi-crds.js';
import { down, readState, runningControlPlane, up } from './control-plane.js';

function capiLine(value: string | undefined): CapiLine {
  if (value === undefined || value === 'current' || value === 'v1beta1') return value ?? 'current';
  throw new Error(`--capi: "${value}" is not a Cluster API line (current or v1beta1)`);
}

/** The API server's own message from a client-node error (its body is a Status), else the error's. */
function apiMessage(error: unknown): string {
  const body = (error as { body?: unknown }).body;
  try {
    const status = (typeof body === 'string' ? JSON.parse(body) : body) as { message?: string } | undefined;
    if (status?.message) return status.message;
  } catch {
    // not JSON
  }
  return error instanceof Error ? error.message : String(error);
}

async function crds(kubeconfig: string, line: CapiLine): Promise<void> {
  const count = await installCrds(kubeconfig, line).catch((error: unknown) => {
    // e.g. the v1beta1 line over the current one: the API server keeps a stored version's schema.
    throw new Error(`installing the CRDs with ${kubeconfig} failed: ${apiMessage(error)}`);
  });
  process.stderr.write(
    `installed ${count} CRDs (Cluster API ${capiRelease(line)}: Cluster, IPAddressClaim, IPAddress; ours: the pool kinds)\n`,
  );
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      crds: { type: 'boolean', default: false },
      capi: { type: 'string' },
      kubeconfig: { type: 'string' },
    },
  });
  const line = capiLine(values.capi);
  switch (positionals[0]) {
    case 'up': {
      const state = await up();
      process.stderr.write(`control plane ${state.kubernetesVersion} ready at ${state.apiServerUrl}\n`);
      if (values.crds) await crds(state.kubeconfig, line);
      process.stdout.write(`${state.kubeconfig}\n`);
      return 0;
    }
    case 'crds': {
      const kubeconfig = values.kubeconfig ?? (await runningControlPlane())?.kubeconfig;
      if (kubeconfig === undefined) {
        throw new Error(
          'no local control plane is running: start one (npm run cluster:up) or pass --kubeconfig',
        );
      }
      await crds(kubeconfig, line);
      return 0;
    }
    case 'down': {
      const stopped = await down();
      process.stderr.write(`control plane stopped (${stopped} processes)\n`);
      return 0;
    }
    case 'status': {
      const state = await runningControlPlane();
      if (!state) {
        process.stderr.write(
          readState() ? 'control plane is not healthy\n' : 'control plane is not running\n',
        );
        return 1;
      }
      for (const p of state.processes)
        process.stdout.write(`${p.name}\tpid ${p.pid}\tport ${p.port}\tlog ${p.log}\n`);
      process.stdout.write(`kubeconfig\t${state.kubeconfig}\n`);
      return 0;
    }
    default:
      process.stderr.write(
        'usage: cli.ts up [--crds [--capi current|v1beta1]] | crds [--kubeconfig FILE] [--capi current|v1beta1] | down | status\n',
      );
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
