/**
 * Before any load is sent: the server's facts and limits, pgbench's tables (created on a throwaway
 * server, found and vacuumed elsewhere), workload modules' setup on a throwaway server, and every
 * statement checked with PREPARE; after the run, modules' teardown.
 */
import type pg from 'pg';
import type { RunConfig } from '../config/run-config.js';
import { PgsurgeError, unreachable, usageError } from '../errors.js';
import type { TargetPooler } from '../report/result.js';
import { printable } from '../workload/pgbench/printable.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { defaultAdminDeadline, openAdminClient } from '../driver/admin-client.js';
import { inspectPooler, type PoolerCheck } from '../observe/pooler.js';
import { checkPooler } from './pooler-check.js';
import type { ResolvedWorkloads } from '../workload/resolve.js';
import { locateInModule } from '../workload/module/program.js';
import type { TxnProgram } from '../workload/types.js';
import type { SetupContext, SetupProgress, WorkloadDefinition } from '../workload/module/api.js';
import { defaultInitOptions, detectPgbenchScale, initPgbench } from '../workload/builtin/pgbench-init.js';
import { connectFirstHost, type Target } from './target.js';
import { setPreRunLockTimeout, watchingLocks } from './pre-run-locks.js';
import { printErr, type CliIO } from './output.js';
import type { GroupSpec } from './plan.js';
import { explainPreRunError } from './vacuum-errors.js';

/** What the result keeps of the pooler in front (its settings as its console said them). */
function targetPooler(p: PoolerCheck): TargetPooler | undefined {
  switch (p.kind) {
    case 'pgbouncer':
      return {
        kind: 'pgbouncer',
        version: p.version,
        poolMode: p.poolMode,
        poolSize: p.poolSize,
        maxClientConn: p.maxClientConn,
        maxPreparedStatements: p.maxPreparedStatements,
      };
    case 'pgpool':
      return { kind: 'pgpool', version: p.version, numInitChildren: p.children, maxPool: p.maxPool };
    case 'direct':
    case 'unknown':
      return undefined;
    default:
      return unreachable(p);
  }
}

/** Scale of pgbench tables created in a throwaway server when -s is not given. */
const THROWAWAY_DEFAULT_SCALE = 10;

