import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml } from './html.js';
import { escapeHtml, jsonForScript } from './html-page.js';
import { serverCharts } from './html-server.js';
import { sampleResult } from './sample.fixture.js';

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
  assert.deepEqual(byId.get('commits'), ['a:1 commitsPerS', 'b:2 commitsPerS']);
  assert.deepEqual(byId.get('cache'), ['a:1 cacheHitRatio', 'b:2 cacheHitRatio']);
  assert.deepEqual(byId.get('connections'), ['a:1 connections.total', 'a:1 connections.active', 'b:2 connections.total', 'b:2 connections.active']);
  assert.deepEqual(byId.get('replication-bytes'), ['a:1 [r1] replication.replayLagBytes', 'b:2 [r1] replication.replayLagBytes']);
  assert.deepEqual(byId.get('cpu'), ['a:1 process.cpuPct', 'b:2 process.cpuPct']);
  assert.ok(![...byId.values()].flat().some((l) => l.includes('tables')), 'lists that are not time series are left out');
});
