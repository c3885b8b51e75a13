/**
 * A pgbench script of 10,000 statements runs to the end and keeps its per-statement table: one
 * entry per statement in the result, each execution counted, and the -r table in the summary.
 * (A full HDR histogram per statement made such a script take about 14 GB; bench/script-memory.ts
 * measures the memory per statement.)
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer } from '../helpers/server.js';
import { runCli } from '../helpers/cli.js';
import { countingRuleHolds, readResult } from '../helpers/result.js';

const server = await startTestServer();
const STATEMENTS = 10_000;

test('a script of 10,000 statements runs once per client and has all its per-statement entries', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-big-script-'));
  try {
    const script = join(dir, 'big.sql');
    writeFileSync(script, Array.from({ length: STATEMENTS }, (_, i) => `select ${i};\n`).join(''));
    const json = join(dir, 'r.json');
    // -M simple: no prepare round trip per statement, so the test stays short.
    const r = await runCli(['run', '--url', server.url, '-f', script, '-c', '1', '-t', '1', '-M', 'simple', '-n', '-r', '--json', json], {
      timeoutMs: 120_000,
    });
    assert.equal(r.code, 0, r.stderr);
    const result = readResult(json);
    assert.ok(countingRuleHolds(result));
    assert.equal(result.summary.transactions, 1);
    const type = result.transactionTypes['big.sql'];
    assert.ok(type !== undefined, Object.keys(result.transactionTypes).join(', '));
    assert.equal(type.statements.length, STATEMENTS);
    // The client ran every statement once: every execution is counted, none sampled away.
    assert.ok(type.statements.every((s) => s.count === 1 && s.failed === 0));
    assert.equal(type.statements[0]!.sql, 'select 0;');
    assert.ok(type.statements[0]!.latencyMs.p50! > 0 && type.statements[0]!.latencyMs.max! >= type.statements[0]!.latencyMs.p99!);
    assert.equal(type.statements[STATEMENTS - 1]!.sql, `select ${STATEMENTS - 1};`);
    assert.match(r.stdout, /statement latencies \(ms\)/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
