/**
 * The HTML report as a user sees it: a real run's result rendered by `pgsurge report --html`, and
 * an hour-long result with server samples, failover and hostile names, each opened in headless
 * Chromium (Debian's /usr/bin/chromium, driven by playwright-core). Checks: no console errors, no
 * network request at all, every chart drawn with data, nothing injected, legends and axes in words,
 * each interval drawn at its end (so the failover dip lies inside the shaded outage), the failover
 * section a table, each transaction type's timeline; screenshots go to test-artifacts/.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { resultV1Schema } from '../../src/report/result.js';
import { renderHtml } from '../../src/report/html.js';
import { fullSampleResult } from '../../src/report/sample.fixture.js';
import { HOSTILE_NAME, longResult } from './fixtures.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}: install Debian's "chromium" package (scripts/install-test-deps.sh should)`;
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const server = skip === false ? await startTestServer() : undefined;
let browser: Browser | undefined;
after(async () => browser?.close());

async function openBrowser(): Promise<Browser> {
  browser ??= await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
  return browser;
}

interface ChartCheck {
  readonly id: string;
  readonly series: number;
  readonly points: number;
  readonly canvasWidth: number;
  /** What the reader sees: the legend labels (x first) and the axis labels. */
  readonly labels: string[];
  /** The x values as uPlot holds them, and the first series'. */
  readonly xs: number[];
  readonly first: (number | null)[];
}

/** Runs in the page (a string: the project's TypeScript has no DOM types). */
const CHART_CHECK = `window.pgsurgeCharts.map((u) => ({
  id: u.pgsurgeId,
  series: u.series.length - 1,
  points: u.data.slice(1).reduce((n, col) => n + col.filter((v) => v !== null && v !== undefined).length, 0),
  canvasWidth: u.root.querySelector('canvas').width,
  labels: u.series.map((s) => String(s.label)).concat(u.axes.map((a) => (a.label === undefined ? '' : String(a.label)))),
  xs: Array.from(u.data[0]),
  first: Array.from(u.data[1]),
}))`;

/** An identifier like latencyP99Ms or checkpointsDelta: a lower-case word running into a capital. */
const CAMEL = /\b[a-z]+[A-Z][A-Za-z0-9]*\b/;
/** Units people write this way (SI prefix k before a capital unit): words, not identifiers. */
const UNITS = new Set(['kB']);
const bare = (w: string): string => w.replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');

/** The camelCase words of a page's text; paths (temporary directories have random names) and units are data. */
function internalNames(text: string): string[] {
  return text.split(/\s+/).filter((w) => !w.includes('/') && !UNITS.has(bare(w)) && CAMEL.test(w));
}

async function openReport(
  htmlFile: string,
  shot: string,
): Promise<{
  charts: ChartCheck[];
  plots: number;
  errors: string[];
  requests: string[];
  dialogs: number;
  scripts: number;
  failoverText: string;
  bodyText: string;
}> {
  const page = await (await openBrowser()).newPage({ viewport: { width: 1400, height: 900 } });
  const url = pathToFileURL(htmlFile).href;
  const errors: string[] = [];
  const requests: string[] = [];
  let dialogs = 0;
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (r.url() !== url) requests.push(r.url());
  });
  page.on('dialog', (d) => {
    dialogs++;
    void d.dismiss();
  });
  await page.goto(url);
  await page.waitForFunction('window.pgsurgeCharts !== undefined && window.pgsurgeCharts.length > 0', undefined, { timeout: 15_000 });
  const charts = await page.evaluate<ChartCheck[]>(CHART_CHECK);
  const plots = await page.evaluate<number>("document.querySelectorAll('.plot').length");
  const scripts = await page.evaluate<number>("document.querySelectorAll('script').length");
  const failoverText = await page.evaluate<string>(
    "(() => { const h = document.getElementById('failover'); let t = ''; for (let e = h && h.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling) t += e.innerText + '\\n'; return t; })()",
  );
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, shot), fullPage: true });
  const bodyText = await page.evaluate<string>('document.body.innerText');
  await page.close();
  return { charts, plots, errors, requests, dialogs, scripts, failoverText, bodyText };
}

function assertCharts(charts: readonly ChartCheck[], plots: number): void {
  assert.equal(charts.length, plots, 'one uPlot per chart container');
  for (const c of charts) {
    assert.ok(c.series > 0, `${c.id}: has series`);
    assert.ok(c.points > 0, `${c.id}: has points`);
    assert.ok(c.canvasWidth > 0, `${c.id}: canvas drawn`);
    for (const l of c.labels) assert.deepEqual(internalNames(l), [], `${c.id}: "${l}" is an internal name, not words`);
  }
}

