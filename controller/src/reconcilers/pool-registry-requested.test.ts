import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ANNOTATION_REQUESTED_ADDRESS,
  ClaimReadyReason,
  requestedAddress,
  type RequestedAddress,
  type TypedPoolSpec,
} from '@ipam-in-cluster/api';
import { PoolRegistry, type AllocationResult } from './pool-registry.js';
import { setPoolSpec } from './pool-registry.test-helper.js';

const P = 'InClusterIPPool/default/p';
const ipPool = (addresses: string[], extra: Partial<TypedPoolSpec['spec']> = {}): TypedPoolSpec => ({
  type: 'ip',
  spec: { addresses, prefix: 24, ...extra },
});
const want = (address: string): RequestedAddress =>
  requestedAddress({ [ANNOTATION_REQUESTED_ADDRESS]: address }, 'ip');

function registry(addresses: string[], extra: Partial<TypedPoolSpec['spec']> = {}): PoolRegistry {
  const r = new PoolRegistry();
  assert.ok(setPoolSpec(r, P, ipPool(addresses, extra)).ok);
  return r;
}

/** Allocates and confirms (the IPAddress was created); returns the address. */
async function take(r: PoolRegistry, key: string, request?: RequestedAddress): Promise<string> {
  const res = await r.allocate(P, key, request);
  assert.ok(res.ok, res.ok ? '' : `${key}: ${res.reason}: ${res.message}`);
  res.reservation.confirm();
  return res.reservation.address;
}

function refused(res: AllocationResult): { reason: string; message: string } {
  assert.ok(!res.ok, `expected a refusal, got ${res.ok ? res.reservation.address : ''}`);
  return { reason: res.reason, message: res.message };
}