/** Server facts and the checks that must pass before any load is sent. */
export async function prepareServer(
  cfg: RunConfig,
  groups: readonly GroupSpec[],
  target: Target,
  work: ResolvedWorkloads,
  io: CliIO,
): Promise<{ host: HostSpec; serverVersion: string; scale: number; pooler: TargetPooler | undefined }> {
  const { client, host } = await connectFirstHost(target.conn);
  try {
    const serverVersion = await showSetting(client, 'server_version');
    const maxConnections = Number(await showSetting(client, 'max_connections'));
    const reserved = Number(await showSetting(client, 'superuser_reserved_connections'));
    const inUse = Number(
      (await client.query<{ n: string }>('select count(*) as n from pg_stat_activity where backend_type = $1', ['client backend'])).rows[0]?.n ?? 0,
    );
    const available = maxConnections - reserved - inUse;
    const clients = groups.reduce((n, g) => n + g.clients, 0);
    // A pooler in front: what cannot work through it stops here; its own limit bounds the clients.
    const pooler = await inspectPooler(client, target.conn, host, defaultAdminDeadline()).catch((): PoolerCheck => ({ kind: 'direct' }));
    const { serverBoundsClients } = checkPooler({
      pooler,
      where: `${host.host}:${host.port}`,
      protocol: cfg.protocol,
      clients,
      programs: work.programs,
      warn: (line) => printErr(io, `pgsurge: warning: ${line}`),
    });
    if (serverBoundsClients && clients > available) {
      throw usageError(
        'TOO_MANY_CLIENTS',
        `${cfg.scenario === undefined ? `-c ${clients}` : `${clients} clients`} is more than the server can take: max_connections is ${maxConnections} (${reserved} reserved, ${inUse} in use, so ${Math.max(0, available)} free); lower -c or raise max_connections`,
      );
    }
    let scale = cfg.scale ?? 1;
    if (work.usesPgbenchTables) {
      if (target.throwaway !== undefined) {
        scale = cfg.scale ?? THROWAWAY_DEFAULT_SCALE;
        printErr(io, `pgsurge: creating pgbench tables at scale ${scale} in the throwaway server`);
        await initPgbench(() => openAdminClient(target.conn, host), defaultInitOptions(scale));
      } else {
        await setPreRunLockTimeout(client);
        scale = await watchingLocks(client, target.conn, host, io, { action: 'reading the scale', table: 'pgbench_branches' }, () =>
          detectPgbenchScale(client),
        );
        if (cfg.scale !== undefined && cfg.scale !== scale) {
          printErr(io, `pgsurge: scale option ignored, using count from pgbench_branches table (${scale})`);
        }
      }
      if (!cfg.noVacuum) {
        // pgbench's pre-run housekeeping, so repeated runs start alike.
        await setPreRunLockTimeout(client);
        const skip = 'skip the pre-run vacuum with -n/--no-vacuum';
        for (const [action, table] of [
          ['vacuum', 'pgbench_branches'],
          ['vacuum', 'pgbench_tellers'],
          ['truncate', 'pgbench_history'],
        ] as const) {
          await watchingLocks(client, target.conn, host, io, { action: `pre-run ${action} ${table}`, table, skip }, () => client.query(`${action} ${table}`));
        }
      }
      await client.query('reset lock_timeout');
    }
    if (target.throwaway !== undefined) {
      for (const m of work.modules) {
        if (m.def.setup === undefined) continue;
        printErr(io, `pgsurge: running the setup of ${m.file} in the throwaway server`);
        await runModuleSetup(m.file, m.def, client, target.conn, host, m.options);
      }
    }
    return { host, serverVersion, scale, pooler: targetPooler(pooler) };
  } catch (e) {
    const explained = explainPreRunError(e, cfg.noVacuum);
    if (explained instanceof PgsurgeError) throw explained;
    // The server or what is in front of it failed a statement or went away (a reset, a failover)
    // while the run was being prepared: one line naming where, never an internal error.
    const why = explained instanceof Error ? explained.message.split('\n')[0] : String(explained);
    throw new PgsurgeError('PRE_RUN_FAILED', `preparing the run on ${host.host}:${host.port} failed before any load: ${why}`, { cause: explained });
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function teardownModules(target: Target, host: HostSpec, work: ResolvedWorkloads, io: CliIO): Promise<void> {
  const withTeardown = work.modules.filter((m) => m.def.teardown !== undefined);
  if (withTeardown.length === 0) return;
  const client = await openAdminClient(target.conn, host);
  try {
    for (const m of withTeardown) {
      printErr(io, `pgsurge: running the teardown of ${m.file}`);
      await runModuleHook(m.file, 'teardown', () => m.def.teardown!(client, m.options as never));
    }
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A module's setup on `client`, free to open more connections to `host` (all closed when it ends);
 * its progress reports go to `onProgress`.
 */
export async function runModuleSetup(
  file: string,
  def: WorkloadDefinition,
  client: pg.Client,
  conn: ConnInfo,
  host: HostSpec,
  options: unknown,
  onProgress: (p: SetupProgress) => void = () => undefined,
): Promise<void> {
  const opened: pg.Client[] = [];
  const ctx: SetupContext = {
    openSession: async () => {
      const session = await openAdminClient(conn, host);
      opened.push(session);
      return session;
    },
    progress: (p) => {
      // The module's call: a malformed report is dropped rather than failing the load it describes.
      if (p === null || typeof p !== 'object' || typeof p.stage !== 'string' || !Number.isFinite(p.rows) || !Number.isFinite(p.totalRows)) return;
      onProgress({ stage: p.stage, rows: p.rows, totalRows: p.totalRows });
    },
  };
  try {
    await runModuleHook(file, 'setup', () => def.setup!(client, options as never, ctx));
  } finally {
    await Promise.all(opened.map((s) => s.end().catch(() => undefined)));
  }
}

/** Run a module's setup, teardown or reset; its failures name the module (they are the user's code). */
export async function runModuleHook(file: string, hook: 'setup' | 'teardown' | 'reset', fn: () => Promise<void>): Promise<void> {
  try {
    await fn();
  } catch (e) {
    // A hook's own usage error (e.g. an option the server cannot satisfy) keeps its message and exit code.
    if (e instanceof PgsurgeError) throw e;
    throw new PgsurgeError('WORKLOAD_HOOK_FAILED', `${hook} of ${locateInModule(e, file)}`, { cause: e });
  }
}

async function showSetting(client: pg.Client, name: string): Promise<string> {
  const r = await client.query<{ setting: string }>('select current_setting($1) as setting', [name]);
  return r.rows[0]?.setting ?? '';
}

/** Statements PREPARE takes. */
const PREPARABLE = /^\s*(\(|select|insert|update|delete|merge|values|with|table)\b/i;

/**
 * The words PostgreSQL's grammar starts a statement with (gram.y's stmt rule). A statement that
 * starts with none of them (a typo such as `selec 1`, or bytes that make no word) is certain to be
 * a syntax error: PREPARE shows it with the server's own message. Statements with nothing but
 * blanks and comments before a `;` are empty queries, which the server accepts.
 */
const STATEMENT_WORDS = new Set(
  (
    'abort alter analyse analyze begin call checkpoint close cluster comment commit copy create deallocate declare delete discard do drop end ' +
    'execute explain fetch grant import insert listen load lock merge move notify prepare reassign refresh reindex release reset revoke ' +
    'rollback savepoint security select set show start table truncate unlisten update vacuum values with'
  ).split(' '),
);

/** The statement is checked with PREPARE: it is one PREPARE takes, or certain to be a syntax error. */
function shouldPrepare(firstPart: string): boolean {
  const body = firstPart.replace(/^(?:\s|--[^\n]*\n?|\/\*[\s\S]*?\*\/)*/, '');
  if (PREPARABLE.test(body)) return true;
  if (body === '' || body.startsWith(';')) return false; // an empty query
  const word = /^[A-Za-z_]\w*/.exec(body)?.[0];
  return word === undefined || !STATEMENT_WORDS.has(word.toLowerCase());
}

/**
 * With the extended protocols, every statement must parse on the server before the load starts.
 * Checked with PREPARE/DEALLOCATE inside one transaction on an ordinary connection, so that nothing
 * is left behind on the server's connections (which a pooler such as PgBouncer shares). Utility
 * statements (BEGIN, SET, VACUUM, …) cannot be PREPAREd and are left to the run; so is anything
 * under -M simple, where :variables are pasted in as text before the server sees the statement.
 */
export async function checkStatements(conn: ConnInfo, host: HostSpec, cfg: RunConfig, programs: readonly TxnProgram[]): Promise<void> {
  if (cfg.protocol === 'simple') return;
  const client = await openAdminClient(conn, host);
  const problems: string[] = [];
  try {
    await client.query('begin');
    for (const p of programs) {
      for (const st of p.statements) {
        if (!shouldPrepare(st.parts[0] ?? '')) continue;
        const sql = st.parts.map((part, i) => (i === 0 ? part : `$${i}${part}`)).join('');
        await client.query('savepoint pgsurge_check');
        try {
          await client.query(`prepare pgsurge_check as ${sql.replace(/;\s*$/, '')}`);
          await client.query('deallocate pgsurge_check');
        } catch (e) {
          const err = e as { message?: string; code?: string; position?: string };
          const at = err.position === undefined ? '' : ` at position ${Math.max(1, Number(err.position) - 'prepare pgsurge_check as '.length)}`;
          const where = p.file !== undefined && st.line > 0 ? `${printable(p.file)}:${st.line}: ` : '';
          const of = where === '' ? ` of ${printable(p.name)}${st.line > 0 ? ` (line ${st.line})` : ''}` : '';
          problems.push(
            `${where}cannot prepare statement${of} "${printable(st.text)}": ${printable(err.message ?? String(e), 200)}${at}${err.code === undefined ? '' : ` (${err.code})`}`,
          );
          await client.query('rollback to savepoint pgsurge_check');
        }
      }
    }
    await client.query('rollback');
  } finally {
    await client.end().catch(() => undefined);
  }
  if (problems.length > 0) throw usageError('STATEMENT_INVALID', problems[0]!, problems.slice(1));
}
