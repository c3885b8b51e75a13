/**
 * A Session: one connection running a fixed list of statements on a lean hot path.
 *
 * Invariants:
 * - Every exec ends with exactly one Sync (or one Query), so the server answers each with exactly
 *   one ReadyForQuery: `pending` counts execs in flight; each 'Z' completes the oldest.
 * - Exactly one `onQueryDone` per exec (success or SQL error) or one `onClose` for the session.
 * - A FATAL error (e.g. 57P01 on pg_terminate_backend / pg_ctl stop -m fast) is not a query result:
 *   it is kept and becomes the `onClose` reason when the socket closes right after.
 */
import type { Param, StatementSpec } from '../workload/types.js';
import { connectAndAuthenticate, OpenError, socketErrorInfo } from './connect.js';
import type { HostSpec, OpenSessionOptions, PgErrorInfo, Protocol, QueryRows, Session, SessionHandler, ConnInfo } from './types.js';
import {
  MSG_COMMAND_COMPLETE,
  MSG_DATA_ROW,
  MSG_ERROR,
  MSG_READY,
  MSG_ROW_DESCRIPTION,
  parseDataRow,
  parseErrorFields,
  parseRowDescription,
  readInt32,
} from './wire-reader.js';
import { parseMessage, placeholderSql, StatementWriter, syncMessage, terminateMessage } from './wire-writer.js';

const SYNC = syncMessage();

export { OpenError } from './connect.js';

const NO_HANDLER: SessionHandler = { onQueryDone: () => undefined, onClose: () => undefined };
const LOST: PgErrorInfo = { code: '08006', message: 'Connection terminated unexpectedly', severity: undefined, detail: undefined, position: undefined };

/**
 * Open a session on one host; prepared statements are parsed once here. Rejects with OpenError.
 * `prepareDeadlineMs` (> 0) bounds the preparing: a server that logged the session in and then
 * stopped answering must not hold the open forever.
 */
export async function openSession(ci: ConnInfo, host: HostSpec, opts: OpenSessionOptions, prepareDeadlineMs = 0): Promise<Session> {
  const raw = await connectAndAuthenticate(ci, host);
  const session = new WireSession(raw.socket, host, opts.protocol, opts.statements, raw.backendPid, raw.serverVersion);
  raw.setSink(session.onBytes);
  if (opts.protocol === 'prepared') {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      if (prepareDeadlineMs <= 0) return;
      timer = setTimeout(() => {
        const s = Math.round(prepareDeadlineMs / 100) / 10;
        reject({
          code: 'PGSURGE_TIMEOUT',
          message: `no answer while preparing the statements within ${s} s`,
          severity: undefined,
          detail: undefined,
          position: undefined,
        } satisfies PgErrorInfo);
      }, prepareDeadlineMs);
    });
    try {
      await Promise.race([session.prepareAll(opts.statements), late]);
    } catch (e) {
      session.destroy();
      throw e instanceof OpenError ? e : new OpenError(host, e as PgErrorInfo);
    } finally {
      clearTimeout(timer);
    }
  }
  return session;
}

/** Run one SQL statement on a session opened by openSession (simple protocol, text rows). */
export function queryText(session: Session, sql: string): Promise<QueryRows> {
  if (!(session instanceof WireSession)) throw new TypeError('queryText needs a session from openSession');
  return session.queryText(sql);
}

/**
 * The statement writers of this thread, shared by every session that runs the same statements with
 * the same protocol, each made when its statement is first run. Sharing is safe because a writer's
 * buffer is only reused once the socket it went to has taken the bytes: exec() releases the writer
 * (a fresh buffer) whenever the socket still holds them. One buffer per statement and thread instead
 * of one per session keeps the bytes every exec writes in the cache: at -c 500 a per-session buffer
 * is cold again by the client's next transaction (bench/MANY-PROFILE.md, build()).
 */
const sharedWriters = new WeakMap<readonly StatementSpec[], Map<Protocol, (StatementWriter | undefined)[]>>();

function writersFor(statements: readonly StatementSpec[], protocol: Protocol): (StatementWriter | undefined)[] {
  let byProtocol = sharedWriters.get(statements);
  if (byProtocol === undefined) sharedWriters.set(statements, (byProtocol = new Map()));
  let writers = byProtocol.get(protocol);
  if (writers === undefined) byProtocol.set(protocol, (writers = []));
  return writers;
}

