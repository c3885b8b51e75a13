/** The text summary's "server" and "findings" sections (src/report/summary.ts) from observer data. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatSummary } from '../report/summary.js';
import { resultV1Schema } from '../report/result.js';
import { sampleResult } from '../report/sample.fixture.js';
import { failedSample } from './host-sample.js';
import type { Finding, ServerSample } from './types.js';

const H = '127.0.0.1:5432';
const sample = (tS: number, commitsPerS: number, total: number): ServerSample => ({
  tS,
  durationS: 1,
  client: { cpuPct: 50, memoryBytes: 1e8, processes: 1 },
  hosts: [
    {
      ...failedSample(H, ''),
      ok: true,
      commitsPerS,
      blksHitDelta: 990,
      blksReadDelta: 10,
      walBytesDelta: 3 * 1048576,
      connections: { total, active: total, idle: 0, idleInTransaction: 0, waitingOnLock: 0 },
    },
  ],
});

test('server and findings sections appear when the result has them, and survive a schema round trip', () => {
  const findings: Finding[] = [
    { rule: 'autovacuum-on-workload-table', severity: 'info', message: 'autovacuum ran on pgbench_accounts', atS: [1] },
    { rule: 'lock-waits', severity: 'warning', message: 'up to 4 clients waiting on a lock', atS: [0] },
  ];
  const result = resultV1Schema.parse(
    JSON.parse(
      JSON.stringify({
        ...sampleResult(),
        server: [sample(0, 1000, 9), sample(1, 1200, 11)],
        findings,
        serverFacts: { start: { hosts: [] }, end: { hosts: [] } },
      }),
    ),
  );
  assert.equal(result.findings?.length, 2);
  assert.ok(result.serverFacts !== undefined);
  const text = formatSummary(result);
  assert.match(text, /\nserver:\n {2}127\.0\.0\.1:5432: cache hit 99%, 1,100\.0 commits\/s, connections peak 11, WAL 6\.0 MB\n/);
  assert.match(
    text,
    /\nfindings:\n {2}! lock-waits: up to 4 clients waiting on a lock\n {2}i autovacuum-on-workload-table: autovacuum ran on pgbench_accounts\n/,
  );
  const plain = formatSummary(sampleResult());
  assert.doesNotMatch(plain, /\n(server|findings):\n/);
});
