// Requested addresses (issue 19.2, docs/adr/0029-requested-addresses.md) against the real API server
// with the controller in-process: the ipam-in-cluster.dev/requested-address annotation gets exactly
// that address or Ready=False with a reason naming why, one Warning Event, and no IPAddress; a taken
// address is allocated once its holder goes; creation order holds for the plain claims around it.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ANNOTATION_PAUSED, ANNOTATION_REQUESTED_ADDRESS, ClaimReadyReason } from '@ipam-in-cluster/api';
import { testCluster } from '../support/cluster.js';
import { useControllerPlane } from '../support/controller.js';
import { runPlugin } from '../support/kubectl-ipam.js';
import { ensurePluginBuilt } from '../support/plugin-build.js';
import { staysFalse, waitFor } from '../support/wait.js';

const plane = useControllerPlane('requested');
const IP = 'InClusterIPPool';
const TIMEOUT = 30_000;

const asking = (address: string) => ({ annotations: { [ANNOTATION_REQUESTED_ADDRESS]: address } });

async function claim(ns: string, name: string, pool: string, address?: string): Promise<void> {
  await plane.ipam.createClaim(
    name,
    ns,
    { kind: IP, name: pool },
    address === undefined ? {} : asking(address),
  );
}

async function addressOf(ns: string, name: string): Promise<string> {
  return (await plane.ipam.waitForAddress(ns, name, TIMEOUT)).spec.address;
}

/** Times the controller emitted a Warning Event with this reason on the claim (folded repeats count). */
async function warnings(ns: string, name: string, reason: string): Promise<number> {
  const list = await plane.ipam.client
    .events()
    .list({ namespace: ns, fieldSelector: `involvedObject.name=${name}` });
  return list.items
    .filter((e) => e.type === 'Warning' && e.reason === reason)
    .reduce((n, e) => n + (e.count ?? 1), 0);
}

/** Ready=False with `reason` (message returned), a Warning Event with it, and no IPAddress. */
async function refused(ns: string, name: string, reason: string): Promise<string> {
  const cond = await plane.ipam.waitForClaimReason(ns, name, reason, TIMEOUT);
  assert.equal(cond.status, 'False');
  await waitFor(async () => (await warnings(ns, name, reason)) > 0, {
    what: `Warning Event ${reason} on claim ${name}`,
    timeoutMs: TIMEOUT,
  });
  assert.equal(await plane.ipam.findAddress(ns, name), undefined, `no IPAddress for ${name}`);
  return cond.message;
}

async function poolReady(ns: string, name: string): Promise<void> {
  await waitFor(
    async () =>
      (await plane.ipam.pools(IP).find({ namespace: ns, name }))?.status?.conditions?.some(
        (c) => c.type === 'Ready' && c.status === 'True',
      ),
    { what: `pool ${name} Ready`, timeoutMs: TIMEOUT },
  );
}

