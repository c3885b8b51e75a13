/**
 * Checks before the load for a target behind a connection pooler (found by src/observe/pooler.ts):
 * what cannot work through it is refused with the reason and the ways out, what may silently
 * misbehave is said as a warning.
 *
 * - `-M prepared` through PgBouncer in transaction or statement pooling: a named prepared statement
 *   lives on one server connection, and the next transaction may get another, where it is missing
 *   (26000) or already there under the same name (42P05). PgBouncer 1.21 keeps them per client when
 *   max_prepared_statements is above 0; before it, or with 0, the run is refused.
 * - Session state in a script (SET, advisory locks, LISTEN, temporary tables, SQL PREPARE, cursors
 *   WITH HOLD) through transaction or statement pooling: the next transaction may run on a server
 *   connection without it. Said once per kind, with the script and line; the run goes on.
 * - The server's max_connections does not bound the clients behind a pooler; PgBouncer's
 *   max_client_conn does; a Pgpool-II serves num_init_children clients at once, and more are said.
 */
import { usageError } from '../errors.js';
import type { PoolerCheck } from '../observe/pooler.js';
import type { TxnProgram } from '../workload/types.js';

/** Session state a transaction-pooled connection does not keep, by what a statement says. */
const SESSION_FEATURES: readonly (readonly [string, RegExp])[] = [
  ['SET (a session setting; SET LOCAL keeps it to the transaction)', /^\s*set\s+(?!local\b|transaction\b)/i],
  ['RESET', /^\s*reset\b/i],
  ['a session advisory lock (pg_advisory_xact_lock keeps it to the transaction)', /\bpg_(try_)?advisory_lock(_shared)?\s*\(/i],
  ['LISTEN', /^\s*listen\b/i],
  ['a temporary table', /^\s*create\s+(global\s+|local\s+)?temp(orary)?\s+table\b/i],
  ['SQL PREPARE', /^\s*prepare\s+\w/i],
  ['a cursor WITH HOLD', /^\s*declare\b[\s\S]*\bwith\s+hold\b/i],
];

const pooled = (mode: string | null): boolean => mode === 'transaction' || mode === 'statement';

export interface PoolerCheckInput {
  readonly pooler: PoolerCheck;
  /** "127.0.0.1:6432" */
  readonly where: string;
  readonly protocol: 'simple' | 'extended' | 'prepared';
  readonly clients: number;
  readonly programs: readonly TxnProgram[];
  readonly warn: (line: string) => void;
}

/**
 * Throws a usage error for what cannot work through the pooler; warns of what may not. Returns
 * whether the server's max_connections bounds the run's clients (not behind a pooler).
 */
export function checkPooler(i: PoolerCheckInput): { readonly serverBoundsClients: boolean } {
  const p = i.pooler;
  if (p.kind === 'direct') return { serverBoundsClients: true };
  if (p.kind === 'unknown') {
    // A port mapping looks the same from here: only a run that needs session-bound statements hears of it.
    if (i.protocol === 'prepared') {
      i.warn(
        `${i.where} is not the server itself (the server answers on ${p.serverPort === null ? 'a Unix socket' : `port ${p.serverPort}`}) and pgsurge cannot read what it is (${p.why}): ` +
          'if it is a pooler in transaction mode, -M prepared fails with 42P05 or 26000; -M extended works through any',
      );
    }
    return { serverBoundsClients: false };
  }
  if (p.kind === 'pgpool') {
    // Each client holds a Pgpool-II child for its whole session: the ones beyond wait for one.
    if (p.children !== null && i.clients > p.children) {
      i.warn(
        `${i.clients} clients through ${p.version} at ${i.where}, which serves ${p.children} at once (num_init_children): the others wait for a child, in the latency`,
      );
    }
    return { serverBoundsClients: false };
  }
  const mode = p.poolMode;
  const keepsPrepared = p.maxPreparedStatements !== null && p.maxPreparedStatements > 0;
  if (i.protocol === 'prepared' && pooled(mode) && !keepsPrepared) {
    const why = p.maxPreparedStatements === null ? `${p.version} cannot keep them (max_prepared_statements came in 1.21)` : 'its max_prepared_statements is 0';
    throw usageError(
      'POOLER_PREPARED',
      `-M prepared through ${p.version} at ${i.where} in ${mode} pooling: a named prepared statement stays on one server connection and the next transaction may get another, and ${why}; ` +
        `use -M extended (unnamed statements, parsed at each execution) or -M simple, or give the database session pooling${p.maxPreparedStatements === null ? ' (or PgBouncer 1.21+ with max_prepared_statements)' : ' or max_prepared_statements > 0'}`,
    );
  }
  if (pooled(mode)) {
    for (const [feature, re] of SESSION_FEATURES) {
      const hit = i.programs.flatMap((prog) => prog.statements.filter((s) => re.test(s.text)).map((s) => ({ prog, s })))[0];
      if (hit === undefined) continue;
      const at = `${hit.prog.file ?? hit.prog.name}${hit.s.line > 0 ? ` line ${hit.s.line}` : ''}`;
      i.warn(
        `${at} uses ${feature}, and ${p.version} at ${i.where} pools in ${mode} mode: the next transaction may run on another server connection, without it`,
      );
    }
  }
  if (p.maxClientConn !== null && i.clients > p.maxClientConn) {
    throw usageError(
      'TOO_MANY_CLIENTS',
      `${i.clients} clients is more than ${p.version} at ${i.where} takes: its max_client_conn is ${p.maxClientConn}; lower -c or raise max_client_conn`,
    );
  }
  return { serverBoundsClients: false };
}
