/**
 * Connections off the hot path (checks before a run, `init`, server sampling, the write verifier)
 * use the maintained `pg` client. This maps a ConnInfo host onto its configuration, and gives every
 * query on such a connection a CLIENT-SIDE deadline, so that no caller can forget one: a server or
 * a network path that stops answering must never hang pgsurge (a server-side statement_timeout
 * cannot help when the server's answer never arrives).
 *
 * Two kinds of deadline:
 *   - `answer`: the query must be answered within `ms` of being sent (server sampling: a late
 *     sample is useless, and the run must not wait for it).
 *   - `silence` (the default): the connection may be silent for `ms` while a query runs, and then
 *     a second connection looks at the session in pg_stat_activity. Creating an index, a VACUUM or
 *     an INSERT … SELECT of millions of rows legitimately sends nothing back for minutes, so no fixed
 *     figure fits `init`; what tells a working server from a stalled one is whether the server
 *     answers at all and shows the session working. While the second connection sees it active
 *     (and not waiting for the client or for another session's lock) the deadline is extended; a
 *     COPY moves bytes in the meantime, which counts as not silent. When the second connection gets
 *     no answer either, or sees the session waiting on the client (the path to pgsurge stalled) or
 *     on a lock (another session holds it), pgsurge gives up and names what it saw.
 * Giving up sends a cancel request (best effort) and destroys the connection: a `pg` client whose
 * query was abandoned cannot be reused. Every later query on it fails at once.
 */
import { readFileSync } from 'node:fs';
import { connect as netConnect, type Socket } from 'node:net';
import pg from './pg.js';
import type { ConnInfo, HostSpec } from './types.js';
import { OpenError } from './connect.js';
import { describeHost } from './conninfo.js';
import { maskSecretText } from '../config/redact.js';
import { PgsurgeError } from '../errors.js';
import { ownQueryDeadlineMs } from '../config/own-query-deadline.js';

export type AdminDeadline =
  /** Give up when a query has not been answered within `ms`. */
  | { readonly kind: 'answer'; readonly ms: number }
  /** Give up when the connection was silent for `ms` and a second connection cannot see the session working. */
  | { readonly kind: 'silence'; readonly ms: number };

/** Checks, `init`, module hooks, the write verifier: silent for the own-query deadline, then look. */
export function defaultAdminDeadline(): AdminDeadline {
  return { kind: 'silence', ms: ownQueryDeadlineMs() };
}
/** The second connection's own query (and its connect, via the URL's connect_timeout). */
const PROBE_DEADLINE: AdminDeadline = { kind: 'answer', ms: 10_000 };
/** How long end() waits for the server to see the connection close before destroying the socket. */
const END_GRACE_MS = 2_000;

/** Server sampling: at least 5 s, and two intervals, so a slow but answering server is still sampled. */
export function samplingDeadline(intervalMs: number): AdminDeadline {
  return { kind: 'answer', ms: Math.max(5_000, 2 * intervalMs) };
}

export interface AdminClientOptions {
  readonly deadline?: AdminDeadline;
  /** Aborting gives up on a connect still under way (the caller no longer wants the connection). */
  readonly signal?: AbortSignal;
}