class WireSession implements Session {
  private handler: SessionHandler = NO_HANDLER;
  private readonly writers: (StatementWriter | undefined)[];
  /** wantsRows of each exec in flight, as a ring (pipelined execs). */
  private wants: boolean[] = new Array<boolean>(16).fill(false);
  private head = 0;
  private pending = 0;
  /** The SQL error of the exec being answered (delivered at its ReadyForQuery). */
  private queryError: PgErrorInfo | null = null;
  private columns: string[] | null = null;
  private rows: (string | null)[][] | null = null;
  private fatal: PgErrorInfo | null = null;
  private socketError: PgErrorInfo | null = null;
  private closed = false;
  /** Bytes of an incomplete message carried over to the next read (reused, grows). */
  private carry: Buffer = Buffer.allocUnsafe(0);
  private carryLen = 0;
  private closeWaiters: (() => void)[] = [];
  /** Why the connection closed, when it closed while no handler was set. */
  private undelivered: PgErrorInfo | null = null;

  constructor(
    private readonly socket: import('node:net').Socket,
    readonly host: HostSpec,
    readonly protocol: Protocol,
    private readonly statements: readonly StatementSpec[],
    readonly backendPid: number,
    readonly serverVersion: string,
  ) {
    this.writers = writersFor(statements, protocol);
    socket.on('error', (e) => {
      if (this.socketError === null) this.socketError = socketErrorInfo(e);
    });
    socket.on('close', () => this.onSocketClose());
  }

  setHandler(handler: SessionHandler): void {
    this.handler = handler;
    // The connection died before anyone was listening (between open and setHandler): tell now.
    const reason = this.undelivered;
    if (reason !== null) {
      this.undelivered = null;
      process.nextTick(() => handler.onClose(reason));
    }
  }

  /** Run one statement with the simple protocol (off the hot path: host checks); rows as text. */
  queryText(sql: string): Promise<QueryRows> {
    const saved = this.handler;
    return new Promise<QueryRows>((resolve, reject) => {
      this.handler = {
        onQueryDone: (err, rows) => {
          this.handler = saved;
          if (err !== null) reject(err);
          else resolve(rows ?? { columns: [], rows: [] });
        },
        onClose: (err) => {
          this.handler = saved;
          reject(err);
        },
      };
      const text = Buffer.from(`${sql}\0`, 'utf8');
      const msg = Buffer.allocUnsafe(5 + text.length);
      msg[0] = 0x51; // 'Q'
      msg.writeInt32BE(4 + text.length, 1);
      text.copy(msg, 5);
      this.send(msg, true);
    });
  }

  exec(stmt: number, params: readonly Param[], wantsRows: boolean): void {
    const w = this.writers[stmt] ?? this.newWriter(stmt);
    if (this.closed) return; // onClose has been (or will be) called: the exec has an unknown outcome
    this.send(w.build(params, wantsRows), wantsRows);
    // The socket may keep a reference to the bytes while they wait to be flushed: then the writer
    // must not overwrite them. Normally the kernel takes them at once and writableLength is 0.
    if (this.socket.writableLength !== 0) w.release();
  }

  execPipelined(stmt: number, params: readonly Param[]): void {
    const w = this.writers[stmt] ?? this.newWriter(stmt);
    if (this.protocol === 'simple') throw new Error('pipelines need the extended or prepared protocol');
    if (this.closed) return;
    const bytes = w.build(params, false);
    // The same messages as exec() without the trailing Sync (5 bytes): no ReadyForQuery comes back
    // for it, so nothing is queued in `wants`; the results arrive with the next sync().
    this.socket.write(bytes.subarray(0, bytes.length - 5));
    if (this.socket.writableLength !== 0) w.release();
  }

  private newWriter(stmt: number): StatementWriter {
    const spec = this.statements[stmt];
    if (spec === undefined) throw new RangeError(`no statement ${stmt}`);
    return (this.writers[stmt] = new StatementWriter(spec, this.protocol, `pgsurge_${stmt}`));
  }

  sync(): void {
    if (this.closed) return;
    this.send(SYNC, false);
  }

  private send(bytes: Buffer, wantsRows: boolean): void {
    if (this.pending === this.wants.length) this.growRing();
    this.wants[(this.head + this.pending) % this.wants.length] = wantsRows;
    this.pending++;
    this.socket.write(bytes);
  }

  private growRing(): void {
    const n = this.wants.length;
    const next = new Array<boolean>(n * 2).fill(false);
    for (let i = 0; i < n; i++) next[i] = this.wants[(this.head + i) % n] ?? false;
    this.wants = next;
    this.head = 0;
  }

