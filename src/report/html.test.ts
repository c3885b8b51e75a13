import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from './html.js';
import { escapeHtml, jsonForScript } from './html-page.js';
import { serverCharts, serverPanels } from './html-server.js';
import { intervalCharts, type ChartSpec } from './html-charts.js';
import { resultV1Schema } from './result.js';
import { fullSampleResult, sampleResult } from './sample.fixture.js';

test('renderHtml: one self-contained page, text escaped, uPlot inlined, no external resources', () => {
  const base = sampleResult();
  const [name, type] = Object.entries(base.transactionTypes)[0]!;
  const evil = '</script><img src=x onerror=alert(1)>';
  const html = renderHtml({
    ...base,
    transactionTypes: { ...base.transactionTypes, [evil]: { ...type, statements: [] } },
    histograms: { ...base.histograms, [evil]: base.histograms[name] ?? '' },
  });
  assert.match(html, /^<!DOCTYPE html>/);
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(html.includes('uPlot'), 'uPlot inlined');
  assert.ok(!html.includes(evil), 'hostile name escaped (HTML and JSON)');
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=/i, 'no external scripts, styles or images');
  assert.match(html, /id="run-tps"/);
});

test('escaping helpers', () => {
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  assert.equal(jsonForScript({ s: '</script>' }), '{"s":"\\u003c/script>"}');
});

test('server panels: per-host ServerSample fields grouped by name; no samples, no panels', () => {
  const base = sampleResult();
  assert.deepEqual(serverCharts({ ...base, server: [] }), []);
  const host = (h: string, t: number): Record<string, unknown> => ({
    host: h,
    ok: true,
    commitsPerS: 100 + t,
    cacheHitRatio: 0.99,
    connections: { total: 5, active: 2 },
    walBytesDelta: 1000,
    replication: [{ applicationName: 'r1', replayLagBytes: 10, replayLagMs: 1 }],
    tables: [{ name: 't', tableBytes: 1 }],
    process: { cpuPct: 50, memoryBytes: 1e8 },
  });
  const server = [0, 1, 2].map((tS) => ({ tS, durationS: 1, hosts: [host('a:1', tS), host('b:2', tS)] }));
  const charts = serverCharts({ ...base, server });
  const byId = new Map(charts.map((c) => [c.id.replace('c-server-', ''), c.series.map((s) => s.label)]));
  assert.deepEqual(byId.get('commits'), ['a:1 commits/s', 'b:2 commits/s']);
  assert.deepEqual(byId.get('cache'), ['a:1 cache hit ratio', 'b:2 cache hit ratio']);
  assert.deepEqual(byId.get('connections'), ['a:1 total', 'a:1 active', 'b:2 total', 'b:2 active']);
  assert.deepEqual(byId.get('replication-bytes'), ['a:1 [r1] replay lag', 'b:2 [r1] replay lag']);
  assert.deepEqual(byId.get('cpu'), ['a:1 server CPU', 'b:2 server CPU']);
  assert.ok(![...byId.values()].flat().some((l) => l.includes('tables')), 'lists that are not time series are left out');
});

/** What a reader sees: the text of the page (no scripts, styles or tags), entities decoded. */
function visibleText(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/gi, ' ')
    .replace(/<style[\s\S]*?<\/style>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
}

/** The charts' data block of a page. */
function chartsOf(html: string): ChartSpec[] {
  const m = /<script type="application\/json" id="pgsurge-data">([\s\S]*?)<\/script>/.exec(html);
  assert.ok(m?.[1] !== undefined, 'chart data block');
  return (JSON.parse(m[1]) as { charts: ChartSpec[] }).charts;
}

/** An identifier like latencyP99Ms or checkpointsDelta: a lower-case word running into a capital. */
const CAMEL = /\b[a-z]+[A-Z][A-Za-z0-9]*\b/g;