function pgClientConfig(ci: ConnInfo, host: HostSpec): pg.ClientConfig {
  let ssl: pg.ClientConfig['ssl'] = false;
  // `pg` cannot fall back from TLS to plain text, so "prefer" and "allow" start without TLS here.
  if (ci.sslmode === 'require') ssl = { rejectUnauthorized: false };
  else if (ci.sslmode === 'verify-ca' || ci.sslmode === 'verify-full') {
    ssl = {
      rejectUnauthorized: true,
      ...(ci.sslrootcert === undefined ? {} : { ca: readFileSync(ci.sslrootcert) }),
      ...(ci.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
    };
  }
  return {
    host: host.host,
    port: host.port,
    user: ci.user,
    ...(ci.password === undefined ? {} : { password: ci.password }),
    database: ci.database,
    ssl,
    application_name: ci.applicationName,
    connectionTimeoutMillis: ci.connectTimeoutMs,
    ...(ci.options === undefined ? {} : { options: ci.options }),
  };
}

/**
 * Open a `pg` client whose every query has a client-side deadline (default: defaultAdminDeadline());
 * failures to connect become OpenError naming the host (never the password). A query given up on
 * rejects with PgsurgeError ADMIN_NO_ANSWER (exit code 1), naming the host and the statement.
 */
export async function openAdminClient(ci: ConnInfo, host: HostSpec, opts: AdminClientOptions = {}): Promise<pg.Client> {
  const client = new pg.Client(pgClientConfig(ci, host));
  client.on('error', () => undefined); // a dropped admin connection surfaces on its next query
  const abandon = (): void => {
    (client as unknown as PgInternals).connection.stream.destroy();
  };
  opts.signal?.addEventListener('abort', abandon, { once: true });
  try {
    if (opts.signal?.aborted === true) throw new Error('connection abandoned');
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    const err = e as { code?: string; message?: string };
    let message = err.message ?? String(e);
    message = maskSecretText(message, ci.password);
    if (/timeout/i.test(message) && err.code === undefined) message = `timeout expired after ${ci.connectTimeoutMs / 1000} s while connecting`;
    throw new OpenError(host, { code: err.code ?? 'UNKNOWN', message, severity: undefined, detail: undefined, position: undefined });
  } finally {
    opts.signal?.removeEventListener('abort', abandon);
  }
  watchQueries(client, ci, host, opts.deadline ?? defaultAdminDeadline());
  return client;
}

/** What the second connection saw of a silent session. */
type ProbeVerdict = { readonly kind: 'working' } | { readonly kind: 'stalled'; readonly why: string };

interface Watch {
  inFlight: number;
  /** Last moment (ms) the deadline was (re)started: a query sent or answered, bytes moved, a look that found the session working. */
  sinceMs: number;
  bytes: number;
  /** The statement most recently sent, for the message. */
  statement: string;
  probing: boolean;
  timer: NodeJS.Timeout | undefined;
  givenUp: PgsurgeError | undefined;
}

/** Internals of `pg` the watch needs: the socket and the session's key for a cancel request. */
interface PgInternals {
  readonly connection: { readonly stream: Socket };
  readonly processID: number | null;
  readonly secretKey: number | null;
}

type AnyQuery = (...args: unknown[]) => unknown;

/** The first words of a statement, on one line and with control characters escaped, for a message. */
function statementLabel(arg: unknown): string {
  const text = typeof arg === 'string' ? arg : typeof arg === 'object' && arg !== null && 'text' in arg ? String((arg as { text: unknown }).text) : '';
  const line = text
    .replace(/\s+/g, ' ')
    .trim()
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return line.length > 60 ? `${line.slice(0, 59)}…` : line;
}

function watchQueries(client: pg.Client, ci: ConnInfo, host: HostSpec, deadline: AdminDeadline): void {
  const internals = client as unknown as PgInternals;
  const socket = internals.connection.stream;
  const w: Watch = { inFlight: 0, sinceMs: 0, bytes: 0, statement: '', probing: false, timer: undefined, givenUp: undefined };
  const seconds = Math.round(deadline.ms / 100) / 10;
  const pollMs = Math.min(1_000, Math.max(50, Math.floor(deadline.ms / 5)));
  const socketBytes = (): number => socket.bytesRead + socket.bytesWritten;

  const giveUp = (why: string): void => {
    if (w.givenUp !== undefined) return;
    const statement = w.statement === '' ? '' : ` to "${w.statement}"`;
    w.givenUp = new PgsurgeError('ADMIN_NO_ANSWER', `${describeHost(host)}: no answer${statement} within ${seconds} s${why}`);
    stopTimer();
    sendCancel(host, internals.processID, internals.secretKey);
    socket.destroy();
  };

  const check = (): void => {
    if (w.inFlight === 0 || w.probing || w.givenUp !== undefined) return;
    const now = Date.now();
    if (deadline.kind === 'silence') {
      const bytes = socketBytes();
      if (bytes !== w.bytes) {
        w.bytes = bytes;
        w.sinceMs = now;
        return;
      }
    }
    if (now - w.sinceMs < deadline.ms) return;
    switch (deadline.kind) {
      case 'answer':
        giveUp(`: ${STALLED}`);
        return;
      case 'silence':
        w.probing = true;
        void probeSession(ci, host, internals.processID).then((v) => {
          w.probing = false;
          if (w.inFlight === 0 || w.givenUp !== undefined) return;
          switch (v.kind) {
            case 'working':
              w.sinceMs = Date.now();
              return;
            case 'stalled':
              giveUp(`, and ${v.why}`);
              return;
            default:
              return v satisfies never;
          }
        });
        return;
      default:
        return deadline satisfies never;
    }
  };

  const stopTimer = (): void => {
    if (w.timer !== undefined) clearInterval(w.timer);
    w.timer = undefined;
  };
  const begin = (statement: string): void => {
    if (w.inFlight === 0) {
      w.sinceMs = Date.now();
      w.bytes = socketBytes();
      w.timer = setInterval(check, pollMs);
      w.timer.unref();
    }
    w.inFlight += 1;
    w.statement = statement;
  };
  const finish = (): void => {
    w.inFlight -= 1;
    w.sinceMs = Date.now();
    if (w.inFlight === 0) stopTimer();
  };

  const query = client.query.bind(client) as AnyQuery;
  const watched: AnyQuery = (...args) => {
    begin(statementLabel(args[0]));
    let done = false;
    const once = (): void => {
      if (done) return;
      done = true;
      finish();
    };
    const last = args[args.length - 1];
    if (typeof last === 'function') {
      // Callback style: the callback ends it, with the deadline's error when it was given up.
      args[args.length - 1] = (err: unknown, res: unknown): void => {
        once();
        (last as (e: unknown, r: unknown) => void)(err === null || err === undefined ? err : (w.givenUp ?? err), res);
      };
    }
    let r: unknown;
    try {
      r = query(...args);
    } catch (e) {
      once();
      throw e;
    }
    if (r instanceof Promise) {
      return r.then(
        (v: unknown) => {
          once();
          return v;
        },
        (e: unknown) => {
          once();
          throw w.givenUp ?? e;
        },
      );
    }
    // A submittable (a COPY stream): done when it finishes, fails or closes.
    const emitter = r as { once?: (ev: string, fn: () => void) => void } | undefined;
    if (typeof emitter?.once === 'function') for (const ev of ['finish', 'end', 'error', 'close']) emitter.once(ev, once);
    else if (typeof last !== 'function') once();
    return r;
  };
  const end = client.end.bind(client) as () => Promise<void>;
  // pg's end() waits for the server to close the socket; a stalled path never does.
  const endBounded = (): Promise<void> => {
    const t = setTimeout(() => socket.destroy(), END_GRACE_MS);
    t.unref();
    return end().finally(() => clearTimeout(t));
  };
  Object.assign(client, { query: watched, end: endBounded });
  givenUpOf.set(client, () => w.givenUp);
}

const givenUpOf = new WeakMap<pg.Client, () => PgsurgeError | undefined>();

/**
 * The deadline's error when pgsurge gave up on a query of this client, else `e`: for failures that
 * surface elsewhere than the query's own promise (a COPY stream's pipeline).
 */
export function adminFailure(client: pg.Client, e: unknown): unknown {
  return givenUpOf.get(client)?.() ?? e;
}

/** Ask the server, over a second connection, what session `pid` is doing. */
async function probeSession(ci: ConnInfo, host: HostSpec, pid: number | null): Promise<ProbeVerdict> {
  let probe: pg.Client;
  try {
    probe = await openAdminClient(ci, host, { deadline: PROBE_DEADLINE });
  } catch (e) {
    return { kind: 'stalled', why: `a second connection failed too (${reason(e)}): ${STALLED}` };
  }
  try {
    const r = await probe.query<{ state: string | null; wtype: string | null; wevent: string | null; blocker: number | null; bquery: string | null }>(
      `select a.state, a.wait_event_type as wtype, a.wait_event as wevent, b.pid as blocker, left(b.query, 80) as bquery ` +
        `from pg_stat_activity a left join pg_stat_activity b on b.pid = (pg_blocking_pids(a.pid))[1] where a.pid = $1`,
      [pid ?? 0],
    );
    const row = r.rows[0];
    // No such session: something between pgsurge and the server (a pooler) shows another pid. The
    // server answers, so it is taken as working.
    if (row === undefined) return { kind: 'working' };
    if (row.state !== 'active') return { kind: 'stalled', why: `the server shows the session ${row.state ?? 'gone'}: the answer was lost on the way` };
    if (row.wtype === 'Client')
      return { kind: 'stalled', why: `the server shows the session waiting for pgsurge (${row.wevent ?? ''}): the network path stalled` };
    if (row.wtype === 'Lock') {
      const by = row.blocker === null ? '' : ` held by pid ${row.blocker}${row.bquery === null ? '' : ` ("${statementLabel(row.bquery)}")`}`;
      return { kind: 'stalled', why: `the session waits for a lock${by}: end that session, then retry` };
    }
    return { kind: 'working' };
  } catch {
    return { kind: 'stalled', why: `a second connection got no answer either: ${STALLED}` };
  } finally {
    await probe.end().catch(() => undefined);
  }
}

const STALLED = 'the server or the network path to it stopped answering; check them, then retry';

/** An error's message without the host OpenError puts first (the line names the host already). */
function reason(e: unknown): string {
  if (e instanceof OpenError) return e.info.message;
  return e instanceof Error ? e.message : String(e);
}

/** CancelRequest (protocol message without a type byte): length 16, code 80877102, pid, key. */
function sendCancel(host: HostSpec, pid: number | null, key: number | null): void {
  if (pid === null || key === null) return;
  const msg = Buffer.alloc(16);
  msg.writeInt32BE(16, 0);
  msg.writeInt32BE(80877102, 4);
  msg.writeInt32BE(pid, 8);
  msg.writeInt32BE(key, 12);
  const s = host.host.startsWith('/') ? netConnect(`${host.host}/.s.PGSQL.${host.port}`) : netConnect(host.port, host.host);
  s.on('error', () => undefined);
  s.unref();
  s.once('connect', () => s.end(msg));
  // Best effort: a path that stalled the query may stall this too.
  setTimeout(() => s.destroy(), END_GRACE_MS).unref();
}
