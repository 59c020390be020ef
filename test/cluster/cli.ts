// `npm run cluster:up | cluster:down | cluster:status`.
import { down, readState, runningControlPlane, up } from './control-plane.js';

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case 'up': {
      const state = await up();
      process.stderr.write(`control plane ${state.kubernetesVersion} ready at ${state.apiServerUrl}\n`);
      process.stdout.write(`${state.kubeconfig}\n`);
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
      process.stderr.write('usage: cli.ts up|down|status\n');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`cluster: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
