/**
 * A connection pooler in front of a sampled host: found, then read on the observer's grid.
 *
 * Finding it costs the server nothing: the observer's own connection asks the server which port
 * it was reached on (inet_server_port()). A server reached on another port than the one pgsurge
 * dialled, or over a Unix socket when pgsurge dialled TCP, has something in between. Only then is
 * the admin console tried (database "pgbouncer", the run's own credentials: PgBouncer lets users
 * in admin_users or stats_users read it). A console that answers SHOW VERSION with "PgBouncer" is
 * sampled. A backend that answers "database pgbouncer does not exist" is asked `SHOW pool_version`
 * on the observer's own connection: a Pgpool-II answers it (read by pooler-pgpool.ts); otherwise
 * it was a port mapping or another kind of proxy, and nothing is said. Any other refusal of the
 * console is said once, with what to do.
 *
 * What is read: SHOW POOLS (clients active and waiting, server connections, the oldest wait),
 * SHOW STATS (transactions and wait time, cumulative), SHOW DATABASES (the pool size), for the run's
 * database and user. A console query shares the observer's client-side deadline.
 */
import type pg from 'pg';
import { openAdminClient, type AdminDeadline } from '../driver/admin-client.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { nowUs } from '../engine/clock.js';
import { pgpoolChildren, pgpoolSource, pgpoolVersion } from './pooler-pgpool.js';
import type { PgpoolUsage, PoolerUsage } from './types.js';

type Row = Record<string, unknown>;

/** The pools read: the run's database and user, at the pooler's address. */
export interface Scope {
  readonly at: string;
  readonly database: string;
  readonly user: string;
}

/** The console's answer at one moment. */
export interface PoolerReading {
  readonly atUs: number;
  readonly pools: readonly Row[];
  readonly stats: readonly Row[];
  readonly databases: readonly Row[];
}

/** Whether something sits between pgsurge and the server on this connection. */
export type ProxyCheck = { readonly kind: 'direct' } | { readonly kind: 'proxied'; readonly serverPort: number | null };

export async function checkProxied(client: pg.Client, spec: HostSpec): Promise<ProxyCheck> {
  // A socket directory: the server's side of the socket tells nothing.
  if (spec.host.startsWith('/')) return { kind: 'direct' };
  const res = await client.query<{ port: number | null }>('select inet_server_port() as port');
  const port = res.rows[0]?.port ?? null;
  return port === spec.port ? { kind: 'direct' } : { kind: 'proxied', serverPort: port };
}

export interface PoolerProbe {
  readonly kind: 'pgbouncer' | 'pgpool';
  readonly version: string;
  /** The servers the pooler sends the run's database to; none when it reaches them over a Unix socket. */
  backends(): Promise<HostSpec[]>;
  /** Reads it now: the usage since the previous reading (rates null on the first). Never throws. */
  sample(): Promise<PoolerUsage | PgpoolUsage>;
  close(): Promise<void>;
}

export interface FindPoolerOptions {
  readonly deadline: AdminDeadline;
  readonly signal: AbortSignal;
  readonly warn?: ((line: string) => void) | undefined;
}

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

/** The console's connection settings: the run's credentials and TLS, without libpq options (PgBouncer refuses unknown ones). */
function consoleConn(conn: ConnInfo): ConnInfo {
  return { ...conn, database: 'pgbouncer', options: undefined };
}

/**
 * Where Pgpool-II answered on the target's own session, the console login waits at most this: a
 * PgBouncer console in front answers at once, but through Pgpool-II in front of PgBouncers the login
 * reaches their consoles, which cannot serve Pgpool-II's own queries, and hangs.
 */
const CONSOLE_THROUGH_PGPOOL_MS = 2_000;

async function openConsole(conn: ConnInfo, spec: HostSpec, opts: FindPoolerOptions, pgpoolAnswered = false): Promise<{ client: pg.Client; version: string }> {
  const ci = consoleConn(conn);
  const bounded = pgpoolAnswered ? { ...ci, connectTimeoutMs: Math.min(ci.connectTimeoutMs, CONSOLE_THROUGH_PGPOOL_MS) } : ci;
  const client = await openAdminClient(bounded, spec, { deadline: opts.deadline, signal: opts.signal });
  try {
    const res = await client.query<{ version: string }>('SHOW VERSION');
    return { client, version: String(res.rows[0]?.version ?? '') };
  } catch (e) {
    await client.end().catch(() => undefined);
    throw e;
  }
}

