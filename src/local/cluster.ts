/**
 * Local clusters for failover tests: a primary with streaming replicas (pg_basebackup -R, one
 * physical replication slot each), optionally synchronous, optionally behind PgBouncer and Pgpool-II (stacked
 * in either order), on free loopback ports, as the unprivileged user when root.
 *
 * Nodes are driven through pg_ctl and their data directories only, so the same LocalCluster can be
 * rebuilt from a state file by another process (`attachCluster`, used by `pgsurge local ...`).
 * Node names are pg0 (the first primary), pg1..pgN (the replicas); each replica's cluster_name is
 * its name, which is also the application_name its walreceiver reports (synchronous_standby_names).
 */
import { randomBytes } from 'node:crypto';
import pg from '../driver/pg.js';
import { appendFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PgsurgeError } from '../errors.js';
import { atExit } from './at-exit.js';
import { initDataDir } from './initdb.js';
import {
  confLines,
  dataDirOf,
  findClusterBinDir,
  logFileOf,
  nodePid,
  nodeUrl,
  pgTools,
  promoteNode,
  runTool,
  sockDirOf,
  startNode,
  stopNode,
  withNode,
  type NodeSpec,
  type PgTools,
} from './pg-node.js';
import { isPgBouncerPid, retargetPgBouncer, startPgBouncer, stopPgBouncerPid } from './pgbouncer.js';
import { startPgpool, stopPgpoolPid } from './pgpool.js';
import { chownTree, freePort, runAs, SUPERUSER } from './server.js';
import type { ClusterState } from './state.js';

export interface ClusterOptions {
  readonly replicas: number;
  /** Commits wait for one standby (synchronous_standby_names = 'ANY 1 (pg1, ...)'). */
  readonly sync?: boolean | undefined;
  /** PgBouncer (transaction pooling) in front of the primary. */
  readonly pgbouncer?: boolean | undefined;
  /** Pgpool-II in front of every node: writes to the primary, reads balanced; with `pgbouncer`, a second PgBouncer in front of it too. */
  readonly pgpool?: boolean | undefined;
  /**
   * The other stacking order: a PgBouncer on each node (session pooling) and a Pgpool-II whose
   * backends are those PgBouncers (client → Pgpool-II → PgBouncer → node), as with a pooler beside
   * each server. Session pooling, because Pgpool-II keeps a client's backend connections for the
   * client's whole session (named statements, SET, its own queries): transaction pooling under it
   * would hand them to other clients. A promotion needs no re-pointing: each PgBouncer stays with
   * its node, and Pgpool-II finds the new primary through the promoted node's PgBouncer.
   */
  readonly pgpoolOverPgbouncer?: boolean | undefined;
  /** Binaries with pg_basebackup; default the newest Debian PostgreSQL. */
  readonly binDir?: string | undefined;
  /** Server settings for every node. */
  readonly settings?: Readonly<Record<string, string | number>> | undefined;
  /** Settings of the local PgBouncers and of the Pgpool-II (src/config/pooler-settings.ts). */
  readonly pgbouncerSettings?: Readonly<Record<string, string>> | undefined;
  readonly pgpoolSettings?: Readonly<Record<string, string>> | undefined;
  /** Database created on the primary and named in the URLs (default "pgsurge"). */
  readonly database?: string | undefined;
  /** Keep running after this process exits (`pgsurge local up`); otherwise killed at exit. */
  readonly persist?: boolean | undefined;
  readonly log?: ((line: string) => void) | undefined;
}

export interface ClusterNode extends NodeSpec {
  readonly host: string;
  readonly url: string;
  readonly dataDir: string;
  readonly logFile: string;
  /** The postmaster's pid, or undefined when the node is not running. */
  pid(): number | undefined;
}

