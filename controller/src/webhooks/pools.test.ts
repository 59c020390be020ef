// Admission handlers, AdmissionReview in -> out, with an in-memory PoolClusterReader (a data source,
// not a fake Kubernetes client: it returns what a list would). Upstream §15.3 scenarios.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNOTATION_ALLOW_OVERLAP,
  ANNOTATION_PENDING_ALLOCATIONS,
  ANNOTATION_SKIP_VALIDATE_DELETE,
  MAX_POOL_ENTRY_LENGTH,
  MAX_POOL_LIST_ENTRIES,
  type PendingAllocation,
  type PoolKind,
} from '@ipam-in-cluster/api';
import { PENDING_MAX_AGE_MS, PENDING_MAX_SKEW_MS, signPending } from '../allocation/fence-key.js';
import {
  readAdmissionReview,
  toResponse,
  type AdmissionRequest,
  type AdmissionResponse,
  type Operation,
  type Verdict,
} from './admission.js';
import type { Holding } from '@ipam-in-cluster/allocator';
import {
  DELETE_IN_USE_MESSAGE,
  PENDING_ONLY_HINT,
  PoolWebhooks,
  type PoolClusterReader,
  type StoredPool,
} from './pools.js';

class MemoryReader implements PoolClusterReader {
  allocs: Holding[] = [];
  others: StoredPool[] = [];
  fail = false;
  allocations(): Promise<Holding[]> {
    return this.fail ? Promise.reject(new Error('list failed')) : Promise.resolve(this.allocs);
  }
  pools(): Promise<StoredPool[]> {
    return Promise.resolve(this.others);
  }
}

type Spec = Record<string, unknown>;

function obj(
  kind: PoolKind,
  spec: Spec | undefined,
  annotations?: Record<string, string>,
): Record<string, unknown> {
  return {
    apiVersion: 'ipam.cluster.x-k8s.io/v1alpha2',
    kind,
    metadata: { name: 'pool', namespace: 'ns', uid: 'pool-uid', ...(annotations ? { annotations } : {}) },
    ...(spec === undefined ? {} : { spec }),
  };
}

function request(
  kind: PoolKind,
  operation: Operation,
  object?: unknown,
  oldObject?: unknown,
): AdmissionRequest {
  return {
    uid: 'u-1',
    kind: { group: 'ipam.cluster.x-k8s.io', version: 'v1alpha2', kind },
    name: 'pool',
    namespace: 'ns',
    operation,
    ...(object === undefined ? {} : { object }),
    ...(oldObject === undefined ? {} : { oldObject }),
  };
}

function setup(overlapDetection = false) {
  const reader = new MemoryReader();
  return { reader, hooks: new PoolWebhooks({ reader, overlapDetection }) };
}

