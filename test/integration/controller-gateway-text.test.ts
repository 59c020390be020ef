// IPAddress spec.gateway is the pool's gateway as written, as upstream copies it (issue 20, part 4;
// docs/adr/0015-gateway-text.md): upper-case hex and zones are kept; only a text the IPAddress
// schema cannot take (over 39 characters) is written in canonical form.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { PoolKind } from '@ipam-in-cluster/api';
import {
  Fixture,
  Ipam,
  startTestController,
  uniqueWatchFilter,
  type TestController,
  openFixture,
} from '../support/controller.js';

const watchFilter = uniqueWatchFilter('gateway');
let ctl: TestController;
let ipam: Ipam;
let fx: Fixture;

async function gatewayOf(
  kind: PoolKind,
  spec: Parameters<Ipam['createPool']>[3],
): Promise<string | undefined> {
  const ns = await fx.namespace('gw');
  await ipam.createPool(kind, 'p', ns, spec);
  await ipam.createClaim('c', ns, { kind, name: 'p' });
  return (await ipam.waitForAddress(ns, 'c')).spec.gateway;
}

describe('controller: the gateway text of IPAddresses', () => {
  before(async () => {
    ({ ipam, fx } = await openFixture(watchFilter));
    ctl = await startTestController({ watchFilter });
  });

  after(async () => {
    await ctl.stop();
    await fx.teardown();
  });

  it('copies the pool gateway verbatim: upper case and zones kept', async () => {
    assert.equal(
      await gatewayOf('InClusterIPPool', {
        addresses: ['fd00::10-fd00::20'],
        prefix: 64,
        gateway: 'FD00::1',
      }),
      'FD00::1',
    );
    assert.equal(
      await gatewayOf('InClusterIPPool', {
        addresses: ['fe80::10-fe80::20'],
        prefix: 64,
        gateway: 'fe80::1%eth0',
      }),
      'fe80::1%eth0',
    );
    assert.equal(
      await gatewayOf('InClusterPrefixPool', { prefixes: ['fd00::/62'], gateway: 'FD10::0001' }),
      'FD10::0001',
    );
  });

  it('writes a gateway longer than the IPAddress schema allows (39) in canonical form', async () => {
    const long = 'fe80:0000:0000:0000:0000:0000:0000:0001%eth0'; // 44 characters
    assert.equal(
      await gatewayOf('InClusterIPPool', { addresses: ['fe80::10-fe80::20'], prefix: 64, gateway: long }),
      'fe80::1',
    );
  });
});
