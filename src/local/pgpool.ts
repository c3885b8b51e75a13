/**
 * A throwaway Pgpool-II (Debian's `pgpool2`, written against 4.3) in front of a local primary and its
 * streaming replicas: config, password files and log in a temporary directory, free loopback ports
 * for clients and PCP, run as the unprivileged user when root (like the servers it fronts).
 *
 * Clients authenticate to Pgpool-II with SCRAM: pool_hba.conf says scram-sha-256 and pool_passwd
 * holds each password as "TEXT<password>". SCRAM needs the password itself (or an AES-encrypted one,
 * which needs a key file); an md5 entry in pool_passwd cannot serve SCRAM. Pgpool-II then logs into
 * the backends as the client's user; the local servers trust loopback, so no password goes further.
 * Health and replication checks take their passwords from pool_passwd too (their own settings are
 * left empty), so each password is written in one place only.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from '../driver/pg.js';
import { PgsurgeError, usageError } from '../errors.js';
import { binaryVersion, isDaemonPid, startDaemon, stopDaemonPid, waitListening, type DaemonHandle, type DaemonOptions, type DaemonVersion } from './daemon.js';
import { chownTree, freePort, runAs, tail } from './server.js';

const DEFAULT_PGPOOL = '/usr/sbin/pgpool';

export interface PgpoolBackend {
  readonly host: string;
  readonly port: number;
  /** The standby's application_name (the cluster's node name): fills replication_state and lets auto_failback find it. */
  readonly name?: string | undefined;
}

/** `bin` defaults to $PGPOOL, then /usr/sbin/pgpool. */
export interface PgpoolOptions extends DaemonOptions {
  /** Backend 0. Pgpool-II finds the primary itself (pg_is_in_recovery), so this is only where it looks first. */
  readonly primary: PgpoolBackend;
  readonly replicas: readonly PgpoolBackend[];
  /** Login roles and their passwords; each must already exist on the servers with that password. */
  readonly users: Readonly<Record<string, string>>;
  /** Role for the health check (default: the first user). */
  readonly healthCheckUser?: string | undefined;
  /** Role for the replication check and the primary search (default: the first user); it sees replication state only as a superuser or pg_monitor member. */
  readonly srCheckUser?: string | undefined;
  /** Read-only statements to every up node by weight (default true); off, everything goes to the primary. */
  readonly loadBalance?: boolean | undefined;
  /** Pre-forked children, hence the most concurrent clients; more wait in the listen queue (default 32). */
  readonly numInitChildren?: number | undefined;
  /** Cached backend connection pairs (user, database) per child (default 4). */
  readonly maxPool?: number | undefined;
  /** Further pgpool.conf settings as typed (src/config/pooler-settings.ts checked them), over the defaults. */
  readonly settings?: Readonly<Record<string, string>> | undefined;
}

export type PgpoolVersion = DaemonVersion;

export interface LocalPgpool extends DaemonHandle {
  readonly port: number;
  readonly pcpPort: number;
  readonly version: PgpoolVersion;
  /** postgres://USER:PASSWORD@127.0.0.1:PORT/DB */
  url(user: string, password: string, database?: string): string;
}

/** pgpool's status of a backend: `waiting` is up but not yet used by any session. */
export type PoolNodeStatus = 'up' | 'waiting' | 'down' | 'quarantine' | 'unused' | 'unknown';
export type PoolNodeRole = 'primary' | 'standby' | 'unknown';

/** One row of SHOW POOL_NODES (4.3 columns). */
export interface PoolNode {
  readonly nodeId: number;
  readonly hostname: string;
  readonly port: number;
  /** What Pgpool-II believes (a detached node is down even while its server runs). */
  readonly status: PoolNodeStatus;
  /** What the server answers now (4.3+): up, down or unknown. */
  readonly pgStatus: PoolNodeStatus;
  /** Share of read load, 0..1. */
  readonly lbWeight: number;
  /** Pgpool-II's role for the node; changes only on failover or restart. */
  readonly role: PoolNodeRole;
  /** pg_is_in_recovery() of the server now (4.3+); differs from `role` after a promotion pgpool has not followed. */
  readonly pgRole: PoolNodeRole;
  /** SELECTs sent to the node since Pgpool-II started (its own checks not counted). */
  readonly selectCnt: number;
  /** Whether this session's reads go to the node. */
  readonly loadBalanceNode: boolean;
  /** WAL bytes the standby is behind (0 for the primary), as of the last replication check. */
  readonly replicationDelayBytes: number;
  /** pg_stat_replication state on the primary ('' without backend_application_name or privilege). */
  readonly replicationState: string;
  readonly replicationSyncState: string;
  /** Local time, "YYYY-MM-DD HH:MM:SS". */
  readonly lastStatusChange: string;
}