/** Runs a full review through the envelope parser and response builder, as the server does. */
async function review(
  hooks: PoolWebhooks,
  kind: PoolKind,
  req: AdmissionRequest,
  type: 'validate' | 'mutate' = 'validate',
): Promise<AdmissionResponse> {
  const parsed = readAdmissionReview(
    JSON.parse(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', request: req })),
  );
  assert.ok(parsed.ok);
  const verdict: Verdict =
    type === 'validate' ? await hooks.validate(kind, parsed.request) : hooks.default(kind, parsed.request);
  return toResponse(parsed.request.uid, verdict);
}

const IP_KINDS: PoolKind[] = ['InClusterIPPool', 'GlobalInClusterIPPool'];
const PREFIX_KINDS: PoolKind[] = ['InClusterPrefixPool', 'GlobalInClusterPrefixPool'];

describe('IP pool validation: upstream invalid scenarios fail on create and update, delete succeeds', () => {
  const cases: [string, Spec, string, string][] = [
    ['addresses required', { addresses: [], prefix: 24 }, 'spec.addresses', 'addresses is required'],
    [
      'invalid gateway (Go message)',
      { addresses: ['10.0.0.1'], prefix: 24, gateway: 'invalid' },
      'spec.gateway',
      'ParseAddr("invalid"): unable to parse IP',
    ],
    [
      'different subnets',
      { addresses: ['10.0.0.1', '10.1.0.1'], prefix: 24 },
      'spec.addresses[1]',
      'provided address belongs to a different subnet than others',
    ],
    [
      'garbage address',
      { addresses: ['garbage'], prefix: 24 },
      'spec.addresses[0]',
      'provided address is not a valid IP, range, nor CIDR',
    ],
    ['negative prefix', { addresses: ['10.0.0.1'], prefix: -1 }, 'spec.prefix', 'a valid prefix is required'],
    ['prefix 9999', { addresses: ['10.0.0.1'], prefix: 9999 }, 'spec.prefix', 'provided prefix is not valid'],
    [
      'reversed range',
      { addresses: ['10.0.0.10-10.0.0.5'], prefix: 24 },
      'spec.addresses[0]',
      'provided address is not a valid IP, range, nor CIDR',
    ],
    [
      '/33 CIDR',
      { addresses: ['10.0.0.0/33'], prefix: 24 },
      'spec.addresses[0]',
      'provided address is not a valid IP, range, nor CIDR',
    ],
    [
      'range below the prefix',
      { addresses: ['10.0.0.250-10.0.1.5'], prefix: 24 },
      'spec.addresses[0]',
      'provided address belongs to a different subnet than others',
    ],
    [
      'CIDR larger than the prefix',
      { addresses: ['10.0.0.0/23'], prefix: 24 },
      'spec.addresses[0]',
      'provided address belongs to a different subnet than others',
    ],
    [
      'range straddling v6',
      { addresses: ['fd00::ffff-fd00::1:1'], prefix: 112 },
      'spec.addresses[0]',
      'provided address belongs to a different subnet than others',
    ],
    [
      'CIDR above v6',
      { addresses: ['fd00::/63'], prefix: 64 },
      'spec.addresses[0]',
      'provided address belongs to a different subnet than others',
    ],
    [
      'v4 addresses + v6 gateway',
      { addresses: ['10.0.0.1'], prefix: 24, gateway: 'fd00::1' },
      'spec.gateway',
      'provided gateway and addresses are of mixed IP families',
    ],
    [
      'v6 addresses + v4 gateway',
      { addresses: ['fd00::1'], prefix: 64, gateway: '10.0.0.1' },
      'spec.gateway',
      'provided gateway and addresses are of mixed IP families',
    ],
    [
      'mixed address families',
      { addresses: ['10.0.0.1', 'fd00::1'], prefix: 24 },
      'spec.addresses',
      'provided addresses are of mixed IP families',
    ],
    [
      'mixed excluded families',
      { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['10.0.0.2', 'fd00::1'] },
      'spec.excludedAddresses',
      'provided addresses are of mixed IP families',
    ],
    [
      'v4 addresses + v6 excluded',
      { addresses: ['10.0.0.1'], prefix: 24, excludedAddresses: ['fd00::1'] },
      'spec.excludedAddresses',
      'addresses and excluded addresses are of mixed IP families',
    ],
    [
      'negative grace period',
      { addresses: ['10.0.0.1'], prefix: 24, addressReuseGracePeriodSeconds: -1 },
      'spec.addressReuseGracePeriodSeconds',
      'addressReuseGracePeriodSeconds must not be negative',
    ],
  ];
  for (const kind of IP_KINDS) {
    for (const [title, spec, path, message] of cases) {
      it(`${kind}: ${title}`, async () => {
        const { hooks } = setup();
        const valid = obj(kind, { addresses: ['10.0.0.1'], prefix: 24 });
        for (const req of [
          request(kind, 'CREATE', obj(kind, spec)),
          request(kind, 'UPDATE', obj(kind, spec), valid),
        ]) {
          const res = await review(hooks, kind, req);
          assert.equal(res.allowed, false);
          assert.equal(res.uid, 'u-1');
          assert.equal(res.status?.code, 422);
          assert.equal(res.status.reason, 'Invalid');
          const cause = res.status.details?.causes?.find((c) => c.field === path);
          assert.ok(cause, `cause at ${path}: ${JSON.stringify(res.status.details?.causes)}`);
          assert.ok(cause.message.endsWith(`: ${message}`), cause.message);
          assert.match(
            res.status.message ?? '',
            new RegExp(`^${kind}\\.ipam\\.cluster\\.x-k8s\\.io "pool" is invalid: `),
          );
        }
        const del = await review(hooks, kind, request(kind, 'DELETE', undefined, obj(kind, spec)));
        assert.equal(del.allowed, true);
      });
    }
  }

  it('reports every problem at once, each with its path and value', async () => {
    const { hooks } = setup();
    const res = await review(
      hooks,
      'InClusterIPPool',
      request(
        'InClusterIPPool',
        'CREATE',
        obj('InClusterIPPool', {
          addresses: ['10.0.0.1', 'x', '10.0.0.300'],
          prefix: 24,
          gateway: 'bad',
          excludedAddresses: ['y'],
        }),
      ),
    );
    assert.deepEqual(
      res.status?.details?.causes?.map((c) => c.field),
      ['spec.addresses[1]', 'spec.addresses[2]', 'spec.gateway', 'spec.excludedAddresses[0]'],
    );
    assert.equal(
      res.status.message,
      'InClusterIPPool.ipam.cluster.x-k8s.io "pool" is invalid: [spec.addresses[1]: Invalid value: "x": provided address is not a valid IP, range, nor CIDR, ' +
        'spec.addresses[2]: Invalid value: "10.0.0.300": provided address is not a valid IP, range, nor CIDR, ' +
        'spec.gateway: Invalid value: "bad": ParseAddr("bad"): unable to parse IP, ' +
        'spec.excludedAddresses[0]: Invalid value: "y": provided address is not a valid IP, range, nor CIDR]',
    );
  });

  it('turns wrong JSON types into field errors instead of crashing', async () => {
    const { hooks } = setup();
    const res = await review(
      hooks,
      'InClusterIPPool',
      request(
        'InClusterIPPool',
        'CREATE',
        obj('InClusterIPPool', {
          addresses: 'a',
          prefix: '24',
          gateway: 5,
          allocateReservedIPAddresses: 'yes',
          excludedAddresses: [1],
        }),
      ),
    );
    assert.deepEqual(
      res.status?.details?.causes?.map((c) => c.field),
      [
        'spec.addresses',
        'spec.prefix',
        'spec.gateway',
        'spec.excludedAddresses[0]',
        'spec.allocateReservedIPAddresses',
      ],
    );
  });
});

describe('bounded validation cost', () => {
  const createIPPool = (hooks: PoolWebhooks, spec: Spec) =>
    review(hooks, 'InClusterIPPool', request('InClusterIPPool', 'CREATE', obj('InClusterIPPool', spec)));

  it('refuses a list longer than MAX_POOL_LIST_ENTRIES before parsing any entry, on every kind', async () => {
    const { hooks } = setup();
    const many = Array.from({ length: MAX_POOL_LIST_ENTRIES + 1 }, () => 'not an address');
    for (const [kind, field, spec] of [
      ['InClusterIPPool', 'addresses', { addresses: many, prefix: 24 }],
      [
        'GlobalInClusterIPPool',
        'excludedAddresses',
        { addresses: ['10.0.0.0/24'], prefix: 24, excludedAddresses: many },
      ],
      ['InClusterPrefixPool', 'prefixes', { prefixes: many }],
      ['GlobalInClusterPrefixPool', 'excludedPrefixes', { prefixes: ['fd00::/48'], excludedPrefixes: many }],
    ] as const) {
      const res = await review(hooks, kind, request(kind, 'CREATE', obj(kind, spec)));
      // One error for the list, none per entry: the entries were never looked at.
      assert.deepEqual(
        res.status?.details?.causes?.map((c) => c.message),
        [
          `Invalid value: ${String(MAX_POOL_LIST_ENTRIES + 1)}: must have at most ${String(MAX_POOL_LIST_ENTRIES)} entries (use ranges or CIDRs)`,
        ],
        `${kind} spec.${field}`,
      );
      assert.equal(res.status.details.causes[0]?.field, `spec.${field}`);
    }
    const atLimit = Array.from(
      { length: MAX_POOL_LIST_ENTRIES },
      (_, i) => `10.0.${String(i >> 8)}.${String(i & 255)}`,
    );
    const ok = await createIPPool(hooks, { addresses: atLimit, prefix: 16 });
    assert.equal(ok.allowed, true, JSON.stringify(ok.status));
  });

  it('refuses an entry longer than MAX_POOL_ENTRY_LENGTH and shows only its start', async () => {
    const { hooks } = setup();
    const long = `10.0.0.1${' '.repeat(MAX_POOL_ENTRY_LENGTH)}`;
    const res = await createIPPool(hooks, { addresses: ['10.0.0.2', long], prefix: 24, gateway: long });
    assert.deepEqual(
      res.status?.details?.causes?.map((c) => c.field),
      ['spec.addresses[1]', 'spec.gateway'],
    );
    const shown = `10.0.0.1${' '.repeat(56)}... (${String(long.length)} characters)`;
    assert.equal(
      res.status.details.causes[0]?.message,
      `Invalid value: ${JSON.stringify(shown)}: must be at most ${String(MAX_POOL_ENTRY_LENGTH)} characters`,
    );
  });

  it('shows at most 20 entries of a list value in a message', async () => {
    const { hooks } = setup();
    const mixed = [...Array.from({ length: 30 }, (_, i) => `10.0.0.${String(i + 1)}`), 'fd00::1'];
    const res = await createIPPool(hooks, { addresses: mixed, prefix: 24 });
    const message = res.status?.details?.causes?.[0]?.message ?? '';
    assert.match(
      message,
      /"10\.0\.0\.20", \.\.\. \(11 more\)\}: provided addresses are of mixed IP families$/,
    );
  });
});

