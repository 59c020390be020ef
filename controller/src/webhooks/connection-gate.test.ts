import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { connectionGate, type ConnectionLimits, type ConnectionRefusal } from './connection-gate.js';

/** A gate in front of a target that only records the sockets it is handed. */
async function gateOnLoopback(limits: ConnectionLimits) {
  const handed: Socket[] = [];
  const refused: ConnectionRefusal[] = [];
  const target: Server = createServer();
  target.on('connection', (socket: Socket) => handed.push(socket));
  const gate = connectionGate(target, limits, (reason) => refused.push(reason));
  gate.listen(0, '127.0.0.1');
  await once(gate, 'listening');
  return { gate, handed, refused, port: (gate.address() as AddressInfo).port };
}

/** Connects from `localAddress`; resolves with whether the server kept the connection for 100 ms. */
async function connectAndSee(port: number, localAddress: string, clients: Socket[]): Promise<boolean> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  clients.push(socket);
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  const closed = once(socket, 'close').then(() => false);
  const kept = new Promise<boolean>((resolve) =>
    setTimeout(() => {
      resolve(true);
    }, 100),
  );
  return Promise.race([closed, kept]);
}

describe('connectionGate', () => {
  const clients: Socket[] = [];
  let gate: Server | undefined;

  afterEach(async () => {
    for (const c of clients.splice(0)) c.destroy();
    if (gate !== undefined) await new Promise((resolve) => gate?.close(resolve));
    gate = undefined;
  });

  it('closes connections over the per-address limit and hands over the rest', async () => {
    const g = await gateOnLoopback({ maxConnections: 100, maxConnectionsPerPeer: 3 });
    gate = g.gate;
    const kept = [];
    for (let i = 0; i < 5; i++) kept.push(await connectAndSee(g.port, '127.0.0.1', clients));
    assert.deepEqual(kept, [true, true, true, false, false]);
    assert.equal(g.handed.length, 3);
    assert.deepEqual(g.refused, ['peer', 'peer']);
  });

  it('counts each address apart, and frees a slot when a connection closes', async () => {
    const g = await gateOnLoopback({ maxConnections: 100, maxConnectionsPerPeer: 2 });
    gate = g.gate;
    assert.equal(await connectAndSee(g.port, '127.0.0.1', clients), true);
    assert.equal(await connectAndSee(g.port, '127.0.0.1', clients), true);
    assert.equal(await connectAndSee(g.port, '127.0.0.1', clients), false);
    // Another address has its own two.
    assert.equal(await connectAndSee(g.port, '127.0.0.2', clients), true);
    assert.equal(await connectAndSee(g.port, '127.0.0.2', clients), true);
    // One of the first address's ends (on the server side, as the TLS server would end it): room again.
    const first = g.handed[0] as Socket;
    first.destroy();
    await once(first, 'close');
    assert.equal(await connectAndSee(g.port, '127.0.0.1', clients), true);
    assert.deepEqual(g.refused, ['peer']);
  });

  it('closes connections past the total, whatever their address', async () => {
    const g = await gateOnLoopback({ maxConnections: 4, maxConnectionsPerPeer: 3 });
    gate = g.gate;
    const kept = [];
    for (const from of ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.1'])
      kept.push(await connectAndSee(g.port, from, clients));
    assert.deepEqual(kept, [true, true, true, true, false, false]);
    assert.equal(g.handed.length, 4);
    assert.deepEqual(g.refused, ['total', 'total']);
  });
});
