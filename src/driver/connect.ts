/**
 * Opening a connection: socket, TLS negotiation per sslmode, then startup and authentication done
 * by the maintained `pg` library (password, md5, SCRAM), after which the socket is taken over for
 * pgsurge's own hot path.
 *
 * The takeover: `pg` is given a stand-in stream (`stream` option). Bytes from the real socket are
 * framed here and forwarded to `pg` (as copies) up to and including the first ReadyForQuery; from
 * then on `pg` never sees the socket again. Without TLS, the socket is created with `onread`, so
 * every read lands in one reused buffer, the same for every socket of the thread (no Buffer per
 * read: ~33k → ~42k TPS on the select-only benchmark). With TLS, ordinary 'data' events feed the
 * same sink.
 */
import { readFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import net from 'node:net';
import tls from 'node:tls';
import pg from './pg.js';
import { describeHost } from './conninfo.js';
import type { ConnInfo, HostSpec, PgErrorInfo } from './types.js';
import { MSG_BACKEND_KEY, MSG_PARAMETER_STATUS, MSG_READY, parseParameterStatus, readInt32 } from './wire-reader.js';
import { sslRequestMessage } from './wire-writer.js';

/** A session could not be opened. `info.code` is a SQLSTATE, a Node socket code or PGSURGE_TIMEOUT. */
export class OpenError extends Error {
  readonly info: PgErrorInfo;
  /** `where`: the host, or a text naming several (e.g. "h1:5432,h2:5433"). */
  constructor(where: HostSpec | string, info: PgErrorInfo) {
    super(
      `${typeof where === 'string' ? where : describeHost(where)}: ${info.message}${info.code !== '' && !info.message.includes(info.code) ? ` (${info.code})` : ''}`,
    );
    this.name = 'OpenError';
    this.info = info;
  }
}

/** Receives incoming bytes `buf[0..len)`; with onread `buf` is reused: consume synchronously. */
export type ByteSink = (buf: Buffer, len: number) => void;

export interface RawConnection {
  readonly socket: net.Socket;
  /** Install the session's reader; bytes already received after ReadyForQuery are delivered first. */
  setSink(sink: ByteSink): void;
  readonly backendPid: number;
  readonly serverVersion: string;
}

const READ_BUFFER_BYTES = 64 * 1024;
/**
 * The one read buffer of this thread, shared by all its sockets: a read is handed to its socket's
 * sink before libuv reads the next socket, and every sink consumes or copies what it keeps before
 * returning (the session's carry, the start-up framing's copies). One buffer per connection cost
 * 64 KiB of address space and part of it resident per client.
 */
let sharedReadBuf: Buffer | undefined;
const KEEPALIVE_DELAY_MS = 30_000;
/** Stands in for an open connection's failure promise, which no race uses any more. */
const OPEN = new Promise<never>(() => undefined);

function info(code: string, message: string): PgErrorInfo {
  return { code, message, severity: undefined, detail: undefined, position: undefined };
}

/** A socket error as PgErrorInfo: the Node code and a readable cause. */
export function socketErrorInfo(e: unknown): PgErrorInfo {
  const err = e as NodeJS.ErrnoException;
  const code = typeof err?.code === 'string' ? err.code : 'ECONNRESET';
  const readable: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ENOTFOUND: 'host not found',
    ECONNRESET: 'connection reset',
    EPIPE: 'connection closed (broken pipe)',
    ETIMEDOUT: 'connection timed out',
    EHOSTUNREACH: 'host unreachable',
    ENOENT: 'no such Unix socket',
  };
  return info(code, readable[code] ?? (err instanceof Error ? err.message : String(e)));
}

/**
 * Connect to one host and authenticate. Rejects with OpenError (never containing the password).
 */
