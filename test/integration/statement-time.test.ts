/**
 * The server's time per statement against a real server with pg_stat_statements preloaded: each
 * run goes to a database of its own, so no other session's statements are counted in. Checks what
 * a user would: every statement of tpcb-like has the server's figures, the server's mean execution
 * time is within the client's mean latency, the server counted the calls the client counted, and
 * the text summary and `pgsurge report` print the table; where the extension is not created, the
 * run passes and says once how to enable it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestServer, withClient } from '../helpers/server.js';
import { runInProcess } from '../helpers/run-in-process.js';
import { createServerObserver } from '../../src/observe/server-observer.js';
import { createStatementTimeObserver } from '../../src/observe/statement-time.js';
import { resultV1Schema } from '../../src/report/result.js';
import { formatSummary } from '../../src/report/summary.js';
import { renderHtml } from '../../src/report/html.js';
import type { LocalServer } from '../../src/local/server.js';
import type { LiveOutput } from '../../src/output/types.js';
import { startFaultProxy } from '../helpers/fault-proxy.js';

const server = await startTestServer({ settings: { shared_preload_libraries: 'pg_stat_statements', 'pg_stat_statements.track_planning': 'on' } });
await withClient(server.url, async (c) => {
  await c.query('create database pss_run');
  await c.query('create database pss_absent');
});
const inDb = (database: string): LocalServer => ({ ...server, database, url: server.url.replace(/\/[^/]*$/, `/${database}`) });
await withClient(inDb('pss_run').url, (c) => c.query('create extension pg_stat_statements'));

for (const protocol of ['prepared', 'simple'] as const) {
  test(`tpcb-like -M ${protocol}: every statement has the server's time, within the client's latency, with the client's count of calls`, async () => {
    const clients = 4;
    const { result } = await runInProcess(inDb('pss_run'), { builtin: ['tpcb-like'], client: String(clients), transactions: '50', protocol }, [
      createServerObserver(),
      createStatementTimeObserver(),
    ]);
    const parsed = resultV1Schema.parse(JSON.parse(JSON.stringify(result)));
    const st = parsed.statementServerTime;
    assert.ok(st?.status === 'measured', JSON.stringify(st));
    assert.equal(st.evictions, 0, 'no entry was evicted during the run');
    const type = parsed.transactionTypes['tpcb-like'];
    assert.ok(type !== undefined);
    assert.equal(type.statements.length, 7, 'BEGIN, 5 statements, END');
    type.statements.forEach((s, i) => {
      const server = st.statements.find((x) => x.type === 'tpcb-like' && x.statement === i);
      assert.ok(server !== undefined, `no server figures for ${s.sql}: ${JSON.stringify(st.statements)}`);
      assert.equal(server.sharedBy, 1);
      // Nothing else runs in this database, and the -t transactions all ran in the measured phase.
      // pg_stat_statements counts a prepared utility statement (BEGIN, END) only on its first
      // execution per connection: it clears the statement's query id (seen on PostgreSQL 17).
      if (protocol === 'prepared' && /^(BEGIN|END)\b/.test(s.sql)) assert.ok(server.calls >= 1 && server.calls <= s.count, `${s.sql}: ${server.calls}`);
      else assert.equal(server.calls, s.count, `${s.sql}: server calls vs client count`);
      assert.equal(s.count, clients * 50);
      const clientMean = s.latencyMs.mean;
      assert.ok(server.planMsMean !== null, 'track_planning is on: planning time is there');
      const serverMs = server.execMsMean + server.planMsMean;
      assert.ok(clientMean !== null && serverMs <= clientMean, `${s.sql}: server ${serverMs} ms (exec + plan) vs client ${clientMean} ms`);
    });
    const update = st.statements.find((x) => x.statement === 1)!;
    assert.equal(update.rows, clients * 50, 'one account row updated per call');
    assert.ok(update.sharedBlksHit + update.sharedBlksRead > 0);
    const text = formatSummary(parsed, { perStatement: true });
    assert.match(text, /server time per statement \(ms, mean per call, pg_stat_statements\):\n\s+client\s+exec\s+plan\s+left\s+calls/);
    assert.match(text, new RegExp(`\\s${clients * 50}\\s+${clients * 50}\\s+[\\d,]+\\s+[\\d,]+\\s+UPDATE pgbench_accounts`));
    assert.match(renderHtml(parsed), /<h3>Server time per statement: tpcb-like<\/h3>/);
  });
}

test('after a warm-up the start is read when the measured phase starts: the warm-up is not counted', async () => {
  const clients = 2;
  // 1 s of warm-up at 200/s: ~200 statements the server must not count in.
  const { result } = await runInProcess(inDb('pss_run'), { builtin: ['select-only'], client: String(clients), rate: '200', time: '2', warmup: '1s' }, [
    createStatementTimeObserver(),
  ]);
  const st = result.statementServerTime;
  assert.ok(st?.status === 'measured', JSON.stringify(st));
  const client = result.transactionTypes['select-only']?.statements[0];
  const server = st.statements.find((x) => x.type === 'select-only' && x.statement === 0);
  assert.ok(client !== undefined && server !== undefined, JSON.stringify(st));
  // At most the statements in flight at either end of the phase fall on the other side.
  assert.ok(server.calls > 0 && server.calls <= client.count + 2 * clients, `server ${server.calls} calls, client ${client.count} statements`);
});

test('pg_stat_statements not created in the database: the run passes and the summary says once how to enable it', async () => {
  const { result } = await runInProcess(inDb('pss_absent'), { builtin: ['select-only'], client: '2', transactions: '20' }, [createStatementTimeObserver()]);
  assert.equal(result.summary.transactions, 40);
  assert.deepEqual(result.statementServerTime, {
    status: 'unavailable',
    host: `${server.host}:${server.port}`,
    reason: 'pg_stat_statements is loaded but not created in database "pss_absent"',
    hint: 'run CREATE EXTENSION pg_stat_statements in database "pss_absent" (as a superuser)',
  });
  const text = formatSummary(result, { perStatement: true });
  assert.equal(text.split('CREATE EXTENSION').length - 1, 1, text);
  assert.equal(formatSummary(result).includes('pg_stat_statements'), false, 'without -r the summary does not mention it');
});

test('a server that stops answering when the end is read: the run ends with its results, the section says why', async () => {
  const proxy = await startFaultProxy({ host: server.host, port: server.port });
  try {
    const inner = createStatementTimeObserver();
    // New connections through the proxy get no answer from the moment the outputs stop.
    const stalling: LiveOutput = {
      name: inner.name,
      open: (c) => inner.open!(c),
      start: (us) => inner.start!(us),
      stop: async (end) => {
        proxy.blackhole();
        try {
          return await inner.stop!(end);
        } finally {
          await proxy.heal();
        }
      },
    };
    const viaProxy: LocalServer = { ...inDb('pss_run'), url: `postgres://${server.user}@127.0.0.1:${proxy.port}/pss_run` };
    const { result } = await runInProcess(viaProxy, { builtin: ['select-only'], client: '2', transactions: '10' }, [stalling]);
    assert.equal(result.summary.transactions, 20);
    const st = result.statementServerTime;
    assert.ok(st?.status === 'failed' && /no answer within [\d.]+ s \(connecting at the end\)/.test(st.reason), JSON.stringify(st));
    assert.match(
      formatSummary(result, { perStatement: true }),
      /server time per statement: none, reading pg_stat_statements on [^\n]+ failed: no answer within/,
    );
  } finally {
    await proxy.close();
  }
});