async function readConsole(client: pg.Client): Promise<PoolerReading> {
  const atUs = nowUs();
  // One command per query: the console does not take several in one.
  const pools = await client.query<Row>('SHOW POOLS');
  const stats = await client.query<Row>('SHOW STATS');
  const databases = await client.query<Row>('SHOW DATABASES');
  return { atUs: Math.round((atUs + nowUs()) / 2), pools: pools.rows, stats: stats.rows, databases: databases.rows };
}

/** Usage over the span between two readings, for the run's database and user. */
export function poolerBetween(version: string, scope: Scope, prev: PoolerReading | undefined, cur: PoolerReading): PoolerUsage {
  const pool = cur.pools.find((r) => r['database'] === scope.database && r['user'] === scope.user);
  const db = cur.databases.find((r) => r['name'] === scope.database);
  const statsOf = (r: PoolerReading | undefined): Row | undefined => r?.stats.find((s) => s['database'] === scope.database);
  const now = statsOf(cur);
  const before = statsOf(prev);
  const spanS = prev === undefined ? 0 : (cur.atUs - prev.atUs) / 1e6;
  const delta = (key: string): number | null => {
    const a = num(before?.[key]);
    const b = num(now?.[key]);
    // A counter that went back (RELOAD, a restart of the pooler) gives no figure for the span.
    return a === null || b === null || b < a ? null : b - a;
  };
  const xacts = delta('total_xact_count');
  const waitUs = delta('total_wait_time');
  const maxWaitS = num(pool?.['maxwait']);
  return {
    kind: 'pgbouncer',
    version,
    at: scope.at,
    database: scope.database,
    user: scope.user,
    poolMode: pool === undefined ? null : String(pool['pool_mode'] ?? '') || null,
    poolSize: num(db?.['pool_size']),
    clientsActive: num(pool?.['cl_active']),
    clientsWaiting: num(pool?.['cl_waiting']),
    serversActive: num(pool?.['sv_active']),
    serversIdle: num(pool?.['sv_idle']),
    maxWaitMs: maxWaitS === null ? null : maxWaitS * 1000 + (num(pool?.['maxwait_us']) ?? 0) / 1000,
    waiting: waitUs === null || spanS <= 0 ? null : waitUs / 1e6 / spanS,
    transactionsPerS: xacts === null || spanS <= 0 ? null : xacts / spanS,
    waitPerTransactionMs: waitUs === null || xacts === null || xacts === 0 ? null : waitUs / 1000 / xacts,
  };
}

export function failedPooler(version: string, scope: Scope, error: string): PoolerUsage {
  return {
    kind: 'pgbouncer',
    version,
    at: scope.at,
    database: scope.database,
    user: scope.user,
    poolMode: null,
    poolSize: null,
    clientsActive: null,
    clientsWaiting: null,
    serversActive: null,
    serversIdle: null,
    maxWaitMs: null,
    waiting: null,
    transactionsPerS: null,
    waitPerTransactionMs: null,
    error,
  };
}

/** What the checks before a run need of a PgBouncer: how it pools the run's database. */
export interface PgBouncerFacts {
  readonly kind: 'pgbouncer';
  readonly version: string;
  /** The run's database's pool mode: its own (SHOW DATABASES) or the default (SHOW CONFIG); null when not read. */
  readonly poolMode: string | null;
  readonly maxClientConn: number | null;
  /** Server connections per pool of the run's database (its pool_size, else default_pool_size). */
  readonly poolSize: number | null;
  /** max_prepared_statements (1.21 on); null before 1.21, where it does not exist. */
  readonly maxPreparedStatements: number | null;
}

/** Whether a pooler sits in front, and what it is when its console can be read. */
export type PoolerCheck =
  | { readonly kind: 'direct' }
  | PgBouncerFacts
  | { readonly kind: 'pgpool'; readonly version: string; readonly children: number | null; readonly maxPool: number | null }
  /** Something is in between, but not a PgBouncer whose console the user may read: `why`. */
  | { readonly kind: 'unknown'; readonly serverPort: number | null; readonly why: string };

