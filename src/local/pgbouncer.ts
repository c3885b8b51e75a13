/**
 * A throwaway PgBouncer (Debian's `pgbouncer` binary) in front of a local server: config, auth file
 * and log in a temporary directory, a free loopback port, run as the unprivileged user when root
 * (PgBouncer refuses root, like PostgreSQL).
 *
 * Prepared statements: `-M prepared` (pgsurge's default) uses protocol-level named statements. In
 * transaction mode PgBouncer < 1.21 hands each transaction any server connection, so a statement
 * prepared on one is missing (26000) or already there (42P05) on another. 1.21 added
 * `max_prepared_statements`, which tracks them per client; it is set when the binary supports it.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binaryVersion, isDaemonPid, startDaemon, stopDaemonPid, waitListening, type DaemonHandle, type DaemonOptions, type DaemonVersion } from './daemon.js';
import { chownTree, freePort, runAs } from './server.js';
import { PgsurgeError } from '../errors.js';

const DEFAULT_PGBOUNCER = '/usr/sbin/pgbouncer';

/** `bin` defaults to $PGBOUNCER, then /usr/sbin/pgbouncer. */
export interface PgBouncerOptions extends DaemonOptions {
  readonly targetHost: string;
  readonly targetPort: number;
  readonly poolMode: 'transaction' | 'session';
  /** Server connections per user and database (default 20). */
  readonly poolSize?: number | undefined;
  readonly maxClientConn?: number | undefined;
  /** Per-client prepared statements tracked in transaction mode (1.21+; default 200 where supported, ignored otherwise). */
  readonly maxPreparedStatements?: number | undefined;
  /** Users with passwords: auth_type md5 (or `authType`) with this auth file; default trust for "postgres". */
  readonly users?: Readonly<Record<string, string>> | undefined;
  /** How clients with `users` prove their password (default md5); the auth file keeps them as plain text, which both take. */
  readonly authType?: 'md5' | 'scram-sha-256' | undefined;
  /** Users who may use the admin console (admin_users; default: every user above). */
  readonly adminUsers?: readonly string[] | undefined;
  /** Further [pgbouncer] settings (src/config/pooler-settings.ts checked them), over the defaults above. */
  readonly settings?: Readonly<Record<string, string>> | undefined;
}

export type PgBouncerVersion = DaemonVersion;

export interface LocalPgBouncer extends DaemonHandle {
  readonly port: number;
  readonly version: PgBouncerVersion;
  /** Whether protocol-level prepared statements survive transaction pooling (max_prepared_statements is on). */
  readonly preparedStatements: boolean;
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url(database?: string): string;
}

function pgBouncerBin(bin?: string): string {
  return bin ?? process.env['PGBOUNCER'] ?? DEFAULT_PGBOUNCER;
}

/** `pgbouncer --version`, parsed; throws a clear error when the binary is missing. */
export function pgBouncerVersion(bin?: string): PgBouncerVersion {
  const path = pgBouncerBin(bin);
  return binaryVersion(path, /PgBouncer (\d+)\.(\d+)\.(\d+)/, {
    code: 'LOCAL_NO_PGBOUNCER',
    message: `no PgBouncer at ${path}: install Debian's pgbouncer package (npm run test:deps) or set PGBOUNCER`,
  });
}

export function supportsPreparedStatements(v: PgBouncerVersion): boolean {
  return v.major > 1 || (v.major === 1 && v.minor >= 21);
}

/** Whether `pid` is the running PgBouncer of `dir` (guards against a reused pid before signalling it). */
export function isPgBouncerPid(pid: number, dir: string): boolean {
  return isDaemonPid(pid, 'pgbouncer', dir);
}

/** Stop a PgBouncer by pid (also one started by another process) and remove its directory. */
export async function stopPgBouncerPid(pid: number, dir: string): Promise<void> {
  // SIGTERM: immediate shutdown before 1.23; after it, SIGTERM waits for clients, hence the SIGKILL.
  await stopDaemonPid(pid, dir, { program: 'pgbouncer', signal: 'SIGTERM', graceMs: 3000 });
}

