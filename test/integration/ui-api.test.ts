/**
 * The REST API of `pgsurge ui` against a real server, as a script or a dashboard would use it:
 * every endpoint, bad requests named by field, live events that replay after a reconnect, a rate
 * change the TPS follows, a stop that keeps what was measured, the result in three formats, no
 * password anywhere, the token, and a run from the API shaped like the same run from the CLI.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { firstRow, startTestServer } from '../helpers/server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { api, readEvents, startUiProcess, until, type SseEvent } from '../helpers/ui.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-ui-api-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const init = await runCli(['init', '--url', server.url, '-s', '1', '-q']);
assert.equal(init.code, 0, init.stderr);
const PASSWORD = 's3cr3t-pw-81f';
const urlWithPassword = server.url.replace('postgres@', `postgres:${PASSWORD}@`);
const ui = await startUiProcess(['ui', '--listen', '127.0.0.1:0']);
after(() => ui.stop());
/** Every response text and event the tests saw, checked for the password at the end. */
const seen: string[] = [];
const call = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
  const r = await api(ui.url, method, path, body, headers);
  seen.push(r.text);
  return r;
};
const stateOf = async (id: string): Promise<string> => (await call('GET', `/api/runs/${id}`)).body.state as string;

test('the API documents itself, and its form lists the options a request may set', async () => {
  const doc = await call('GET', '/api/openapi.json');
  assert.equal(doc.status, 200);
  assert.equal(doc.body.openapi, '3.1.0');
  for (const p of [
    '/api/runs',
    '/api/runs/{id}',
    '/api/runs/{id}/stop',
    '/api/runs/{id}/adjust',
    '/api/runs/{id}/result.{format}',
    '/api/events',
    '/api/compare',
  ])
    assert.ok(doc.body.paths[p] !== undefined, `openapi lacks ${p}`);
  assert.ok(doc.body.components.schemas.RunRequest.properties.rate !== undefined);
  const opts = await call('GET', '/api/options');
  const keys = (opts.body.fields as { key: string }[]).map((f) => f.key);
  for (const k of ['workloads', 'url', 'client', 'time', 'rate', 'threshold']) assert.ok(keys.includes(k), `form lacks ${k}`);
  for (const k of ['file', 'out', 'json', 'fleet', 'remoteCommand', 'pgBin', 'scenario', 'log']) assert.ok(!keys.includes(k), `form offers ${k}`);
  assert.equal(opts.body.canStart, true);
});

test('bad requests get 400 naming each field, with the CLI explanation', async () => {
  const r = await call('POST', '/api/runs', { rate: 'abc', client: 0, file: ['x.sql'], workloads: ['nope.ts'], bogus: 1 });
  assert.equal(r.status, 400);
  const byField = new Map((r.body.problems as { field: string; message: string }[]).map((p) => [p.field, p.message]));
  assert.match(byField.get('rate') ?? '', /-R\/--rate: invalid rate "abc"/);
  assert.match(byField.get('client') ?? '', /-c\/--client/);
  assert.match(byField.get('file') ?? '', /not available from the page or the API/);
  assert.match(byField.get('workloads') ?? '', /not a built-in workload/);
  assert.match(byField.get('bogus') ?? '', /not an option/);
  assert.equal((await call('POST', '/api/runs', '[1, 2]')).status, 400);
  assert.equal((await call('POST', '/api/runs', '{"rate": ')).status, 400);
  const since = await call('GET', '/api/runs?since=yesterday');
  assert.equal(since.status, 400);
  assert.equal(since.body.problems[0].field, 'since');
  assert.equal((await call('POST', '/api/runs/nope/stop')).status, 404);
  assert.equal((await call('POST', '/api/runs/nope/adjust', { rate: 10 })).status, 404);
  assert.equal((await call('GET', '/api/runs/nope')).status, 404);
  assert.equal((await call('GET', '/api/nothing')).status, 404);
});

