/**
 * dashboards/: the alert rules pass `promtool check rules` (when promtool is installed: Debian's
 * `prometheus` package), and both files have the expected structure and use only metric names the
 * exporter serves — checked without promtool too.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { prometheusMetricNames } from './prometheus.js';

// dist/src/output → repository root.
const DIR = fileURLToPath(new URL('../../../dashboards/', import.meta.url));
const ALERTS = `${DIR}prometheus-alerts.yml`;
const known = new Set(prometheusMetricNames());

/** Metric names used in a PromQL expression. */
const metricsIn = (expr: string): string[] => [...expr.matchAll(/\bpgsurge_[a-z0-9_]+/g)].map((m) => m[0]);

test('promtool check rules dashboards/prometheus-alerts.yml', (t) => {
  const which = spawnSync('promtool', ['--version'], { encoding: 'utf8' });
  if (which.error !== undefined) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const r = spawnSync('promtool', ['check', 'rules', ALERTS], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SUCCESS: 5 rules found/);
});

test('alert rules: structure, the five alerts, known metric names', () => {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: Record<string, unknown>[] }[] };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0);
  const rules = doc.groups.flatMap((g) => g.rules);
  assert.deepEqual(rules.map((r) => r['alert']).sort(), [
    'PgsurgeCacheHitRatioLow',
    'PgsurgeConnectionsNearMax',
    'PgsurgeErrorRateHigh',
    'PgsurgeLatencyP95OverTarget',
    'PgsurgeReplicationLagHigh',
  ]);
  for (const r of rules) {
    assert.equal(typeof r['expr'], 'string', `${String(r['alert'])}: expr`);
    assert.match(String(r['for']), /^\d+[smh]$/, `${String(r['alert'])}: for`);
    assert.ok(typeof r['annotations'] === 'object' && r['annotations'] !== null && 'summary' in r['annotations']);
    const used = metricsIn(String(r['expr']));
    assert.ok(used.length > 0);
    for (const name of used) assert.ok(known.has(name), `${String(r['alert'])} uses ${name}, which the exporter does not serve`);
  }
});

test('grafana.json: panels for latency, TPS, errors (also by transaction type), connections, cache, replication, sizes; known metric names', () => {
  const dash = JSON.parse(readFileSync(`${DIR}grafana.json`, 'utf8')) as {
    title: string;
    uid: string;
    panels: { id: number; title: string; type: string; gridPos: Record<string, number>; targets: { expr: string; refId: string }[] }[];
  };
  assert.equal(typeof dash.title, 'string');
  assert.equal(typeof dash.uid, 'string');
  const titles = dash.panels.map((p) => p.title).join(' | ');
  for (const want of [
    /Latency percentiles/,
    /Transactions per second/,
    /Errors/,
    /connections/i,
    /Cache hit ratio/,
    /Replication lag/,
    /Table sizes/,
    /Index sizes/,
    /Transactions per second by type/,
    /Latency p99 by type/,
    /Errors by type/,
  ]) {
    assert.match(titles, want);
  }
  assert.equal(new Set(dash.panels.map((p) => p.id)).size, dash.panels.length, 'panel ids are unique');
  for (const p of dash.panels) {
    assert.ok(
      ['x', 'y', 'w', 'h'].every((k) => typeof p.gridPos[k] === 'number'),
      `${p.title}: gridPos`,
    );
    assert.ok(p.targets.length > 0, `${p.title}: targets`);
    for (const t of p.targets) for (const name of metricsIn(t.expr)) assert.ok(known.has(name), `${p.title} uses ${name}, which the exporter does not serve`);
  }
});
