// The webhooks of a chart install, for a benchmark's controller process: a loopback serving
// certificate, the controller flags that serve it, and both webhook configurations registered for
// the benchmark's namespace only (the ceiling's namespace never calls them). With them, claims are
// created already carrying ReleaseAddress (the claim finalizer webhook, docs/adr/0037) and the
// admission calls are part of what the benchmark measures, as in a real install.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  mutatingWebhookConfiguration,
  validatingWebhookConfiguration,
} from '@ipam-in-cluster/controller/webhooks';
import { freePort } from '../cluster/ports.js';
import type { IpamPlane } from '../support/ipam-plane.js';
import { writeLoopbackServingCert } from '../support/webhook-requests.js';

export interface BenchWebhooks {
  /** Controller flags: listen on the registered loopback port with the written certificate. */
  controllerArgs: string[];
}

export async function registerBenchWebhooks(
  env: IpamPlane,
  dir: string,
  namespace: string,
): Promise<BenchWebhooks> {
  const port = await freePort();
  const certDir = join(dir, 'webhook-certs');
  const caBundlePem = await writeLoopbackServingCert(certDir);
  const options = {
    name: 'bench-ipam',
    target: { url: `https://127.0.0.1:${String(port)}` },
    caBundlePem,
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'In' as const, values: [namespace] },
      ],
    },
  };
  const file = join(dir, 'webhook-configurations.json');
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'List',
      items: [mutatingWebhookConfiguration(options), validatingWebhookConfiguration(options)],
    }),
  );
  env.kubectl('apply', '--server-side', '-f', file);
  return {
    controllerArgs: [`--webhook-bind-address=127.0.0.1:${String(port)}`, `--webhook-cert-dir=${certDir}`],
  };
}

/** The benchmarks' `--webhooks on|off`: whether to serve and register them. */
export function webhooksOption(value: string): boolean {
  if (value !== 'on' && value !== 'off')
    throw new Error(`--webhooks: on | off, not ${JSON.stringify(value)}`);
  return value === 'on';
}