test('a run from the API: live events replay after a reconnect, the TPS follows a rate change, a stop keeps the results', async () => {
  const started = await call('POST', '/api/runs', {
    url: urlWithPassword,
    workloads: ['select-only'],
    rate: '100',
    time: '60s',
    client: '4',
    arrivals: 'uniform',
  });
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  assert.equal(started.headers.get('location'), `/api/runs/${id}`);
  assert.ok(!String(started.body.target).includes(PASSWORD));
  const busy = await call('POST', '/api/runs', { url: urlWithPassword, workloads: ['select-only'], time: '2s' });
  assert.equal(busy.status, 409, busy.text);
  assert.match(busy.body.error, new RegExp(`run ${id} is already running`));

  // Two intervals, then the connection drops; a reconnect from the last id gets what followed.
  const first = await readEvents(`${ui.url}/api/events?run=${id}`, (_e, all) => all.filter((x) => x.type === 'interval').length >= 2);
  const lastId = first[first.length - 1]!.id;
  await until('the run to be running', async () => ((await stateOf(id)) === 'running' ? true : undefined));
  const wrongKind = await call('POST', `/api/runs/${id}/adjust`, { clients: 3 });
  assert.equal(wrongKind.status, 400);
  assert.equal(wrongKind.body.problems[0].field, 'clients');
  const badRate = await call('POST', `/api/runs/${id}/adjust`, { rate: 'fast' });
  assert.equal(badRate.status, 400);
  assert.equal(badRate.body.problems[0].field, 'rate');
  const adjusted = await call('POST', `/api/runs/${id}/adjust`, { rate: '300' });
  assert.equal(adjusted.status, 202, adjusted.text);
  assert.equal(adjusted.body.change.target, 300);
  const changedAtS = adjusted.body.change.atS as number;
  const second = await readEvents(`${ui.url}/api/events?run=${id}`, (e) => e.type === 'interval' && e.data.data.tS >= changedAtS + 2, {
    'last-event-id': String(lastId),
  });
  assert.equal(second[0]!.id, lastId + 1, 'the replay starts right after the last event seen');
  const stage = second.find((e) => e.type === 'stage');
  assert.equal(stage?.data.data.target, 300);
  // Every event either connection got is in the run's event list, in order, with the same id.
  const listed = (await call('GET', `/api/runs/${id}/events?after=0`)).body.events as { id: number; type: string }[];
  const ids = new Set(listed.map((e) => `${e.id}:${e.type}`));
  for (const e of [...first, ...second]) assert.ok(ids.has(`${e.id}:${e.type}`), `event ${e.id} (${e.type}) is not in the list`);
  assert.deepEqual(
    [...first, ...second].map((e) => e.id),
    listed.filter((e) => e.id <= second[second.length - 1]!.id).map((e) => e.id),
    'no event lost or repeated across the reconnect',
  );
  // A whole interval after the change runs at the new rate (uniform arrivals: 300 ± a few).
  const after = second.filter((e: SseEvent) => e.type === 'interval' && e.data.data.tS - 1 >= changedAtS);
  assert.ok(after.length > 0);
  assert.ok(
    after.every((e) => e.data.data.tps > 250),
    `tps after the change: ${after.map((e) => e.data.data.tps).join(', ')}`,
  );

  const view = await call('GET', `/api/runs/${id}/view`);
  assert.match(view.body.bodyHtml, /pgsurge report: select-only/);
  assert.ok(view.body.charts.length > 0);
  const partial = await call('GET', `/api/runs/${id}/result.json`);
  assert.equal(partial.headers.get('x-pgsurge-partial'), 'true');

  assert.equal((await call('POST', `/api/runs/${id}/stop`)).status, 202);
  await until('the run to end', async () => ((await stateOf(id)) === 'interrupted' ? true : undefined), 30_000);
  assert.equal((await call('POST', `/api/runs/${id}/stop`)).status, 409);
  assert.equal((await call('POST', `/api/runs/${id}/adjust`, { rate: 10 })).status, 409);
  const json = await call('GET', `/api/runs/${id}/result.json`);
  assert.equal(json.headers.get('x-pgsurge-partial'), 'false');
  assert.equal(json.body.schema, 'pgsurge.result/v1');
  assert.equal(json.body.stop.reason, 'interrupted');
  assert.deepEqual(
    json.body.loadChanges.map((c: { target: number }) => c.target),
    [300],
  );
  assert.ok(json.body.summary.transactions > 0);
  const html = await call('GET', `/api/runs/${id}/result.html`);
  assert.match(html.text, /^<!DOCTYPE html>/);
  const csv = await call('GET', `/api/runs/${id}/result.csv`);
  assert.match(csv.text, /^t_s,duration_s,transactions,tps/);
  assert.equal(csv.text.trim().split('\n').length - 1, json.body.intervals.length);

  const info = await call('GET', `/api/runs/${id}`);
  assert.equal(info.body.exitCode, 1, 'an interrupted run exits 1, as on the command line');
  assert.equal((await call('DELETE', `/api/runs/${id}`)).status, 204);
  assert.equal((await call('GET', `/api/runs/${id}`)).status, 404);
  for (const text of [...seen, JSON.stringify([...first, ...second]), ui.stderr()]) assert.ok(!text.includes(PASSWORD), 'the password leaked');
});

