/**
 * `pgsurge ui` as a user meets it, in Debian's headless Chromium (playwright-core): start a run from
 * the form against a throwaway server it starts (a bad field first, named beside its input), watch its charts
 * change from interval to interval, raise its rate and see the TPS follow, stop it, find it among
 * the runs, compare it with a second run; and a closed-loop run whose clients are changed mid-run.
 * No console error, no request leaves the UI's own origin. Screenshots of each step go to
 * test-artifacts/ui-*.png.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { api, startUiProcess, until, type UiProcess } from '../helpers/ui.js';

const CHROMIUM = process.env['CHROMIUM'] ?? '/usr/bin/chromium';
const skip = existsSync(CHROMIUM) ? false : `Chromium not found at ${CHROMIUM}: install Debian's "chromium" package (scripts/install-test-deps.sh should)`;
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

let server: Awaited<ReturnType<typeof startTestServer>> | undefined;
let ui: UiProcess | undefined;
let browser: Browser | undefined;
if (skip === false) {
  server = await startTestServer();
  const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
  assert.equal(init.code, 0, init.stderr);
  ui = await startUiProcess(['ui', '--listen', '127.0.0.1:0']);
  after(() => ui?.stop());
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  after(() => browser?.close());
}

interface Watched {
  readonly page: Page;
  readonly errors: string[];
  readonly foreign: string[];
}

async function openPage(): Promise<Watched> {
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  const foreign: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => {
    if (!r.url().startsWith(`${ui!.url}/`)) foreign.push(r.url());
  });
  return { page, errors, foreign };
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `ui-${name}.png`), fullPage: true });
}

/** The live TPS chart's points: [x, successful/s, target rate/s (open loop)] per interval. */
const tpsPoints = (page: Page): Promise<number[][]> =>
  page.evaluate(`(() => {
    const u = (window.pgsurgeCharts || []).find((c) => c.pgsurgeId === 'run-tps');
    if (!u) return [];
    return u.data[0].map((x, i) => u.data.map((s) => s[i]));
  })()`);

/**
 * Polls an expression in the page until it is truthy. (Playwright's waitForFunction compiles its
 * predicate in the page, which the page's Content-Security-Policy forbids: no eval.)
 */