export interface LocalCluster {
  /** Roles at start; `currentPrimary` follows promotions. */
  readonly primary: ClusterNode;
  readonly replicas: readonly ClusterNode[];
  readonly nodes: readonly ClusterNode[];
  readonly currentPrimary: ClusterNode;
  readonly pgbouncer?: { readonly url: string; readonly port: number; readonly pid: number; stop(): Promise<void> } | undefined;
  /** multiHost: every node, the first primary first (for target_session_attrs). */
  /**
   * multiHost lists every node with no target_session_attrs (tests append their own); readWrite is
   * the same list with target_session_attrs=read-write, the URL a client follows a promotion with,
   * and readOnly/any the forms for reads (a standby if one answers) and for any node.
   */
  readonly urls: {
    readonly primary: string;
    readonly replicas: readonly string[];
    readonly multiHost: string;
    readonly readWrite: string;
    readonly preferStandby: string;
    readonly pgbouncer?: string;
    /** Pgpool-II in front of every node. */
    readonly pgpool?: string;
    /** PgBouncer in front of Pgpool-II. */
    readonly pgbouncerPgpool?: string;
    /** Pgpool-II in front of a PgBouncer on each node. */
    readonly pgpoolPgbouncer?: string;
    /** Each node's own PgBouncer (with `pgpoolOverPgbouncer`), in the order of `nodes`. */
    readonly nodeBouncers?: readonly string[];
  };
  /** Immediate shutdown of the current primary (pg_ctl stop -m immediate: no checkpoint, no error to clients). */
  killPrimary(): Promise<void>;
  stopPrimary(mode: 'fast' | 'immediate'): Promise<void>;
  /** Promote replicas[replicaIndex]; the other running replicas are pointed at it. Returns the new primary. */
  promote(replicaIndex: number): Promise<ClusterNode>;
  stopNode(node: ClusterNode, mode: 'fast' | 'immediate'): Promise<void>;
  startNode(node: ClusterNode): Promise<void>;
  /** pg_terminate_backend on every client backend of `node` (default: the current primary); returns how many. */
  terminateBackends(node?: ClusterNode): Promise<number>;
  /** Wait until every running replica has replayed the current primary's WAL position. */
  waitForReplication(timeoutMs?: number): Promise<void>;
  /** What `attachCluster` needs to find this cluster again. */
  state(): ClusterState;
  /** Stop everything and remove every directory. Safe to call twice. */
  stop(): Promise<void>;
}

/** Unregistration of the exit clean-up of each non-persistent cluster, by base directory. */
const liveDirs = new Map<string, () => void>();