describe('IP pool validation: valid specs', () => {
  const valid: Spec[] = [
    { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24, gateway: '10.0.0.254' },
    { addresses: ['fd00::1-fd00::10', 'fd00::/120'], prefix: 64, gateway: 'fd00::ff' },
    { addresses: ['10.0.0.0/24'], prefix: 24, excludedAddresses: ['10.0.0.1', '10.0.0.10-10.0.0.20'] },
    { addresses: ['10.0.0.1'], prefix: 24, addressReuseGracePeriodSeconds: 60 },
    { addresses: ['10.0.0.1'], prefix: 0 },
    { addresses: ['10.0.0.1'] },
    { addresses: ['192.168.1.1/24'], prefix: 24, allocateReservedIPAddresses: true },
  ];
  for (const kind of IP_KINDS) {
    for (const spec of valid) {
      it(`${kind}: ${JSON.stringify(spec)} passes create, update and delete, and defaulting leaves it alone`, async () => {
        const { hooks } = setup();
        const o = obj(kind, spec);
        assert.equal((await review(hooks, kind, request(kind, 'CREATE', o))).allowed, true);
        assert.equal(
          (
            await review(
              hooks,
              kind,
              request(kind, 'UPDATE', o, obj(kind, { addresses: ['10.9.9.9'], prefix: 8 })),
            )
          ).allowed,
          true,
        );
        assert.equal((await review(hooks, kind, request(kind, 'DELETE', undefined, o))).allowed, true);
        const mutated = await review(hooks, kind, request(kind, 'CREATE', o), 'mutate');
        assert.deepEqual(mutated, { uid: 'u-1', allowed: true });
      });
    }
  }
});

