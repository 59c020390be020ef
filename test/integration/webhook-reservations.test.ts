// IPAddressReservation validation behind the real API server (docs/adr/0030-reservations.md): the
// CRD's CEL rules and our webhook (on loopback, for this test's objects only: ../support/webhooks.ts)
// refuse what cannot be held, each message naming the field and the value; an address already
// allocated is admitted with a warning that names it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import { IPAM_GROUP, OWN_GROUP, RESERVATION_PLURAL, RESERVATION_VERSION } from '@ipam-in-cluster/api';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import { kubeClient, startTestWebhooks, statusOf, type TestWebhooks } from '../support/webhooks.js';

let custom: k8s.CustomObjectsApi;
let ns: TestNamespace;
let hooks: TestWebhooks;
let kubeconfig: string;
let seq = 0;

const POOL = 'pool';

function reservation(spec: Record<string, unknown>, name = `r${String(++seq)}`): Record<string, unknown> {
  return {
    apiVersion: `${OWN_GROUP}/${RESERVATION_VERSION}`,
    kind: 'IPAddressReservation',
    metadata: { name, namespace: ns.name, labels: hooks.labels },
    spec: { poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: POOL }, ...spec },
  };
}

const create = (spec: Record<string, unknown>, dryRun = true) =>
  custom.createNamespacedCustomObject({
    group: OWN_GROUP,
    version: RESERVATION_VERSION,
    plural: RESERVATION_PLURAL,
    namespace: ns.name,
    body: reservation(spec),
    ...(dryRun ? { dryRun: 'All' } : {}),
  });

/** The message of a refused create. */
async function refusal(spec: Record<string, unknown>): Promise<string> {
  const status = await statusOf(create(spec));
  assert.ok(status, `expected a refusal for ${JSON.stringify(spec)}`);
  return status.message ?? '';
}

/** kubectl on the test plane, without blocking this process (its webhook must answer). */
function kubectl(args: string[], input: string): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('kubectl', ['--kubeconfig', kubeconfig, ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (status) => {
      resolve({ status, stderr });
    });
    child.stdin.end(input);
  });
}

const future = new Date(Date.now() + 86_400_000).toISOString();

before(async () => {
  const cluster = await planeWithNamespaces('webhook-res');
  kubeconfig = cluster.kubeconfigPath;
  custom = cluster.kc.makeApiClient(k8s.CustomObjectsApi);
  [ns] = cluster.namespaces;
  hooks = await startTestWebhooks({ namespaces: [ns.name] });
  await custom.createNamespacedCustomObject({
    group: IPAM_GROUP,
    version: 'v1alpha2',
    plural: 'inclusterippools',
    namespace: ns.name,
    body: {
      apiVersion: `${IPAM_GROUP}/v1alpha2`,
      kind: 'InClusterIPPool',
      metadata: { name: POOL, namespace: ns.name },
      spec: { addresses: ['10.20.0.10-10.20.0.20'], prefix: 24, gateway: '10.20.0.1' },
    },
  });
  // The API server picks up new webhook configurations asynchronously: wait until ours answers.
  await waitFor(
    async () =>
      (await statusOf(create({ addresses: ['10.20.0.99'] })))?.message?.includes(
        'admission webhook "validation.ipaddressreservation.ipam-in-cluster.dev"',
      ) === true,
    { what: 'the reservation webhook to be called', timeoutMs: 30_000 },
  );
});

after(async () => {
  await hooks.cleanup();
  await ns.cleanup();
});

describe('IPAddressReservation validation', () => {
  it('refuses addresses outside the pool, naming the field, the value and the pool', async () => {
    assert.match(
      await refusal({ addresses: ['10.20.0.12', '10.20.0.30-10.20.0.32'] }),
      new RegExp(
        `spec\\.addresses\\[1\\]: Invalid value: "10\\.20\\.0\\.30-10\\.20\\.0\\.32": is not inside the allocatable addresses of InClusterIPPool ${ns.name}/pool`,
      ),
    );
  });

  it('refuses the other family, bad ranges, mixed families and a past expiry', async () => {
    assert.match(
      await refusal({ addresses: ['fd00::1'] }),
      new RegExp(
        `spec\\.addresses\\[0\\]: Invalid value: "fd00::1": is IPv6 but InClusterIPPool ${ns.name}/pool is IPv4`,
      ),
    );
    const message = await refusal({
      addresses: ['10.20.0.15-10.20.0.11', '10.20.0.12', 'fd00::2'],
      expiresAt: '2020-01-01T00:00:00Z',
    });
    for (const part of [
      'spec.addresses[0]: Invalid value: "10.20.0.15-10.20.0.11": is not a valid IP, range, nor CIDR (range 10.20.0.15 to 10.20.0.11 not valid: start is after end)',
      'spec.addresses[2]: Invalid value: "fd00::2": is IPv6 but spec.addresses[1] is IPv4: one family per reservation',
      'spec.expiresAt: Invalid value: "2020-01-01T00:00:00Z": is in the past',
    ])
      assert.ok(message.includes(part), `${part}\nin: ${message}`);
  });

  it('refuses an unknown pool kind (CEL) and a pool that does not exist (webhook)', async () => {
    const kind = await statusOf(
      custom.createNamespacedCustomObject({
        group: OWN_GROUP,
        version: RESERVATION_VERSION,
        plural: RESERVATION_PLURAL,
        namespace: ns.name,
        dryRun: 'All',
        body: {
          ...reservation({ addresses: ['10.20.0.12'] }),
          spec: {
            poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterPrefixPool', name: POOL },
            addresses: ['10.20.0.12'],
          },
        },
      }),
    );
    assert.match(
      kind?.message ?? '',
      /spec\.poolRef\.kind: Invalid value: unsupported pool kind "InClusterPrefixPool": supported values: "InClusterIPPool", "GlobalInClusterIPPool"/,
    );
    assert.match(
      await refusal({
        poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: 'nope' },
        addresses: ['10.20.0.12'],
      }),
      new RegExp(
        `spec\\.poolRef\\.name: Invalid value: "nope": no InClusterIPPool of that name in namespace ${ns.name}`,
      ),
    );
  });

  it('refuses a note over 256 characters (CEL/schema) and admits a valid reservation with a note and an expiry', async () => {
    assert.match(await refusal({ addresses: ['10.20.0.12'], note: 'x'.repeat(257) }), /spec\.note: Too long/);
    assert.equal(
      await statusOf(
        create(
          { addresses: ['10.20.0.12', '10.20.0.16/30'], note: 'held for the new LB', expiresAt: future },
          false,
        ),
      ),
      undefined,
    );
  });

  it('admits an address already allocated with a warning that names it and its IPAddress', async () => {
    const spec = { claimRef: { name: 'taken' }, address: '10.20.0.13', prefix: 24 };
    await (await kubeClient()).ipAddresses('v1beta2').create({
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddress',
      metadata: { name: 'taken', namespace: ns.name },
      spec: { ...spec, poolRef: { apiGroup: IPAM_GROUP, kind: 'InClusterIPPool', name: POOL } },
    });
    const body = JSON.stringify(reservation({ addresses: ['10.20.0.13'], note: 'later' }, 'warned'));
    // Asynchronously: the webhook answering kubectl runs in this process.
    const run = await kubectl(['create', '-f', '-'], body);
    assert.equal(run.status, 0, run.stderr);
    assert.match(
      run.stderr,
      new RegExp(
        `Warning: spec\\.addresses: 10\\.20\\.0\\.13 \\(IPAddress ${ns.name}/taken\\) already allocated; the reservation holds each once its IPAddress is released`,
      ),
    );
  });
});