async function waitFor(page: Page, expr: string, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await page.evaluate<boolean>(`Boolean(${expr})`))) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${expr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The form with a one-minute select-only run of 4 clients against the test server. */
async function fillForm(page: Page): Promise<void> {
  await page.goto(`${ui!.url}/`);
  await page.waitForSelector('#new-run-form');
  await page.fill('#f-workloads', 'select-only');
  await page.fill('#f-url', server!.url);
  await page.fill('#f-client', '4');
  await page.fill('#f-time', '60s');
}

const runIdOf = (page: Page): string => decodeURIComponent(new URL(page.url()).hash.replace('#/runs/', ''));

test('from the page: start a run, watch it, raise its rate, stop it, find it, compare it with a second run', { skip }, async () => {
  const { page, errors, foreign } = await openPage();
  // No URL: the run gets a throwaway server of its own (scale 1, to start in a few seconds).
  await fillForm(page);
  await page.fill('#f-url', '');
  await page.fill('#f-scale', '1');
  await page.fill('#f-rate', 'lots');
  await page.click('#start-run');
  await waitFor(page, `document.querySelector('[data-err="rate"]').textContent.includes('invalid rate')`);
  assert.match((await page.textContent('[data-err="rate"]')) ?? '', /-R\/--rate: invalid rate "lots"/);
  await shot(page, '1-form-refuses-a-field');

  await page.fill('#f-rate', '100');
  await page.click('details summary');
  await page.selectOption('#f-arrivals', 'uniform');
  await page.click('#start-run');
  await page.waitForURL(/#\/runs\//);
  const id = runIdOf(page);
  await waitFor(page, `document.getElementById('run-state').textContent === 'running'`, 60_000);
  assert.equal((await api(ui!.url, 'GET', `/api/runs/${id}`)).body.target, 'throwaway server');
  await waitFor(
    page,
    `(() => { const u = (window.pgsurgeCharts || []).find((c) => c.pgsurgeId === 'run-tps'); return u && u.data[0].length >= 2; })()`,
    30_000,
  );
  const early = await tpsPoints(page);
  await waitFor(
    page,
    `(() => { const u = window.pgsurgeCharts.find((c) => c.pgsurgeId === 'run-tps'); return u && u.data[0].length >= ${early.length + 2}; })()`,
    30_000,
  );
  const later = await tpsPoints(page);
  assert.ok(later.length >= early.length + 2, 'the chart gained intervals as the run went on');
  assert.ok(
    later.every((p) => p[2] === 100),
    'the target rate is drawn',
  );
  assert.match((await page.textContent('#view h1')) ?? '', /pgsurge report: select-only/);
  assert.match((await page.textContent('#running')) ?? '', /RUNNING: [\d.]+ s measured so far/);
  await shot(page, '2-live');

  assert.equal(await page.textContent('#adjust-label'), 'rate (arrivals/s)');
  await page.fill('#adjust-value', '300');
  await page.click('#adjust');
  await waitFor(page, `document.getElementById('adjust-msg').textContent.includes('300')`);
  const raisedAt = later.length;
  // Two whole intervals after the change, the TPS line has followed the target line up.
  const followed = await until(
    'the TPS to follow the new rate',
    async () => {
      const pts = await tpsPoints(page);
      const afterChange = pts.slice(raisedAt + 1).filter((p) => p[2] === 300);
      return afterChange.length >= 2 ? afterChange : undefined;
    },
    30_000,
  );
  assert.ok(
    followed.every((p) => p[1]! > 250),
    `tps after the change: ${followed.map((p) => p[1]).join(', ')}`,
  );
  await page.waitForSelector('#load-changes');
  await shot(page, '3-rate-raised');

  await page.click('#stop');
  await waitFor(page, `document.getElementById('run-state').textContent === 'interrupted'`, 30_000);
  assert.match((await page.textContent('#view')) ?? '', /Load changed while running: at [\d.]+ s: 300\/s/);
  assert.equal(await page.isVisible('#controls'), false, 'an ended run has no controls');
  assert.equal(await page.isVisible('#running'), false, 'the final report has its verdict');
  assert.match((await page.textContent('#view .verdict')) ?? '', /interrupted/i);
  await shot(page, '4-stopped');

  // A second, short run (from the API, as a script would), then both from the list.
  const second = await api(ui!.url, 'POST', '/api/runs', {
    url: server!.url,
    workloads: ['select-only'],
    rate: '100',
    time: '3s',
    client: '4',
    arrivals: 'uniform',
  });
  assert.equal(second.status, 201, second.text);
  const id2 = second.body.id as string;
  await until('the second run to finish', async () => ((await api(ui!.url, 'GET', `/api/runs/${id2}`)).body.state === 'finished' ? true : undefined));
  await page.click('text=← runs');
  await page.waitForSelector(`tr[data-run="${id}"]`);
  await page.waitForSelector(`tr[data-run="${id2}"]`);
  assert.match((await page.textContent(`tr[data-run="${id}"]`)) ?? '', /interrupted/);
  await page.check(`tr[data-run="${id}"] .pick`);
  await page.check(`tr[data-run="${id2}"] .pick`);
  await shot(page, '5-runs');
  await page.click('#compare');
  await page.waitForURL(/#\/compare\//);
  await waitFor(page, `(() => { const u = (window.pgsurgeCharts || []).find((c) => c.pgsurgeId === 'cmp-tps'); return u && u.data.length === 3; })()`);
  assert.match((await page.textContent('#view h1')) ?? '', /comparison/);
  assert.match((await page.textContent('#view')) ?? '', new RegExp(id2));
  await shot(page, '6-compare');
  await page.close();
  // The browser logs the refused request of the bad field (a 400) as an error; nothing else.
  assert.deepEqual(errors, ['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  assert.deepEqual(foreign, [], 'every request went to the UI itself');
});

test('a data load from the page: its progress streamed (rows, rows/s, ETA), then finished', { skip }, async () => {
  const { page, errors, foreign } = await openPage();
  await page.goto(`${ui!.url}/`);
  await page.waitForSelector('#load-workload');
  await page.selectOption('#load-workload', 'tpcb-like');
  await page.fill('#load-url', server!.url);
  await page.fill('#load-scale', '4');
  await page.click('#start-load');
  await page.waitForSelector('#loads-table tr[data-load]');
  // A row that shows rows and a rate while it runs (the events are at most 250 ms apart).
  const seenRunning = await until(
    'a progress row',
    async () => {
      const row = (await page.textContent('#loads-table tr[data-load]')) ?? '';
      if (/finished/.test(row)) return 'finished before a progress row was seen';
      return /running/.test(row) && /rows\/s/.test(row) && /\/ [\d,]+ rows/.test(row) ? row : undefined;
    },
    30_000,
  );
  await shot(page, '0-data-load');
  await waitFor(page, `document.querySelector('#loads-table tr[data-load]').textContent.includes('finished')`, 60_000);
  const done = (await page.textContent('#loads-table tr[data-load]')) ?? '';
  assert.match(done, /400,000 \/ 400,000 rows|finished/);
  assert.doesNotMatch(seenRunning, /^finished before/, 'the progress was seen while the load ran');
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
});

test('a closed-loop run of an uploaded script from the page: its active clients lowered, then raised, mid-run', { skip }, async () => {
  const { page, errors, foreign } = await openPage();
  await fillForm(page);
  await page.fill('#f-workloads', '');
  const script = '\\set aid random(1, 100000 * :scale)\nSELECT abalance FROM pgbench_accounts WHERE aid = :aid;\n';
  await page.setInputFiles('#f-scripts', { name: 'one-account.sql', mimeType: 'text/plain', buffer: Buffer.from(script) });
  await page.click('#start-run');
  await page.waitForURL(/#\/runs\//);
  const id = runIdOf(page);
  await waitFor(page, `document.getElementById('run-state').textContent === 'running'`, 30_000);
  assert.equal(await page.textContent('#adjust-label'), 'active clients');
  await page.fill('#adjust-value', '1');
  await page.click('#adjust');
  await waitFor(page, `document.getElementById('adjust-msg').textContent.endsWith(': 1')`);
  await page.fill('#adjust-value', '4');
  await page.click('#adjust');
  await waitFor(page, `document.getElementById('adjust-msg').textContent.endsWith(': 4')`);
  await page.click('#stop');
  await waitFor(page, `document.getElementById('run-state').textContent === 'interrupted'`, 30_000);
  await shot(page, '7-closed-loop');
  const result = (await api(ui!.url, 'GET', `/api/runs/${id}/result.json`)).body as {
    loadChanges: { target: number; kind: string }[];
    transactionTypes: Record<string, { transactions: number }>;
  };
  assert.deepEqual(Object.keys(result.transactionTypes), ['one-account.sql']);
  assert.deepEqual(
    result.loadChanges.map((c) => `${c.kind}:${c.target}`),
    ['clients:1', 'clients:4'],
  );
  await page.close();
  assert.deepEqual(errors, []);
  assert.deepEqual(foreign, []);
});

test('a workload module uploaded from the page runs where pgsurge ui accepts modules; the form offers no upload where it does not', { skip }, async () => {
  const plain = await openPage();
  await fillForm(plain.page);
  assert.equal(await plain.page.$('#f-modules'), null, 'no module upload without --allow-module-uploads');
  await plain.page.close();

  const open = await startUiProcess(['ui', '--listen', '127.0.0.1:0', '--no-history', '--allow-module-uploads']);
  after(() => open.stop());
  const page = await browser!.newPage({ viewport: { width: 1400, height: 1000 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(`${open.url}/`);
  await page.waitForSelector('#f-modules');
  await page.fill('#f-workloads', '');
  await page.fill('#f-url', server!.url);
  await page.fill('#f-time', '1s');
  const module = [
    "import { defineWorkload } from 'pgsurge';",
    "export default defineWorkload({ transactions: { lookup: { steps: [{ sql: 'select count(*) from pgbench_branches' }] } } });",
    '',
  ].join('\n');
  await page.setInputFiles('#f-modules', { name: 'lookup.ts', mimeType: 'text/plain', buffer: Buffer.from(module) });
  await page.click('#start-run');
  await page.waitForURL(/#\/runs\//);
  const id = runIdOf(page);
  await waitFor(page, `document.getElementById('run-state').textContent === 'finished'`, 30_000);
  await shot(page, '8-module-upload');
  const result = (await api(open.url, 'GET', `/api/runs/${id}/result.json`)).body as { transactionTypes: Record<string, { transactions: number }> };
  const types = Object.entries(result.transactionTypes);
  assert.equal(types.length, 1);
  assert.match(types[0]![0], /lookup/);
  assert.ok(types[0]![1].transactions > 0);
  await page.close();
  assert.deepEqual(errors, []);
});