describe('IP pool update and delete protection', () => {
  for (const kind of IP_KINDS) {
    it(`${kind}: an update removing in-use IPs is refused with the list (400)`, async () => {
      const { hooks, reader } = setup();
      reader.allocs = [{ address: '10.0.0.5' }, { address: '10.0.0.6' }, { address: '10.0.0.9' }];
      const old = obj(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 });
      const res = await review(
        hooks,
        kind,
        request(
          kind,
          'UPDATE',
          obj(kind, { addresses: ['10.0.0.1-10.0.0.4'], prefix: 24, excludedAddresses: [] }),
          old,
        ),
      );
      assert.equal(res.allowed, false);
      assert.equal(res.status?.code, 400);
      assert.equal(res.status.reason, 'BadRequest');
      assert.equal(
        res.status.message,
        'pool addresses do not contain allocated addresses: [10.0.0.5-10.0.0.6 10.0.0.9-10.0.0.9]',
      );
      // Excluding or turning into the gateway is shrinking too.
      const gw = await review(
        hooks,
        kind,
        request(
          kind,
          'UPDATE',
          obj(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24, gateway: '10.0.0.9' }),
          old,
        ),
      );
      assert.equal(
        gw.status?.message,
        'pool addresses do not contain allocated addresses: [10.0.0.9-10.0.0.9]',
      );
      // Growing is fine.
      const grow = await review(
        hooks,
        kind,
        request(kind, 'UPDATE', obj(kind, { addresses: ['10.0.0.1-10.0.0.100'], prefix: 24 }), old),
      );
      assert.equal(grow.allowed, true);
    });

    it(`${kind}: pending allocations on the old object count as allocated (the edit/allocation fence)`, async () => {
      const now = 1_700_000_000_000;
      const hooks = new PoolWebhooks({
        reader: new MemoryReader(),
        fenceKey: () => Promise.resolve('the-key'),
        now: () => now,
      });
      const pending = (...entries: PendingAllocation[]) => ({
        [ANNOTATION_PENDING_ALLOCATIONS]: JSON.stringify(entries),
      });
      const genuine = signPending('the-key', 'pool-uid', {
        address: '10.0.0.8',
        claim: 'ns/c1',
        at: now - 5_000,
      });
      const old = obj(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 }, pending(genuine));
      const shrink = obj(kind, { addresses: ['10.0.0.1-10.0.0.4'], prefix: 24 });
      const res = await review(hooks, kind, request(kind, 'UPDATE', shrink, old));
      assert.equal(
        res.status?.message,
        `pool addresses do not contain allocated addresses: [10.0.0.8-10.0.0.8] ${PENDING_ONLY_HINT}`,
        'only a pending allocation stands in the way: the message says a retry may pass',
      );
      const del = await review(hooks, kind, request(kind, 'DELETE', undefined, old));
      assert.equal(del.status?.message, `${DELETE_IN_USE_MESSAGE} ${PENDING_ONLY_HINT}`);

      // Entries the controller did not write for this pool, or wrote too long ago, count for nothing.
      const ignoredOnes: [string, PendingAllocation][] = [
        ['unsigned', { address: '10.0.0.8', claim: 'ns/c1' }],
        ['forged', { ...genuine, sig: signPending('a-guess', 'pool-uid', genuine).sig }],
        ['altered', { ...genuine, address: '10.0.0.9' }],
        ['from another pool', signPending('the-key', 'other-uid', genuine)],
        ['stale', signPending('the-key', 'pool-uid', { ...genuine, at: now - PENDING_MAX_AGE_MS - 1 })],
        [
          'from the future',
          signPending('the-key', 'pool-uid', { ...genuine, at: now + PENDING_MAX_SKEW_MS + 1 }),
        ],
      ];
      for (const [what, entry] of ignoredOnes) {
        const fake = obj(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 }, pending(entry));
        assert.equal((await review(hooks, kind, request(kind, 'UPDATE', shrink, fake))).allowed, true, what);
        assert.equal(
          (await review(hooks, kind, request(kind, 'DELETE', undefined, fake))).allowed,
          true,
          what,
        );
      }
      // Without a key (no leader has published one) no entry counts.
      const keyless = new PoolWebhooks({
        reader: new MemoryReader(),
        fenceKey: () => Promise.resolve(undefined),
        now: () => now,
      });
      assert.equal((await review(keyless, kind, request(kind, 'DELETE', undefined, old))).allowed, true);
    });

    it(`${kind}: metadata-only updates are never blocked (spec unchanged), even with stranded addresses`, async () => {
      const { hooks, reader } = setup();
      reader.allocs = [{ address: '10.9.9.9' }];
      reader.fail = true;
      const spec = { addresses: ['10.0.0.1'], prefix: 24 };
      const res = await review(
        hooks,
        kind,
        request(kind, 'UPDATE', obj(kind, spec, { a: 'b' }), obj(kind, { ...spec })),
      );
      assert.equal(res.allowed, true);
    });

    it(`${kind}: delete is refused while IPAddresses exist, allowed after, and with the skip annotation`, async () => {
      const { hooks, reader } = setup();
      reader.allocs = [{ address: '10.0.0.5' }];
      const o = obj(kind, { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 });
      const res = await review(hooks, kind, request(kind, 'DELETE', undefined, o));
      assert.equal(res.allowed, false);
      assert.equal(res.status?.code, 400);
      assert.equal(res.status.message, DELETE_IN_USE_MESSAGE);
      const skip = obj(
        kind,
        { addresses: ['10.0.0.1-10.0.0.10'], prefix: 24 },
        { [ANNOTATION_SKIP_VALIDATE_DELETE]: '' },
      );
      assert.equal((await review(hooks, kind, request(kind, 'DELETE', undefined, skip))).allowed, true);
      reader.allocs = [];
      assert.equal((await review(hooks, kind, request(kind, 'DELETE', undefined, o))).allowed, true);
    });

    it(`${kind}: a failed list is a 500 InternalError, never an allow`, async () => {
      const { hooks, reader } = setup();
      reader.fail = true;
      const res = await review(
        hooks,
        kind,
        request(kind, 'DELETE', undefined, obj(kind, { addresses: ['10.0.0.1'], prefix: 24 })),
      );
      assert.equal(res.allowed, false);
      assert.equal(res.status?.code, 500);
      assert.equal(res.status.message, 'Internal error occurred: list failed');
    });
  }

  it('refuses an object of the wrong kind (400)', async () => {
    const { hooks } = setup();
    const res = await review(
      hooks,
      'InClusterIPPool',
      request(
        'GlobalInClusterIPPool',
        'CREATE',
        obj('GlobalInClusterIPPool', { addresses: ['10.0.0.1'], prefix: 24 }),
      ),
    );
    assert.equal(res.status?.code, 400);
    assert.equal(res.status.message, 'expected a InClusterIPPool but got a GlobalInClusterIPPool');
  });
});

