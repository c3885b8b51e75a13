/**
 * The text summary's server time per statement (with -r): under each transaction type's statement
 * latencies, the server's execution and planning time per call from pg_stat_statements, what is
 * left of the client's mean latency (network, queueing, a pooler), the server's calls, rows and
 * shared-buffer hits and reads; and once per run, where the figures come from or why there are none.
 * Derived from the result only, so `pgsurge report -r` prints the same.
 */
import type { ResultV1, StatementServer, TxnSummary } from './result.js';
import { fmtMs, fmtNum } from './format.js';

/** What is left of the client's mean latency once the server's time is taken out (null: no figures). */
export function leftMs(client: TxnSummary['statements'][number], server: StatementServer): number | null {
  if (client.latencyMs.mean === null) return null;
  return Math.round((client.latencyMs.mean - server.execMsMean - (server.planMsMean ?? 0)) * 1000) / 1000;
}

/** The server's figures of statement `index` of type `type`, when there are any. */
export function serverOf(result: ResultV1, type: string, index: number): StatementServer | undefined {
  const st = result.statementServerTime;
  return st?.status === 'measured' ? st.statements.find((s) => s.type === type && s.statement === index) : undefined;
}

const flat = (sql: string, max = 100): string => {
  const f = sql.replace(/\s+/g, ' ').trim();
  return f.length <= max ? f : `${f.slice(0, max - 1)}…`;
};

/** The table under one type's statement latencies; none without measured figures. */
export function serverStatementLines(result: ResultV1, type: string, t: TxnSummary): string[] {
  if (result.statementServerTime?.status !== 'measured') return [];
  const cols = ['client', 'exec', 'plan', 'left', 'calls', 'rows'].map((h) => h.padStart(9)).join(' ');
  const head = `    ${cols} ${'hits'.padStart(10)} ${'reads'.padStart(9)}  statement`;
  const rows = t.statements.map((s, i) => {
    const sv = serverOf(result, type, i);
    if (sv === undefined) {
      return `    ${[fmtMs(s.latencyMs.mean), '-', '-', '-', '-', '-'].map((x) => x.padStart(9)).join(' ')} ${'-'.padStart(10)} ${'-'.padStart(9)}  ${flat(s.sql)}  [no entry matched]`;
    }
    const left = leftMs(s, sv);
    const shared = sv.sharedBy > 1 ? `  [one entry for ${sv.sharedBy} statements]` : '';
    return (
      `    ${[fmtMs(s.latencyMs.mean), fmtMs(sv.execMsMean), fmtMs(sv.planMsMean), fmtMs(left), fmtNum(sv.calls), fmtNum(sv.rows)].map((x) => x.padStart(9)).join(' ')} ` +
      `${fmtNum(sv.sharedBlksHit).padStart(10)} ${fmtNum(sv.sharedBlksRead).padStart(9)}  ${flat(s.sql)}${shared}`
    );
  });
  return ['  server time per statement (ms, mean per call, pg_stat_statements):', head, ...rows];
}

/** Entries evicted during the phase make the figures incomplete: said with the setting to raise. */
export function evictedText(evictions: number | undefined): string {
  if (evictions === undefined || evictions === 0) return '';
  return `the server evicted entries ${fmtNum(evictions)} time${evictions === 1 ? '' : 's'} during the run, so figures may be low or missing (raise pg_stat_statements.max)`;
}

/** Once per run: where the server's figures come from, or why there are none and how to get them. */
export function serverStatementNote(result: ResultV1): string[] {
  const st = result.statementServerTime;
  if (st === undefined) return [];
  switch (st.status) {
    case 'measured':
      return [
        '',
        `server time per statement: pg_stat_statements on ${st.host}, this database and user, over the measured phase ` +
          `(other sessions running the same statements there add to it); left = client mean − exec − plan` +
          (st.planningTracked ? '' : '; plan "-": pg_stat_statements.track_planning is off') +
          (evictedText(st.evictions) === '' ? '' : `; ${evictedText(st.evictions)}`),
      ];
    case 'unavailable':
      return ['', `server time per statement: none, ${st.reason} on ${st.host}; to get it: ${st.hint}`];
    case 'failed':
      return ['', `server time per statement: none, reading pg_stat_statements on ${st.host} failed: ${st.reason}`];
  }
}