describe('PoolRegistry requested addresses', () => {
  it('hands out exactly the requested address, in any textual form, and plain claims go around it', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/r', want(' 10.0.0.15')), '10.0.0.15');
    const v6 = new PoolRegistry();
    assert.ok(setPoolSpec(v6, P, { type: 'ip', spec: { addresses: ['fd00::/120'], prefix: 120 } }).ok);
    assert.equal(await take(v6, 'default/r6', want('FD00:0:0::00A')), 'fd00::a');
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    assert.deepEqual(r.holding(P, 'default/r'), { address: '10.0.0.15', prefix: 24, state: 'created' });
  });

  it('refuses an address a reservation holds, naming the reservation, and allocates it once it lapses', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    const holder = 'IPAddressReservation default/lb';
    r.holdReservation(P, holder, ['10.0.0.12']);
    assert.deepEqual(refused(await r.allocate(P, 'default/r', want('10.0.0.12'))), {
      reason: ClaimReadyReason.RequestedAddressTaken,
      message: `requested address 10.0.0.12 is taken by ${holder} in InClusterIPPool default/p`,
    });
    r.releaseReservation(holder);
    assert.equal(await take(r, 'default/r', want('10.0.0.12')), '10.0.0.12');
  });

  it('refuses an address another claim holds, naming it, and allocates it once that claim is gone', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    assert.deepEqual(refused(await r.allocate(P, 'default/r', want('10.0.0.10'))), {
      reason: ClaimReadyReason.RequestedAddressTaken,
      message:
        'requested address 10.0.0.10 is taken by IPAddressClaim default/a in InClusterIPPool default/p',
    });
    r.release(P, 'default/a');
    assert.equal(await take(r, 'default/r', want('10.0.0.10')), '10.0.0.10');
  });

  it('matches an IPAddress written in another textual form: requests, heldBy, check and counts', async () => {
    const v6 = new PoolRegistry();
    assert.ok(setPoolSpec(v6, P, { type: 'ip', spec: { addresses: ['fd00::/120'], prefix: 120 } }).ok);
    // Adopted IPAddresses are not necessarily canonical; the registry compares canonical text.
    v6.hold(P, 'default/adopted', 'FD00:0:0::000A', 120);
    v6.hold(P, 'default/broken', 'not-an-address', 120);
    assert.deepEqual(refused(await v6.allocate(P, 'default/r', want('fd00::a'))), {
      reason: ClaimReadyReason.RequestedAddressTaken,
      message:
        'requested address fd00::a is taken by IPAddressClaim default/adopted in InClusterIPPool default/p',
    });
    assert.deepEqual(v6.heldBy(P, 'fd00:0::a'), ['default/adopted']);
    assert.deepEqual(v6.check(P, 'default/other', 'fd00::0a', 120)?.alsoHeldBy, ['default/adopted']);
    assert.deepEqual(v6.check(P, 'default/other', 'not-an-address', 120)?.alsoHeldBy, ['default/broken']);
    assert.deepEqual(v6.counts(P)?.invalid, ['default/broken']);
    // Released, the address is free again under its canonical form.
    v6.release(P, 'default/adopted');
    assert.equal(await take(v6, 'default/r', want('fd00::a')), 'fd00::a');
  });

  it('names the holder the registry records: a claim other than the IPAddress name, or any holding', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    r.hold(P, 'default/addr-x', '10.0.0.11', 24, 'IPAddressClaim default/x (IPAddress default/addr-x)');
    r.hold(P, 'reservation:ns/lb', '10.0.0.12', undefined, 'IPAddressReservation ns/lb');
    assert.match(
      refused(await r.allocate(P, 'default/r', want('10.0.0.11'))).message,
      /taken by IPAddressClaim default\/x \(IPAddress default\/addr-x\) in/,
    );
    assert.match(
      refused(await r.allocate(P, 'default/r', want('10.0.0.12'))).message,
      /taken by IPAddressReservation ns\/lb in/,
    );
    r.hold(P, 'default/dup', '10.0.0.12', 24);
    assert.match(
      refused(await r.allocate(P, 'default/r', want('10.0.0.12'))).message,
      /taken by IPAddressClaim default\/dup, IPAddressReservation ns\/lb in/,
    );
  });

  it('refuses excluded, gateway, reserved and outside addresses with their reasons, and never falls back', async () => {
    const r = registry(['10.0.0.0/24'], { gateway: '10.0.0.1', excludedAddresses: ['10.0.0.50'] });
    const cases: [string, string][] = [
      ['10.0.0.50', ClaimReadyReason.RequestedAddressExcluded],
      ['10.0.0.1', ClaimReadyReason.RequestedAddressIsGateway],
      ['10.0.0.0', ClaimReadyReason.RequestedAddressReserved],
      ['10.0.0.255', ClaimReadyReason.RequestedAddressReserved],
      ['10.9.0.1', ClaimReadyReason.RequestedAddressNotInPool],
    ];
    for (const [a, reason] of cases)
      assert.equal(refused(await r.allocate(P, 'default/r', want(a))).reason, reason, a);
    const bad = refused(await r.allocate(P, 'default/r', want('nope')));
    assert.equal(bad.reason, ClaimReadyReason.RequestedAddressInvalid);
    assert.equal(r.counts(P)?.used, 0n, 'nothing was held for a refused request');
  });

  it('keeps the address an allocated claim holds when its request changes (no re-allocation)', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    const again = await r.allocate(P, 'default/a', want('10.0.0.15'));
    assert.ok(again.ok);
    assert.deepEqual([again.reservation.address, again.reservation.existing], ['10.0.0.10', true]);
  });

  it('two claims requesting one address: exactly one gets it, the other names it', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    const [first, second] = await Promise.all([
      r.allocate(P, 'default/one', want('10.0.0.12')),
      r.allocate(P, 'default/two', want('10.0.0.12')),
    ]);
    assert.ok(first.ok);
    assert.match(refused(second).message, /taken by IPAddressClaim default\/one/);
  });

  it('a plain claim arriving after a waiting request does not take the requested address once freed', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    refused(await r.allocate(P, 'default/r', want('10.0.0.10')));
    r.release(P, 'default/a'); // 10.0.0.10 is the lowest free address again
    assert.equal(await take(r, 'default/later'), '10.0.0.11', 'skips the address default/r waits for');
    assert.equal(await take(r, 'default/r', want('10.0.0.10')), '10.0.0.10');
    r.release(P, 'default/later');
    assert.equal(await take(r, 'default/next'), '10.0.0.11', 'served requests no longer hold anything back');
  });

  it('a plain claim waiting before the request gets the freed lowest address (arrival order)', async () => {
    const r = registry(['10.0.0.10-10.0.0.11']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    assert.equal(await take(r, 'default/b'), '10.0.0.11');
    assert.equal(
      refused(await r.allocate(P, 'default/plain', undefined)).reason,
      ClaimReadyReason.PoolExhausted,
    );
    refused(await r.allocate(P, 'default/r', want('10.0.0.10')));
    r.release(P, 'default/a');
    assert.equal(await take(r, 'default/plain'), '10.0.0.10');
    assert.match(
      refused(await r.allocate(P, 'default/r', want('10.0.0.10'))).message,
      /taken by IPAddressClaim default\/plain/,
    );
  });

  it('a request yields to an earlier claim waiting for the same address', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    refused(await r.allocate(P, 'default/r1', want('10.0.0.10')));
    refused(await r.allocate(P, 'default/r2', want('10.0.0.10')));
    r.release(P, 'default/a');
    assert.match(
      refused(await r.allocate(P, 'default/r2', want('10.0.0.10'))).message,
      /requested by IPAddressClaim default\/r1, which asked first/,
    );
    assert.equal(await take(r, 'default/r1', want('10.0.0.10')), '10.0.0.10');
  });

  it('says which requests hold a full pool back, and forgets a request whose claim is gone', async () => {
    const r = registry(['10.0.0.10-10.0.0.11']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    refused(await r.allocate(P, 'default/r', want('10.0.0.10')));
    assert.equal(await take(r, 'default/b'), '10.0.0.11');
    r.release(P, 'default/a');
    assert.match(
      refused(await r.allocate(P, 'default/c')).message,
      /has no free address that no earlier claim is waiting for \(requested: 10\.0\.0\.10\)/,
    );
    r.cancelReservations('default/r');
    assert.equal(await take(r, 'default/c'), '10.0.0.10');
  });

  it('refuses a request on a prefix pool', async () => {
    const r = new PoolRegistry();
    const key = 'InClusterPrefixPool/default/pp';
    assert.ok(
      setPoolSpec(r, key, { type: 'prefix', spec: { prefixes: ['fd00::/48'], allocationPrefixLength: 64 } })
        .ok,
    );
    const res = await r.allocate(
      key,
      'default/r',
      requestedAddress({ [ANNOTATION_REQUESTED_ADDRESS]: 'fd00::' }, 'prefix'),
    );
    assert.equal(refused(res).reason, ClaimReadyReason.RequestedAddressUnsupported);
    const direct = await r.allocate(key, 'default/r', want('fd00::'));
    assert.equal(refused(direct).reason, ClaimReadyReason.RequestedAddressUnsupported);
  });

  it('peekFree: the next addresses allocations would hand out, in order, around held, reserved and requested ones, holding nothing', async () => {
    const r = registry(['10.0.0.10-10.0.0.20']);
    assert.equal(await take(r, 'default/a'), '10.0.0.10');
    const inProgress = await r.allocate(P, 'default/b');
    assert.ok(inProgress.ok);
    r.holdReservation(P, 'IPAddressReservation default/lb', ['10.0.0.13']);
    // 10.0.0.15 is reserved, and a claim that asked for it waits in the pool's queue.
    r.holdReservation(P, 'IPAddressReservation default/vip', ['10.0.0.15']);
    refused(await r.allocate(P, 'default/wants-15', want('10.0.0.15')));
    assert.deepEqual(r.peekFree(P, 4), ['10.0.0.12', '10.0.0.14', '10.0.0.16', '10.0.0.17']);
    assert.deepEqual(r.peekFree(P, 4), ['10.0.0.12', '10.0.0.14', '10.0.0.16', '10.0.0.17'], 'nothing held');
    assert.equal(await take(r, 'default/c'), '10.0.0.12', 'the first peeked is the next allocation');
    assert.deepEqual(r.peekFree(P, 100).length, 6, 'as many as there are');
    assert.deepEqual(r.peekFree('InClusterIPPool/default/missing', 4), []);
  });
});