describe('prefix pools', () => {
  const invalid: [string, Spec, string, string][] = [
    ['prefixes required', { prefixes: [] }, 'spec.prefixes', 'prefixes is required'],
    ['non-CIDR', { prefixes: ['fd00::1'] }, 'spec.prefixes[0]', 'provided entry is not a valid IPv6 CIDR'],
    ['not aligned', { prefixes: ['fd00::1/64'] }, 'spec.prefixes[0]', 'CIDR must be network-aligned'],
    [
      'longer than allocLen',
      { prefixes: ['fd00::/72'] },
      'spec.prefixes[0]',
      'CIDR prefix length must be <= allocationPrefixLength (64)',
    ],
    ['IPv4 prefix', { prefixes: ['10.0.0.0/8'] }, 'spec.prefixes[0]', 'only IPv6 prefixes are supported'],
    [
      'IPv4 gateway',
      { prefixes: ['fd00::/48'], gateway: '10.0.0.1' },
      'spec.gateway',
      'provided gateway must be IPv6',
    ],
    [
      'IPv4 excluded',
      { prefixes: ['fd00::/48'], excludedPrefixes: ['10.0.0.0/24'] },
      'spec.excludedPrefixes[0]',
      'only IPv6 excluded prefixes are supported',
    ],
  ];
  for (const kind of PREFIX_KINDS) {
    for (const [title, spec, path, message] of invalid) {
      it(`${kind}: ${title}`, async () => {
        const { hooks } = setup();
        const res = await review(hooks, kind, request(kind, 'CREATE', obj(kind, spec)));
        assert.equal(res.status?.code, 422);
        const cause = res.status.details?.causes?.find((c) => c.field === path);
        assert.ok(cause?.message.endsWith(`: ${message}`), JSON.stringify(res.status.details?.causes));
      });
    }
    for (const spec of [
      { prefixes: ['fd00::/48', 'fd01::/48'] },
      { prefixes: ['fd00::/48'], allocationPrefixLength: 56 },
      { prefixes: ['fd00::/48'], allocationPrefixLength: 96 },
      { prefixes: ['fd00::/64'], allocationPrefixLength: 64 },
    ]) {
      it(`${kind}: accepts ${JSON.stringify(spec)} without warnings`, async () => {
        const { hooks } = setup();
        assert.deepEqual(await review(hooks, kind, request(kind, 'CREATE', obj(kind, spec))), {
          uid: 'u-1',
          allowed: true,
        });
      });
    }

    it(`${kind}: defaulting sets allocationPrefixLength 64 when unset or 0`, async () => {
      const { hooks } = setup();
      for (const [spec, op] of [
        [{ prefixes: ['fd00::/48'] }, 'add'],
        [{ prefixes: ['fd00::/48'], allocationPrefixLength: 0 }, 'replace'],
      ] as const) {
        const res = await review(hooks, kind, request(kind, 'CREATE', obj(kind, spec)), 'mutate');
        assert.equal(res.patchType, 'JSONPatch');
        assert.deepEqual(JSON.parse(Buffer.from(res.patch ?? '', 'base64').toString()), [
          { op, path: '/spec/allocationPrefixLength', value: 64 },
        ]);
      }
      const kept = await review(
        hooks,
        kind,
        request(kind, 'CREATE', obj(kind, { prefixes: ['fd00::/48'], allocationPrefixLength: 56 })),
        'mutate',
      );
      assert.equal(kept.patch, undefined);
    });

    it(`${kind}: warnings for /128 with the gateway inside, none with the gateway outside`, async () => {
      const { hooks } = setup();
      const both = await review(
        hooks,
        kind,
        request(
          kind,
          'CREATE',
          obj(kind, { prefixes: ['fd00::/120'], allocationPrefixLength: 128, gateway: 'fd00::1' }),
        ),
      );
      assert.equal(both.allowed, true);
      assert.equal(both.warnings?.length, 2);
      const upd = await review(
        hooks,
        kind,
        request(
          kind,
          'UPDATE',
          obj(kind, { prefixes: ['fd00::/120'], allocationPrefixLength: 128, gateway: 'fd00::1' }),
          obj(kind, { prefixes: ['fd00::/121'], allocationPrefixLength: 128 }),
        ),
      );
      assert.equal(upd.warnings?.length, 2);
      const none = await review(
        hooks,
        kind,
        request(kind, 'CREATE', obj(kind, { prefixes: ['fd00::/48'], gateway: 'fd01::1' })),
      );
      assert.equal(none.warnings, undefined);
      const lenOnly = await review(
        hooks,
        kind,
        request(kind, 'CREATE', obj(kind, { prefixes: ['fd00::/120'], allocationPrefixLength: 128 })),
      );
      assert.equal(lenOnly.warnings?.length, 1);
    });

    it(`${kind}: update rejects orphaned allocations and an allocLen change, allows safe edits`, async () => {
      const { hooks, reader } = setup();
      reader.allocs = [{ address: 'fd00::', prefix: 64 }];
      const old = obj(kind, { prefixes: ['fd00::/62'], allocationPrefixLength: 64 });
      const orphan = await review(
        hooks,
        kind,
        request(kind, 'UPDATE', obj(kind, { prefixes: ['fd01::/62'], allocationPrefixLength: 64 }), old),
      );
      assert.equal(orphan.status?.message, 'existing allocations become non-allocatable: [fd00::]');
      const excluded = await review(
        hooks,
        kind,
        request(
          kind,
          'UPDATE',
          obj(kind, { prefixes: ['fd00::/62'], allocationPrefixLength: 64, excludedPrefixes: ['fd00::/64'] }),
          old,
        ),
      );
      assert.equal(excluded.status?.code, 400);
      const len = await review(
        hooks,
        kind,
        request(kind, 'UPDATE', obj(kind, { prefixes: ['fd00::/62'], allocationPrefixLength: 63 }), old),
      );
      assert.equal(len.status?.message, 'spec.allocationPrefixLength is immutable');
      const ok = await review(
        hooks,
        kind,
        request(
          kind,
          'UPDATE',
          obj(kind, {
            prefixes: ['fd00::/62'],
            allocationPrefixLength: 64,
            excludedPrefixes: ['fd00:0:0:1::/64'],
            gateway: 'fd00::1',
          }),
          old,
        ),
      );
      assert.equal(ok.allowed, true);
    });

    it(`${kind}: delete protection and skip annotation`, async () => {
      const { hooks, reader } = setup();
      reader.allocs = [{ address: 'fd00::', prefix: 64 }];
      const o = obj(kind, { prefixes: ['fd00::/62'] });
      assert.equal(
        (await review(hooks, kind, request(kind, 'DELETE', undefined, o))).status?.message,
        DELETE_IN_USE_MESSAGE,
      );
      const skip = obj(kind, { prefixes: ['fd00::/62'] }, { [ANNOTATION_SKIP_VALIDATE_DELETE]: 'true' });
      assert.equal((await review(hooks, kind, request(kind, 'DELETE', undefined, skip))).allowed, true);
    });
  }
});

