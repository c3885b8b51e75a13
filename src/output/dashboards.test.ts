/**
 * dashboards/: the alert rules pass `promtool check rules` and their cases `promtool test rules`
 * (when promtool is installed: Debian's `prometheus` package), and both files have the expected
 * structure and use only metric names the exporter serves — checked without promtool too.
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

const TESTS = `${DIR}prometheus-alerts.test.yml`;

/** promtool, or undefined when it is not installed (Debian's `prometheus` package brings it). */
const promtool = spawnSync('promtool', ['--version'], { encoding: 'utf8' }).error === undefined ? 'promtool' : undefined;

test('promtool check rules dashboards/prometheus-alerts.yml', (t) => {
  if (promtool === undefined) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  const r = spawnSync(promtool, ['check', 'rules', ALERTS], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SUCCESS: 18 rules found/);
});

test('promtool test rules dashboards/prometheus-alerts.test.yml: every rule fires on its case and stays quiet below it', (t) => {
  if (promtool === undefined) {
    t.skip('promtool not installed (apt-get install prometheus)');
    return;
  }
  // Run from dashboards/: the test file names the rules file relative to itself.
  const r = spawnSync(promtool, ['test', 'rules', 'prometheus-alerts.test.yml'], { encoding: 'utf8', cwd: DIR });
  assert.equal(r.status, 0, `${r.stdout}\n${r.stderr}`);
  assert.match(r.stdout, /SUCCESS/);
});

interface AlertRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: string };
  annotations: Record<string, string>;
}

const ALERT_NAMES = [
  'PgsurgeCacheHitRatioLow',
  'PgsurgeConnectionsNearMax',
  'PgsurgeErrorRateHigh',
  'PgsurgeIdleInTransaction',
  'PgsurgeIndexBloatHigh',
  'PgsurgeLatencyP95OverTarget',
  'PgsurgePoolNearExhaustion',
  'PgsurgeReplicationBroken',
  'PgsurgeReplicationLagHigh',
  'PgsurgeReplicationLagIncreasing',
  'PgsurgeTableSizeGrowing',
];
/** Alerts with a warning and a critical tier. */
const TIERED = [
  'PgsurgeCacheHitRatioLow',
  'PgsurgeConnectionsNearMax',
  'PgsurgeErrorRateHigh',
  'PgsurgeIndexBloatHigh',
  'PgsurgeLatencyP95OverTarget',
  'PgsurgePoolNearExhaustion',
  'PgsurgeReplicationLagHigh',
];

test('alert rules: structure, tiers, known metric names; each tier has a case that fires and each alert one that stays quiet', () => {
  const doc = parse(readFileSync(ALERTS, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] };
  assert.ok(Array.isArray(doc.groups) && doc.groups.length > 0);
  const rules = doc.groups.flatMap((g) => g.rules);
  assert.deepEqual([...new Set(rules.map((r) => r.alert))].sort(), ALERT_NAMES);
  for (const name of TIERED) {
    assert.deepEqual(
      rules.filter((r) => r.alert === name).map((r) => r.labels.severity),
      ['warning', 'critical'],
      `${name}: tiers`,
    );
  }
  for (const r of rules) {
    assert.equal(typeof r.expr, 'string', `${r.alert}: expr`);
    assert.match(String(r.for), /^\d+[smh]$/, `${r.alert}: for`);
    assert.ok(['warning', 'critical'].includes(r.labels.severity), `${r.alert}: severity`);
    assert.ok(typeof r.annotations === 'object' && 'summary' in r.annotations && 'description' in r.annotations);
    const used = metricsIn(r.expr);
    assert.ok(used.length > 0);
    for (const name of used) assert.ok(known.has(name), `${r.alert} uses ${name}, which the exporter does not serve`);
  }
  // The cases themselves run under promtool (above); here: none of them is missing.
  const cases = parse(readFileSync(TESTS, 'utf8')) as {
    tests: { alert_rule_test: { alertname: string; exp_alerts: { exp_labels: { severity: string } }[] }[] }[];
  };
  const all = cases.tests.flatMap((c) => c.alert_rule_test);
  for (const r of rules) {
    const fires = all.some((c) => c.alertname === r.alert && c.exp_alerts.some((a) => a.exp_labels.severity === r.labels.severity));
    assert.ok(fires, `${r.alert} (${r.labels.severity}) has no case where it fires`);
    assert.ok(
      all.some((c) => c.alertname === r.alert && c.exp_alerts.length === 0),
      `${r.alert} has no case where it stays quiet`,
    );
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