export async function startCluster(opts: ClusterOptions): Promise<LocalCluster> {
  if (!Number.isInteger(opts.replicas) || opts.replicas < 0 || opts.replicas > 16) {
    throw new PgsurgeError('LOCAL_BAD_REPLICAS', `replicas must be an integer from 0 to 16, not ${opts.replicas}`, { exitCode: 2 });
  }
  if (opts.sync === true && opts.replicas === 0)
    throw new PgsurgeError('LOCAL_BAD_REPLICAS', 'a synchronous cluster needs at least one replica', { exitCode: 2 });
  const log = opts.log ?? (() => undefined);
  const tools = pgTools(findClusterBinDir(opts.binDir));
  const database = opts.database ?? 'pgsurge';
  const baseDir = mkdtempSync(join(tmpdir(), 'pgsurge-cluster-'));
  const nodes: NodeSpec[] = [];
  for (let i = 0; i <= opts.replicas; i++) nodes.push({ name: `pg${i}`, port: await freePort(), dir: join(baseDir, `pg${i}`) });
  const [primary, ...replicas] = nodes as [NodeSpec, ...NodeSpec[]];
  let state: ClusterState = { version: 1, baseDir, binDir: tools.binDir, database, sync: opts.sync === true, nodes, primary: primary.name };
  if (opts.persist !== true) {
    // At exit, kill what a non-persistent cluster left running (synchronous: only signals).
    liveDirs.set(
      baseDir,
      atExit(() => {
        for (const n of nodes) {
          const pid = nodePid(n);
          try {
            if (pid !== undefined) process.kill(pid, 'SIGQUIT');
          } catch {
            /* exited since nodePid looked: the directories must still go */
          }
        }
        rmSync(baseDir, { recursive: true, force: true });
      }),
    );
  }
  const as = runAs();
  try {
    for (const n of nodes) mkdirSync(sockDirOf(n), { recursive: true });
    chownTree(baseDir, as);
    log(`initdb ${dataDirOf(primary)}`);
    await initDataDir({ binDir: tools.binDir, dataDir: dataDirOf(primary), ids: tools.ids, env: tools.env, superuser: SUPERUSER });
    const common = {
      listen_addresses: '127.0.0.1',
      wal_level: 'replica',
      hot_standby: 'on',
      max_wal_senders: opts.replicas + 5,
      max_replication_slots: opts.replicas + 5,
      // Lets a standby that was ahead of the promoted one still follow it when the WAL forks late.
      wal_log_hints: 'on',
      ...opts.settings,
    };
    // Every replica copies this file; its own block (port, socket, name) is appended after the copy.
    appendFileSync(join(dataDirOf(primary), 'postgresql.conf'), `\n# pgsurge local cluster\n${confLines(common)}\n`);
    appendNodeBlock(primary);
    log(`starting ${primary.name} on 127.0.0.1:${primary.port}`);
    await startNode(tools, primary);
    if (database !== 'postgres') await withNode(primary, (c) => c.query(`CREATE DATABASE "${database.replace(/"/g, '""')}"`));

    // Each replica's slot is made first, keeping WAL from now on. Made by pg_basebackup -C instead,
    // a slot is created by its WAL-streaming process after the backup has begun: another replica's
    // backup checkpoint in between could remove the segment the stream then asks for ("requested
    // WAL segment … has already been removed", seen in CI).
    await withNode(primary, async (c) => {
      for (const r of replicas) await c.query('SELECT pg_create_physical_replication_slot($1, true)', [r.name]);
    });
    await Promise.all(
      replicas.map(async (r) => {
        log(`pg_basebackup ${primary.name} → ${r.name}`);
        await runTool(tools, 'pg_basebackup', [
          '-h',
          '127.0.0.1',
          '-p',
          String(primary.port),
          '-U',
          SUPERUSER,
          '-D',
          dataDirOf(r),
          '-R',
          '-X',
          'stream',
          '-S',
          r.name,
          '-c',
          'fast',
          '--no-sync',
        ]);
        appendNodeBlock(r);
        log(`starting ${r.name} on 127.0.0.1:${r.port}`);
        await startNode(tools, r);
      }),
    );
    await waitStreaming(
      primary,
      replicas.map((r) => r.name),
      30_000,
    );
    if (opts.sync === true) {
      // Only now: with it set earlier, CREATE DATABASE would wait for a standby that does not exist yet.
      await withNode(primary, async (c) => {
        await c.query(`ALTER SYSTEM SET synchronous_standby_names = 'ANY 1 (${replicas.map((r) => r.name).join(', ')})'`);
        await c.query('SELECT pg_reload_conf()');
      });
      await waitSyncStandby(primary, 10_000);
    }
    if (opts.pgbouncer === true || opts.pgpool === true || opts.pgpoolOverPgbouncer === true) {
      // Clients prove a password to the pooler, as they would to a real one: a SCRAM login role.
      state = { ...state, login: await createLogin(primary, database) };
      if (replicas.length > 0)
        await waitStreaming(
          primary,
          replicas.map((r) => r.name),
          30_000,
        );
    }
    const login = state.login;
    if (opts.pgpool === true && login !== undefined) {
      const p = await startPgpool({
        primary: { host: '127.0.0.1', port: primary.port, name: primary.name },
        replicas: replicas.map((r) => ({ host: '127.0.0.1', port: r.port, name: r.name })),
        users: { [login.user]: login.password },
        persist: opts.persist,
        settings: opts.pgpoolSettings,
      });
      state = { ...state, pgpool: { port: p.port, pid: p.pid, dir: p.dir } };
      if (opts.pgbouncer === true) {
        // Both stacked: client → PgBouncer → Pgpool-II → the nodes.
        const b = await pooledBouncer(p.port, login, opts.persist, opts.pgbouncerSettings);
        state = { ...state, pgbouncerPgpool: { port: b.port, pid: b.pid, dir: b.dir } };
      }
    }
    if (opts.pgpoolOverPgbouncer === true && login !== undefined) {
      // State after each start: a failure part-way stops what already runs.
      for (const n of nodes) {
        const b = await startPgBouncer({
          // Pgpool-II's health check only logs in, and PgBouncer answers a login from its own
          // password file without its server: a dead node would look alive for good. With the
          // password looked up on the server (auth_query as auth_user) a login needs the server, and
          // query_wait_timeout fails it within 2 s when the server is gone. The pool holds a server
          // connection for each of Pgpool-II's children (32 by default) and its checks.
          settings: { auth_user: SUPERUSER, query_wait_timeout: '2', default_pool_size: '40', ...opts.pgbouncerSettings },
          targetHost: '127.0.0.1',
          targetPort: n.port,
          poolMode: 'session',
          users: { [SUPERUSER]: '' },
          adminUsers: [login.user],
          authType: 'scram-sha-256',
          persist: opts.persist,
        });
        state = { ...state, nodeBouncers: [...(state.nodeBouncers ?? []), { port: b.port, pid: b.pid, dir: b.dir }] };
      }
      const [first, ...others] = (state.nodeBouncers ?? []).map((b, i) => ({ host: '127.0.0.1', port: b.port, name: nodes[i]!.name }));
      const p = await startPgpool({
        primary: first!,
        replicas: others,
        users: { [login.user]: login.password },
        persist: opts.persist,
        settings: opts.pgpoolSettings,
      });
      state = { ...state, pgpoolPgbouncer: { port: p.port, pid: p.pid, dir: p.dir } };
    }
    if (opts.pgbouncer === true && login !== undefined) {
      const b = await pooledBouncer(primary.port, login, opts.persist, opts.pgbouncerSettings);
      state = { ...state, pgbouncer: { port: b.port, pid: b.pid, dir: b.dir } };
    }
  } catch (e) {
    await stopAll(tools, state);
    throw e;
  }
  return attachWith(tools, state);
}