// The webhook configurations skip spec-unchanged UPDATEs (SPEC_CHANGE_MATCH_CONDITION in
// manifests.ts). That is safe only while both handlers answer such an update with a plain allow:
// no patch, no warning, no cluster read. If this test fails, revisit the match condition.
describe('spec-unchanged updates (never sent: the webhooks match CREATE, DELETE and spec changes)', () => {
  const specs: [PoolKind, Spec][] = [
    ['InClusterIPPool', { addresses: ['10.0.0.1-10.0.0.9'], prefix: 24 }],
    ['GlobalInClusterIPPool', { addresses: ['fd00::1-fd00::9'], prefix: 64 }],
    // As stored: the CRD schema defaults allocationPrefixLength to 64 (minimum 1).
    ['InClusterPrefixPool', { prefixes: ['fd00::/48'], allocationPrefixLength: 64 }],
    ['GlobalInClusterPrefixPool', { prefixes: ['fd00::/48'], allocationPrefixLength: 56 }],
  ];
  for (const [kind, spec] of specs) {
    it(`${kind}: both handlers answer a metadata-only update with a plain allow`, async () => {
      const { hooks, reader } = setup(true);
      reader.fail = true; // a cluster read would turn into a 500
      reader.others = [{ name: 'other', annotations: {}, spec }]; // an overlap would warn
      const update = request(
        kind,
        'UPDATE',
        obj(kind, { ...spec }, { [ANNOTATION_PENDING_ALLOCATIONS]: '[]' }),
        obj(kind, spec),
      );
      for (const type of ['validate', 'mutate'] as const) {
        assert.deepEqual(await review(hooks, kind, update, type), { uid: 'u-1', allowed: true }, type);
      }
    });
  }
});