describe('controller: requested addresses', () => {
  it('allocates exactly a free requested address (any textual form), not the lowest free one', async () => {
    const ns = await plane.fx.namespace('req-free');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.60.0.10-10.60.0.20'], prefix: 24 });
    await claim(ns, 'wants-15', 'p', ' 10.60.0.15');
    assert.equal(await addressOf(ns, 'wants-15'), '10.60.0.15');
    // The status patch follows the IPAddress create: wait for it rather than read it once.
    const cond = await plane.ipam.waitForClaimReason(ns, 'wants-15', ClaimReadyReason.Allocated, TIMEOUT);
    assert.equal(cond.status, 'True');
    await claim(ns, 'plain', 'p');
    assert.equal(await addressOf(ns, 'plain'), '10.60.0.10');
  });

  it('refuses excluded, gateway, network, outside and malformed requests with their reason and an Event', async () => {
    const ns = await plane.fx.namespace('req-refused');
    await plane.ipam.createPool(IP, 'p', ns, {
      addresses: ['10.61.0.0/24'],
      excludedAddresses: ['10.61.0.100-10.61.0.110'],
      gateway: '10.61.0.1',
      prefix: 24,
    });
    const cases: [string, string, RegExp][] = [
      [
        'excluded',
        '10.61.0.105',
        /excluded by spec\.excludedAddresses\[0\] \(10\.61\.0\.100-10\.61\.0\.110\)/,
      ],
      ['gateway', '10.61.0.1', /is the gateway \(spec\.gateway\)/],
      ['network', '10.61.0.0', /network address of 10\.61\.0\.0\/24/],
      ['outside', '10.62.0.5', /is not in InClusterIPPool .*\/p: not inside any spec\.addresses entry/],
      [
        'malformed',
        '10.61.0.0/24',
        /annotation ipam-in-cluster\.dev\/requested-address="10\.61\.0\.0\/24" is not one IP address/,
      ],
    ];
    const reasons: Record<string, string> = {
      excluded: ClaimReadyReason.RequestedAddressExcluded,
      gateway: ClaimReadyReason.RequestedAddressIsGateway,
      network: ClaimReadyReason.RequestedAddressReserved,
      outside: ClaimReadyReason.RequestedAddressNotInPool,
      malformed: ClaimReadyReason.RequestedAddressInvalid,
    };
    for (const [name, address] of cases) await claim(ns, name, 'p', address);
    for (const [name, , message] of cases)
      assert.match(await refused(ns, name, reasons[name] ?? ''), message);
    // Never a silent fallback: a plain claim gets the lowest address, nothing else was handed out.
    await claim(ns, 'plain', 'p');
    assert.equal(await addressOf(ns, 'plain'), '10.61.0.2');
    assert.deepEqual(
      (await plane.ipam.listAddresses(ns)).map((a) => a.metadata.name),
      ['plain'],
    );

    // Another malformed value: the message follows, the Warning is not repeated; a valid one allocates.
    await plane.ipam.claims.mergePatch({ namespace: ns, name: 'malformed' }, { metadata: asking('ten') });
    await waitFor(
      async () => (await plane.ipam.claimCondition(ns, 'malformed', 'Ready'))?.message.includes('"ten"'),
      { what: 'the Ready message to name the new value', timeoutMs: TIMEOUT },
    );
    assert.equal(await warnings(ns, 'malformed', ClaimReadyReason.RequestedAddressInvalid), 1);
    await plane.ipam.claims.mergePatch(
      { namespace: ns, name: 'malformed' },
      { metadata: asking('10.61.0.50') },
    );
    assert.equal(await addressOf(ns, 'malformed'), '10.61.0.50');

    // The pool edited so the excluded address is allocatable: the waiting claim is retried and gets it.
    await plane.ipam.pools(IP).mergePatch({ namespace: ns, name: 'p' }, { spec: { excludedAddresses: [] } });
    assert.equal(await addressOf(ns, 'excluded'), '10.61.0.105');
  });

  it('names the claim holding a taken address, allocates it once that claim is deleted, and keeps plain claims off it', async () => {
    const ns = await plane.fx.namespace('req-taken');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.63.0.1-10.63.0.20'], prefix: 24 });
    await claim(ns, 'holder', 'p');
    assert.equal(await addressOf(ns, 'holder'), '10.63.0.1');
    await claim(ns, 'wants-1', 'p', '10.63.0.1');
    const message = await refused(ns, 'wants-1', ClaimReadyReason.RequestedAddressTaken);
    assert.match(
      message,
      new RegExp(`requested address 10\\.63\\.0\\.1 is taken by IPAddressClaim ${ns}/holder in`),
    );

    // Paused, the waiting claim is not reconciled but keeps its place: the freed address is not
    // handed to a plain claim that arrives meanwhile, and goes to it once the pause is lifted.
    const pause = (value: string | null) =>
      plane.ipam.claims.mergePatch(
        { namespace: ns, name: 'wants-1' },
        { metadata: { annotations: { [ANNOTATION_PAUSED]: value } } },
      );
    await pause('');
    await waitFor(async () => (await plane.ipam.claimCondition(ns, 'wants-1', 'Paused'))?.status === 'True', {
      what: 'claim wants-1 Paused',
      timeoutMs: TIMEOUT,
    });
    await plane.ipam.claims.delete({ namespace: ns, name: 'holder' });
    await waitFor(async () => (await plane.ipam.findAddress(ns, 'holder')) === undefined, {
      what: 'IPAddress holder to be released',
      timeoutMs: TIMEOUT,
    });
    await claim(ns, 'after', 'p');
    assert.equal(await addressOf(ns, 'after'), '10.63.0.2');
    await pause(null);
    assert.equal(await addressOf(ns, 'wants-1'), '10.63.0.1');
    // The status patch follows the IPAddress create: wait for it rather than read it once.
    const cond = await plane.ipam.waitForClaimReason(ns, 'wants-1', ClaimReadyReason.Allocated, TIMEOUT);
    assert.equal(cond.status, 'True');
  });

  it('two claims requesting one address: exactly one gets it, the other names it', async () => {
    const ns = await plane.fx.namespace('req-twice');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.64.0.1-10.64.0.20'], prefix: 24 });
    await poolReady(ns, 'p');
    await Promise.all([claim(ns, 'one', 'p', '10.64.0.7'), claim(ns, 'two', 'p', '10.64.0.7')]);
    const winner = await waitFor(
      async () => {
        const [a, b] = await Promise.all([
          plane.ipam.findAddress(ns, 'one'),
          plane.ipam.findAddress(ns, 'two'),
        ]);
        return a?.metadata.name ?? b?.metadata.name;
      },
      { what: 'an IPAddress for one of the two claims', timeoutMs: TIMEOUT },
    );
    const loser = winner === 'one' ? 'two' : 'one';
    assert.match(
      await refused(ns, loser, ClaimReadyReason.RequestedAddressTaken),
      new RegExp(`taken by IPAddressClaim ${ns}/${winner} in`),
    );
    const addresses = await plane.ipam.listAddresses(ns);
    assert.deepEqual(
      addresses.map((a) => [a.metadata.name, a.spec.address]),
      [[winner, '10.64.0.7']],
    );
  });

  it('requested and plain claims created back to back: plain ones in creation order, no duplicates', async () => {
    const ns = await plane.fx.namespace('req-mix');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.65.0.1-10.65.0.50'], prefix: 24 });
    await poolReady(ns, 'p');
    // p0 takes .1; r1 asks for .3; p2 gets .2; r3 asks for .1, which the earlier p0 has; p4 gets .4
    // (.3 is r1's); r5 asks for .10; p6 gets .5.
    const order: [string, string | undefined][] = [
      ['p0', undefined],
      ['r1', '10.65.0.3'],
      ['p2', undefined],
      ['r3', '10.65.0.1'],
      ['p4', undefined],
      ['r5', '10.65.0.10'],
      ['p6', undefined],
    ];
    for (const [name, address] of order) await claim(ns, name, 'p', address);
    const expected: Record<string, string> = {
      p0: '10.65.0.1',
      r1: '10.65.0.3',
      p2: '10.65.0.2',
      p4: '10.65.0.4',
      r5: '10.65.0.10',
      p6: '10.65.0.5',
    };
    const got: Record<string, string> = {};
    for (const name of Object.keys(expected)) got[name] = await addressOf(ns, name);
    assert.deepEqual(got, expected);
    assert.match(
      await refused(ns, 'r3', ClaimReadyReason.RequestedAddressTaken),
      new RegExp(`taken by IPAddressClaim ${ns}/p0 in`),
    );
    const all = (await plane.ipam.listAddresses(ns)).map((a) => a.spec.address);
    assert.equal(new Set(all).size, all.length, `duplicates in ${all.join(' ')}`);
  });

  it('keeps an allocated address when the annotation is added afterwards (no re-allocation)', async () => {
    const ns = await plane.fx.namespace('req-late');
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.66.0.1-10.66.0.20'], prefix: 24 });
    await claim(ns, 'c', 'p');
    assert.equal(await addressOf(ns, 'c'), '10.66.0.1');
    await plane.ipam.claims.mergePatch({ namespace: ns, name: 'c' }, { metadata: asking('10.66.0.9') });
    await staysFalse(
      async () => {
        const list = await plane.ipam.listAddresses(ns);
        return list.length !== 1 || list[0]?.spec.address !== '10.66.0.1';
      },
      3_000,
      'a second or changed IPAddress',
    );
    const cond = await plane.ipam.claimCondition(ns, 'c', 'Ready');
    assert.deepEqual([cond?.status, cond?.reason], ['True', ClaimReadyReason.Allocated]);
  });

  it('kubectl ipam explain claim shows the request: taken by whom, held, or set after the allocation', async () => {
    ensurePluginBuilt();
    const { kubeconfigPath } = await testCluster();
    const ns = await plane.fx.namespace('req-explain');
    const explain = (name: string, ...extra: string[]) =>
      runPlugin(kubeconfigPath, ['explain', '-n', ns, 'claim', name, ...extra]);
    await plane.ipam.createPool(IP, 'p', ns, { addresses: ['10.67.0.1-10.67.0.20'], prefix: 24 });
    await claim(ns, 'holder', 'p');
    assert.equal(await addressOf(ns, 'holder'), '10.67.0.1');
    await claim(ns, 'wants', 'p', '10.67.0.1');
    await claim(ns, 'got', 'p', '10.67.0.9');
    await refused(ns, 'wants', ClaimReadyReason.RequestedAddressTaken);
    assert.equal(await addressOf(ns, 'got'), '10.67.0.9');
    await plane.ipam.claims.mergePatch({ namespace: ns, name: 'holder' }, { metadata: asking('10.67.0.5') });

    const wants = await explain('wants');
    assert.equal(wants.code, 0, wants.stderr);
    assert.match(
      wants.stdout,
      new RegExp(
        `is pending: condition Ready=False RequestedAddressTaken: requested address 10\\.67\\.0\\.1 is taken by IPAddressClaim ${ns}/holder`,
      ),
    );
    // The plugin's own check says the same as the controller's condition: printed once.
    assert.equal(wants.stdout.split('is taken by').length, 2, wants.stdout);
    const json = await explain('wants', '-o', 'json');
    const doc = JSON.parse(json.stdout) as { requested: { state: string; reason: string; address: string } };
    assert.deepEqual(
      [doc.requested.state, doc.requested.reason, doc.requested.address],
      ['refused', ClaimReadyReason.RequestedAddressTaken, '10.67.0.1'],
    );
    const got = await explain('got');
    assert.match(got.stdout, /holds 10\.67\.0\.9\/24 .*\n\s+why this address: the claim requested it/);
    const holder = await explain('holder');
    assert.match(
      holder.stdout,
      /requested address \(.*\): 10\.67\.0\.5, but the claim holds 10\.67\.0\.1: the annotation came after the allocation/,
    );
  });
});