/** A PgBouncer (transaction pooling) in front of 127.0.0.1:`port`, its clients proving the login's SCRAM password. */
function pooledBouncer(
  port: number,
  login: { user: string; password: string },
  persist: boolean | undefined,
  settings: Readonly<Record<string, string>> | undefined,
): ReturnType<typeof startPgBouncer> {
  return startPgBouncer({
    settings,
    targetHost: '127.0.0.1',
    targetPort: port,
    poolMode: 'transaction',
    users: { [login.user]: login.password },
    authType: 'scram-sha-256',
    persist,
  });
}

/** The login role poolers authenticate: it owns the database and its public schema, and reads the server's statistics. */
export const LOGIN_USER = 'app';

async function createLogin(primary: NodeSpec, database: string): Promise<{ user: string; password: string }> {
  const password = randomBytes(18).toString('base64url');
  const db = `"${database.replace(/"/g, '""')}"`;
  await withNode(primary, async (c) => {
    await c.query("SET password_encryption = 'scram-sha-256'");
    await c.query(`CREATE ROLE ${LOGIN_USER} LOGIN PASSWORD '${password}'`);
    await c.query(`GRANT pg_monitor TO ${LOGIN_USER}`);
    await c.query(`ALTER DATABASE ${db} OWNER TO ${LOGIN_USER}`);
  });
  // The schema lives in the database itself (owned by pg_database_owner since PostgreSQL 15, but not before).
  const c = new pg.Client({ connectionString: nodeUrl(primary, database), connectionTimeoutMillis: 5000 });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query(`ALTER SCHEMA public OWNER TO ${LOGIN_USER}`);
  } finally {
    await c.end().catch(() => undefined);
  }
  return { user: LOGIN_USER, password };
}

/** Port, socket directory and name of one node, appended last so that they win over the copied lines. */
function appendNodeBlock(n: NodeSpec): void {
  const own: Record<string, string | number> = { port: n.port, unix_socket_directories: sockDirOf(n), cluster_name: n.name };
  // A standby must not inherit the primary's synchronous setting: promoted, it would wait forever.
  if (n.name !== 'pg0') own['synchronous_standby_names'] = '';
  appendFileSync(join(dataDirOf(n), 'postgresql.conf'), `\n# pgsurge: ${n.name}\n${confLines(own)}\n`);
}