test('a real run rendered by `pgsurge report --html` opens offline with every chart drawn', { skip }, async () => {
  assert.ok(server);
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  const json = join(dir, 'run.json');
  const run = await runCli(['run', '--url', server.url, '-c', '2', '-T', '3', '--json', json]);
  assert.equal(run.code, 0, run.stderr);
  const html = join(dir, 'run.html');
  const report = await runCli(['report', json, '--html', html]);
  assert.equal(report.code, 0, report.stderr);
  const page = await openReport(html, 'html-report-run.png');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.requests, [], 'no network requests');
  assertCharts(page.charts, page.plots);
  const ids = page.charts.map((c) => c.id);
  for (const id of ['run-tps', 'run-latency', 'run-errors', 'run-lag', 'run-distribution']) assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
  assert.deepEqual(internalNames(page.bodyText), [], 'no internal field name anywhere on the page');
});

test('an hour-long result with server samples, failover, findings and hostile names', { skip }, async () => {
  const base = resultV1Schema.parse(JSON.parse(readFileSync(join(dir, 'run.json'), 'utf8')));
  const long = longResult(base, 3600);
  const t0 = performance.now();
  const html = renderHtml(long);
  const renderMs = performance.now() - t0;
  // Generous bound (machines here are shared and busy): the point is "seconds, not minutes".
  assert.ok(renderMs < 5000, `render took ${renderMs} ms`);
  assert.ok(!html.includes(HOSTILE_NAME), 'hostile names are escaped everywhere');
  const file = join(dir, 'long.html');
  writeFileSync(file, html);
  const page = await openReport(file, 'html-report-long.png');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.requests, []);
  assert.equal(page.dialogs, 0, 'no injected script ran');
  assert.equal(page.scripts, 3, 'data, uPlot, report script: nothing injected');
  assertCharts(page.charts, page.plots);
  const ids = page.charts.map((c) => c.id);
  for (const id of ['run-server-connections', 'run-server-cache', 'run-server-commits', 'run-server-wal', 'run-server-replication-bytes', 'run-server-cpu']) {
    assert.ok(ids.includes(id), `${id} in ${ids.join(', ')}`);
  }
  const tps = page.charts.find((c) => c.id === 'run-tps');
  assert.ok(tps !== undefined && tps.points >= 3600, 'every interval drawn');
  assert.deepEqual(
    tps.xs.slice(0, 3),
    long.intervals.slice(0, 3).map((i) => i.tS + i.durationS),
    'a point sits at its interval end',
  );
  // The fixture's outage covers intervals 1800..1811 (zero throughput) and is shaded 1800..1812.4.
  const dips = tps.xs.filter((_, k) => tps.first[k] === 0);
  assert.equal(dips.length, 12);
  for (const x of dips) assert.ok(x > 1800 && x <= 1812.4, `the dip at ${x} s lies inside the shaded outage`);
  assert.match(page.failoverText, /duration \(s\)[\s\S]*12\.400/, 'a failover section of another shape still shows the outage in a table');
});

test('a full result: the failover section is a table with the outage and the verdict, server figures one kind per chart', { skip }, async () => {
  const file = join(dir, 'full.html');
  writeFileSync(file, renderHtml(fullSampleResult()));
  const page = await openReport(file, 'html-report-full.png');
  assert.deepEqual(page.errors, []);
  assert.deepEqual(page.requests, []);
  assertCharts(page.charts, page.plots);
  const text = page.failoverText.replace(/[ \t]+/g, ' ');
  assert.match(text, /duration \(s\)/);
  assert.match(text, /1\.200\s+1\.900\s+0\.700/, text);
  assert.match(text, /verifier verdict\s+ok/);
  assert.deepEqual(internalNames(page.bodyText), [], 'no internal field name anywhere on the page');
  assert.match(text, /lost writes \(acknowledged, missing\)\s+0/);
  const ids = page.charts.map((c) => c.id);
  assert.ok(!ids.includes('run-server-other'), `no catch-all box: ${ids.join(', ')}`);
  // Two transaction types: their timelines are drawn, one series per type, named by the type.
  for (const id of ['run-type-tps', 'run-type-p99', 'run-type-errors']) {
    const c = page.charts.find((x) => x.id === id);
    assert.ok(c !== undefined, `${id} in ${ids.join(', ')}`);
    assert.equal(c.series, 2, id);
    assert.ok(c.points >= 5, `${id}: ${c.points} points`);
    assert.ok(c.labels.includes('tpcb-like') && c.labels.includes('select-only'), `${id}: ${c.labels.join(', ')}`);
  }
  assert.match(page.bodyText, /Timeline by transaction type/);
  for (const c of page.charts.filter((x) => x.id.startsWith('run-') && x.id !== 'run-distribution')) {
    assert.deepEqual(c.xs, [1, 2, 2.5], `${c.id}: intervals at their ends`);
  }
});
