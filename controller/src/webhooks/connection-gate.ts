// How many connections the webhook port holds. Every open TLS connection costs the process ~60 KB
// (HTTP/1.1) to ~70 KB (HTTP/2) of memory, idle or not, and the port is reachable from any pod: one
// client opening 4 000 connections took a process to 347 MiB in 3 s, past the chart's 256 MiB limit.
// The API server needs few: one HTTP/2 connection per instance, or up to ~60 over HTTP/1.1 in a
// burst (docs/performance.md). So the port holds a bounded number in all, and fewer from any one
// address, so that one client cannot take every slot from the API server (docs/adr/0038).
//
// When every slot is taken, a newcomer from an address holding at least two fewer than the largest
// holder gets that holder's newest connection: clients on many addresses cannot keep out one that
// holds few (the API server's HTTP/2 connection is one, and old). The connection is reset
// (`resetAndDestroy`): `destroy()` on this socket leaves an HTTP/2 connection up (Node 24).
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

/**
 * Why a connection was closed: on arrival, `peer` (its address holds its most) or `total` (every slot
 * taken, by addresses holding no more than one more than it would); `evicted` (the newest connection
 * of the largest holder, reset to let in an address holding fewer).
 */
export type ConnectionRefusal = 'total' | 'peer' | 'evicted';

/**
 * A TCP listener that passes each connection it accepts to `target` (a TLS server that is not
 * listening itself), and closes those over the limits, telling `onRefused` why.
 */
export function connectionGate(
  target: Server,
  limits: ConnectionLimits,
  onRefused: (reason: ConnectionRefusal) => void = () => undefined,
): Server {
  /** Open connections by remote address, oldest first. */
  const byPeer = new Map<string, Socket[]>();
  let open = 0;

  const forget = (peer: string, socket: Socket): void => {
    const held = byPeer.get(peer);
    const at = held?.indexOf(socket) ?? -1;
    if (held === undefined || at === -1) return;
    held.splice(at, 1);
    if (held.length === 0) byPeer.delete(peer);
    open--;
  };

  /** The newest connection of the address holding the most, when it holds two more than `than`. */
  const evictable = (than: number): { peer: string; socket: Socket } | undefined => {
    let largest: { peer: string; held: Socket[] } | undefined;
    for (const [peer, held] of byPeer)
      if (held.length > (largest?.held.length ?? 0)) largest = { peer, held };
    const socket = largest?.held[largest.held.length - 1];
    if (largest === undefined || socket === undefined || largest.held.length < than + 2) return undefined;
    return { peer: largest.peer, socket };
  };

  return createServer((socket: Socket) => {
    const peer = socket.remoteAddress ?? '';
    const held = byPeer.get(peer)?.length ?? 0;
    if (held >= limits.maxConnectionsPerPeer) {
      socket.destroy();
      onRefused('peer');
      return;
    }
    if (open >= limits.maxConnections) {
      const victim = evictable(held);
      if (victim === undefined) {
        socket.destroy();
        onRefused('total');
        return;
      }
      forget(victim.peer, victim.socket);
      victim.socket.resetAndDestroy();
      onRefused('evicted');
    }
    const list = byPeer.get(peer) ?? [];
    list.push(socket);
    byPeer.set(peer, list);
    open++;
    socket.once('close', () => {
      forget(peer, socket);
    });
    target.emit('connection', socket);
  });
}
