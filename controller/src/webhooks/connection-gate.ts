// How many connections the webhook port holds. Every open TLS connection costs the process ~60 KB
// (HTTP/1.1) to ~70 KB (HTTP/2) of memory, idle or not, and the port is reachable from any pod: one
// client opening 4 000 connections took a process to 347 MiB in 3 s, past the chart's 256 MiB limit.
// The API server needs few: one HTTP/2 connection per instance, or up to ~60 over HTTP/1.1 in a
// burst (docs/performance.md). So the port accepts a bounded number in all, and fewer from any one
// address, so that one client cannot take every slot from the API server (docs/adr/0038).
//
// The gate is a plain TCP listener in front of the TLS server: a refused connection is closed before
// its TLS handshake costs anything, and the TLS server gets the rest by `emit('connection')`.
import { createServer, type Server, type Socket } from 'node:net';

export interface ConnectionLimits {
  /** Open connections in all; more are closed as they arrive. */
  readonly maxConnections: number;
  /** Open connections from one remote address. */
  readonly maxConnectionsPerPeer: number;
}

/**
 * 256 idle HTTP/2 connections hold ~22 MB, on top of the 217 MiB peak of the worst bodies the port
 * accepts (docs/performance.md): within the chart's 256 MiB limit. 64 from one address leaves an
 * HTTP/1.1 API server its ~60 in a burst.
 */
export const WEBHOOK_CONNECTION_LIMITS: ConnectionLimits = {
  maxConnections: 256,
  maxConnectionsPerPeer: 64,
};

export type ConnectionRefusal = 'total' | 'peer';

/**
 * A TCP listener that passes each connection it accepts to `target` (a TLS server that is not
 * listening itself), and closes those over the limits, telling `onRefused` why.
 */
export function connectionGate(
  target: Server,
  limits: ConnectionLimits,
  onRefused: (reason: ConnectionRefusal) => void = () => undefined,
): Server {
  const perPeer = new Map<string, number>();
  const gate = createServer((socket: Socket) => {
    const peer = socket.remoteAddress ?? '';
    const open = (perPeer.get(peer) ?? 0) + 1;
    if (open > limits.maxConnectionsPerPeer) {
      socket.destroy();
      onRefused('peer');
      return;
    }
    perPeer.set(peer, open);
    socket.once('close', () => {
      const left = (perPeer.get(peer) ?? 1) - 1;
      if (left === 0) perPeer.delete(peer);
      else perPeer.set(peer, left);
    });
    target.emit('connection', socket);
  });
  // Past this, node:net closes a connection before it is handed to the listener above.
  gate.maxConnections = limits.maxConnections;
  gate.on('drop', () => {
    onRefused('total');
  });
  return gate;
}
