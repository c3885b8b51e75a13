import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { numberedPath, numberedSiblings } from './repeat-paths.js';
import { checkRepeatOptions, checkRepeatOutputs, formatRepeatSummary, repetitionConfig, type RepeatedRun } from './repeat.js';
import { resolveRunConfig } from '../config/run-config.js';
import { sampleResult } from '../report/sample.fixture.js';
import type { RunOutcome } from '../engine/run.js';
import { PgsurgeError } from '../errors.js';

test('numbered names: the number goes before the extension; compare finds them again in order', () => {
  assert.equal(numberedPath('out.json', 2), 'out.2.json');
  assert.equal(numberedPath('runs/base', 1), 'runs/base.1');
  assert.equal(numberedPath('a.b/r.html', 3), 'a.b/r.3.html');
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-repeat-'));
  try {
    for (const n of ['base.1.json', 'base.10.json', 'base.2.json', 'base.json.bak', 'based.1.json', 'base.x.json']) writeFileSync(join(dir, n), '{}');
    assert.deepEqual(
      numberedSiblings(join(dir, 'base.json')),
      ['base.1.json', 'base.2.json', 'base.10.json'].map((n) => join(dir, n)),
    );
    assert.deepEqual(numberedSiblings(join(dir, 'none.json')), []);
    assert.deepEqual(numberedSiblings(join(dir, 'missing-dir', 'base.json')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('each repetition writes its own numbered files; a given seed is kept, a drawn one is drawn again', () => {
  const cfg = resolveRunConfig({ repeat: '3', json: 'r.json', csv: 'i.csv', randomSeed: '42' });
  assert.equal(cfg.repeat, 3);
  const second = repetitionConfig(cfg, 2, false);
  assert.equal(second.json, 'r.2.json');
  assert.equal(second.csv, 'i.2.csv');
  assert.equal(second.html, undefined);
  assert.equal(second.randomSeed, 42);
  assert.equal(repetitionConfig(cfg, 1, true).randomSeed, 42, 'the first run keeps the drawn seed');
  const seeds = new Set([2, 3, 4, 5].map((k) => repetitionConfig(cfg, k, true).randomSeed));
  assert.ok(seeds.size > 1, 'fresh seeds differ');
});

test('outputs of every repetition are checked before the first run; --repeat with --target is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-repeat-'));
  try {
    assert.throws(
      () => checkRepeatOutputs({ json: '/nonexistent/r.json', repeat: 2 }, []),
      (e: unknown) => e instanceof PgsurgeError && e.exitCode === 2 && e.message === '--json /nonexistent/r.1.json: directory /nonexistent does not exist',
    );
    assert.throws(
      () => checkRepeatOutputs({ json: join(dir, 'r.json'), repeat: 2 }, [{ path: join(dir, 'r.2.json'), given: '-f r.2.json' }]),
      /r\.2\.json: that is an input of the run \(-f r\.2\.json\)/,
    );
    checkRepeatOutputs({ json: join(dir, 'r.json'), repeat: 2 }, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(() => checkRepeatOptions({ repeat: 2, targets: [{ name: 'a', url: 'postgres://h/db' }] }), /--repeat 2 with --target: not supported/);
  checkRepeatOptions({ repeat: 1, targets: [{ name: 'a', url: 'postgres://h/db' }] });
});

test("the closing summary: each run's tps and p99, their median and range", () => {
  const withFigures = (tps: number, p99: number, interrupted = false): RepeatedRun['run'] => {
    const r = sampleResult();
    return {
      result: {
        ...r,
        summary: { ...r.summary, tps, latencyMs: { ...r.summary.latencyMs, p99 } },
        ...(interrupted ? { stop: { reason: 'interrupted' as const } } : {}),
      },
      outcome: {} as RunOutcome,
    };
  };
  const text = formatRepeatSummary(
    [
      { k: 1, run: withFigures(1000, 5), files: [] },
      { k: 2, run: withFigures(1200, 4), files: [] },
      { k: 3, run: withFigures(900, 6, true), files: [] },
    ],
    4,
  );
  assert.match(text, /^repeat: 3 of 4 runs of the same configuration$/m);
  assert.match(text, /^ {2}2\s+1,200\.0\s+4\.000\s+\d+$/m);
  assert.match(text, /^ {2}3\s+900\.0\s+6\.000\s+\d+\s+interrupted$/m);
  assert.match(text, /^ {2}median\s+1,000\.0\s+5\.000$/m);
  assert.match(text, /^ {2}min–max\s+900\.0–1,200\.0\s+4\.000–6\.000$/m);
  assert.match(text, /between-run spread \(max − min, as % of the median\): tps 30\.0%, p99 40\.0%/);
});
