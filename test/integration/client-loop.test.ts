/**
 * The client's own share of schedule lag: each worker thread reports how late its event loop ran
 * and how long GC paused it. A workload whose code blocks its thread (a busy wait of 80 ms in one
 * transaction of 200) must show as a late loop of at least that, and as schedule lag of the
 * transactions due meanwhile; the summary prints it and the JSON keeps it per thread.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { cleanEnv, runCli } from '../helpers/cli.js';
import { readResult } from '../helpers/result.js';

const server = await startTestServer();
const dir = mkdtempSync(join(tmpdir(), 'pgsurge-client-loop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const BLOCK_MS = 80;

test('a workload that blocks its thread for 80 ms: the loop delay and the schedule lag both show it, per thread in the JSON', async () => {
  const file = join(dir, 'blocking.ts');
  writeFileSync(
    file,
    [
      "import { defineWorkload } from 'pgsurge';",
      'let calls = 0;',
      'export default defineWorkload({',
      "  name: 'blocking',",
      '  transactions: {',
      '    one: {',
      '      read: true,',
      "      steps: [{ sql: 'select $1::int', params: () => {",
      `        if (++calls % 200 === 0) { const until = Date.now() + ${BLOCK_MS}; while (Date.now() < until) {} }`,
      '        return [calls];',
      '      } }],',
      '    },',
      '  },',
      '});',
      '',
    ].join('\n'),
  );
  const json = join(dir, 'r.json');
  const r = await runCli(['run', file, '--url', server.url, '-R', '400', '-c', '2', '-j', '1', '-T', '3', '-n', '--no-observe', '--json', json], {
    env: cleanEnv(),
  });
  assert.equal(r.code, 0, r.stderr);
  const res = readResult(json);
  const threads = res.summary.clientThreads ?? [];
  assert.equal(threads.length, 1, JSON.stringify(threads));
  const t = threads[0]!;
  // The loop's timer fired late by about the block (it cannot fire while the loop is busy).
  assert.ok(t.delayMs.max >= BLOCK_MS * 0.6, `loop delay max ${t.delayMs.max} ms`);
  assert.ok(t.delayMs.p50 <= t.delayMs.p99 && t.delayMs.p99 <= t.delayMs.max, JSON.stringify(t));
  // Transactions due during a block start late: lag from the schedule, not hidden.
  assert.ok((res.summary.lagMs?.max ?? 0) >= BLOCK_MS * 0.6, `lag max ${res.summary.lagMs?.max} ms`);
  assert.match(r.stdout, /^client loop: +1 thread\(s\), event-loop delay p99 [\d.]+ +max [\d.]+ ms \(worst thread\); (no GC pause|GC \d+ pauses)/m);
});