function pgpoolBin(bin?: string): string {
  return bin ?? process.env['PGPOOL'] ?? DEFAULT_PGPOOL;
}

/** `pgpool --version` ("pgpool-II version 4.3.5 (tamahomeboshi)"), parsed; throws a clear error when the binary is missing. */
export function pgpoolVersion(bin?: string): PgpoolVersion {
  const path = pgpoolBin(bin);
  return binaryVersion(path, /pgpool-II version (\d+)\.(\d+)\.(\d+)/, {
    code: 'LOCAL_NO_PGPOOL',
    message: `no Pgpool-II at ${path}: install Debian's pgpool2 package (npm run test:deps) or set PGPOOL`,
  });
}

/** Whether `pid` is the running Pgpool-II of `dir` (guards against a reused pid before signalling it). */
export function isPgpoolPid(pid: number, dir: string): boolean {
  return isDaemonPid(pid, 'pgpool', dir);
}

/** Stop a Pgpool-II by pid (also one started by another process) and remove its directory. */
export async function stopPgpoolPid(pid: number, dir: string): Promise<void> {
  // SIGINT is the fast shutdown: sessions are cut, the main process waits for its children.
  await stopDaemonPid(pid, dir, { program: 'pgpool', signal: 'SIGINT', graceMs: 5000 });
}

const STATUSES: readonly PoolNodeStatus[] = ['up', 'waiting', 'down', 'quarantine', 'unused'];
const ROLES: readonly PoolNodeRole[] = ['primary', 'standby'];
const oneOf = <T extends string>(allowed: readonly T[], v: unknown, other: T): T => allowed.find((a) => a === v) ?? other;

/** SHOW POOL_NODES through a session to Pgpool-II, typed (every column arrives as text). */
export async function readPoolNodes(client: pg.ClientBase): Promise<PoolNode[]> {
  const res = await client.query<Record<string, string | null>>('SHOW POOL_NODES');
  return res.rows.map((r) => ({
    nodeId: Number(r['node_id']),
    hostname: r['hostname'] ?? '',
    port: Number(r['port']),
    status: oneOf(STATUSES, r['status'], 'unknown'),
    pgStatus: oneOf(STATUSES, r['pg_status'], 'unknown'),
    lbWeight: Number(r['lb_weight']),
    role: oneOf(ROLES, r['role'], 'unknown'),
    pgRole: oneOf(ROLES, r['pg_role'], 'unknown'),
    selectCnt: Number(r['select_cnt']),
    loadBalanceNode: r['load_balance_node'] === 'true',
    replicationDelayBytes: Number(r['replication_delay'] ?? 0),
    replicationState: r['replication_state'] ?? '',
    replicationSyncState: r['replication_sync_state'] ?? '',
    lastStatusChange: r['last_status_change'] ?? '',
  }));
}