test('a run from the API and the same run from the CLI give results of the same shape', async () => {
  const opts = { url: server.url, workloads: ['select-only'], client: '2', time: '2s' };
  const started = await call('POST', '/api/runs', opts);
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  await until('the run to finish', async () => ((await stateOf(id)) === 'finished' ? true : undefined), 60_000);
  const fromApi = (await call('GET', `/api/runs/${id}/result.json`)).body as unknown;
  const file = join(dir, 'cli.json');
  const cli = await runCli(['run', '--url', server.url, 'select-only', '-c', '2', '-T', '2s', '--json', file], { env: cleanEnv() });
  assert.equal(cli.code, 0, cli.stderr);
  const fromCli = JSON.parse(readFileSync(file, 'utf8')) as { config: Record<string, unknown> };
  // The one option the two differ in: the CLI run was told where to write its result.
  assert.equal(fromCli.config['json'], file);
  delete fromCli.config['json'];
  const apiShape = shape(fromApi);
  const cliShape = shape(fromCli);
  assert.ok(apiShape.paths.size > 100, 'a whole result');
  assert.deepEqual(unexplained(apiShape, cliShape), [], 'in the API result only');
  assert.deepEqual(unexplained(cliShape, apiShape), [], 'in the CLI result only');
  assert.equal((await call('GET', `/api/runs/${id}`)).body.exitCode, 0);
});

interface Shape {
  /** Every key path (arrays: the union of their items' paths), values left out. */
  readonly paths: Set<string>;
  /** Arrays that had no item anywhere in this value: what their items hold is data, not shape. */
  readonly empty: Set<string>;
}

function shape(v: unknown, path = '$', out: Shape = { paths: new Set(), empty: new Set() }): Shape {
  if (Array.isArray(v)) {
    if (v.length === 0) out.empty.add(path);
    for (const x of v) shape(x, `${path}[]`, out);
  } else if (v !== null && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      // Keys that are data, not schema: hosts, histograms and server samples are keyed by name.
      const key = /^\$\.(hosts|histograms|transactionTypes|statementServerTime)$/.test(path) ? '*' : k;
      out.paths.add(`${path}.${key}`);
      shape(x, `${path}.${key}`, out);
    }
  }
  return out;
}

/** Paths of `a` that `b` lacks, other than the items of an array `b` always had empty (e.g. no wait event was sampled). */
function unexplained(a: Shape, b: Shape): string[] {
  const alwaysEmpty = [...b.empty].filter((e) => ![...b.paths].some((p) => p.startsWith(`${e}[]`)));
  return [...a.paths].filter((p) => !b.paths.has(p) && !alwaysEmpty.some((e) => p.startsWith(`${e}[]`))).sort();
}

