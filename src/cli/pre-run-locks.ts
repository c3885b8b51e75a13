/**
 * pgbench's pre-run housekeeping (reading the scale, VACUUM, TRUNCATE pgbench_history) takes locks
 * on the pgbench tables, and another session holding one (an open transaction that ran LOCK, a
 * long ALTER, a stuck VACUUM) used to make pgsurge wait silently, without limit. Here each such
 * statement runs under lock_timeout; if it still waits after a moment, one line says which session
 * holds the lock (pg_blocking_pids, pg_stat_activity) and how to skip the vacuum; when the lock is
 * not granted in time the run stops with that line (exit 2).
 *
 * Failing rather than going on without the vacuum, as pgbench does: the lock that blocks the
 * vacuum also blocks the workload's own statements on that table, so the load would measure only
 * the other session's lock.
 */
import type pg from 'pg';
import { openAdminClient } from '../driver/admin-client.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { usageError } from '../errors.js';
import { printErr, type CliIO } from './output.js';
import { printable } from '../workload/pgbench/printable.js';

/** How long a housekeeping statement waits for another session's lock. */
export const PRE_RUN_LOCK_TIMEOUT_MS = 10_000;
/** How long it waits before saying what it waits for (most waits are over sooner). */
const REPORT_AFTER_MS = 1_000;

export interface LockedStep {
  /** What runs, for the message: "vacuum pgbench_branches". */
  readonly action: string;
  readonly table: string;
  /** How to do without the step ("skip it with -n/--no-vacuum"), when the user can. */
  readonly skip?: string;
}

interface Blocker {
  readonly pid: number;
  readonly query: string;
  readonly state: string;
}

/** Set the pre-run lock timeout on `client` (undone with `reset lock_timeout`). */
export async function setPreRunLockTimeout(client: pg.Client): Promise<void> {
  await client.query(`set lock_timeout = ${PRE_RUN_LOCK_TIMEOUT_MS}`);
}

/**
 * Run `step` (statements on `client`, which has the pre-run lock timeout set) and watch it: after
 * REPORT_AFTER_MS still running, ask over a second connection what blocks the session and say so;
 * a lock timeout (55P03) becomes a usage error naming the table, the blocking session and the way out.
 */
export async function watchingLocks<T>(client: pg.Client, conn: ConnInfo, host: HostSpec, io: CliIO, what: LockedStep, step: () => Promise<T>): Promise<T> {
  const pid = (client as unknown as { processID: number | null }).processID;
  let blocker: Blocker | undefined;
  let done = false;
  const timer = setTimeout(() => {
    void findBlocker(conn, host, pid, what.table).then((b) => {
      if (done || b === undefined) return;
      blocker = b;
      printErr(
        io,
        `pgsurge: ${what.action} waits for a lock on ${what.table} held by ${describeBlocker(b)}; giving up after ${PRE_RUN_LOCK_TIMEOUT_MS / 1000} s${skipHint(what)}`,
      );
    });
  }, REPORT_AFTER_MS);
  timer.unref();
  try {
    return await step();
  } catch (e) {
    if (!isLockTimeout(e)) throw e;
    const b = blocker ?? (await findBlocker(conn, host, null, what.table));
    const held = b === undefined ? 'another session' : describeBlocker(b);
    throw usageError(
      'PRE_RUN_LOCK_TIMEOUT',
      `${what.action}: ${what.table} is locked by ${held}, not granted within ${PRE_RUN_LOCK_TIMEOUT_MS / 1000} s: end that session${skipHint(what, 'or ')}`,
    );
  } finally {
    done = true;
    clearTimeout(timer);
  }
}

const skipHint = (what: LockedStep, lead = ''): string => (what.skip === undefined ? '' : ` (${lead}${what.skip})`);

function describeBlocker(b: Blocker): string {
  // Another session's text: escaped, so it cannot write control sequences to the terminal.
  return `pid ${b.pid} (${printable(b.state)}: "${printable(b.query)}")`;
}

/** 55P03 lock_not_available, thrown as is or as the cause of a PgsurgeError. */
function isLockTimeout(e: unknown): boolean {
  for (let cur: unknown = e, depth = 0; cur !== undefined && cur !== null && depth < 3; depth++) {
    if ((cur as { code?: unknown }).code === '55P03') return true;
    cur = (cur as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The session that blocks `waiter` (pg_blocking_pids), or, when no waiter is known (its statement
 * already failed), one holding a lock on `table`. Undefined when none is found or the server does
 * not answer (the message then says less, but it is still given).
 */
async function findBlocker(conn: ConnInfo, host: HostSpec, waiter: number | null, table: string): Promise<Blocker | undefined> {
  let c: pg.Client;
  try {
    c = await openAdminClient(conn, host);
  } catch {
    return undefined;
  }
  try {
    const sql =
      waiter === null
        ? `select a.pid, a.state, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) as query from pg_locks l join pg_stat_activity a on a.pid = l.pid ` +
          `where l.relation = to_regclass($1) and l.granted and l.pid <> pg_backend_pid() order by a.xact_start limit 1`
        : `select a.pid, a.state, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 80) as query from pg_stat_activity a ` +
          `where a.pid = (pg_blocking_pids($1::int))[1]`;
    const r = await c.query<{ pid: number; state: string | null; query: string | null }>(sql, [waiter ?? table]);
    const row = r.rows[0];
    return row === undefined ? undefined : { pid: row.pid, state: row.state ?? 'unknown state', query: row.query ?? '' };
  } catch {
    return undefined;
  } finally {
    await c.end().catch(() => undefined);
  }
}
