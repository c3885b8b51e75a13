/**
 * A refused pre-run step on pgbench's tables, in the user's words. Unless -n is given, the run
 * vacuums pgbench_branches and pgbench_tellers and truncates pgbench_history, as pgbench does. A user who does not own the tables gets a WARNING from VACUUM
 * (the server skips the table) but an ERROR from TRUNCATE (42501, "permission denied for table
 * pgbench_history"). pgbench prints that error and goes on with history left in place; pgsurge
 * stops before any load instead (exit 2), since the run would not start from the state the
 * housekeeping promises, and says which table and what to do.
 */
import { PgsurgeError, usageError } from '../errors.js';

/** SQLSTATE insufficient_privilege: "permission denied for table …", "must be owner of table …". */
const INSUFFICIENT_PRIVILEGE = '42501';
const TABLE_IN_MESSAGE = /(?:permission denied for (?:table|relation)|must be owner of (?:table|relation)) "?([A-Za-z0-9_.]+)"?/;
/** The tables the pre-run steps touch, and whether -n skips what is done to them. */
const HOUSEKEEPING_TABLES = new Set(['pgbench_branches', 'pgbench_tellers', 'pgbench_history']);

/**
 * `e` as a one-line usage error when it is a refused pre-run step on a pgbench table; any other
 * error is returned as it is. `noVacuum`: -n was given (then only the scale was read).
 */
export function explainPreRunError(e: unknown, noVacuum: boolean): unknown {
  if (e instanceof PgsurgeError || !(e instanceof Error)) return e;
  const code = (e as { code?: unknown }).code;
  const m = TABLE_IN_MESSAGE.exec(e.message);
  if (code !== INSUFFICIENT_PRIVILEGE || m === null) return e;
  const table = m[1]!.replace(/^.*\./, '');
  if (!HOUSEKEEPING_TABLES.has(table)) return e;
  const reason = e.message.split('\n')[0]!;
  if (table === 'pgbench_history' && !noVacuum) {
    return usageError(
      'PRE_RUN_REFUSED',
      `the pre-run truncate of pgbench_history was refused (${reason}): skip the pre-run vacuum with -n/--no-vacuum, or run as the owner of the pgbench tables`,
    );
  }
  if (/must be owner/.test(reason) && !noVacuum) {
    return usageError(
      'PRE_RUN_REFUSED',
      `the pre-run vacuum of ${table} was refused (${reason}): skip it with -n/--no-vacuum, or run as the owner of the pgbench tables`,
    );
  }
  return e;
}