async function waitStreaming(primary: NodeSpec, names: readonly string[], timeoutMs: number): Promise<void> {
  if (names.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let seen: string[] = [];
  while (Date.now() < deadline) {
    seen = await withNode(primary, async (c) =>
      (await c.query<{ n: string }>("SELECT application_name AS n FROM pg_stat_replication WHERE state = 'streaming'")).rows.map((r) => r.n),
    );
    if (names.every((n) => seen.includes(n))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new PgsurgeError(
    'LOCAL_REPLICATION_FAILED',
    `replicas not streaming after ${timeoutMs / 1000}s: expected ${names.join(', ')}, streaming: ${seen.join(', ') || 'none'}`,
  );
}

async function waitSyncStandby(primary: NodeSpec, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = await withNode(primary, (c) => c.query("SELECT 1 FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')"));
    if (r.rowCount !== null && r.rowCount > 0) return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new PgsurgeError('LOCAL_REPLICATION_FAILED', `no synchronous standby after ${timeoutMs / 1000}s`);
}

async function stopAll(tools: PgTools, s: ClusterState): Promise<void> {
  const errors: unknown[] = [];
  if (s.pgbouncer !== undefined) await stopPgBouncerPid(s.pgbouncer.pid, s.pgbouncer.dir).catch((e: unknown) => errors.push(e));
  if (s.pgbouncerPgpool !== undefined) await stopPgBouncerPid(s.pgbouncerPgpool.pid, s.pgbouncerPgpool.dir).catch((e: unknown) => errors.push(e));
  if (s.pgpool !== undefined) await stopPgpoolPid(s.pgpool.pid, s.pgpool.dir).catch((e: unknown) => errors.push(e));
  if (s.pgpoolPgbouncer !== undefined) await stopPgpoolPid(s.pgpoolPgbouncer.pid, s.pgpoolPgbouncer.dir).catch((e: unknown) => errors.push(e));
  for (const b of s.nodeBouncers ?? []) await stopPgBouncerPid(b.pid, b.dir).catch((e: unknown) => errors.push(e));
  // Immediate: a throwaway cluster needs no checkpoint, and a fast stop of a sync primary can wait.
  await Promise.all(s.nodes.map((n) => stopNode(tools, n, 'immediate').catch((e: unknown) => errors.push(e))));
  for (const n of s.nodes) {
    const pid = nodePid(n);
    if (pid !== undefined) process.kill(pid, 'SIGKILL');
  }
  liveDirs.get(s.baseDir)?.();
  liveDirs.delete(s.baseDir);
  rmSync(s.baseDir, { recursive: true, force: true });
  if (errors.length > 0) throw new PgsurgeError('LOCAL_STOP_FAILED', 'some servers did not stop cleanly (they were killed)', { cause: errors[0] });
}

/** Rebuild a cluster handle from its state (another process started it). */
export function attachCluster(state: ClusterState): LocalCluster {
  return attachWith(pgTools(state.binDir), state);
}

function attachWith(tools: PgTools, initial: ClusterState): LocalCluster {
  let s = initial;
  let stopped = false;
  const toNode = (n: NodeSpec): ClusterNode => ({
    ...n,
    host: '127.0.0.1',
    url: nodeUrl(n, s.database),
    dataDir: dataDirOf(n),
    logFile: logFileOf(n),
    pid: () => nodePid(n),
  });
  const nodes = s.nodes.map(toNode);
  const [primary, ...replicas] = nodes as [ClusterNode, ...ClusterNode[]];
  const current = (): ClusterNode => nodes.find((n) => n.name === s.primary) ?? primary;
  const b = s.pgbouncer;
  const login = s.login === undefined ? SUPERUSER : `${s.login.user}:${encodeURIComponent(s.login.password)}`;
  const pooled = (d: { port: number } | undefined): string | undefined =>
    d === undefined ? undefined : `postgres://${login}@127.0.0.1:${d.port}/${encodeURIComponent(s.database)}`;
  const pgbouncerUrl = pooled(b);
  const pgpoolUrl = pooled(s.pgpool);
  const stackedUrl = pooled(s.pgbouncerPgpool);
  const pgpoolFirstUrl = pooled(s.pgpoolPgbouncer);
  const nodeBouncerUrls = s.nodeBouncers?.map((b) => pooled(b)!);
  const multiHost = `postgres://${SUPERUSER}@${nodes.map((n) => `127.0.0.1:${n.port}`).join(',')}/${encodeURIComponent(s.database)}`;
  const urls = {
    primary: primary.url,
    replicas: replicas.map((r) => r.url),
    multiHost,
    readWrite: `${multiHost}?target_session_attrs=read-write`,
    preferStandby: `${multiHost}?target_session_attrs=prefer-standby`,
    ...(pgbouncerUrl === undefined ? {} : { pgbouncer: pgbouncerUrl }),
    ...(pgpoolUrl === undefined ? {} : { pgpool: pgpoolUrl }),
    ...(stackedUrl === undefined ? {} : { pgbouncerPgpool: stackedUrl }),
    ...(pgpoolFirstUrl === undefined ? {} : { pgpoolPgbouncer: pgpoolFirstUrl }),
    ...(nodeBouncerUrls === undefined ? {} : { nodeBouncers: nodeBouncerUrls }),
  };
  return {
    primary,
    replicas,
    nodes,
    get currentPrimary() {
      return current();
    },
    ...(b === undefined || pgbouncerUrl === undefined
      ? {}
      : { pgbouncer: { url: pgbouncerUrl, port: b.port, pid: b.pid, stop: () => stopPgBouncerPid(b.pid, b.dir) } }),
    urls,
    killPrimary: () => stopNode(tools, current(), 'immediate'),
    stopPrimary: (mode) => stopNode(tools, current(), mode),
    stopNode: (n, mode) => stopNode(tools, n, mode),
    startNode: (n) => startNode(tools, n),
    async promote(replicaIndex) {
      const target = replicas[replicaIndex];
      if (target === undefined) throw new PgsurgeError('LOCAL_BAD_NODE', `no replica ${replicaIndex} (there are ${replicas.length})`, { exitCode: 2 });
      if (target.pid() === undefined) throw new PgsurgeError('LOCAL_BAD_NODE', `${target.name} is not running`);
      await promoteNode(tools, target);
      s = { ...s, primary: target.name };
      await repoint(
        target,
        nodes.filter((n) => n !== target && n.pid() !== undefined),
      );
      // The clients behind PgBouncer follow the promotion: it is what a managed pooler does too.
      if (s.pgbouncer !== undefined && isPgBouncerPid(s.pgbouncer.pid, s.pgbouncer.dir))
        retargetPgBouncer(s.pgbouncer.pid, s.pgbouncer.dir, '127.0.0.1', target.port);
      return target;
    },
    async terminateBackends(node) {
      const n = node ?? current();
      return await withNode(n, async (c) => {
        const r = await c.query<{ n: number }>(
          "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()",
        );
        return r.rows[0]?.n ?? 0;
      });
    },
    async waitForReplication(timeoutMs = 30_000) {
      const lsn = await withNode(current(), async (c) => (await c.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0]?.lsn ?? '0/0');
      const deadline = Date.now() + timeoutMs;
      for (const r of nodes.filter((n) => n !== current() && n.pid() !== undefined)) {
        for (;;) {
          const ok = await withNode(
            r,
            async (c) => (await c.query<{ ok: boolean | null }>('SELECT pg_last_wal_replay_lsn() >= $1::pg_lsn AS ok', [lsn])).rows[0]?.ok,
          );
          if (ok === true) break;
          if (ok === null) break; // not a standby (promoted or never one): nothing to wait for
          if (Date.now() > deadline) throw new PgsurgeError('LOCAL_REPLICATION_LAG', `${r.name} has not replayed ${lsn} after ${timeoutMs / 1000}s`);
          await new Promise((res) => setTimeout(res, 20));
        }
      }
    },
    state: () => s,
    async stop() {
      if (stopped) return;
      stopped = true;
      await stopAll(tools, s);
    },
  };
}

/**
 * After a promotion, point the other running standbys at the new primary (primary_conninfo is
 * reloadable since PostgreSQL 13; recovery_target_timeline defaults to 'latest'). A slot is made
 * for each on the new primary. A standby that replayed past the fork point cannot follow: its log
 * says so, and it stays a standby of nobody.
 */
async function repoint(newPrimary: ClusterNode, standbys: readonly ClusterNode[]): Promise<void> {
  for (const sb of standbys) {
    const inRecovery = await withNode(sb, async (c) => (await c.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r')).rows[0]?.r === true).catch(
      () => false,
    );
    if (!inRecovery) continue;
    await withNode(newPrimary, (c) =>
      c.query('SELECT pg_create_physical_replication_slot($1) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)', [sb.name]),
    );
    await withNode(sb, async (c) => {
      await c.query(`ALTER SYSTEM SET primary_conninfo = 'host=127.0.0.1 port=${newPrimary.port} user=${SUPERUSER} application_name=${sb.name}'`);
      await c.query(`ALTER SYSTEM SET primary_slot_name = '${sb.name}'`);
      await c.query('SELECT pg_reload_conf()');
    });
  }
}