/** Names and passwords go into pool_passwd (":" and "\" escaped), pcp.conf and single-quoted settings, which know no other escapes. */
function checkUsers(users: Readonly<Record<string, string>>): [string, string][] {
  const entries = Object.entries(users);
  const problems: string[] = [];
  if (entries.length === 0) problems.push('users: at least one login role is needed (Pgpool-II authenticates every client)');
  for (const [u, p] of entries) {
    if (u === '' || /[:'\\\s]/.test(u)) problems.push(`users: "${u}" cannot be a Pgpool-II user here (no quotes, colons, backslashes or spaces)`);
    // pool_passwd tokens hold 128 characters, "TEXT" included.
    if (p === '' || /[\r\n]/.test(p) || p.length > 120) problems.push(`users: the password of "${u}" must be 1 to 120 characters on one line`);
  }
  if (problems.length > 0) throw usageError('LOCAL_BAD_PGPOOL_USERS', problems[0]!, problems.slice(1));
  return entries;
}

const escapePoolPasswd = (s: string): string => s.replace(/[\\:]/g, (c) => `\\${c}`);
const md5Hex = (s: string): string => createHash('md5').update(s).digest('hex');

/** pgpool.conf lines: numbers bare, strings single-quoted (the values here never hold a quote: checked names, our paths). */
/** A value as typed: numbers and on/off as they are, anything else a quoted string. */
function typedSetting(v: string): string | number | boolean {
  if (/^-?\d+(\.\d+)?$/.test(v)) return Number(v);
  if (/^(on|true)$/i.test(v)) return true;
  if (/^(off|false)$/i.test(v)) return false;
  return v.replace(/^'(.*)'$/, '$1');
}

function poolConfLines(settings: Readonly<Record<string, string | number | boolean>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : typeof v === 'boolean' ? (v ? 'on' : 'off') : `'${v.replace(/'/g, "''")}'`}`)
    .join('\n');
}

async function twoFreePorts(): Promise<[number, number]> {
  const a = await freePort();
  for (;;) {
    const b = await freePort();
    if (b !== a) return [a, b];
  }
}

/**
 * Wait until every backend is up in Pgpool-II's own view and one is primary. A node is "waiting"
 * until a session uses it; each probe is such a session, so the next probe sees it up.
 */
async function waitBackendsUp(port: number, user: string, password: string, count: number, logFile: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = 'no answer';
  while (Date.now() < deadline) {
    const c = new pg.Client({ host: '127.0.0.1', port, user, password, database: 'postgres', connectionTimeoutMillis: 2000 });
    c.on('error', () => undefined);
    try {
      await c.connect();
      const nodes = await readPoolNodes(c);
      if (nodes.length === count && nodes.every((n) => n.status === 'up' && n.pgStatus === 'up') && nodes.some((n) => n.role === 'primary')) return;
      seen = nodes.map((n) => `node ${n.nodeId} ${n.status}/${n.role}`).join(', ');
    } catch (e) {
      seen = e instanceof Error ? e.message : String(e);
    } finally {
      await c.end().catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new PgsurgeError(
    'LOCAL_START_FAILED',
    `Pgpool-II on 127.0.0.1:${port} did not report every backend up within ${timeoutMs / 1000}s (${seen}):\n${tail(logFile, 10, '(no log)')}`,
  );
}

/**
 * How Pgpool-II follows a new primary. It never promotes anything itself (no failover_command):
 * whoever drives the cluster promotes a standby. It finds the primary by asking every node it has
 * up for pg_is_in_recovery() — at start, and again on each failover of the primary; nothing else
 * ever looks again.
 *
 * - The primary dies: the health check fails within about a second and detaches it; Pgpool-II
 *   then asks the remaining nodes once a second until one is out of recovery, and takes it as the
 *   primary. Meanwhile new sessions wait (TCP accepted, no answer). search_primary_node_timeout = 0
 *   keeps it asking however late the promotion comes: after giving up it would stay without a
 *   primary for good.
 * - A standby is promoted while the old primary runs: Pgpool-II keeps sending writes to the old
 *   one, and takes the promoted one once the old one dies (as above, found at once).
 *   detach_false_primary would judge by which primary the standbys stream from: with one replica,
 *   or a second not yet repointed to the new primary, it detaches the node just promoted.
 * - failover_on_backend_error off: a session's broken backend connection (pg_terminate_backend, a
 *   proxy cut) ends that session only. On, pg_terminate_backend of one session detaches the live
 *   primary, and the search above never ends. Detaching is the health check's job alone;
 *   failover_on_backend_shutdown (57P01/57P02) stays off for the same reason.
 * - auto_failback: a standby detached while it restarted is attached again once the primary shows
 *   it streaming (matched by application_name, see PgpoolBackend.name).
 */
const FAILOVER_SETTINGS = {
  failover_command: '',
  follow_primary_command: '',
  failover_on_backend_error: false,
  failover_on_backend_shutdown: false,
  detach_false_primary: false,
  search_primary_node_timeout: 0,
  auto_failback: true,
  auto_failback_interval: 1,
} as const;

export async function startPgpool(opts: PgpoolOptions): Promise<LocalPgpool> {
  const bin = pgpoolBin(opts.bin);
  const version = pgpoolVersion(bin);
  const users = checkUsers(opts.users);
  const [firstUser, firstPassword] = users[0]!;
  const healthCheckUser = opts.healthCheckUser ?? firstUser;
  const srCheckUser = opts.srCheckUser ?? firstUser;
  for (const [what, u] of [
    ['healthCheckUser', healthCheckUser],
    ['srCheckUser', srCheckUser],
  ] as const) {
    if (opts.users[u] === undefined) throw usageError('LOCAL_BAD_PGPOOL_USERS', `${what} "${u}" is not among the users (its password comes from there)`);
  }
  const as = runAs();
  const dir = mkdtempSync(join(opts.baseDir ?? tmpdir(), 'pgsurge-pgpool-'));
  const [port, pcpPort] = await twoFreePorts();
  const logFile = join(dir, 'pgpool.log');
  const backends = [opts.primary, ...opts.replicas];

  writeFileSync(join(dir, 'pool_passwd'), users.map(([u, p]) => `${u}:TEXT${escapePoolPasswd(p)}\n`).join(''), { mode: 0o600 });
  writeFileSync(join(dir, 'pcp.conf'), users.map(([u, p]) => `${u}:${md5Hex(p)}\n`).join(''), { mode: 0o600 });
  writeFileSync(join(dir, 'pool_hba.conf'), ['local all all scram-sha-256', 'host all all 127.0.0.1/32 scram-sha-256', ''].join('\n'));
  const backendSettings: Record<string, string | number> = {};
  backends.forEach((b, i) => {
    backendSettings[`backend_hostname${i}`] = b.host;
    backendSettings[`backend_port${i}`] = b.port;
    backendSettings[`backend_weight${i}`] = 1;
    backendSettings[`backend_flag${i}`] = 'ALLOW_TO_FAILOVER';
    if (b.name !== undefined) backendSettings[`backend_application_name${i}`] = b.name;
  });
  const conf = poolConfLines({
    backend_clustering_mode: 'streaming_replication',
    listen_addresses: '127.0.0.1',
    port,
    socket_dir: dir,
    pcp_listen_addresses: '127.0.0.1',
    pcp_port: pcpPort,
    pcp_socket_dir: dir,
    wd_ipc_socket_dir: dir,
    pid_file_name: join(dir, 'pgpool.pid'),
    // pgpool_status (which nodes are down) goes here; a fresh directory forgets it, like -D.
    logdir: dir,
    logging_collector: false,
    log_destination: 'stderr',
    ...backendSettings,
    enable_pool_hba: true,
    pool_passwd: join(dir, 'pool_passwd'),
    allow_clear_text_frontend_auth: false,
    num_init_children: opts.numInitChildren ?? 32,
    max_pool: opts.maxPool ?? 4,
    load_balance_mode: opts.loadBalance !== false,
    // Reads of a session go to the one node chosen when it connected (weights 1:1:…, the primary included).
    statement_level_load_balance: false,
    // A dead server is detached within about a second: connect refused is immediate, a hung one times out.
    health_check_period: 1,
    health_check_timeout: 2,
    health_check_max_retries: 0,
    health_check_user: healthCheckUser,
    health_check_password: '',
    health_check_database: 'postgres',
    connect_timeout: 2000,
    sr_check_period: 1,
    sr_check_user: srCheckUser,
    sr_check_password: '',
    sr_check_database: 'postgres',
    ...FAILOVER_SETTINGS,
    ...Object.fromEntries(Object.entries(opts.settings ?? {}).map(([k, v]) => [k, typedSetting(v)])),
  });
  writeFileSync(join(dir, 'pgpool.conf'), `${conf}\n`);
  chownTree(dir, as);

  // -n: stay in the foreground (our child, its log on stderr); -D: ignore any saved node status.
  const args = ['-n', '-D', '-f', join(dir, 'pgpool.conf'), '-F', join(dir, 'pcp.conf'), '-a', join(dir, 'pool_hba.conf')];
  const daemon = await startDaemon(
    { bin, args, dir, outFile: logFile, as, persist: opts.persist === true, exitSignal: 'SIGINT' },
    async (d) => {
      await waitListening('Pgpool-II', port, d, logFile, 15_000);
      await waitBackendsUp(port, firstUser, firstPassword, backends.length, logFile, 20_000);
    },
    stopPgpoolPid,
  );

  return {
    ...daemon,
    port,
    pcpPort,
    version,
    url: (user, password, database = 'postgres') =>
      `postgres://${encodeURIComponent(user)}:${encodeURIComponent(password)}@127.0.0.1:${port}/${encodeURIComponent(database)}`,
  };
}