/** Inspects what answers at `spec` through `client` (a connection to it): before the load, once. */
export async function inspectPooler(client: pg.Client, conn: ConnInfo, spec: HostSpec, deadline: AdminDeadline): Promise<PoolerCheck> {
  const check = await checkProxied(client, spec);
  if (check.kind === 'direct') return check;
  // SHOW pool_version answers when a Pgpool-II is in front, or behind a PgBouncer in front (which
  // passes it on); a PgBouncer console then says which is in front (see CONSOLE_THROUGH_PGPOOL_MS).
  const pgpool = await pgpoolVersion(client);
  let opened: { client: pg.Client; version: string };
  try {
    opened = await openConsole(conn, spec, { deadline, signal: new AbortController().signal }, pgpool !== undefined);
  } catch (e) {
    if (pgpool !== undefined) return { kind: 'pgpool', version: pgpool, ...(await pgpoolChildren(client)) };
    return { kind: 'unknown', serverPort: check.serverPort, why: e instanceof Error ? e.message : String(e) };
  }
  try {
    if (!/pgbouncer/i.test(opened.version)) return { kind: 'unknown', serverPort: check.serverPort, why: `its console answers "${opened.version}"` };
    const config = new Map((await opened.client.query<{ key: string; value: string }>('SHOW CONFIG')).rows.map((r) => [r.key, r.value]));
    const db = (await opened.client.query<Row>('SHOW DATABASES')).rows.find((r) => r['name'] === conn.database);
    const own = db?.['pool_mode'];
    return {
      kind: 'pgbouncer',
      version: opened.version,
      poolMode: typeof own === 'string' && own !== '' ? own : (config.get('pool_mode') ?? null),
      maxClientConn: num(config.get('max_client_conn')),
      poolSize: num(db?.['pool_size']) ?? num(config.get('default_pool_size')),
      maxPreparedStatements: config.has('max_prepared_statements') ? num(config.get('max_prepared_statements')) : null,
    };
  } finally {
    await opened.client.end().catch(() => undefined);
  }
}

/**
 * The pooler in front of `spec`, read through the observer's connection `client`; undefined when
 * the server is reached directly or the console cannot be read (said once through `warn`).
 */
export async function findPooler(client: pg.Client, conn: ConnInfo, spec: HostSpec, opts: FindPoolerOptions): Promise<PoolerProbe | undefined> {
  const check = await checkProxied(client, spec);
  if (check.kind === 'direct') return undefined;
  const where = `${spec.host}:${spec.port}`;
  // A Pgpool-II in front or behind a PgBouncer in front: the console says which (see inspectPooler).
  const pgpool = await pgpoolVersion(client);
  let opened: { client: pg.Client; version: string };
  try {
    opened = await openConsole(conn, spec, opts, pgpool !== undefined);
  } catch (e) {
    if (pgpool !== undefined) {
      const source = pgpoolSource(pgpool, where, () => openAdminClient(conn, spec, { deadline: opts.deadline, signal: opts.signal }));
      return { kind: 'pgpool', ...source };
    }
    const err = e as { code?: string; message?: string; cause?: { code?: string } };
    // A PostgreSQL behind a port mapping has no such database.
    if (/does not exist/.test(err.message ?? '')) return undefined;
    opts.warn?.(
      `${where} is not the server itself (the server was reached on ${check.serverPort === null ? 'a Unix socket' : `port ${check.serverPort}`}), ` +
        `but its PgBouncer admin console did not let ${conn.user} in: ${err.message ?? String(e)}; ` +
        `pool figures are not sampled (add ${conn.user} to PgBouncer's stats_users)`,
    );
    return undefined;
  }
  if (!/pgbouncer/i.test(opened.version)) {
    await opened.client.end().catch(() => undefined);
    return undefined;
  }
  const version = opened.version;
  const scope: Scope = { at: where, database: conn.database, user: conn.user };
  let console: pg.Client | undefined = opened.client;
  let last: PoolerReading | undefined;
  return {
    kind: 'pgbouncer',
    version,
    async backends(): Promise<HostSpec[]> {
      console ??= (await openConsole(conn, spec, opts)).client;
      const rows = (await console.query<Row>('SHOW DATABASES')).rows.filter((r) => r['name'] === conn.database);
      return rows.flatMap((r) => {
        const host = r['host'];
        const port = num(r['port']);
        return typeof host === 'string' && host !== '' && !host.startsWith('/') && port !== null ? [{ host, port }] : [];
      });
    },
    async sample(): Promise<PoolerUsage> {
      try {
        console ??= (await openConsole(conn, spec, opts)).client;
        const reading = await readConsole(console);
        const usage = poolerBetween(version, scope, last, reading);
        last = reading;
        return usage;
      } catch (e) {
        // A broken console connection is opened anew at the next boundary.
        const c = console;
        console = undefined;
        await c?.end().catch(() => undefined);
        return failedPooler(version, scope, e instanceof Error ? e.message : String(e));
      }
    },
    async close(): Promise<void> {
      const c = console;
      console = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
