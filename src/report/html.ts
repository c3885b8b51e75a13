/**
 * The HTML run report: one self-contained file rendered from the result only (so `pgsurge report`
 * and `pgsurge run --html` give the same page). Headline, timelines (also by transaction type), latency distribution, server
 * panels, failover windows, findings, per-type and per-statement tables, configuration.
 */
import { chartBox, escapeHtml, renderPage, type PageInput } from './html-page.js';
import { distributionChart, intervalCharts, outagesOf, type ChartSpec, type HtmlResult } from './html-charts.js';
import { serverPanels } from './html-server.js';
import { typeCharts } from './html-types.js';
import { bloatSection } from './html-bloat.js';
import { failoverSection } from './html-failover.js';
import { limitSection } from './html-limit.js';
import { statementServerSection } from './html-statement-time.js';
import { configSection, failuresTable, findingsOf, findingsTable, statementsTables, thresholdsTable, typesTable } from './html-tables.js';
import { fmtMs, fmtNum, fmtPct } from './summary.js';
import { verdictLine, verdictOf } from './result.js';

function card(label: string, value: string, cls = ''): string {
  return `<div class="card${cls === '' ? '' : ` ${cls}`}"><div class="v">${escapeHtml(value)}</div><div class="k">${escapeHtml(label)}</div></div>`;
}

/** "tpcb-like, select-only@3": the workloads as the user named them. */
function workloadNames(result: HtmlResult): string {
  const names = Object.keys(result.transactionTypes);
  return names.length === 0 ? 'no workload' : names.join(', ');
}

function headline(result: HtmlResult): string {
  const s = result.summary;
  const done = s.transactions + s.failed;
  const failedTh = result.thresholds.filter((t) => !t.ok).length;
  const cards = [
    card('transactions per second', fmtNum(s.tps, 1)),
    card('p50 latency (ms)', fmtMs(s.latencyMs.p50)),
    card('p95 latency (ms)', fmtMs(s.latencyMs.p95)),
    card('p99 latency (ms)', fmtMs(s.latencyMs.p99)),
    card('max latency (ms)', fmtMs(s.latencyMs.max)),
    card(`failed (${fmtPct(s.failed, done)})`, fmtNum(s.failed), s.failed > 0 ? 'bad' : 'good'),
    card('successful transactions', fmtNum(s.transactions)),
  ];
  if (s.lagMs.p99 !== null && s.lagMs.p99 > 0) cards.push(card('schedule lag p99 (ms)', fmtMs(s.lagMs.p99)));
  if (result.thresholds.length > 0) {
    cards.push(
      failedTh === 0
        ? card('thresholds', `${result.thresholds.length}/${result.thresholds.length} pass`, 'good')
        : card('thresholds', `${failedTh} of ${result.thresholds.length} fail`, 'bad'),
    );
  }
  return `<div class="cards">${cards.join('')}</div>`;
}

/** The summary's last line: the verdict a reader acts on, at the top of the page. */
function verdictHtml(result: HtmlResult): string {
  // The run's own verdict (it judged the write verification too); an older result has none.
  const v = result.verdict ?? verdictOf(result.thresholds);
  return `<p class="verdict ${v.passed ? 'good' : 'bad'}">${escapeHtml(verdictLine(v))}</p>`;
}

/** A sharded run: which parts this report covers, and which it lacks (never shown as complete). */
function partsNote(result: HtmlResult): string {
  const m = result.merged;
  if (m !== undefined)
    return `merged ${m.parts.length} of ${m.n} parts of run ${m.runId}${m.missing.length > 0 ? ` — MISSING part ${m.missing.join(', ')}: not the whole run` : ''}`;
  const sh = result.shard;
  return sh === undefined || sh.parts.length === sh.n ? '' : `part ${sh.parts.join(', ')} of ${sh.n} of run ${sh.runId}`;
}

function subtitle(result: HtmlResult): string {
  const hosts = result.target.hosts.join(', ');
  const pgv = result.target.serverVersion === null ? '' : `PostgreSQL ${result.target.serverVersion}`;
  const parts = [
    `started ${result.startedAt}`,
    `${fmtNum(result.durationS, 1)} s measured`,
    hosts === '' ? '' : `target ${hosts}`,
    pgv,
    `${result.tool.name} ${result.tool.version}`,
    partsNote(result),
  ];
  return parts.filter((p) => p !== '').join(' · ');
}

/** The load's changes while it ran (a live page's, the API's), as the summary lists them; --find-limit has its own section. */
function loadChangesNote(result: HtmlResult): string {
  const changes = result.loadChanges ?? [];
  if (changes.length === 0 || result.limit !== undefined) return '';
  const items = changes.map(
    (c) =>
      `at ${fmtNum(c.atS, 1)} s: ${c.kind === 'rate' ? `${fmtNum(c.target)}/s` : `${fmtNum(c.target)} clients`}${c.group === 'run' ? '' : ` (${c.group})`}`,
  );
  return `<p class="note" id="load-changes">Load changed while running: ${escapeHtml(items.join('; '))}.</p>`;
}