describe('overlap detection (optional)', () => {
  it('is off by default', async () => {
    const { hooks, reader } = setup();
    reader.others = [{ name: 'other', annotations: {}, spec: { addresses: ['10.0.0.0/24'], prefix: 24 } }];
    const res = await review(
      hooks,
      'InClusterIPPool',
      request(
        'InClusterIPPool',
        'CREATE',
        obj('InClusterIPPool', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
      ),
    );
    assert.equal(res.warnings, undefined);
  });
  it('warns with both names and the overlapping range, unless either pool allows overlaps', async () => {
    const { hooks, reader } = setup(true);
    reader.others = [
      { name: 'other', annotations: {}, spec: { addresses: ['10.0.0.15-10.0.0.30'], prefix: 24 } },
      { name: 'disjoint', annotations: {}, spec: { addresses: ['10.0.1.0/24'], prefix: 24 } },
      {
        name: 'allowed',
        annotations: { [ANNOTATION_ALLOW_OVERLAP]: '' },
        spec: { addresses: ['10.0.0.0/24'], prefix: 24 },
      },
      { name: 'pool', annotations: {}, spec: { addresses: ['10.0.0.0/24'], prefix: 24 } },
    ];
    const res = await review(
      hooks,
      'InClusterIPPool',
      request(
        'InClusterIPPool',
        'CREATE',
        obj('InClusterIPPool', { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 }),
      ),
    );
    assert.equal(res.allowed, true);
    assert.deepEqual(res.warnings, [
      'InClusterIPPool "pool" overlaps InClusterIPPool "other" in [10.0.0.15-10.0.0.20]: both may hand out the same addresses (annotate a pool with ipam.cluster.x-k8s.io/allow-overlap if this is intended)',
    ]);
    const mine = await review(
      hooks,
      'InClusterIPPool',
      request(
        'InClusterIPPool',
        'CREATE',
        obj(
          'InClusterIPPool',
          { addresses: ['10.0.0.10-10.0.0.20'], prefix: 24 },
          { [ANNOTATION_ALLOW_OVERLAP]: '' },
        ),
      ),
    );
    assert.equal(mine.warnings, undefined);
  });
  it('works for prefix pools too', async () => {
    const { hooks, reader } = setup(true);
    reader.others = [{ name: 'b', annotations: {}, spec: { prefixes: ['fd00::/63'] } }];
    const res = await review(
      hooks,
      'GlobalInClusterPrefixPool',
      request(
        'GlobalInClusterPrefixPool',
        'CREATE',
        obj('GlobalInClusterPrefixPool', { prefixes: ['fd00::/64'] }),
      ),
    );
    assert.equal(res.warnings?.length, 1);
    assert.match(
      res.warnings[0] ?? '',
      /"pool" overlaps GlobalInClusterPrefixPool "b" in \[fd00::-fd00::ffff:ffff:ffff:ffff\]/,
    );
  });
});

describe('envelope', () => {
  it('rejects bodies that are not AdmissionReviews', () => {
    assert.equal(readAdmissionReview({ kind: 'Other' }).ok, false);
    assert.equal(
      readAdmissionReview({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v2', request: {} }).ok,
      false,
    );
    assert.equal(
      readAdmissionReview({ kind: 'AdmissionReview', apiVersion: 'admission.k8s.io/v1' }).ok,
      false,
    );
  });
});
