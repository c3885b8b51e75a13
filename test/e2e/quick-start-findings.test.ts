/**
 * The quick start's first run (`pgsurge run`, a throwaway server with data just loaded, buffers
 * cold) raises no cache-hit-ratio-low: reads that fill an empty shared_buffers are warm-up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

test('quick start on a cold throwaway server: no cache-hit-ratio-low finding', { timeout: 300_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-quick-start-'));
  try {
    const json = join(dir, 'result.json');
    // The README's command, shorter: the cache is as cold in the first seconds as in the first ten.
    const r = await runCli(['run', '-T', '4s', '--json', json], { timeoutMs: 280_000 });
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { findings?: { rule: string; message: string }[]; server: unknown[] };
    assert.ok(result.server.length > 0, 'the server was sampled');
    assert.deepEqual(
      (result.findings ?? []).filter((f) => f.rule === 'cache-hit-ratio-low'),
      [],
    );
    assert.doesNotMatch(r.stdout, /cache-hit-ratio-low/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
