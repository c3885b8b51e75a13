/**
 * Tables of the HTML run report. Every value from the result passes through escapeHtml here or in
 * `cell`: script names, SQL, error messages and config values are user data.
 */
import { FAILURE_CLASSES } from '../metrics/types.js';
import { escapeHtml } from './html-page.js';
import { fmtMs, fmtNum, fmtPct } from './summary.js';
import type { TxnSummary } from './result.js';
import { extra, type HtmlResult } from './html-charts.js';
import { settingsOf } from './compare-config.js';
import { FAILURE_CLASS_LABELS, humanize } from './html-labels.js';
import { RUN_OPTIONS, type RunOptionSpec } from '../config/run-options.js';

type Align = 'l' | 'r' | 'sql' | 'mono';

/** A cell: raw text, escaped here. */
export interface Cell {
  readonly text: string;
  readonly align?: Align;
  readonly cls?: string;
}

const c = (text: string, align: Align = 'r', cls = ''): Cell => ({ text, align, cls });

export function table(head: readonly Cell[], rows: readonly (readonly Cell[])[]): string {
  const td = (x: Cell, tag: 'td' | 'th'): string => {
    const cls = [x.align === 'r' || x.align === undefined ? '' : x.align, x.cls ?? ''].filter((s) => s !== '').join(' ');
    return `<${tag}${cls === '' ? '' : ` class="${cls}"`}>${escapeHtml(x.text)}</${tag}>`;
  };
  return `<table><thead><tr>${head.map((h) => td(h, 'th')).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((x) => td(x, 'td')).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function errorsText(errors: TxnSummary['errors']): string {
  return FAILURE_CLASSES.filter((k) => errors[k] > 0)
    .map((k) => `${k} ${fmtNum(errors[k])}`)
    .join(', ');
}

export function typesTable(result: HtmlResult): string {
  const s = result.summary;
  const done = s.transactions + s.failed;
  const head = [
    'transaction type',
    'share',
    'per second',
    'successful',
    'failed',
    'retried',
    'p50',
    'p90',
    'p95',
    'p99',
    'p99.9',
    'max',
    'schedule lag p99',
    'failures by class',
  ].map((h, i) => c(h, i === 0 || i === 13 ? 'l' : 'r'));
  const rows = Object.entries(result.transactionTypes).map(([name, t]) => [
    c(name, 'l'),
    c(fmtPct(t.transactions + t.failed, done)),
    c(fmtNum(t.tps, 1)),
    c(fmtNum(t.transactions)),
    c(fmtNum(t.failed), 'r', t.failed > 0 ? 'bad' : ''),
    c(fmtNum(t.retried)),
    c(fmtMs(t.latencyMs.p50)),
    c(fmtMs(t.latencyMs.p90)),
    c(fmtMs(t.latencyMs.p95)),
    c(fmtMs(t.latencyMs.p99)),
    c(fmtMs(t.latencyMs.p999)),
    c(fmtMs(t.latencyMs.max)),
    c(fmtMs(t.lagMs.p99)),
    c(errorsText(t.errors), 'l'),
  ]);
  return `<p class="note">Latency in ms, successful transactions, measured from the scheduled start.</p>${table(head, rows)}`;
}

export function statementsTables(result: HtmlResult): string {
  const head = ['p50', 'p95', 'p99', 'max', 'executed', 'failed', 'statement'].map((h, i) => c(h, i === 6 ? 'l' : 'r'));
  return Object.entries(result.transactionTypes)
    .filter(([, t]) => t.statements.length > 0)
    .map(([name, t]) => {
      const rows = t.statements.map((st) => [
        c(fmtMs(st.latencyMs.p50)),
        c(fmtMs(st.latencyMs.p95)),
        c(fmtMs(st.latencyMs.p99)),
        c(fmtMs(st.latencyMs.max)),
        c(fmtNum(st.count)),
        c(fmtNum(st.failed), 'r', st.failed > 0 ? 'bad' : ''),
        c(st.sql.trim(), 'sql'),
      ]);
      return `<h3>${escapeHtml(name)}</h3>${table(head, rows)}`;
    })
    .join('');
}

export function failuresTable(result: HtmlResult): string {
  const s = result.summary;
  const rows = FAILURE_CLASSES.filter((k) => s.errors[k] > 0 || s.firstErrors[k] !== undefined).map((k) => [
    c(FAILURE_CLASS_LABELS[k], 'l'),
    c(fmtNum(s.errors[k])),
    c(s.firstErrors[k] ?? '', 'mono'),
  ]);
  const counts = [
    ['skipped', s.skipped],
    ['dropped', s.dropped],
    ['unfinished', s.unfinished],
    ['retried', s.retried],
  ] as const;
  const notDone = `<p class="note">${counts.map(([k, v]) => `${k} ${fmtNum(v)}`).join(', ')} (of ${fmtNum(s.arrivals)} arrivals); ${fmtNum(
    s.reconnects,
  )} reconnects</p>`;
  if (rows.length === 0) return `<p>No failures.</p>${notDone}`;
  return table([c('failure class', 'l'), c('transactions'), c('first message', 'l')], rows) + notDone;
}

export function thresholdsTable(result: HtmlResult): string {
  return table(
    [c('', 'l'), c('threshold', 'l'), c('measured', 'l')],
    result.thresholds.map((t) => [
      c(t.ok ? '✓ pass' : '✗ fail', 'l', t.ok ? 'good' : 'bad'),
      c(t.expr, 'mono'),
      c(t.reason === undefined ? t.actual : `${t.actual}: ${t.reason}`, 'l'),
    ]),
  );
}

/** `result.findings`: [{rule, severity, message}], other fields ignored. */
export function findingsOf(result: HtmlResult): { rule: string; severity: string; message: string }[] {
  const f = extra(result, 'findings');
  if (!Array.isArray(f)) return [];
  return f.flatMap((x: unknown) => {
    if (typeof x !== 'object' || x === null) return [];
    const o = x as Record<string, unknown>;
    const str = (v: unknown): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));
    return [{ rule: str(o['rule']), severity: str(o['severity']), message: str(o['message']) }];
  });
}

export function findingsTable(result: HtmlResult): string {
  const rows = findingsOf(result).map((f) => [
    c(f.severity, 'l', `sev-${f.severity.toLowerCase().replace(/[^a-z]/g, '')}`),
    c(f.rule, 'l'),
    c(f.message, 'mono'),
  ]);
  return table([c('severity', 'l'), c('rule', 'l'), c('finding', 'l')], rows);
}

/**
 * A config or target value as words: lists joined, objects as "key value" pairs with their keys in
 * words (a workload reads "kind builtin, name tpcb-like, weight 1"), a threshold as typed.
 */
function valueText(v: unknown, depth = 0): string {
  if (typeof v === 'string') return v;
  if (v === undefined) return '';
  if (v === null) return 'none';
  if (typeof v !== 'object') return String(v);
  if (depth >= 3) return JSON.stringify(v);
  if (Array.isArray(v)) return v.map((x) => valueText(x, depth + 1)).join(v.every((x) => typeof x !== 'object') ? ', ' : '; ');
  const o = v as Record<string, unknown>;
  if (typeof o['expr'] === 'string') return o['expr'];
  return Object.entries(o)
    .filter(([, x]) => x !== undefined)
    .map(([k, x]) => `${humanize(k)} ${valueText(x, depth + 1)}`)
    .join(', ');
}

/** Run options by the config field they fill alone: the user typed the option, not the field. */
const OPTION_OF_FIELD: ReadonlyMap<string, string> = new Map(
  (RUN_OPTIONS as readonly RunOptionSpec[]).flatMap((o) =>
    o.derived !== true && o.fills.length === 1 && o.fills[0] !== undefined ? [[o.fills[0], `--${o.long}`] as const] : [],
  ),
);

/** Rows of (words, value): keys of the result in words, with the run option that sets them when there is one. */
function keyValueTable(obj: Readonly<Record<string, unknown>>, withOption = false): string {
  const rows = Object.entries(obj)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => [c(humanize(k), 'l'), ...(withOption ? [c(OPTION_OF_FIELD.get(k) ?? '', 'mono')] : []), c(valueText(v), 'mono')]);
  return table([c('', 'l'), ...(withOption ? [c('option', 'l')] : []), c('value', 'l')], rows);
}

/** Run facts, target, resolved config and any server settings the result carries. */
export function configSection(result: HtmlResult): string {
  const settings = settingsOf(result);
  const versions = {
    pgsurge: `${result.tool.name} ${result.tool.version}`,
    postgresql: result.target.serverVersion ?? 'unknown',
    started: result.startedAt,
    measured: `${result.durationS} s`,
  };
  const target = Object.fromEntries(Object.entries(result.target).filter(([k]) => k !== 'settings'));
  const settingsTable =
    settings === null
      ? ''
      : // Server settings keep PostgreSQL's own names (shared_buffers): that is what users look up.
        `<h3>Server settings</h3>${table(
          [c('setting', 'l'), c('value', 'l')],
          Object.entries(settings).map(([k, v]) => [c(k, 'l'), c(valueText(v), 'mono')]),
        )}`;
  return (
    `<h2>Configuration</h2><h3>Versions</h3>${keyValueTable(versions)}<h3>Target</h3>${keyValueTable(target)}` +
    `<h3>Run configuration (redacted)</h3>${keyValueTable(result.config, true)}` +
    settingsTable
  );
}
