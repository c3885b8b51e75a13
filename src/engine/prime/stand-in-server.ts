/**
 * A stand-in PostgreSQL server for the worker's priming (prime.ts): it listens on loopback in
 * the worker's own thread and answers every request at once, so that the priming's sessions run the
 * real socket path (Node's net code, the session's read side) without touching the real server.
 *
 * It speaks just enough of the protocol for pgsurge's own sessions: trust authentication; Parse →
 * ParseComplete, Bind → BindComplete, Describe → RowDescription or NoData, Execute → one DataRow
 * and CommandComplete, Sync → ReadyForQuery, Query → [RowDescription, DataRow,] CommandComplete and
 * ReadyForQuery, Terminate → close. It has no catalogue: a statement's columns are guessed from its
 * text (stand-in-columns.ts), so that `\gset` finds them by name; every value is "1".
 */
import net from 'node:net';
import { resultColumns } from './stand-in-columns.js';

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
const int16 = (n: number): Buffer => {
  const b = Buffer.allocUnsafe(2);
  b.writeInt16BE(n, 0);
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
const COMPLETE = msg('C', cstr('SELECT 1'));
const READY = msg('Z', Buffer.from('I'));

/** What the stand-in answers for one statement: its Describe answer and its Execute answer. */
interface Answers {
  readonly describe: Buffer;
  readonly execute: Buffer;
}

const NO_ROWS: Answers = { describe: NO_DATA, execute: COMPLETE };

/** Answers by statement text: -M extended parses the same text for every exec. */
const known = new Map<string, Answers>();
/** -M simple sends each exec's text with its values in it: the map is emptied when it is this full. */
const KNOWN_MAX = 1000;

/** Answers for a statement of this text: its guessed columns, all text, every value "1". */
function answersFor(sql: string): Answers {
  let a = known.get(sql);
  if (a === undefined) {
    if (known.size >= KNOWN_MAX) known.clear();
    a = makeAnswers(sql);
    known.set(sql, a);
  }
  return a;
}

function makeAnswers(sql: string): Answers {
  const cols = resultColumns(sql);
  if (cols === null) return NO_ROWS;
  const fields = cols.map((name) =>
    // name, table oid 0, column 0, type text (25), size -1, typmod -1, format text
    Buffer.concat([cstr(name), int32(0), int16(0), int32(25), int16(-1), int32(-1), int16(0)]),
  );
  const row = msg('D', Buffer.concat([int16(cols.length), ...cols.map(() => Buffer.concat([int32(1), Buffer.from('1')]))]));
  return { describe: msg('T', Buffer.concat([int16(cols.length), ...fields])), execute: Buffer.concat([row, COMPLETE]) };
}

/** The NUL-terminated string at b[p..]; returns it and the offset after its NUL. */
function readCstr(b: Buffer, p: number): [string, number] {
  const nul = b.indexOf(0, p);
  return [b.toString('utf8', p, nul), nul + 1];
}

/** Answers for one connection; `feed` takes each chunk the client sent. */
class Conversation {
  private started = false;
  private acc: Buffer = Buffer.alloc(0);
  /** Prepared statements by name ('' is the unnamed one), and the bound portal's. */
  private readonly statements = new Map<string, Answers>();
  private portal: Answers = NO_ROWS;
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
    const b = this.acc;
    while (p + 5 <= b.length) {
      const end = p + 1 + b.readInt32BE(p + 1);
      if (end > b.length) break;
      switch (b[p]) {
        case 0x50: {
          // P: name, SQL
          const [name, q] = readCstr(b, p + 5);
          this.statements.set(name, answersFor(readCstr(b, q)[0]));
          out.push(PARSE_COMPLETE);
          break;
        }
        case 0x42: {
          // B: portal, statement
          const [, q] = readCstr(b, p + 5);
          this.portal = this.statements.get(readCstr(b, q)[0]) ?? NO_ROWS;
          out.push(BIND_COMPLETE);
          break;
        }
        case 0x44:
          out.push(this.portal.describe);
          break; // D
        case 0x45:
          out.push(this.portal.execute);
          break; // E
        case 0x53:
          out.push(READY);
          break; // S
        case 0x51: {
          // Q
          const a = answersFor(readCstr(b, p + 5)[0]);
          if (a.describe !== NO_DATA) out.push(a.describe);
          out.push(a.execute, READY);
          break;
        }
        case 0x58:
          this.socket.end();
          return; // X
        default:
          break;
      }
      p = end;
    }
    this.acc = b.subarray(p);
    if (out.length > 0) this.socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  }
}

export interface StandInServer {
  readonly port: number;
  close(): void;
}

/** Listen on 127.0.0.1, on a port the system picks. */
export async function startStandInServer(): Promise<StandInServer> {
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