test('a full result: no internal field name in the visible text, chart titles, axes or legends', () => {
  const full = resultV1Schema.parse(JSON.parse(JSON.stringify(fullSampleResult())));
  const html = renderHtml(full);
  const found = new Set(visibleText(html).match(CAMEL) ?? []);
  const charts = chartsOf(html);
  assert.ok(
    charts.some((c) => c.id.includes('server-')),
    'the fixture draws server panels',
  );
  for (const c of charts) {
    for (const text of [c.title, c.yLabel, ...c.series.map((s) => s.label)]) for (const w of text.match(CAMEL) ?? []) found.add(`${w} (chart ${c.id})`);
  }
  assert.deepEqual([...found], []);
  assert.doesNotMatch(visibleText(html), /\{"/, 'no JSON object shown as text');
});

test('every time chart draws an interval at its end, so a dip lines up with the outage band', () => {
  const full = fullSampleResult();
  const ends = full.intervals.map((i) => i.tS + i.durationS);
  assert.deepEqual(ends, [1, 2, 2.5], 'the fixture has a short last interval');
  const charts = [...intervalCharts(full), ...serverCharts(full)];
  assert.ok(charts.length > 8);
  for (const c of charts) {
    assert.equal(c.xKind, 'time');
    assert.deepEqual(c.x, ends, `${c.id}: x is each interval's end`);
    assert.deepEqual(c.bands, [{ startS: 1.2, endS: 1.9 }], `${c.id}: the outage is shaded`);
  }
});

test('the failover section is a table in words: outage times and duration, RTO, writes, the verdict', () => {
  const html = renderHtml(fullSampleResult());
  const section = /<h2 id="failover">Failover<\/h2>([\s\S]*?)<h2>/.exec(html)?.[1] ?? '';
  const text = visibleText(section).replace(/\s+/g, ' ');
  assert.match(section, /<th>duration \(s\)<\/th>/);
  assert.match(text, /#1 1\.200 1\.900 0\.700 4 0\.600 \/ 0\.700 0\.750 connection 4/, text);
  assert.match(text, /longest outage \(RTO\) 0\.700 s/);
  assert.match(text, /writes 480 acknowledged, 4 failed, 2 unknown outcome/);
  assert.match(text, /verifier verdict ok/);
  assert.match(text, /lost writes \(acknowledged, missing\) 0/);
  assert.match(text, /WAL timeline 00000001 → 00000002 \(primary now 127\.0\.0\.1:5433\)/);
  assert.doesNotMatch(text, /[{}]/, 'no JSON');
});

test('other server figures are grouped one kind per chart, each with its unit', () => {
  const charts = serverCharts(fullSampleResult());
  const titles = new Map(charts.map((c) => [c.id.replace('c-server-', ''), c.title]));
  for (const key of [
    'connections',
    'commits',
    'rows',
    'cache',
    'blocks',
    'wal',
    'checkpoints',
    'events',
    'temp-bytes',
    'replication',
    'replication-bytes',
    'cpu',
    'memory',
    'state',
  ]) {
    assert.ok(titles.has(key), `${key} panel in ${[...titles.keys()].join(', ')}`);
  }
  assert.ok(!titles.has('other'), 'every field of the schema has its own kind of chart');
  const rows = charts.find((c) => c.id === 'c-server-rows');
  assert.deepEqual(
    rows?.series.map((s) => s.label),
    [
      '127.0.0.1:5432 returned/s',
      '127.0.0.1:5432 fetched/s',
      '127.0.0.1:5432 inserted/s',
      '127.0.0.1:5432 updated/s',
      '127.0.0.1:5432 deleted/s',
      '127.0.0.1:5433 returned/s',
      '127.0.0.1:5433 fetched/s',
      '127.0.0.1:5433 inserted/s',
      '127.0.0.1:5433 updated/s',
      '127.0.0.1:5433 deleted/s',
    ],
  );
});

test('server figures at 0 all run long are listed, not drawn; max_connections goes into the connections title', () => {
  const full = fullSampleResult();
  const server = full.server.map((s) => ({ ...s, hosts: s.hosts.map((h) => ({ ...h, checkpointsDelta: 0, checkpointBuffersDelta: 0 })) }));
  const { charts, quiet } = serverPanels({ ...full, server });
  const ids = charts.map((c) => c.id);
  assert.ok(!ids.includes('c-server-checkpoints') && !ids.includes('c-server-checkpoint-buffers'), ids.join(', '));
  assert.deepEqual(quiet, ['Checkpoints (per interval)', 'Buffers written by checkpoints (per interval)']);
  const connections = charts.find((c) => c.id === 'c-server-connections');
  assert.equal(connections?.title, 'Connections (count; max_connections 100)');
  assert.ok(!connections.series.some((s) => s.label.includes('max_connections')));
  const html = renderHtml({ ...full, server });
  assert.match(html, /At 0 throughout the run, so not drawn: Checkpoints \(per interval\); Buffers written by checkpoints \(per interval\)\./);
});

test('the per-type timeline: drawn for several types (names escaped), absent for one type', () => {
  const base = sampleResult();
  const evil = '</script><img src=x onerror=alert(1)>';
  const intervals = base.intervals.map((i) => ({ ...i, types: { ...i.types, [evil]: i.types!['select-only']! } }));
  const html = renderHtml({ ...base, intervals });
  assert.match(html, /Timeline by transaction type/);
  for (const id of ['run-type-tps', 'run-type-p99', 'run-type-errors']) assert.match(html, new RegExp(`id="${id}"`));
  assert.ok(!html.includes(evil), 'hostile type name escaped');
  const single = renderHtml({ ...base, intervals: base.intervals.map(({ types: _types, ...i }) => i) });
  assert.doesNotMatch(single, /Timeline by transaction type|run-type-tps/);
});

test("the verdict line tops the page, as the run's summary ends; an n/a threshold says why in its row", () => {
  const base = sampleResult();
  const reason = 'server.cpu: not sampled — the result has no server samples';
  const thresholds = [
    { expr: 'p99<1s', ok: true, actual: '3.1ms' },
    { expr: 'max(server.cpu)<80%', ok: false, actual: 'n/a', reason },
  ];
  const verdict = { passed: false, failed: ['max(server.cpu)<80%'], reasons: [`max(server.cpu)<80% (actual n/a: ${reason})`] };
  const text = visibleText(renderHtml({ ...base, thresholds, verdict }));
  assert.match(text, new RegExp(`FAILED: max\\(server\\.cpu\\)<80% \\(actual n/a: ${reason}\\)`));
  assert.ok(text.indexOf('FAILED:') < text.indexOf('Thresholds'), 'the verdict comes before the tables');
  assert.ok(text.includes(`n/a: ${reason}`), 'the reason is in the threshold row');
  // An older result without `verdict`: judged on its thresholds alone.
  const older = visibleText(renderHtml({ ...base, thresholds: [thresholds[0]!], verdict: undefined }));
  assert.match(older, /PASSED: the threshold held/);
});
