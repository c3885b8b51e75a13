/**
 * A `pgsurge monitor` result's HTML report in headless Chromium (Debian's, driven by
 * playwright-core): it opens offline, with no script error, every server chart drawn, and words,
 * not field names, for the reader.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, test } from 'node:test';
import { chromium, type Browser } from 'playwright-core';
import { runCli } from '../helpers/cli.js';
import { startTestServer } from '../helpers/server.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}: install Debian's "chromium" package (scripts/install-test-deps.sh should)`;

const dir = mkdtempSync(join(tmpdir(), 'pgsurge-monitor-html-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const server = skip === false ? await startTestServer() : undefined;
let browser: Browser | undefined;
after(async () => browser?.close());

/** Runs in the page (a string: the project's TypeScript has no DOM types). */
const CHART_CHECK = `window.pgsurgeCharts.map((u) => ({
  id: u.pgsurgeId,
  points: u.data.slice(1).reduce((n, col) => n + col.filter((v) => v !== null && v !== undefined).length, 0),
  canvasWidth: u.root.querySelector('canvas').width,
}))`;

test('a monitor result opens offline with its server charts drawn and no client sections', { skip }, async () => {
  assert.ok(server);
  const html = join(dir, 'watch.html');
  const r = await runCli(['monitor', server.url, '-T', '3', '--html', html]);
  assert.equal(r.code, 0, r.stderr);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const url = pathToFileURL(html).href;
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (q) => {
    if (q.url() !== url) requests.push(q.url());
  });
  await page.goto(url);
  await page.waitForFunction('window.pgsurgeCharts !== undefined && window.pgsurgeCharts.length > 0', undefined, { timeout: 15_000 });
  const charts = await page.evaluate<{ id: string; points: number; canvasWidth: number }[]>(CHART_CHECK);
  const plots = await page.evaluate<number>("document.querySelectorAll('.plot').length");
  const text = await page.evaluate<string>('document.body.innerText');
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(requests, [], 'no network requests');
  assert.equal(charts.length, plots, 'one uPlot per chart container');
  for (const c of charts) {
    assert.ok(c.points > 0, `${c.id}: has points`);
    assert.ok(c.canvasWidth > 0, `${c.id}: canvas drawn`);
  }
  assert.match(text, /pgsurge monitor/);
  assert.match(text, /no load: the server was sampled/);
  assert.doesNotMatch(text, /Transaction types|Latency distribution|transactions per second/);
  const camel = text.split(/\s+/).filter((w) => !w.includes('/') && /\b[a-z]+[A-Z][A-Za-z0-9]*\b/.test(w));
  assert.deepEqual(camel, [], 'no internal field name on the page');
});