export async function connectAndAuthenticate(ci: ConnInfo, host: HostSpec): Promise<RawConnection> {
  const readBuf = (sharedReadBuf ??= Buffer.allocUnsafe(READ_BUFFER_BYTES));
  let sink: ByteSink = () => undefined;
  let socket: net.Socket | undefined;
  let timer: NodeJS.Timeout | undefined;
  let failed: PgErrorInfo | undefined;
  let rejectOpen: (e: PgErrorInfo) => void = () => undefined;
  let failure = new Promise<never>((_, reject) => {
    rejectOpen = (e) => {
      if (failed === undefined) failed = e;
      reject(failed);
    };
  });
  failure.catch(() => undefined);
  if (ci.connectTimeoutMs > 0) {
    timer = setTimeout(() => {
      rejectOpen(info('PGSURGE_TIMEOUT', `timeout expired after ${ci.connectTimeoutMs / 1000} s while connecting`));
      socket?.destroy();
    }, ci.connectTimeoutMs);
  }

  // Every read lands in readBuf; returning true keeps the socket reading.
  const onread = (n: number): boolean => {
    sink(readBuf, n);
    return true;
  };
  const isUnix = host.host.startsWith('/');
  const open = async (useOnread: boolean): Promise<net.Socket> => {
    const target = isUnix ? { path: `${host.host}/.s.PGSQL.${host.port}` } : { host: host.host, port: host.port };
    const s = useOnread ? net.connect({ ...target, onread: { buffer: readBuf, callback: onread } }) : net.connect(target);
    if (!useOnread) s.on('data', (d: Buffer) => sink(d, d.length));
    socket = s;
    s.on('error', (e) => rejectOpen(socketErrorInfo(e)));
    s.on('close', () => rejectOpen(info('08006', 'server closed the connection unexpectedly')));
    await Promise.race([new Promise((resolve) => s.once('connect', resolve)), failure]);
    s.setNoDelay(true);
    s.setKeepAlive(true, KEEPALIVE_DELAY_MS);
    return s;
  };
  /** Send SSLRequest and wait for the server's one-byte answer ('S' or 'N'). */
  const askSsl = async (s: net.Socket): Promise<boolean> => {
    const answer = new Promise<number>((resolve) => {
      sink = (b) => resolve(b[0] ?? 0);
    });
    s.write(sslRequestMessage());
    const byte = await Promise.race([answer, failure]);
    sink = () => undefined;
    if (byte === 0x53) return true;
    if (byte === 0x4e) return false;
    throw info('08P01', 'unexpected answer to the SSL request');
  };
  const startTls = async (raw: net.Socket): Promise<net.Socket> => {
    const verify = ci.sslmode === 'verify-ca' || ci.sslmode === 'verify-full';
    // host: checked against the certificate (verify-full); without it Node checks "localhost".
    const opts: tls.ConnectionOptions = { socket: raw, host: host.host, rejectUnauthorized: verify };
    if (ci.sslrootcert !== undefined && verify) opts.ca = readFileSync(ci.sslrootcert);
    if (net.isIP(host.host) === 0) opts.servername = host.host;
    if (ci.sslmode === 'verify-ca') opts.checkServerIdentity = () => undefined;
    const t = tls.connect(opts);
    t.on('data', (d: Buffer) => sink(d, d.length));
    t.on('error', (e) => rejectOpen(info('08006', `SSL error: ${e.message}`)));
    t.on('close', () => rejectOpen(info('08006', 'server closed the connection unexpectedly')));
    await Promise.race([new Promise((resolve) => t.once('secureConnect', resolve)), failure]);
    socket = t;
    return t;
  };

  try {
    let s: net.Socket;
    const mode = isUnix ? 'disable' : ci.sslmode;
    if (mode === 'disable' || mode === 'allow') {
      // allow: libpq tries without TLS first; pgsurge does not retry with TLS.
      s = await open(true);
    } else if (mode === 'prefer') {
      s = await open(true);
      if (await askSsl(s)) {
        // TLS over an onread socket is not supported by this code: start again with a plain one.
        s.removeAllListeners('close');
        s.destroy();
        s = await open(false);
        if (!(await askSsl(s))) throw info('08P01', 'the server stopped offering SSL');
        s = await startTls(s);
      }
    } else {
      s = await open(false);
      if (!(await askSsl(s))) throw info('08P01', `the server does not support SSL, but sslmode is ${ci.sslmode}`);
      s = await startTls(s);
    }
    const conn = await authenticate(ci, s, (next) => (sink = next), failure);
    // The socket's listeners keep this scope for the connection's life, and `failure` keeps every
    // race it took part in, `pg`'s whole Client among them (about 7 KiB of heap per connection):
    // once open, nothing races it again, so drop it and the only function that settles it.
    failure = OPEN;
    rejectOpen = () => undefined;
    return conn;
  } catch (e) {
    socket?.destroy();
    const i = failed ?? (isPgErrorInfo(e) ? e : fromPgError(e));
    throw new OpenError(host, i);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

function isPgErrorInfo(e: unknown): e is PgErrorInfo {
  return typeof e === 'object' && e !== null && 'code' in e && 'message' in e && !(e instanceof Error);
}

function fromPgError(e: unknown): PgErrorInfo {
  const err = e as { code?: unknown; message?: unknown; severity?: unknown; detail?: unknown; position?: unknown };
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (typeof err.code === 'string' && /^[0-9A-Z]{5}$/.test(err.code)) {
    return {
      code: err.code,
      message,
      severity: typeof err.severity === 'string' ? err.severity : undefined,
      detail: typeof err.detail === 'string' ? err.detail : undefined,
      position: undefined,
    };
  }
  if (message.includes('client password must be')) return info('28P01', 'the server asked for a password and none was given');
  return info('08006', message);
}

/**
 * Startup and authentication through `pg` over a stand-in stream; returns once the first
 * ReadyForQuery has been forwarded. The real socket's own listeners stay ours.
 */
async function authenticate(ci: ConnInfo, socket: net.Socket, setSink: (s: ByteSink) => void, failure: Promise<never>): Promise<RawConnection> {
  let backendPid = 0;
  let serverVersion = '';
  let acc: Buffer = Buffer.alloc(0);
  let ready = false;
  const standIn = new StandInStream(socket);

  // Framing here (not in pg) so that bytes after ReadyForQuery are never seen by pg.
  setSink((b, n) => {
    if (ready) {
      acc = Buffer.concat([acc, b.subarray(0, n)]);
      return;
    }
    acc = acc.length === 0 ? Buffer.from(b.subarray(0, n)) : Buffer.concat([acc, b.subarray(0, n)]);
    let p = 0;
    while (p + 5 <= acc.length) {
      const end = p + 1 + readInt32(acc, p + 1);
      if (end > acc.length) break;
      const type = acc[p];
      if (type === MSG_BACKEND_KEY) backendPid = readInt32(acc, p + 5);
      else if (type === MSG_PARAMETER_STATUS) {
        const [name, value] = parseParameterStatus(acc, p + 5, end);
        if (name === 'server_version') serverVersion = value.split(' ')[0] ?? value;
      }
      p = end;
      if (type === MSG_READY) {
        ready = true;
        break;
      }
    }
    if (p > 0) standIn.emit('data', acc.subarray(0, p));
    acc = acc.subarray(p);
  });

  const config: pg.ClientConfig = {
    stream: () => standIn as unknown as import('node:stream').Duplex,
    user: ci.user,
    database: ci.database,
    application_name: ci.applicationName,
    ssl: false,
  };
  if (ci.password !== undefined) config.password = ci.password;
  if (ci.options !== undefined) config.options = ci.options;
  const client = new pg.Client(config);
  client.on('error', () => undefined);
  await Promise.race([client.connect(), failure]);

  return {
    socket,
    backendPid,
    serverVersion,
    setSink(sink: ByteSink): void {
      const rest = acc;
      acc = Buffer.alloc(0);
      setSink(sink);
      if (rest.length > 0) sink(rest, rest.length);
    },
  };
}

/** What `pg` needs of a socket, forwarding writes to the real one; it never receives later bytes. */
class StandInStream extends EventEmitter {
  writable = true;
  constructor(private readonly socket: net.Socket) {
    super();
  }
  connect(): this {
    process.nextTick(() => this.emit('connect'));
    return this;
  }
  write(buf: Buffer, cb?: () => void): boolean {
    return this.socket.write(buf, cb);
  }
  end(): void {
    this.writable = false;
  }
  destroy(): void {
    this.writable = false;
  }
  setNoDelay(): void {}
  setKeepAlive(): void {}
  ref(): void {}
  unref(): void {}
}
