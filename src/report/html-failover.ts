/**
 * The failover section of the HTML run report, in the words of the text summary
 * (failover-text.ts): one row per outage (start, end, duration, clients, first read, errors), then
 * what a user checks after a failover: the longest outage, reconnects, WAL timeline, the server's
 * own gap, the writes by outcome and the verifier's verdict with its lost/unexpected/recovered counts.
 * A section that does not match the schema (another tool's, a newer one) is shown as words and
 * numbers, never as a JSON blob.
 */
import { failoverResultSchema, type FailoverResult } from './failover-schema.js';
import { extra, outagesOf, type HtmlResult } from './html-charts.js';
import { humanize } from './html-labels.js';
import { escapeHtml } from './html-page.js';
import { table, type Cell } from './html-tables.js';
import { fmtNum } from './summary.js';
import { poolerLine } from './failover-text.js';

const c = (text: string, align: Cell['align'] = 'r', cls = ''): Cell => ({ text, align, cls });
const s3 = (v: number): string => v.toFixed(3);

function outagesTable(f: FailoverResult): string {
  if (f.outages.length === 0) return f.soFar === true ? '<p>No outage so far.</p>' : '<p>No outage: every write was acknowledged without a gap.</p>';
  const ended = f.soFar === true ? 'so far' : 'run ended';
  const down = f.soFar === true ? 'still down' : 'still down at the end';
  const head = [
    'outage',
    'start (s)',
    'end (s)',
    'duration (s)',
    'clients affected',
    'their own windows, p50 / max (s)',
    'first read after (s)',
    'errors during it',
  ].map((h, i) => c(h, i === 0 || i === 7 ? 'l' : 'r'));
  const rows = f.outages.map((o, k) => [
    c(`#${k + 1}`, 'l'),
    c(s3(o.startS)),
    c(o.open ? `${s3(o.endS)} (${ended})` : s3(o.endS)),
    c(o.open ? `${s3(o.durationS)}, ${down}` : s3(o.durationS), 'r', 'bad'),
    c(fmtNum(o.clients)),
    c(`${s3(o.clientWindowS.p50)} / ${s3(o.clientWindowS.max)}`),
    c(o.timeToFirstReadS === null ? 'no read' : s3(o.timeToFirstReadS)),
    c(
      Object.entries(o.errors)
        .map(([k, n]) => `${k} ${fmtNum(n)}`)
        .join(', ') || (o.stall === true ? 'none: a stall (writes hung, none acknowledged)' : ''),
      'l',
    ),
  ]);
  return table(head, rows);
}