/** The run report as one HTML document (no external resources). */
export function renderHtml(result: HtmlResult): string {
  return renderPage(reportView(result));
}

/**
 * The report's title, body and charts without the document around them: the file's page and the
 * live page (src/ui) show this same view, the live one re-rendered from the run so far.
 */
export function reportView(result: HtmlResult, opts: { readonly running?: boolean } = {}): PageInput {
  if (result.kind === 'monitor') return monitorView(result);
  const timeline = intervalCharts(result, 'run');
  const byType = typeCharts(result, 'run');
  const distribution = distributionChart(result, 'run');
  const { charts: server, quiet } = serverPanels(result, 'run');
  const charts: ChartSpec[] = [...timeline, ...byType, ...(distribution === null ? [] : [distribution]), ...server];
  const outages = outagesOf(result);
  const findings = findingsOf(result);
  const body: string[] = [
    `<h1>pgsurge report: ${escapeHtml(workloadNames(result))}</h1>`,
    `<p class="sub">${escapeHtml(subtitle(result))}</p>`,
    headline(result),
    opts.running === true
      ? `<p class="verdict" id="running">RUNNING: ${escapeHtml(fmtNum(result.durationS, 1))} s measured so far; figures and thresholds are of the run so far, the verdict comes at its end</p>`
      : verdictHtml(result),
  ];
  body.push(limitSection(result));
  if (findings.length > 0) body.push(`<h2>Findings</h2>${findingsTable(result)}`);
  if (result.thresholds.length > 0) body.push(`<h2>Thresholds</h2>${thresholdsTable(result)}`);
  body.push(
    '<h2>Timeline</h2>',
    outages.length > 0 ? '<p class="note">Shaded: failover outage windows.</p>' : '',
    loadChangesNote(result),
    `<div class="grid">${timeline.map((c) => chartBox(c)).join('')}</div>`,
  );
  if (byType.length > 0) {
    body.push(
      '<h2>Timeline by transaction type</h2>',
      '<p class="note">One line per type; click a type in a legend to hide or show it. Percentiles come from each type’s own histogram per interval.</p>',
      `<div class="grid">${byType.map((c) => chartBox(c)).join('')}</div>`,
    );
  }
  if (distribution !== null) {
    body.push(
      '<h2>Latency distribution</h2>',
      `<div class="grid">${chartBox(
        distribution,
        'x: percentile (log scale of 1/(1−q): 0 %, 50 %, 90 %, 99 %, 99.9 % …); y: latency in ms. Exact: computed from the merged HDR histograms.',
      )}</div>`,
    );
  }
  if (server.length > 0 || quiet.length > 0) {
    body.push(
      '<h2>Server</h2>',
      `<div class="grid">${server.map((c) => chartBox(c)).join('')}</div>`,
      quiet.length === 0 ? '' : `<p class="note">At 0 throughout the run, so not drawn: ${escapeHtml(quiet.join('; '))}.</p>`,
    );
  }
  body.push(failoverSection(result));
  body.push(bloatSection(result));
  body.push('<h2>Transaction types</h2>', typesTable(result));
  const statements = statementsTables(result);
  if (statements !== '') body.push('<h2>Statements (latency in ms)</h2>', statements, statementServerSection(result));
  body.push('<h2>Failures</h2>', failuresTable(result));
  body.push(configSection(result));
  return { title: `pgsurge: ${workloadNames(result)} — ${result.startedAt}`, bodyHtml: body.join('\n'), charts };
}

/** A `pgsurge monitor` result: no load, so no client figures; the server panels are the timeline. */
function monitorView(result: HtmlResult): PageInput {
  const { charts, quiet } = serverPanels(result, 'run');
  const body: string[] = [
    '<h1>pgsurge monitor</h1>',
    `<p class="sub">${escapeHtml(subtitle(result))} · no load: the server was sampled while something else drove it</p>`,
  ];
  if (findingsOf(result).length > 0) body.push(`<h2>Findings</h2>${findingsTable(result)}`);
  body.push(
    '<h2>Server</h2>',
    charts.length === 0 ? '<p class="note">No server sample succeeded.</p>' : `<div class="grid">${charts.map((c) => chartBox(c)).join('')}</div>`,
    quiet.length === 0 ? '' : `<p class="note">At 0 throughout, so not drawn: ${escapeHtml(quiet.join('; '))}.</p>`,
  );
  body.push(bloatSection(result));
  body.push(configSection(result));
  return { title: `pgsurge monitor — ${result.startedAt}`, bodyHtml: body.join('\n'), charts };
}
