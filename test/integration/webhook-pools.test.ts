// The pool webhooks behind the real API server: the server calls our HTTPS webhook on loopback for
// objects of this test only (see ../support/webhooks.ts). Invalid specs are rejected at create time
// with field paths (by the CRD's CEL rules, or by the webhook where CEL stops short), updates that
// would strand allocated addresses and deletes of pools in use are refused, defaulting is applied,
// and the serving CA can be rotated while clients keep creating pools.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import * as k8s from '@kubernetes/client-node';
import {
  ANNOTATION_PENDING_ALLOCATIONS,
  ANNOTATION_SKIP_VALIDATE_DELETE,
  formatPendingAllocations,
  IPAM_GROUP,
  POOL_KIND_INFO,
  POOL_VERSION,
  type PendingAllocation,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { PENDING_MAX_AGE_MS, processFenceKey, signPending } from '@ipam-in-cluster/controller';
import { SelfManagedCertificates } from '@ipam-in-cluster/controller/webhooks';
import { planeWithNamespaces, type TestNamespace } from '../support/cluster.js';
import { waitFor } from '../support/wait.js';
import {
  kubeClient,
  startTestWebhooks,
  statusOf,
  type ApiStatus,
  type TestWebhooks,
} from '../support/webhooks.js';

type Spec = Record<string, unknown>;

let custom: k8s.CustomObjectsApi;
let ns: TestNamespace;
let hooks: TestWebhooks;
let seq = 0;

function poolName(kind: PoolKind): string {
  seq += 1;
  return POOL_KIND_INFO[kind].namespaced ? `p${seq}` : `wh-${hooks.runId}-${seq}`;
}

function poolBody(
  kind: PoolKind,
  name: string,
  spec: unknown,
  annotations?: Record<string, string>,
  labels = hooks.labels,
): Record<string, unknown> {
  return {
    apiVersion: `${IPAM_GROUP}/${POOL_VERSION}`,
    kind,
    metadata: {
      name,
      labels,
      ...(annotations === undefined ? {} : { annotations }),
      ...(POOL_KIND_INFO[kind].namespaced ? { namespace: ns.name } : {}),
    },
    spec,
  };
}

function target(kind: PoolKind) {
  const info = POOL_KIND_INFO[kind];
  return { group: IPAM_GROUP, version: POOL_VERSION, plural: info.plural, namespaced: info.namespaced };
}

async function create(
  kind: PoolKind,
  spec: unknown,
  opts: {
    dryRun?: boolean;
    name?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  } = {},
): Promise<Record<string, unknown>> {
  const t = target(kind);
  const name = opts.name ?? poolName(kind);
  const common = {
    group: t.group,
    version: t.version,
    plural: t.plural,
    body: poolBody(kind, name, spec, opts.annotations, opts.labels),
    ...(opts.dryRun === false ? {} : { dryRun: 'All' }),
  };
  const created: unknown = t.namespaced
    ? await custom.createNamespacedCustomObject({ ...common, namespace: ns.name })
    : await custom.createClusterCustomObject(common);
  return created as Record<string, unknown>;
}

async function mergePatch(kind: PoolKind, name: string, body: Record<string, unknown>): Promise<unknown> {
  const t = target(kind);
  const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
  return t.namespaced
    ? custom.patchNamespacedCustomObject(
        { group: t.group, version: t.version, plural: t.plural, namespace: ns.name, name, body },
        merge,
      )
    : custom.patchClusterCustomObject(
        { group: t.group, version: t.version, plural: t.plural, name, body },
        merge,
      );
}

const patchSpec = (kind: PoolKind, name: string, spec: unknown) => mergePatch(kind, name, { spec });

const annotate = (kind: PoolKind, name: string, annotations: Record<string, string>) =>
  mergePatch(kind, name, { metadata: { annotations } });

async function remove(kind: PoolKind, name: string): Promise<unknown> {
  const t = target(kind);
  return t.namespaced
    ? custom.deleteNamespacedCustomObject({
        group: t.group,
        version: t.version,
        plural: t.plural,
        namespace: ns.name,
        name,
      })
    : custom.deleteClusterCustomObject({ group: t.group, version: t.version, plural: t.plural, name });
}

async function createIPAddress(
  kind: PoolKind,
  pool: string,
  name: string,
  address: string,
  prefix: number,
): Promise<void> {
  await custom.createNamespacedCustomObject({
    group: IPAM_GROUP,
    version: 'v1beta2',
    plural: 'ipaddresses',
    namespace: ns.name,
    body: {
      apiVersion: `${IPAM_GROUP}/v1beta2`,
      kind: 'IPAddress',
      metadata: { name, namespace: ns.name },
      spec: { claimRef: { name }, poolRef: { apiGroup: IPAM_GROUP, kind, name: pool }, address, prefix },
    },
  });
}

async function deleteIPAddress(name: string): Promise<void> {
  await custom.deleteNamespacedCustomObject({
    group: IPAM_GROUP,
    version: 'v1beta2',
    plural: 'ipaddresses',
    namespace: ns.name,
    name,
  });
}

/** Runs `action` and returns the webhook calls it caused (non-zero entries only). */
async function callsDuring(action: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await hooks.calls();
  await action();
  const delta: Record<string, number> = {};
  for (const [key, n] of await hooks.calls())
    if (n !== (before.get(key) ?? 0)) delta[key] = n - (before.get(key) ?? 0);
  return delta;
}

const byWebhook = (s: ApiStatus | undefined) => (s?.message ?? '').includes('admission webhook "validation.');

before(async () => {
  const { kc, namespaces } = await planeWithNamespaces('webhook-pools');
  custom = kc.makeApiClient(k8s.CustomObjectsApi);
  [ns] = namespaces;
  hooks = await startTestWebhooks({ namespaces: [ns.name] });
  // The API server picks up new webhook configurations asynchronously: wait until ours answers.
  await waitFor(
    async () =>
      byWebhook(await statusOf(create('InClusterIPPool', { addresses: ['10.0.0.1', 'bad'], prefix: 24 }))),
    {
      what: 'the validating webhook to be called',
    },
  );
  await waitFor(
    async () =>
      byWebhook(
        await statusOf(create('GlobalInClusterIPPool', { addresses: ['10.0.0.1', 'bad'], prefix: 24 })),
      ),
    {
      what: 'the validating webhook to be called for global pools',
    },
  );
});

after(async () => {
  await hooks.cleanup();
  await ns.cleanup();
});

// [kind, spec, a field path the rejection must name, "webhook" when CEL cannot catch it]
type Invalid = [PoolKind, unknown, string, 'webhook' | 'any'];
const IP = 'InClusterIPPool';
const GIP = 'GlobalInClusterIPPool';
const PP = 'InClusterPrefixPool';
const GPP = 'GlobalInClusterPrefixPool';
const invalidTable: Invalid[] = [
  // syntax (second entries get past CEL, which only checks the first)
  [IP, { addresses: ['10.0.0.1', 'garbage'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.256'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.01'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.1.2'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.10-10.0.0.5'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.1-'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', 'a-b-c'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.0/33'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.0/-1'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '10.0.0.0/024'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', '1.2.3.4/21-1.2.3.5'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', ' 10.0.0.2'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.1', ''], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [GIP, { addresses: ['fd00::1', 'fd00::zzzz'], prefix: 64 }, 'spec.addresses[1]', 'webhook'],
  [GIP, { addresses: ['fd00::1', 'fd00::/129'], prefix: 64 }, 'spec.addresses[1]', 'webhook'],
  [GIP, { addresses: ['fd00::1', 'fd00::10-fd00::1'], prefix: 64 }, 'spec.addresses[1]', 'webhook'],
  [GIP, { addresses: ['fd00::1', 'fd00::1%eth0/64'], prefix: 64 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['garbage'], prefix: 24 }, 'spec.addresses', 'any'],
  [
    IP,
    { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['10.0.0.2', 'nope'] },
    'spec.excludedAddresses[1]',
    'webhook',
  ],
  [
    IP,
    { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['10.0.0.2', '10.0.0.9-10.0.0.3'] },
    'spec.excludedAddresses[1]',
    'webhook',
  ],
  [IP, { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['x'] }, 'spec.excludedAddresses', 'any'],
  // families
  [IP, { addresses: ['10.0.0.1', 'fd00::1'], prefix: 24 }, 'spec.addresses', 'webhook'],
  [GIP, { addresses: ['fd00::1', '10.0.0.1'], prefix: 64 }, 'spec.addresses', 'webhook'],
  [IP, { addresses: ['10.0.0.1'], prefix: 24, gateway: 'fd00::1' }, 'spec.gateway', 'any'],
  [GIP, { addresses: ['fd00::1'], prefix: 64, gateway: '10.0.0.1' }, 'spec.gateway', 'any'],
  [
    IP,
    { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['10.0.0.2', 'fd00::1'] },
    'spec.excludedAddresses',
    'webhook',
  ],
  [
    IP,
    { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['fd00::1'] },
    'spec.excludedAddresses',
    'any',
  ],
  [IP, { addresses: ['10.0.0.1', '::ffff:10.0.0.2'], prefix: 24 }, 'spec.addresses', 'webhook'],
  // prefix and subnet
  [IP, { addresses: ['10.0.0.1'], prefix: 33 }, 'spec.prefix', 'any'],
  [IP, { addresses: ['10.0.0.1'], prefix: 129 }, 'spec.prefix', 'any'],
  [IP, { addresses: ['10.0.0.1'], prefix: -1 }, 'spec.prefix', 'any'],
  [IP, { addresses: ['10.0.0.1', '10.0.1.1'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [IP, { addresses: ['10.0.0.0/23'], prefix: 24 }, 'spec.addresses[0]', 'webhook'],
  [IP, { addresses: ['10.0.0.250-10.0.1.5'], prefix: 24 }, 'spec.addresses[0]', 'webhook'],
  [IP, { addresses: ['10.0.0.5', '10.0.0.200-10.0.1.0'], prefix: 24 }, 'spec.addresses[1]', 'webhook'],
  [GIP, { addresses: ['fd00::/63'], prefix: 64 }, 'spec.addresses[0]', 'webhook'],
  [GIP, { addresses: ['fd00::ffff-fd00::1:1'], prefix: 112 }, 'spec.addresses[0]', 'webhook'],
  [GIP, { addresses: ['fd00::1', 'fd01::1'], prefix: 64 }, 'spec.addresses[1]', 'webhook'],
  // gateway
  [IP, { addresses: ['10.0.0.1'], prefix: 24, gateway: 'invalid' }, 'spec.gateway', 'any'],
  [IP, { addresses: ['10.0.0.1'], prefix: 24, gateway: '10.0.0.300' }, 'spec.gateway', 'any'],
  // empty lists, grace period
  [IP, { addresses: [], prefix: 24 }, 'spec.addresses', 'any'],
  [GIP, { addresses: [], prefix: 0 }, 'spec.addresses', 'any'],
  [
    IP,
    { addresses: ['10.0.0.1'], prefix: 24, addressReuseGracePeriodSeconds: -5 },
    'spec.addressReuseGracePeriodSeconds',
    'any',
  ],
  // huge IPv6 ranges are fine by size, but not across subnets
  [GIP, { addresses: ['::/0', '10.0.0.1'], prefix: 0 }, 'spec.addresses', 'webhook'],
  [GIP, { addresses: ['fd00::/8', 'fe00::/8'], prefix: 8 }, 'spec.addresses[1]', 'webhook'],
  // wrong types (the schema rejects these before any webhook)
  [IP, { addresses: '10.0.0.1', prefix: 24 }, 'spec.addresses', 'any'],
  [IP, { addresses: ['10.0.0.1'], prefix: '24' }, 'spec.prefix', 'any'],
  [IP, { addresses: [1], prefix: 24 }, 'spec.addresses[0]', 'any'],
  [IP, { addresses: ['10.0.0.1'], prefix: 24, gateway: 5 }, 'spec.gateway', 'any'],
  [IP, { addresses: ['10.0.0.1'] }, 'spec.prefix', 'any'],
  [IP, { prefix: 24 }, 'spec.addresses', 'any'],
  // prefix pools
  [PP, { prefixes: [] }, 'spec.prefixes', 'any'],
  [PP, { prefixes: ['fd00::/48', 'fd00::1'] }, 'spec.prefixes[1]', 'webhook'],
  [PP, { prefixes: ['fd00::/48', 'fd01::1/64'] }, 'spec.prefixes[1]', 'webhook'],
  [PP, { prefixes: ['fd00::/48', 'fd02::/72'] }, 'spec.prefixes[1]', 'webhook'],
  [PP, { prefixes: ['fd00::/48', '10.0.0.0/8'] }, 'spec.prefixes[1]', 'webhook'],
  [GPP, { prefixes: ['10.0.0.0/8'] }, 'spec.prefixes', 'any'],
  [GPP, { prefixes: ['fd00::/48'], gateway: '10.0.0.1' }, 'spec.gateway', 'any'],
  [
    GPP,
    { prefixes: ['fd00::/48'], excludedPrefixes: ['fd00::1', '10.0.0.0/24'] },
    'spec.excludedPrefixes[1]',
    'webhook',
  ],
  [
    GPP,
    { prefixes: ['fd00::/48'], excludedPrefixes: ['fd00::1', 'junk'] },
    'spec.excludedPrefixes[1]',
    'webhook',
  ],
  [GPP, { prefixes: ['fd00::/48'], allocationPrefixLength: 129 }, 'spec.allocationPrefixLength', 'any'],
];

describe('pool webhooks on a real API server', () => {
  it(`rejects all ${invalidTable.length} invalid pool specs with a field path (none accepted)`, async () => {
    assert.ok(invalidTable.length >= 50);
    const accepted: string[] = [];
    const problems: string[] = [];
    for (const [kind, spec, path, via] of invalidTable) {
      const status = await statusOf(create(kind, spec));
      const label = `${kind} ${JSON.stringify(spec)}`;
      if (status === undefined) {
        accepted.push(label);
        continue;
      }
      const fields = (status.details?.causes ?? []).map((c) => c.field ?? '');
      if (status.code !== 422) problems.push(`${label}: code ${status.code} ${status.message ?? ''}`);
      else if (!fields.some((f) => f === path || f.startsWith(path)))
        problems.push(`${label}: no cause at ${path}: ${JSON.stringify(fields)} ${status.message ?? ''}`);
      else if (via === 'webhook' && !byWebhook(status))
        problems.push(`${label}: expected our webhook to reject it: ${status.message ?? ''}`);
      else if (!status.message?.includes(path.replace(/\[\d+\]$/, '')))
        problems.push(`${label}: message does not name ${path}: ${status.message ?? ''}`);
    }
    assert.deepEqual(accepted, []);
    assert.deepEqual(problems, []);
  });

  it('reports every problem of one spec at once, with upstream messages', async () => {
    const status = await statusOf(
      create(IP, {
        addresses: ['10.0.0.1', 'x', '10.0.0.300'],
        prefix: 24,
        excludedAddresses: ['10.0.0.2', 'y'],
      }),
    );
    assert.equal(status?.code, 422);
    assert.deepEqual(
      status.details?.causes?.map((c) => c.field),
      ['spec.addresses[1]', 'spec.addresses[2]', 'spec.excludedAddresses[1]'],
    );
    assert.match(
      status.message ?? '',
      /^admission webhook "validation\.inclusterippool\.ipam\.cluster\.x-k8s\.io" denied the request: InClusterIPPool\.ipam\.cluster\.x-k8s\.io "p\d+" is invalid: \[spec\.addresses\[1\]: Invalid value: "x": provided address is not a valid IP, range, nor CIDR, /,
    );
  });

  it('accepts valid specs of every kind (create for real, then delete)', async () => {
    const valid: [PoolKind, Spec][] = [
      [IP, { addresses: ['10.0.0.10-10.0.0.20', '10.0.0.30'], prefix: 24, gateway: '10.0.0.1' }],
      [IP, { addresses: ['10.0.0.1'], prefix: 0 }],
      [IP, { addresses: ['fe80::1%eth0', 'fe80::2'], prefix: 64 }],
      [
        GIP,
        {
          addresses: ['fd00::/120'],
          prefix: 64,
          excludedAddresses: ['fd00::5'],
          addressReuseGracePeriodSeconds: 30,
        },
      ],
      [GIP, { addresses: ['::/0'], prefix: 0 }],
      [PP, { prefixes: ['fd00::/48', 'fd01::/48'], allocationPrefixLength: 56 }],
      [GPP, { prefixes: ['fd00::/64'], allocationPrefixLength: 128, gateway: 'fd00::1' }],
    ];
    for (const [kind, spec] of valid) {
      const created = await create(kind, spec, { dryRun: false });
      const name = (created.metadata as { name: string }).name;
      await remove(kind, name);
    }
  });

  it('defaults allocationPrefixLength 0 to 64 (mutating webhook runs before the schema)', async () => {
    const created = await create(PP, { prefixes: ['fd00::/48'], allocationPrefixLength: 0 });
    assert.equal((created.spec as { allocationPrefixLength: number }).allocationPrefixLength, 64);
  });

  for (const kind of [IP, GIP] as PoolKind[]) {
    it(`${kind}: refuses an update that strands allocated addresses, and a delete while in use`, async () => {
      const name = poolName(kind);
      await create(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 }, { dryRun: false, name });
      const addr = `a-${hooks.runId}-${seq}`;
      await createIPAddress(kind, name, addr, '10.0.0.7', 24);
      const shrink = await statusOf(patchSpec(kind, name, { addresses: ['10.0.0.1-10.0.0.5'] }));
      assert.equal(shrink?.code, 400, shrink?.message);
      assert.equal(
        shrink.message,
        `admission webhook "validation.${kind.toLowerCase()}.ipam.cluster.x-k8s.io" denied the request: pool addresses do not contain allocated addresses: [10.0.0.7-10.0.0.7]`,
      );
      const exclude = await statusOf(patchSpec(kind, name, { excludedAddresses: ['10.0.0.7'] }));
      assert.equal(exclude?.code, 400);
      assert.equal(
        await statusOf(patchSpec(kind, name, { addresses: ['10.0.0.1-10.0.0.20'] })),
        undefined,
        'growing is allowed',
      );
      const del = await statusOf(remove(kind, name));
      assert.equal(del?.code, 400);
      assert.match(
        del.message ?? '',
        /Pool has IPAddresses allocated\. Cannot delete Pool until all IPAddresses have been removed\.$/,
      );
      // Metadata-only updates are never blocked.
      await annotate(kind, name, { [ANNOTATION_SKIP_VALIDATE_DELETE]: '' });
      assert.equal(await statusOf(remove(kind, name)), undefined, 'skip annotation allows deletion');
      await deleteIPAddress(addr);
    });
  }

  it('prefix pool: refuses orphaning an allocation and changing allocationPrefixLength', async () => {
    const name = poolName(PP);
    await create(PP, { prefixes: ['fd00::/62'], allocationPrefixLength: 64 }, { dryRun: false, name });
    const addr = `pa-${hooks.runId}`;
    await createIPAddress(PP, name, addr, 'fd00::', 64);
    const orphan = await statusOf(patchSpec(PP, name, { prefixes: ['fd01::/62'] }));
    assert.equal(orphan?.code, 400);
    assert.match(orphan.message ?? '', /existing allocations become non-allocatable: \[fd00::\]$/);
    const len = await statusOf(patchSpec(PP, name, { allocationPrefixLength: 63 }));
    assert.ok(len !== undefined && len.code >= 400, 'allocationPrefixLength is immutable');
    await deleteIPAddress(addr);
    assert.equal(await statusOf(remove(PP, name)), undefined, 'deletable once the allocation is gone');
  });

  // matchConditions (SPEC_CHANGE_MATCH_CONDITION): the API server sends CREATE, DELETE and
  // spec-changing UPDATEs, never a metadata-only UPDATE such as the allocation fence's annotation.
  for (const kind of [IP, GIP, PP, GPP] as PoolKind[]) {
    it(`${kind}: metadata-only updates never reach the webhooks; spec edits and deletes do, refused as before`, async () => {
      const ip = POOL_KIND_INFO[kind].family === 'ip';
      const name = poolName(kind);
      const create1 = { 'mutate CREATE': 1, 'validate CREATE': 1 };
      const update1 = { 'mutate UPDATE': 1, 'validate UPDATE': 1 };
      const spec = ip
        ? { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 }
        : { prefixes: ['fd00::/62'], allocationPrefixLength: 64 };
      assert.deepEqual(await callsDuring(() => create(kind, spec, { dryRun: false, name })), create1);
      const pending = formatPendingAllocations([
        ip ? { address: '10.0.0.2', claim: 'ns/c' } : { address: 'fd00::', prefix: 64, claim: 'ns/c' },
      ]);
      const metadataOnly = [
        { metadata: { annotations: { [ANNOTATION_PENDING_ALLOCATIONS]: pending } } },
        { metadata: { annotations: { [ANNOTATION_PENDING_ALLOCATIONS]: null } } },
        { metadata: { labels: { 'example.com/extra': 'x' }, finalizers: ['example.com/hold'] } },
        { metadata: { finalizers: null } },
        { spec }, // a patch that leaves the spec as it is
      ];
      for (const body of metadataOnly) {
        assert.deepEqual(await callsDuring(() => mergePatch(kind, name, body)), {}, JSON.stringify(body));
      }
      const grown = ip ? { addresses: ['10.0.0.1-10.0.0.20'] } : { prefixes: ['fd00::/60'] };
      assert.deepEqual(await callsDuring(() => patchSpec(kind, name, grown)), update1);

      const addr = `m-${hooks.runId}-${String(seq)}`;
      await createIPAddress(kind, name, addr, ip ? '10.0.0.7' : 'fd00::', ip ? 24 : 64);
      const shrunk = ip ? { addresses: ['10.0.0.1-10.0.0.5'] } : { prefixes: ['fd01::/62'] };
      const refused = async (call: Promise<unknown>) => {
        assert.equal((await statusOf(call))?.code, 400);
      };
      assert.deepEqual(
        await callsDuring(() => refused(patchSpec(kind, name, shrunk))),
        update1,
        'a stranding edit is still refused',
      );
      assert.deepEqual(
        await callsDuring(() => refused(remove(kind, name))),
        { 'validate DELETE': 1 },
        'deleting a pool in use is still refused',
      );
      await deleteIPAddress(addr);
      assert.deepEqual(await callsDuring(() => remove(kind, name)), { 'validate DELETE': 1 });
    });
  }

  // Pending allocations count only when the controller wrote them (issue 20): this webhook runs in
  // the test process without leader election, so this process's key is the controller's.
  it('counts only authentic, recent pending allocations: forged, copied and stale entries block nothing', async () => {
    const name = poolName(IP);
    const created = (await create(
      IP,
      { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 },
      { dryRun: false, name },
    )) as {
      metadata: { uid: string };
    };
    const uid = created.metadata.uid;
    const fenced = { address: '10.0.0.8', claim: `${ns.name}/c1`, at: Date.now() };
    const shrink = { addresses: ['10.0.0.1-10.0.0.4'], prefix: 24 };
    const writeEntries = (...entries: PendingAllocation[]) =>
      annotate(IP, name, { [ANNOTATION_PENDING_ALLOCATIONS]: formatPendingAllocations(entries) });
    for (const [what, entry] of [
      ['unsigned, as anyone who may annotate the pool could write', { ...fenced }],
      ['signed with a guessed key', signPending('guessed', uid, fenced)],
      ['signed for another pool', signPending(processFenceKey(), 'another-uid', fenced)],
      [
        'older than the bound',
        signPending(processFenceKey(), uid, { ...fenced, at: Date.now() - PENDING_MAX_AGE_MS - 1_000 }),
      ],
    ] as const) {
      await writeEntries(entry);
      assert.equal(await statusOf(patchSpec(IP, name, shrink)), undefined, what);
      await patchSpec(IP, name, { addresses: ['10.0.0.1-10.0.0.10'] }); // back, for the next one
    }
    await writeEntries(signPending(processFenceKey(), uid, fenced));
    const refused = await statusOf(patchSpec(IP, name, shrink));
    assert.equal(refused?.code, 400);
    assert.match(
      refused.message ?? '',
      /pool addresses do not contain allocated addresses: \[10\.0\.0\.8-10\.0\.0\.8\] \(being allocated right now: try again in a few seconds\)/,
    );
    assert.equal(
      (await statusOf(remove(IP, name)))?.message?.includes('Pool has IPAddresses allocated'),
      true,
    );
    await writeEntries(signPending('guessed', uid, fenced));
    assert.equal(await statusOf(remove(IP, name)), undefined, 'a forged entry does not block the delete');
  });

  it('rotates a self-managed CA while a client keeps creating pools, without a failed request', async () => {
    const client = await kubeClient();
    const configNames: string[] = [];
    const managed = new SelfManagedCertificates({
      client,
      namespace: ns.name,
      secretName: 'webhook-cert',
      serviceName: 'webhook',
      ipAddresses: ['127.0.0.1'],
      webhookConfigNames: configNames,
      crdNames: [],
      caPropagationDelayMs: 3000,
    });
    await managed.check(); // creates the CA and serving certificate in the Secret
    // A second webhook server for this test, serving the managed certificate.
    const rotating = await startTestWebhooks({
      namespaces: [ns.name],
      certificates: managed,
      caPem: managed.caBundle,
    });
    configNames.push(rotating.configName);
    const invalidPool = () =>
      statusOf(create(IP, { addresses: ['10.0.0.1', 'bad'], prefix: 24 }, { labels: rotating.labels }));
    try {
      await managed.check(); // the bundle is already in place: nothing changes
      await waitFor(async () => byWebhook(await invalidPool()), {
        what: 'the rotating webhook to be called',
      });
      const state = { stop: false, calls: 0, failures: [] as string[] };
      const loop = (async () => {
        while (!state.stop) {
          const s = await invalidPool();
          state.calls++;
          if (!byWebhook(s)) state.failures.push(s?.message ?? 'accepted');
        }
      })();
      try {
        const before = managed.current()?.cert;
        // New CA: the bundle becomes [new, old] in the configurations, then (after the propagation
        // delay) the Secret and the served certificate switch to the new CA.
        const t0 = Date.now();
        await managed.check({ forceNewCA: true });
        assert.ok(Date.now() - t0 >= 3000, 'waited for the new bundle to propagate before switching');
        assert.notEqual(managed.current()?.cert, before);
        assert.equal((managed.caBundle?.match(/BEGIN CERTIFICATE/g) ?? []).length, 2);
        // Existing connections answer their next request with `Connection: close`, so the API
        // server's following requests arrive on new connections with the new certificate.
        const callsAtSwitch = state.calls;
        await waitFor(() => Promise.resolve(state.calls >= callsAtSwitch + 5), {
          what: 'calls after the switch',
        });
      } finally {
        state.stop = true;
        await loop;
      }
      assert.deepEqual(state.failures, []);
      assert.ok(state.calls > 5, `calls ${state.calls}`);
      const secret = await client.secrets().get({ namespace: ns.name, name: 'webhook-cert' });
      assert.equal(secret.type, 'kubernetes.io/tls');
      assert.deepEqual(Object.keys(secret.data ?? {}).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
    } finally {
      managed.stop();
      await rotating.cleanup();
    }
  });
});