/** Facts as rows of (what, value, class of the value). */
function factRows(f: FailoverResult): [string, string, string][] {
  const rows: [string, string, string][] = [];
  rows.push([f.soFar === true ? 'longest outage so far' : 'longest outage (RTO)', `${s3(f.rtoS)} s`, f.rtoS > 0 ? 'bad' : 'good']);
  const rc = f.reconnects;
  rows.push([
    'reconnects',
    rc.count === 0 ? 'none' : `${fmtNum(rc.count)} by ${fmtNum(rc.clients)} client(s), p50 ${rc.p50Ms ?? '-'} ms, max ${rc.maxMs ?? '-'} ms`,
    '',
  ]);
  rows.push([
    'WAL timeline',
    `${f.timeline.before ?? '?'} → ${f.timeline.after ?? '?'}${f.primaryAfter === null ? '' : ` (primary now ${f.primaryAfter})`}`,
    '',
  ]);
  if (f.pooler !== undefined) rows.push([`pooler's view (${f.pooler.kind === 'pgpool' ? 'SHOW POOL_NODES' : 'SHOW POOLS'})`, poolerLine(f.pooler), '']);
  // Writes by outcome, the server's gap and the verdict are known at the end.
  if (f.soFar === true) return rows;
  const g = f.server?.largest;
  if (g !== undefined && g !== null) {
    rows.push([
      "server's largest gap between written rows",
      `${s3(g.durationS)} s (${s3(g.startS)} → ${s3(g.endS)} s, timeline ${g.timelineBefore} → ${g.timelineAfter})` +
        (f.clientMinusServerS === null ? '' : `; clients saw ${s3(f.clientMinusServerS)} s more`),
      '',
    ]);
  }
  const w = Object.values(f.writes).reduce((a, x) => ({ ok: a.ok + x.ok, failed: a.failed + x.failed, unknown: a.unknown + x.unknown }), {
    ok: 0,
    failed: 0,
    unknown: 0,
  });
  rows.push(['writes', `${fmtNum(w.ok)} acknowledged, ${fmtNum(w.failed)} failed, ${fmtNum(w.unknown)} unknown outcome (connection lost in flight)`, '']);
  if (f.windowsDropped !== undefined && f.windowsDropped > 0) rows.push(['outage windows not kept', `${fmtNum(f.windowsDropped)} (a flapping server)`, 'bad']);
  const v = f.verification;
  if (v === undefined) {
    rows.push(['write verification', 'not run (use --verify-writes)', '']);
  } else if (!('lost' in v)) {
    rows.push(['verifier verdict', `NOT VERIFIED: ${v.error}`, 'bad']);
  } else {
    const acknowledged = v.sets.reduce((a, s) => a + s.acknowledged, 0);
    rows.push(['verifier verdict', v.verdict, v.ok ? 'good' : 'bad']);
    rows.push(['acknowledged writes checked', `${fmtNum(acknowledged)} (read back from ${v.host})`, '']);
    rows.push([
      'lost writes (acknowledged, missing)',
      fmtNum(v.lost) + (v.lostIds.length > 0 ? `: ${v.lostIds.join(', ')}${v.lost > v.lostIds.length ? ', …' : ''}` : ''),
      v.lost > 0 ? 'bad' : 'good',
    ]);
    rows.push([
      'unexpected writes (never attempted)',
      fmtNum(v.unexpected) + (v.unexpectedIds.length > 0 ? `: ${v.unexpectedIds.join(', ')}${v.unexpected > v.unexpectedIds.length ? ', …' : ''}` : ''),
      v.unexpected > 0 ? 'bad' : 'good',
    ]);
    rows.push(['recovered writes (unknown outcome, committed)', fmtNum(v.recovered), '']);
    if (v.counter !== null) {
      const k = v.counter;
      rows.push([
        'counter',
        `${fmtNum(k.value)} ${k.ok ? 'within' : 'OUTSIDE'} [${fmtNum(k.acknowledged)}, ${fmtNum(k.acknowledged + k.unknown)}] (acknowledged, + unknown)`,
        k.ok ? 'good' : 'bad',
      ]);
    }
    if (v.balance !== null) {
      const b = v.balance;
      rows.push([
        'sum of balances',
        `${fmtNum(b.actual)} ${b.ok ? '=' : '≠'} ${fmtNum(b.expected)}${b.ok ? '' : ' (invariant broken)'}`,
        b.ok ? 'good' : 'bad',
      ]);
    }
  }
  return rows;
}

/** Scalars of a section of unknown shape, as "words: value" rows (nested objects one level down). */
function looseRows(obj: Readonly<Record<string, unknown>>, prefix = ''): [string, string, string][] {
  return Object.entries(obj).flatMap(([k, v]): [string, string, string][] => {
    if (k === 'outages') return [];
    const name = humanize(prefix === '' ? k : `${prefix}.${k}`);
    if (typeof v === 'number') return [[name, fmtNum(v, 3), '']];
    if (typeof v === 'string' || typeof v === 'boolean') return [[name, String(v), '']];
    if (typeof v === 'object' && v !== null && !Array.isArray(v) && prefix === '') return looseRows(v as Record<string, unknown>, k);
    return [];
  });
}

function factsTable(rows: readonly [string, string, string][]): string {
  return table(
    [c('', 'l'), c('', 'l')],
    rows.map(([k, v, cls]) => [c(k, 'l'), c(v, 'l', cls)]),
  );
}

/** The whole section; '' without `result.failover`. */
export function failoverSection(result: HtmlResult): string {
  const raw = extra(result, 'failover');
  if (typeof raw !== 'object' || raw === null) return '';
  const head =
    '<h2 id="failover">Failover</h2><p class="note">Outages are shaded on every timeline; times are seconds from the start of the measured phase.</p>';
  const parsed = failoverResultSchema.safeParse(raw);
  if (parsed.success) return head + outagesTable(parsed.data) + factsTable(factRows(parsed.data));
  const outages = outagesOf(result);
  const outageRows =
    outages.length === 0
      ? '<p>No outage.</p>'
      : table(
          [c('outage', 'l'), c('start (s)'), c('end (s)'), c('duration (s)')],
          outages.map((o, k) => [c(`#${k + 1}`, 'l'), c(s3(o.startS)), c(s3(o.endS)), c(s3(o.endS - o.startS), 'r', 'bad')]),
        );
  const rows = looseRows(raw as Record<string, unknown>);
  return (
    head +
    outageRows +
    (rows.length === 0 ? '' : factsTable(rows)) +
    `<p class="note">${escapeHtml('This section is not in the form pgsurge writes; shown as found.')}</p>`
  );
}
