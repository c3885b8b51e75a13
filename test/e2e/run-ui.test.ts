/**
 * `pgsurge run --ui`: the live page and API of one CLI run — its load changed and its end followed
 * over the API, the final report in the run's last event, the same result file as without a page;
 * a stop from the page keeps what was measured; a bad or busy address fails before the load.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { api, readEvents, startUiProcess, until } from '../helpers/ui.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-run-ui-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);

test('run --ui: the page follows the run, its rate changed over the API, the final report in its last event, exit 0', async () => {
  const json = join(dir, 'live.json');
  const ui = await startUiProcess([
    'run',
    '--url',
    server.url,
    'select-only',
    '-R',
    '100',
    '--arrivals',
    'uniform',
    '-T',
    '6s',
    '-n',
    '--ui',
    '127.0.0.1:0',
    '--json',
    json,
  ]);
  after(() => ui.stop());
  assert.ok(ui.runId !== undefined, ui.stderr());
  const id = ui.runId;
  const page = await api(ui.url, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.text, /<title>pgsurge<\/title>/);
  const info = await api(ui.url, 'GET', `/api/runs/${id}`);
  assert.equal(info.body.source, 'cli');
  const refused = await api(ui.url, 'POST', '/api/runs', { workloads: ['select-only'] });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error, /start runs with pgsurge ui/);
  await until('the run to be running', async () => ((await api(ui.url, 'GET', `/api/runs/${id}`)).body.state === 'running' ? true : undefined));
  const adjusted = await api(ui.url, 'POST', `/api/runs/${id}/adjust`, { rate: 200 });
  assert.equal(adjusted.status, 202, adjusted.text);
  const events = await readEvents(`${ui.url}/api/events?run=${id}`, (e) => e.type === 'end');
  const end = events[events.length - 1]!;
  assert.equal(end.type, 'end');
  assert.equal(end.data.data.state, 'finished');
  assert.equal(end.data.data.exitCode, 0);
  assert.match(end.data.data.view.bodyHtml, /pgsurge report: select-only/);
  assert.ok(!/id="running"/.test(end.data.data.view.bodyHtml), 'the last view is the final report');
  assert.equal(await ui.exited, 0, ui.stderr());
  const result = JSON.parse(readFileSync(json, 'utf8')) as {
    loadChanges: { target: number }[];
    summary: { transactions: number };
    config: Record<string, unknown>;
  };
  assert.deepEqual(
    result.loadChanges.map((c) => c.target),
    [200],
  );
  assert.ok(result.summary.transactions > 0);
  assert.equal(result.config['ui'], '127.0.0.1:0');
});

test('run --ui: Stop on the page ends the run gracefully; the result is written and says it was interrupted (exit 1)', async () => {
  const json = join(dir, 'stopped.json');
  const ui = await startUiProcess(['run', '--url', server.url, 'select-only', '-c', '2', '-T', '60s', '-n', '--ui', '127.0.0.1:0', '--json', json]);
  after(() => ui.stop());
  // Measuring (an interval in), not just 'running': a stop before the load's start instant ends the
  // run as failed ("interrupted before the load started"), with no result, and a loaded machine widens that window.
  await until('the run to measure', async () => {
    const info = (await api(ui.url, 'GET', `/api/runs/${ui.runId}`)).body as { state: string; tps: number | null };
    return info.state === 'running' && info.tps !== null ? true : undefined;
  });
  assert.equal((await api(ui.url, 'POST', `/api/runs/${ui.runId}/stop`)).status, 202);
  assert.equal(await ui.exited, 1);
  const result = JSON.parse(readFileSync(json, 'utf8')) as { stop: { reason: string }; summary: { transactions: number } };
  assert.equal(result.stop.reason, 'interrupted');
  assert.ok(result.summary.transactions > 0);
});

test('run --ui: a bad or busy address, or --ui with --target, fails before the load with one line (exit 2)', async () => {
  const busy = createServer();
  await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
  after(() => busy.close());
  const port = (busy.address() as { port: number }).port;
  const taken = await runCli(['run', '--url', server.url, 'select-only', '-T', '2s', '-n', '--ui', `127.0.0.1:${port}`]);
  assert.equal(taken.code, 2, taken.stderr);
  assert.match(taken.stderr, new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port} for the UI`));
  assert.ok(!/running select-only/.test(taken.stderr), 'no load started');
  const bad = await runCli(['run', '--url', server.url, '--ui', 'nowhere']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--ui: expected \[HOST\]:PORT/);
  const multi = await runCli(['run', '--target', `a=${server.url}`, '--target', `b=${server.url}`, '--ui']);
  assert.equal(multi.code, 2);
  assert.match(multi.stderr, /--ui and --target cannot be used together/);
  for (const r of [taken, bad, multi]) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
});

test('run --parts --ui: the page of a coordinated run shows the merged run so far and then the merged result; its load cannot be changed', async () => {
  const port = await new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port: p } = probe.address() as { port: number };
      probe.close(() => resolve(p));
    });
  });
  const common = ['select-only', '-R', '200', '--arrivals', 'uniform', '-T', '4s'];
  const ui = await startUiProcess(['run', ...common, '--parts', '2', '--parts-listen', `127.0.0.1:${port}`, '--ui', '127.0.0.1:0']);
  after(() => ui.stop());
  const id = ui.runId!;
  const parts = [1, 2].map((k) =>
    runCli(['run', ...common, '--url', server.url, '-n', '--shard', `${k}/2`, '--run-id', 'ui-parts', '--coordinator', `http://127.0.0.1:${port}`]),
  );
  const info = (await api(ui.url, 'GET', `/api/runs/${id}`)).body;
  assert.equal(info.adjustable, false);
  await until('a merged interval on the page', async () => {
    const v = await api(ui.url, 'GET', `/api/runs/${id}/view`);
    return v.status === 200 && /select-only/.test(String(v.body.bodyHtml)) ? true : undefined;
  });
  const adjusted = await api(ui.url, 'POST', `/api/runs/${id}/adjust`, { rate: 400 });
  assert.equal(adjusted.status, 409);
  assert.match(adjusted.text, /split among its parts when it starts/);
  const events = await readEvents(`${ui.url}/api/events?run=${id}`, (e) => e.type === 'end');
  assert.ok(
    events.some((e) => e.type === 'interval'),
    'merged intervals reach the page',
  );
  const end = events[events.length - 1]!;
  assert.equal(end.data.data.state, 'finished');
  assert.equal(end.data.data.exitCode, 0);
  assert.match(end.data.data.view.bodyHtml, /2 of 2 parts/);
  for (const p of await Promise.all(parts)) assert.equal(p.code, 0, p.stderr);
  assert.equal(await ui.exited, 0, ui.stderr());
});