test('off loopback without a token given, one is generated, printed once with the address, and every request needs it', async () => {
  // Listening on every interface; the test's own requests still go to 127.0.0.1.
  const open = await startUiProcess(['ui', '--listen', '0.0.0.0:0'], cleanEnv());
  after(() => open.stop());
  const said = await until('the warning after the address', async () => (/needs the token above/.test(open.stderr()) ? open.stderr() : undefined), 10_000);
  const token = /\?token=([A-Za-z0-9_-]{20,})/.exec(said)?.[1];
  assert.ok(token !== undefined, said);
  assert.equal(said.split(token).length - 1, 1, 'the token is printed once');
  const base = open.url.replace(/^http:\/\/[^:]+/, 'http://127.0.0.1');
  assert.equal((await api(base, 'GET', '/api/runs')).status, 401);
  assert.equal((await api(base, 'GET', '/')).status, 401);
  assert.equal((await api(base, 'GET', '/api/openapi.json')).status, 401);
  assert.equal((await api(base, 'POST', '/api/runs', { workloads: ['select-only'] })).status, 401);
  assert.equal((await api(base, 'GET', '/api/runs', undefined, { authorization: `Bearer ${token}x` })).status, 401);
  assert.equal((await api(base, 'GET', '/api/runs', undefined, { authorization: `Bearer ${token}` })).status, 200);
  // Off loopback the Host is whatever name users reach the machine by.
  const viaName = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/api/runs`, { headers: { host: 'loadbox.internal', authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(viaName, 200);
  // Another start makes another token: none is fixed in the code.
  const again = await startUiProcess(['ui', '--listen', '0.0.0.0:0'], cleanEnv());
  after(() => again.stop());
  const second = await until('the second token', async () => /\?token=([A-Za-z0-9_-]{20,})/.exec(again.stderr())?.[1], 10_000);
  assert.notEqual(second, token);
});

test("with a token, every request needs it; the page with ?token sets a cookie; a foreign Host or another site's page is refused", async () => {
  const guarded = await startUiProcess(['ui', '--listen', '127.0.0.1:0'], cleanEnv({ PGSURGE_UI_TOKEN: 'tok-7c1d' }));
  after(() => guarded.stop());
  assert.ok(!guarded.stderr().includes('tok-7c1d') || guarded.stderr().includes('?token=tok-7c1d'));
  assert.equal((await api(guarded.url, 'GET', '/api/runs')).status, 401);
  assert.equal((await api(guarded.url, 'GET', '/')).status, 401);
  assert.equal((await api(guarded.url, 'GET', '/api/runs', undefined, { authorization: 'Bearer wrong' })).status, 401);
  assert.equal((await api(guarded.url, 'GET', '/api/runs', undefined, { authorization: 'Bearer tok-7c1d' })).status, 200);
  const page = await api(guarded.url, 'GET', '/?token=tok-7c1d');
  assert.equal(page.status, 200);
  const cookie = page.headers.get('set-cookie') ?? '';
  assert.match(cookie, /pgsurge_token=tok-7c1d; HttpOnly; SameSite=Strict/);
  assert.equal((await api(guarded.url, 'GET', '/api/runs', undefined, { cookie: cookie.split(';')[0]! })).status, 200);
  // A page on another site that resolves its name to 127.0.0.1 (DNS rebinding) sends its own Host.
  const rebound = await new Promise<number>((resolve, reject) => {
    const req = request(`${ui.url}/api/runs`, { headers: { host: 'attacker.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(rebound, 403);
  // Another site's page posting a form (no preflight) to stop a run: its Origin gives it away.
  const started = await call('POST', '/api/runs', { url: server.url, workloads: ['select-only'], rate: '20', time: '30s' });
  assert.equal(started.status, 201, started.text);
  // Measuring, not just 'running': a stop before the load's start instant ends the run as failed
  // ("interrupted before the load started"), never interrupted, and a loaded machine widens that window.
  await readEvents(`${ui.url}/api/events?run=${started.body.id}`, (_e, all) => all.some((x) => x.type === 'interval'));
  const crossSite = await new Promise<number>((resolve, reject) => {
    const req = request(
      `${ui.url}/api/runs/${started.body.id}/stop`,
      { method: 'POST', headers: { origin: 'https://attacker.example', 'content-type': 'application/x-www-form-urlencoded' } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on('error', reject);
    req.end('x=1');
  });
  assert.equal(crossSite, 403);
  assert.notEqual((await call('GET', `/api/runs/${started.body.id}`)).body.state, 'interrupted');
  // The page's own origin may.
  const own = await call('POST', `/api/runs/${started.body.id}/stop`, undefined, { origin: ui.url });
  assert.equal(own.status, 202, own.text);
  await until('the run to end', async () => ((await stateOf(started.body.id)) === 'interrupted' ? true : undefined), 30_000);
  assert.equal(await guarded.stop(), 0);
});

test('an uploaded pgbench script runs; a bad one is refused naming it, and nothing of it stays on disk', async () => {
  const uploads = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('pgsurge-ui-'));
  const before = uploads();
  const bad = await call('POST', '/api/runs', { url: server.url, scripts: [{ name: 'bad.sql', text: '\\shell rm -rf /\nselect 1;\n' }], time: '1s' });
  assert.equal(bad.status, 400, bad.text);
  assert.equal(bad.body.problems[0].field, 'scripts');
  assert.match(bad.body.problems[0].message, /bad\.sql.*\\shell is not supported/);
  assert.ok(!bad.text.includes('pgsurge-ui-'), 'the message names the script, not where it was written');
  const badName = await call('POST', '/api/runs', { scripts: [{ name: '../etc/passwd', text: 'select 1;' }] });
  assert.equal(badName.status, 400);
  assert.equal(badName.body.problems[0].field, 'scripts');
  const started = await call('POST', '/api/runs', {
    url: server.url,
    scripts: [{ name: 'one.sql', text: 'select 1;\n', weight: 2 }],
    time: '1s',
    vacuum: false,
  });
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  await until('the run to finish', async () => ((await stateOf(id)) === 'finished' ? true : undefined), 30_000);
  const result = (await call('GET', `/api/runs/${id}/result.json`)).body as { transactionTypes: Record<string, { transactions: number }> };
  const [name, figures] = Object.entries(result.transactionTypes)[0]!;
  assert.match(name, /one\.sql/);
  assert.ok(figures.transactions > 0);
  assert.deepEqual(uploads(), before, 'the uploaded scripts are removed with their run');
});

test('workload modules: refused unless pgsurge ui accepts them; with --allow-module-uploads one runs, a broken one is named, and neither stays on disk', async () => {
  const uploads = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('pgsurge-ui-'));
  const before = uploads();
  const MODULE = [
    "import { defineWorkload } from 'pgsurge';",
    'export default defineWorkload({',
    "  options: { top: { type: 'int', default: 10, description: 'largest value' } },",
    "  transactions: { pick: { steps: [{ sql: 'select $1::int as v', params: (r, _v, o) => [r.int(1, o.top)] }] } },",
    '});',
    '',
  ].join('\n');
  const off = await call('POST', '/api/runs', { url: server.url, time: '1s', modules: [{ name: 'pick.ts', text: MODULE }] });
  assert.equal(off.status, 400);
  assert.deepEqual(off.body.problems, [
    {
      field: 'modules',
      message:
        'module uploads are off: a module is code that would run on this machine; start pgsurge ui with --allow-module-uploads to accept them, or run the module with pgsurge run',
    },
  ]);
  assert.equal((await call('GET', '/api/options')).body.canUploadModules, false);

  const open = await startUiProcess(['ui', '--listen', '127.0.0.1:0', '--no-history', '--allow-module-uploads']);
  after(() => open.stop());
  await until(
    'the warning',
    async () => (/module uploads are on: whoever can reach this page can run code on this machine/.test(open.stderr()) ? true : undefined),
    10_000,
  );
  assert.equal((await api(open.url, 'GET', '/api/options')).body.canUploadModules, true);
  const started = await api(open.url, 'POST', '/api/runs', {
    url: server.url,
    time: '1s',
    define: ['top=3'],
    modules: [{ name: 'pick.ts', text: MODULE }],
  });
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  await until('the module run to finish', async () => ((await api(open.url, 'GET', `/api/runs/${id}`)).body.state === 'finished' ? true : undefined), 30_000);
  const result = (await api(open.url, 'GET', `/api/runs/${id}/result.json`)).body as {
    transactionTypes: Record<string, { transactions: number; failed: number }>;
  };
  const [name, figures] = Object.entries(result.transactionTypes)[0]!;
  assert.match(name, /pick/);
  assert.ok(figures.transactions > 0 && figures.failed === 0, JSON.stringify(figures));

  const broken = await api(open.url, 'POST', '/api/runs', {
    url: server.url,
    time: '1s',
    modules: [{ name: 'broken.ts', text: 'export default {\n  transactions: { x: { steps: [ }\n};\n' }],
  });
  assert.equal(broken.status, 400, broken.text);
  const problem = (broken.body.problems as { field: string; message: string }[])[0]!;
  assert.equal(problem.field, 'modules');
  assert.match(problem.message, /^cannot load workload module broken\.ts:2:\d+: /);
  assert.ok(!problem.message.includes(tmpdir()), `the upload's directory stays out of the message: ${problem.message}`);
  const misnamed = await api(open.url, 'POST', '/api/runs', { url: server.url, modules: [{ name: 'pick.sql', text: MODULE }] });
  assert.equal(misnamed.status, 400);
  assert.match(misnamed.body.problems[0].message, /pick\.sql: a module's file name ends in \.ts, \.mts, \.js or \.mjs/);
  await until('the uploads to be removed', async () => (uploads().length === before.length ? true : undefined), 10_000);
});

test('a data load from the API: progress with rows, rows/s and ETA as events, then the tables are there', async () => {
  const refused = await call('POST', '/api/loads', { workload: 'nope', scale: 0, colour: 'red' });
  assert.equal(refused.status, 400);
  const fields = (refused.body.problems as { field: string }[]).map((p) => p.field).sort();
  assert.deepEqual(fields, ['colour', 'scale', 'url', 'workload']);
  const started = await call('POST', '/api/loads', { workload: 'tpcb-like', url: urlWithPassword, scale: 3 });
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  const events = await readEvents(`${ui.url}/api/events?run=${id}`, (e) => e.type === 'end');
  const end = events[events.length - 1]!;
  assert.equal(end.data.data.state, 'finished', JSON.stringify(end.data.data));
  const accounts = events.filter((e) => e.type === 'load' && e.data.data.table === 'pgbench_accounts').map((e) => e.data.data);
  assert.ok(accounts.length > 0);
  const last = accounts[accounts.length - 1]!;
  assert.equal(last.rows, 300_000);
  assert.equal(last.totalRows, 300_000);
  assert.ok(accounts.some((p) => p.rowsPerS > 0));
  const info = await call('GET', `/api/loads/${id}`);
  assert.equal(info.body.state, 'finished');
  assert.ok(!info.text.includes(PASSWORD));
  const count = await runCli(['run', '--url', server.url, 'select-only', '-t', '1', '-n', '--json', join(dir, 'after-load.json')]);
  assert.equal(count.code, 0, count.stderr);
  assert.equal((JSON.parse(readFileSync(join(dir, 'after-load.json'), 'utf8')) as { target: { scale: number } }).target.scale, 3);
});

test("a module's data load streams its stages' rows with a rate: purchases reports every partition", async () => {
  const define = ['customers=2000', 'products=100', 'purchases=60000', 'months=6', 'stages=customers,products,purchases'];
  const started = await call('POST', '/api/loads', { workload: 'purchases', url: server.url, define });
  assert.equal(started.status, 201, started.text);
  const id = started.body.id as string;
  const events = await readEvents(`${ui.url}/api/events?run=${id}`, (e) => e.type === 'end');
  const end = events[events.length - 1]!;
  assert.equal(end.data.data.state, 'finished', JSON.stringify(end.data.data));
  const loads = events.filter((e) => e.type === 'load').map((e) => e.data.data);
  const of = (table: string) => loads.filter((p) => p.table === table);
  for (const [table, total] of [
    ['customers', 2000],
    ['products', 100],
    ['purchases', 60000],
  ] as const) {
    const seen = of(table);
    assert.ok(seen.length >= 2, `${table}: its start and its end (${JSON.stringify(seen)})`);
    assert.equal(seen[0].rows, 0, `${table} starts from nothing`);
    assert.ok(
      seen.every((p) => p.totalRows === total && p.stage === 'setup of purchases'),
      JSON.stringify(seen),
    );
    assert.ok(
      seen.every((p, i) => i === 0 || p.rows >= seen[i - 1].rows),
      `${table}: rows never go back`,
    );
    assert.equal(seen[seen.length - 1].rows, total);
  }
  const purchases = of('purchases');
  const lastPurchases = purchases[purchases.length - 1]!;
  assert.ok(lastPurchases.rowsPerS > 0, JSON.stringify(lastPurchases));
  assert.equal(lastPurchases.etaS, 0);
  const rows = await firstRow(server.url, 'select count(*)::int as n from purchases');
  assert.equal(rows['n'], 60000);
});

test('the history: a UI killed mid-run leaves what the run measured; the next one shows it interrupted, opens and compares it', async () => {
  const historyFile = join(dir, 'ui-history.db');
  const first = await startUiProcess(['ui', '--listen', '127.0.0.1:0', '--history', historyFile]);
  after(() => first.stop());
  const done = await api(first.url, 'POST', '/api/runs', { url: server.url, workloads: ['select-only'], time: '1s', tag: ['env=ci'] });
  assert.equal(done.status, 201, done.text);
  await until('the short run to finish', async () => ((await api(first.url, 'GET', `/api/runs/${done.body.id}`)).body.state === 'finished' ? true : undefined));
  // Intervals of 200 ms: the history gets the run so far every 10 intervals, 2 s.
  const long = await api(first.url, 'POST', '/api/runs', { url: server.url, workloads: ['select-only'], time: '60s', interval: '200ms', tag: ['env=ci'] });
  assert.equal(long.status, 201, long.text);
  const id = long.body.id as string;
  await readEvents(`${first.url}/api/events?run=${id}`, (e) => e.type === 'interval' && e.data.data.index >= 12);
  first.child.kill('SIGKILL');
  await first.exited;

  const second = await startUiProcess(['ui', '--listen', '127.0.0.1:0', '--history', historyFile]);
  after(() => second.stop());
  assert.match(second.stderr(), /1 run in the history did not finish .*marked interrupted/);
  const listed = await api(second.url, 'GET', '/api/runs?tag=env=ci');
  const byId = new Map((listed.body.runs as { id: string; status: string; tps: number | null }[]).map((r) => [r.id, r]));
  assert.equal(byId.get(id)?.status, 'interrupted');
  assert.ok((byId.get(id)?.tps ?? 0) > 0, 'with what it measured');
  assert.equal(byId.get(done.body.id)?.status, 'finished');
  const view = await api(second.url, 'GET', `/api/runs/${id}/view`);
  assert.equal(view.status, 200);
  assert.match(view.body.bodyHtml, /pgsurge report: select-only/);
  const compared = await api(second.url, 'POST', '/api/compare', { runs: [done.body.id, id] });
  assert.equal(compared.status, 200, compared.text);
  assert.equal(compared.body.comparison.sides.length, 2);
  assert.equal((await api(second.url, 'DELETE', `/api/runs/${id}`)).status, 204);
  assert.equal((await api(second.url, 'GET', `/api/runs/${id}`)).status, 404);
  const cli = await runCli(['history', 'list', '--json', '--db', historyFile]);
  assert.equal(cli.code, 0, cli.stderr);
  assert.deepEqual(
    (JSON.parse(cli.stdout) as { id: string }[]).map((e) => e.id),
    [done.body.id],
  );
});

test('a Stop while a run is still starting ends it at once, said so', async () => {
  const started = await call('POST', '/api/runs', { url: server.url, workloads: ['select-only'], time: '60s' });
  assert.equal(started.status, 201, started.text);
  assert.equal((await call('POST', `/api/runs/${started.body.id}/stop`)).status, 202);
  const ended = await until(
    'the run to end',
    async () => {
      const info = (await call('GET', `/api/runs/${started.body.id}`)).body as { state: string; error: string | null };
      return ['finished', 'interrupted', 'failed'].includes(info.state) ? info : undefined;
    },
    20_000,
  );
  // Stopped before the load: nothing measured (interrupted while connecting or before its start), or just after it began.
  assert.ok(ended.state === 'failed' ? /interrupted/.test(ended.error ?? '') : ended.state === 'interrupted', JSON.stringify(ended));
});

test('Ctrl-C stops the runs it started, waits for their results, and exits 0', async () => {
  const started = await call('POST', '/api/runs', { url: server.url, workloads: ['select-only'], rate: '50', time: '60s' });
  assert.equal(started.status, 201, started.text);
  await until('the run to be running', async () => ((await stateOf(started.body.id)) === 'running' ? true : undefined));
  const t0 = Date.now();
  assert.equal(await ui.stop(), 0);
  assert.ok(Date.now() - t0 < 15_000, 'it stopped within the grace period');
  assert.match(ui.stderr(), /stopping 1 run, keeping what they measured/);
});
