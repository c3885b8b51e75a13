/**
 * A stand-in PostgreSQL server for the worker's warm-up (jit-warmup.ts): it listens on loopback in
 * the worker's own thread and answers every request at once, so that the warm-up's sessions run the
 * real socket path (Node's net code, the session's read side) without touching the real server.
 *
 * It speaks just enough of the protocol for pgsurge's own sessions: trust authentication; Parse →
 * ParseComplete, Bind → BindComplete, Describe → NoData, Execute → one DataRow ("1") and
 * CommandComplete, Sync → ReadyForQuery, Query → one DataRow, CommandComplete and ReadyForQuery,
 * Terminate → close. It has no catalogue: a statement that wants named columns (\gset) fails on it,
 * and the warm-up then simply ends early.
 */
import net from 'node:net';

function msg(type: string, body: Buffer): Buffer {
  const b = Buffer.allocUnsafe(5 + body.length);
  b.write(type, 0, 'latin1');
  b.writeInt32BE(4 + body.length, 1);
  body.copy(b, 5);
  return b;
}
const int32 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(4);
  b.writeInt32BE(n, 0);
  return b;
};
const cstr = (s: string): Buffer => Buffer.from(`${s}\0`, 'latin1');

const AUTH_OK = msg('R', int32(0));
const HELLO = Buffer.concat([
  AUTH_OK,
  msg('S', Buffer.concat([cstr('server_version'), cstr('17.0')])),
  msg('S', Buffer.concat([cstr('client_encoding'), cstr('UTF8')])),
  msg('K', Buffer.concat([int32(0), int32(0)])),
  msg('Z', Buffer.from('I')),
]);
const PARSE_COMPLETE = msg('1', Buffer.alloc(0));
const BIND_COMPLETE = msg('2', Buffer.alloc(0));
const NO_DATA = msg('n', Buffer.alloc(0));
const ROW = msg('D', Buffer.concat([Buffer.from([0, 1]), int32(1), Buffer.from('1')]));
const COMPLETE = msg('C', cstr('SELECT 1'));
const READY = msg('Z', Buffer.from('I'));
const QUERY_ANSWER = Buffer.concat([ROW, COMPLETE, READY]);

/** Answers for one connection; `feed` takes each chunk the client sent. */
class Conversation {
  private started = false;
  private acc: Buffer = Buffer.alloc(0);
  constructor(private readonly socket: net.Socket) {}

  feed(chunk: Buffer): void {
    this.acc = this.acc.length === 0 ? chunk : Buffer.concat([this.acc, chunk]);
    const out: Buffer[] = [];
    let p = 0;
    if (!this.started) {
      if (this.acc.length < 4) return;
      const len = this.acc.readInt32BE(0);
      if (this.acc.length < len) return;
      p = len;
      this.started = true;
      out.push(HELLO);
    }
    while (p + 5 <= this.acc.length) {
      const end = p + 1 + this.acc.readInt32BE(p + 1);
      if (end > this.acc.length) break;
      switch (this.acc[p]) {
        case 0x50: out.push(PARSE_COMPLETE); break; // P
        case 0x42: out.push(BIND_COMPLETE); break; // B
        case 0x44: out.push(NO_DATA); break; // D (Describe)
        case 0x45: out.push(ROW, COMPLETE); break; // E
        case 0x53: out.push(READY); break; // S
        case 0x51: out.push(QUERY_ANSWER); break; // Q
        case 0x58: this.socket.end(); return; // X
        default: break;
      }
      p = end;
    }
    this.acc = this.acc.subarray(p);
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}

export interface WarmupServer {
  readonly port: number;
  close(): void;
}

/** Listen on 127.0.0.1, on a port the system picks. */
export async function startWarmupServer(): Promise<WarmupServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.setNoDelay(true);
    const c = new Conversation(s);
    s.on('data', (d: Buffer) => c.feed(d));
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close(): void {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}