  /** Parse each statement once, named, each with its own Sync so a failure names its statement. */
  async prepareAll(statements: readonly StatementSpec[]): Promise<void> {
    const saved = this.handler;
    for (let i = 0; i < statements.length; i++) {
      const spec = statements[i] as StatementSpec;
      const err = await new Promise<PgErrorInfo | null>((resolve) => {
        this.handler = { onQueryDone: (e) => resolve(e), onClose: (e) => resolve(e) };
        this.send(Buffer.concat([parseMessage(`pgsurge_${i}`, placeholderSql(spec)), syncMessage()]), false);
      });
      if (err !== null) {
        this.handler = saved;
        const where = err.position !== undefined ? ` at position ${err.position}` : '';
        const line = spec.line > 0 ? ` (line ${spec.line})` : '';
        throw { ...err, message: `cannot prepare statement${line} "${spec.text}": ${err.message}${where}` } satisfies PgErrorInfo;
      }
    }
    this.handler = saved;
  }

  /** Read path: called with every chunk; `buf` may be the reused onread buffer. */
  readonly onBytes = (buf: Buffer, len: number): void => {
    if (this.carryLen === 0) {
      const used = this.parse(buf, len);
      if (used < len) this.keep(buf, used, len);
      return;
    }
    this.keep(buf, 0, len);
    const used = this.parse(this.carry, this.carryLen);
    this.carry.copy(this.carry, 0, used, this.carryLen);
    this.carryLen -= used;
  };

  private keep(buf: Buffer, from: number, to: number): void {
    const need = this.carryLen + (to - from);
    if (need > this.carry.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, this.carry.length * 2, 4096));
      this.carry.copy(bigger, 0, 0, this.carryLen);
      this.carry = bigger;
    }
    buf.copy(this.carry, this.carryLen, from, to);
    this.carryLen = need;
  }

  /** Handle every complete message in b[0..len); return the offset of the first incomplete one. */
  private parse(b: Buffer, len: number): number {
    let p = 0;
    while (p + 5 <= len && !this.closed) {
      const end = p + 1 + readInt32(b, p + 1);
      if (end > len) break;
      const type = b[p];
      // Most frequent first. DataRow without wantsRows, BindComplete, ParseComplete, NoData,
      // Notice, ParameterStatus, Notification: skipped by their length.
      if (type === MSG_READY) this.complete();
      else if (type === MSG_DATA_ROW) {
        if (this.rows !== null) this.rows.push(parseDataRow(b, p + 5));
      } else if (type === MSG_COMMAND_COMPLETE) {
        // nothing: the result is known at ReadyForQuery
      } else if (type === MSG_ROW_DESCRIPTION) {
        if (this.pending > 0 && this.wants[this.head] === true) {
          this.columns = parseRowDescription(b, p + 5, end);
          this.rows = [];
        }
      } else if (type === MSG_ERROR) {
        const e = parseErrorFields(b, p + 5, end);
        if (e.severity === 'FATAL' || e.severity === 'PANIC') this.fatal = e;
        else if (this.queryError === null) this.queryError = e;
      }
      p = end;
    }
    return p;
  }

  private complete(): void {
    if (this.pending === 0) return; // not ours (cannot happen with one Sync per exec)
    const wanted = this.wants[this.head] === true;
    this.head = (this.head + 1) % this.wants.length;
    this.pending--;
    const err = this.queryError;
    let result: QueryRows | null = null;
    if (wanted && err === null) result = { columns: this.columns ?? [], rows: this.rows ?? [] };
    this.queryError = null;
    this.columns = null;
    this.rows = null;
    this.handler.onQueryDone(err, result);
  }

  private onSocketClose(): void {
    if (this.closed) {
      for (const w of this.closeWaiters) w();
      this.closeWaiters = [];
      return;
    }
    this.closed = true;
    this.pending = 0;
    const reason = this.fatal ?? this.socketError ?? LOST;
    if (this.handler === NO_HANDLER) this.undelivered = reason;
    else this.handler.onClose(reason);
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    return new Promise((resolve) => {
      this.closeWaiters.push(resolve);
      this.socket.end(terminateMessage());
      // A server that does not answer the FIN must not hold close() forever.
      setTimeout(() => this.socket.destroy(), 2000).unref();
    });
  }

  destroy(): void {
    this.closed = true;
    this.socket.destroy();
  }
}
