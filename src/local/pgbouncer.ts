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
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, openSync, closeSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import { atExit } from './at-exit.js';
import { chownTree, freePort, runAs, tail } from './server.js';

const DEFAULT_PGBOUNCER = '/usr/sbin/pgbouncer';

export interface PgBouncerOptions {
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
  /** Path of the binary (default $PGBOUNCER or /usr/sbin/pgbouncer). */
  readonly bin?: string | undefined;
  /** Keep running after this process exits (`pgsurge local up`); otherwise killed at exit. */
  readonly persist?: boolean | undefined;
  readonly baseDir?: string | undefined;
}

export interface PgBouncerVersion {
  readonly text: string;
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

export interface LocalPgBouncer {
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  readonly dir: string;
  readonly version: PgBouncerVersion;
  /** Whether protocol-level prepared statements survive transaction pooling (max_prepared_statements is on). */
  readonly preparedStatements: boolean;
  /** postgres://postgres@127.0.0.1:PORT/DB */
  url(database?: string): string;
  /** Stop it and remove its directory. Safe to call twice. */
  stop(): Promise<void>;
}

function pgBouncerBin(bin?: string): string {
  return bin ?? process.env['PGBOUNCER'] ?? DEFAULT_PGBOUNCER;
}

/** `pgbouncer --version`, parsed; throws a clear error when the binary is missing. */
export function pgBouncerVersion(bin?: string): PgBouncerVersion {
  const path = pgBouncerBin(bin);
  const r = spawnSync(path, ['--version'], { encoding: 'utf8' });
  const m = /PgBouncer (\d+)\.(\d+)\.(\d+)/.exec(r.stdout ?? '');
  if (r.error !== undefined || m === null) {
    throw new PgsurgeError('LOCAL_NO_PGBOUNCER', `no PgBouncer at ${path}: install Debian's pgbouncer package (npm run test:deps) or set PGBOUNCER`, {
      cause: r.error,
    });
  }
  return { text: m[0], major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

export function supportsPreparedStatements(v: PgBouncerVersion): boolean {
  return v.major > 1 || (v.major === 1 && v.minor >= 21);
}

/** Unregistration of the exit clean-up of each PgBouncer this process started (not persistent), by pid. */
const live = new Map<number, () => void>();

async function waitListening(port: number, exited: () => boolean, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new PgsurgeError('LOCAL_START_FAILED', `PgBouncer exited while starting:\n${tail(logFile, 10, '(no log)')}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.1', port }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new PgsurgeError('LOCAL_START_FAILED', `PgBouncer did not listen on 127.0.0.1:${port} within ${timeoutMs / 1000}s:\n${tail(logFile, 10, '(no log)')}`);
}

/** Whether `pid` is a running PgBouncer (guards against a reused pid before signalling it). */
export function isPgBouncerPid(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('pgbouncer');
  } catch {
    return false;
  }
}

/** Stop a PgBouncer by pid (also one started by another process) and remove its directory. */
export async function stopPgBouncerPid(pid: number, dir: string): Promise<void> {
  if (isPgBouncerPid(pid)) {
    // SIGTERM: immediate shutdown before 1.23; after it, SIGTERM waits for clients, hence the SIGKILL.
    process.kill(pid, 'SIGTERM');
    const deadline = Date.now() + 3000;
    while (isPgBouncerPid(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
    if (isPgBouncerPid(pid)) process.kill(pid, 'SIGKILL');
  }
  live.get(pid)?.();
  live.delete(pid);
  rmSync(dir, { recursive: true, force: true });
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
  if (!isPgBouncerPid(pid)) throw new PgsurgeError('LOCAL_NOT_RUNNING', `PgBouncer (pid ${pid}) is not running`);
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
  writeFileSync(join(dir, 'pgbouncer.ini'), conf.join('\n') + '\n');
  chownTree(dir, as);

  const fd = openSync(join(dir, 'stdout.log'), 'a');
  // detached: its own session, so a Ctrl-C aimed at pgsurge does not reach it.
  const child = spawn(bin, [join(dir, 'pgbouncer.ini')], { ...as.ids, detached: true, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const pid = child.pid;
  if (pid === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw new PgsurgeError('LOCAL_START_FAILED', `could not start ${bin}`);
  }
  let exited = false;
  child.once('exit', () => (exited = true));
  if (opts.persist === true) child.unref();
  else {
    live.set(
      pid,
      atExit(() => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
        rmSync(dir, { recursive: true, force: true });
      }),
    );
  }
  try {
    await waitListening(port, () => exited, logFile, 15_000);
  } catch (e) {
    await stopPgBouncerPid(pid, dir);
    throw e;
  }

  let stopped = false;
  return {
    host: '127.0.0.1',
    port,
    pid,
    dir,
    version,
    preparedStatements: prepared,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(database)}`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopPgBouncerPid(pid, dir);
    },
  };
}
