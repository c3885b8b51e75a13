/**
 * A TCP proxy between a client and a server on a free loopback port, for network faults that
 * `tc netem` would give (it is not available on these machines): reset, blackhole, delay, refuse.
 *
 * Faults act on the proxy's own sockets: `reset` sends RST to both sides; `blackhole` stops reading
 * both sides (data waits in the kernel, as in a partition where TCP keeps retransmitting, and flows
 * again after `heal`); `delay` holds every chunk in both directions; `refuse` closes the listener.
 */
import { createServer, connect, type Socket, type Server } from 'node:net';

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Connections currently open through the proxy. */
  connections(): number;
  /** Destroy every open connection with a TCP RST on both sides (the client sees ECONNRESET). */
  reset(): void;
  /** Stop forwarding, keep the sockets open; new connections are accepted but get no answer. */
  blackhole(): void;
  /** Delay forwarding in both directions by `ms` (order kept); 0 turns it off. */
  delay(ms: number): void;
  /** Close the listener: new connections are refused (ECONNREFUSED); open ones keep working. */
  refuse(): Promise<void>;
  /**
   * Answer new connections one at a time, `ms` apart (the server's side of each is held until its
   * turn), as a server slow to accept: a postmaster forking backends under load. 0 turns it off.
   */
  acceptEvery(ms: number): void;
  /** Undo blackhole, delay and refuse. */
  heal(): Promise<void>;
  /** Close the listener and every connection. */
  close(): Promise<void>;
}

interface Pair {
  readonly client: Socket;
  readonly server: Socket;
}

async function listen(srv: Server, port: number): Promise<number> {
  return await new Promise((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(port, '127.0.0.1', () => {
      srv.off('error', reject);
      const a = srv.address();
      resolve(typeof a === 'object' && a !== null ? a.port : port);
    });
  });
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<Pair>();
  let delayMs = 0;
  let blackholed = false;
  let listening = false;
  let acceptEveryMs = 0;
  let nextTurnAt = 0;

  /** Forward `from` → `to`, honouring the delay; release times only grow, so order is kept. */
  const forward = (from: Socket, to: Socket): void => {
    let releaseAt = 0;
    from.on('data', (chunk: Buffer) => {
      if (delayMs === 0 && releaseAt <= Date.now()) {
        if (!to.destroyed) to.write(chunk);
        return;
      }
      releaseAt = Math.max(releaseAt, Date.now() + delayMs);
      setTimeout(() => {
        if (!to.destroyed) to.write(chunk);
      }, releaseAt - Date.now());
    });
    from.on('end', () => {
      // After any chunk still held back by the delay.
      const wait = releaseAt - Date.now();
      if (wait <= 0) to.end();
      else setTimeout(() => to.end(), wait);
    });
  };

  const server = createServer((client) => {
    const upstream = connect({ host: target.host, port: target.port });
    // Forward every chunk as it comes: Nagle's algorithm on the proxy's own sockets would hold small
    // writes back for the peer's delayed ACK (~40 ms), which no real network path adds.
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const pair = { client, server: upstream };
    pairs.add(pair);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
    forward(client, upstream);
    forward(upstream, client);
    if (blackholed) {
      client.pause();
      upstream.pause();
    }
    if (acceptEveryMs > 0) {
      upstream.pause();
      nextTurnAt = Math.max(nextTurnAt, Date.now()) + acceptEveryMs;
      setTimeout(() => {
        if (!blackholed) upstream.resume();
      }, nextTurnAt - Date.now());
    }
  });
  const port = await listen(server, 0);
  listening = true;

  const setPaused = (paused: boolean): void => {
    for (const p of pairs) {
      if (paused) {
        p.client.pause();
        p.server.pause();
      } else {
        p.client.resume();
        p.server.resume();
      }
    }
  };
  const closeListener = async (): Promise<void> => {
    if (!listening) return;
    listening = false;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };

  return {
    host: '127.0.0.1',
    port,
    connections: () => pairs.size,
    reset() {
      for (const p of pairs) {
        p.client.resetAndDestroy();
        p.server.resetAndDestroy();
      }
      pairs.clear();
    },
    blackhole() {
      blackholed = true;
      setPaused(true);
    },
    delay(ms) {
      delayMs = Math.max(0, ms);
    },
    acceptEvery(ms) {
      acceptEveryMs = Math.max(0, ms);
    },
    async refuse() {
      // server.close() waits for open connections before its callback: do not wait for that here.
      listening = false;
      server.close();
      await new Promise((r) => setImmediate(r));
    },
    async heal() {
      blackholed = false;
      delayMs = 0;
      setPaused(false);
      if (!listening) {
        await listen(server, port);
        listening = true;
      }
    },
    async close() {
      for (const p of pairs) {
        p.client.destroy();
        p.server.destroy();
      }
      pairs.clear();
      await closeListener();
    },
  };
}