/** The [databases] line that sends every database to one server. */
const databasesLine = (host: string, port: number): string => `* = host=${host} port=${port}`;

/**
 * Points a running PgBouncer (started here, by pid and directory) at another server: its config's
 * [databases] line is rewritten and it is sent SIGHUP, which reloads it. PgBouncer then closes the
 * server connections to the old address as they come free, and opens new ones to the new one.
 */
export function retargetPgBouncer(pid: number, dir: string, host: string, port: number): void {
  const file = join(dir, 'pgbouncer.ini');
  const conf = readFileSync(file, 'utf8').replace(/^\* = host=\S+ port=\d+$/m, databasesLine(host, port));
  writeFileSync(file, conf);
  if (!isPgBouncerPid(pid, dir)) throw new PgsurgeError('LOCAL_NOT_RUNNING', `PgBouncer (pid ${pid}) is not running`);
  process.kill(pid, 'SIGHUP');
}

export async function startPgBouncer(opts: PgBouncerOptions): Promise<LocalPgBouncer> {
  const bin = pgBouncerBin(opts.bin);
  const version = pgBouncerVersion(bin);
  const prepared = supportsPreparedStatements(version) && opts.poolMode === 'transaction';
  const as = runAs();
  const dir = mkdtempSync(join(opts.baseDir ?? tmpdir(), 'pgsurge-pgbouncer-'));
  const port = await freePort();
  const logFile = join(dir, 'pgbouncer.log');
  const users = opts.users ?? { postgres: '' };
  const q = (s: string): string => `"${s.replace(/"/g, '""')}"`;
  writeFileSync(
    join(dir, 'userlist.txt'),
    Object.entries(users)
      .map(([u, p]) => `${q(u)} ${q(p)}`)
      .join('\n') + '\n',
    { mode: 0o600 },
  );
  const conf = [
    '[databases]',
    // Any database name goes to the same server, under the client's own user.
    databasesLine(opts.targetHost, opts.targetPort),
    '[pgbouncer]',
    'listen_addr = 127.0.0.1',
    `listen_port = ${port}`,
    "unix_socket_dir = ''",
    `auth_type = ${opts.users === undefined ? 'trust' : (opts.authType ?? 'md5')}`,
    `auth_file = ${join(dir, 'userlist.txt')}`,
    `admin_users = ${(opts.adminUsers ?? Object.keys(users)).join(',')}`,
    `pool_mode = ${opts.poolMode}`,
    `default_pool_size = ${opts.poolSize ?? 20}`,
    `max_client_conn = ${opts.maxClientConn ?? 1000}`,
    // After a failed login to the server PgBouncer waits this long before trying again (default
    // 15 s): through a failover that wait, not the promotion, would be the outage the clients see.
    'server_login_retry = 1',
    // Drivers (pgjdbc, pgsurge) send these; PgBouncer refuses unknown startup parameters otherwise.
    'ignore_startup_parameters = extra_float_digits,options',
    `logfile = ${logFile}`,
    ...(prepared ? [`max_prepared_statements = ${opts.maxPreparedStatements ?? 200}`] : []),
  ];
  const extra = opts.settings ?? {};
  const lines = [...conf.filter((l) => !Object.hasOwn(extra, l.split(' = ')[0] ?? '')), ...Object.entries(extra).map(([k, v]) => `${k} = ${v}`)];
  writeFileSync(join(dir, 'pgbouncer.ini'), lines.join('\n') + '\n');
  chownTree(dir, as);

  const daemon = await startDaemon(
    { bin, args: [join(dir, 'pgbouncer.ini')], dir, outFile: join(dir, 'stdout.log'), as, persist: opts.persist === true },
    (d) => waitListening('PgBouncer', port, d, logFile, 15_000),
    stopPgBouncerPid,
  );

  return {
    ...daemon,
    port,
    version,
    preparedStatements: prepared,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
  };
}
