/**
 * The HTML report's server time per statement: per transaction type, a table beside the statement
 * latencies with the server's execution and planning time per call (pg_stat_statements), what is
 * left of the client's mean latency, and the server's calls, rows and shared-buffer hits and reads;
 * then where the figures come from, or why there are none and how to get them. Values pass through
 * `table` (escaped there).
 */
import type { HtmlResult } from './html-charts.js';
import { escapeHtml } from './html-page.js';
import { table, type Cell } from './html-tables.js';
import { fmtMs, fmtNum } from './format.js';
import { evictedText, leftMs } from './statement-time-text.js';

/** Column headers in words, in table order. */
export const STATEMENT_SERVER_COLUMNS = [
  'client mean',
  'server execution (mean)',
  'server planning (mean)',
  'left: network, queueing, pooler',
  'executed (client)',
  'calls (server)',
  'rows',
  'shared buffer hits',
  'blocks read',
  'statement',
] as const;

const r = (text: string): Cell => ({ text, align: 'r' });

export function statementServerSection(result: HtmlResult): string {
  const st = result.statementServerTime;
  if (st === undefined) return '';
  switch (st.status) {
    case 'unavailable':
      return `<p class="note">No server time per statement: ${escapeHtml(st.reason)} on ${escapeHtml(st.host)}. To get it: ${escapeHtml(st.hint)}.</p>`;
    case 'failed':
      return `<p class="note">No server time per statement: reading pg_stat_statements on ${escapeHtml(st.host)} failed: ${escapeHtml(st.reason)}.</p>`;
    case 'measured':
      break;
  }
  const head = STATEMENT_SERVER_COLUMNS.map((h, i): Cell => ({ text: h, align: i === STATEMENT_SERVER_COLUMNS.length - 1 ? 'l' : 'r' }));
  const tables = Object.entries(result.transactionTypes)
    .filter(([, t]) => t.statements.length > 0)
    .map(([name, t]) => {
      const rows = t.statements.map((s, i): Cell[] => {
        const sv = st.statements.find((x) => x.type === name && x.statement === i);
        const sql: Cell = {
          text: s.sql.trim() + (sv !== undefined && sv.sharedBy > 1 ? `  (one server entry for ${sv.sharedBy} statements)` : ''),
          align: 'sql',
        };
        if (sv === undefined)
          return [r(fmtMs(s.latencyMs.mean)), r('no entry matched'), r('-'), r('-'), r(fmtNum(s.count)), r('-'), r('-'), r('-'), r('-'), sql];
        return [
          r(fmtMs(s.latencyMs.mean)),
          r(fmtMs(sv.execMsMean)),
          r(fmtMs(sv.planMsMean)),
          r(fmtMs(leftMs(s, sv))),
          r(fmtNum(s.count)),
          r(fmtNum(sv.calls)),
          r(fmtNum(sv.rows)),
          r(fmtNum(sv.sharedBlksHit)),
          r(fmtNum(sv.sharedBlksRead)),
          sql,
        ];
      });
      return `<h3>Server time per statement: ${escapeHtml(name)}</h3>${table(head, rows)}`;
    })
    .join('');
  const note =
    `Milliseconds per call, from pg_stat_statements on ${st.host} over the measured phase, for this database and user: ` +
    `other sessions running the same statements there add to the figures.` +
    (st.planningTracked ? '' : ' Planning time "-": pg_stat_statements.track_planning is off.') +
    (evictedText(st.evictions) === '' ? '' : ` ${evictedText(st.evictions)}.`);
  return `${tables}<p class="note">${escapeHtml(note)}</p>`;
}
