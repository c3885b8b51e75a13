/**
 * Golden files: the text summary (plain and with -r) and the intervals CSV of a fixed result
 * (src/report/sample.fixture.ts, read back through JSON and the v1 schema as `pgsurge report`
 * reads a saved result), compared byte for byte with test/golden/*. Any change of output fails
 * with a line diff.
 *
 * After an intended change of output, rewrite the files and review the diff in git:
 *   npm run build && UPDATE_GOLDEN=1 node --test dist/test/golden.test.js
 *
 * The files are read from the source tree (the build copies only .ts into dist/).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { resultV1Schema, type ResultV1 } from '../src/report/result.js';
import { sampleResult } from '../src/report/sample.fixture.js';
import { formatSummary } from '../src/report/summary.js';
import { formatIntervalsCsv } from '../src/report/csv.js';

/** dist/test/golden.test.js → the package root → test/golden/. */
const GOLDEN_DIR = fileURLToPath(new URL('../../test/golden/', import.meta.url));
const UPDATE = process.env['UPDATE_GOLDEN'] === '1';
const CONTEXT_LINES = 3;

function fixedResult(): ResultV1 {
  return resultV1Schema.parse(JSON.parse(JSON.stringify(sampleResult())));
}

/** Line diff (longest common subsequence), `-` golden, `+` actual, with a few lines of context. */
function lineDiff(expected: string, actual: string): string {
  const a = expected.split('\n');
  const b = actual.split('\n');
  // lcs[i][j]: length of the longest common subsequence of a[i..] and b[j..].
  const lcs = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i--) {
    for (let j = b.length - 1; j >= 0; j--) lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
  }
  const ops: { kind: ' ' | '-' | '+'; text: string; line: number }[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      ops.push({ kind: ' ', text: a[i]!, line: i + 1 });
      i++;
      j++;
    } else if (i < a.length && (j >= b.length || lcs[i + 1]![j]! >= lcs[i]![j + 1]!)) {
      ops.push({ kind: '-', text: a[i]!, line: i + 1 });
      i++;
    } else {
      ops.push({ kind: '+', text: b[j]!, line: j + 1 });
      j++;
    }
  }
  const near = (k: number): boolean => ops.slice(Math.max(0, k - CONTEXT_LINES), k + CONTEXT_LINES + 1).some((o) => o.kind !== ' ');
  const out: string[] = [];
  let skipped = false;
  ops.forEach((o, k) => {
    if (!near(k)) {
      if (!skipped) out.push('  ...');
      skipped = true;
      return;
    }
    skipped = false;
    out.push(`${o.kind} ${String(o.line).padStart(4)} | ${JSON.stringify(o.text).slice(1, -1)}`);
  });
  return out.join('\n');
}

function checkGolden(name: string, actual: string): void {
  const path = GOLDEN_DIR + name;
  if (UPDATE) {
    writeFileSync(path, actual);
    return;
  }
  assert.ok(existsSync(path), `${path} is missing: run with UPDATE_GOLDEN=1 to write it`);
  const expected = readFileSync(path, 'utf8');
  if (expected === actual) return;
  assert.fail(
    `${name} differs from the golden file (- golden, + now; line numbers of each side):\n${lineDiff(expected, actual)}\n` +
      `If the change is intended: UPDATE_GOLDEN=1 node --test dist/test/golden.test.js, and review the diff in git.`,
  );
}

test('golden: text summary', () => {
  checkGolden('summary.txt', formatSummary(fixedResult()));
});

test('golden: text summary with per-statement latencies (-r)', () => {
  checkGolden('summary-per-statement.txt', formatSummary(fixedResult(), { perStatement: true }));
});

test('golden: intervals CSV', () => {
  checkGolden('intervals.csv', formatIntervalsCsv(fixedResult()));
});

test('golden: the diff names the changed lines and keeps unchanged runs short', () => {
  const golden = 'a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n';
  const now = 'a\nb\nc\nd\ne\nF\ng\nh\ni\nj\nk\n';
  assert.equal(
    lineDiff(golden, now),
    [
      '  ...',
      '     3 | c',
      '     4 | d',
      '     5 | e',
      '-    6 | f',
      '+    6 | F',
      '     7 | g',
      '     8 | h',
      '     9 | i',
      '    10 | j',
      '+   11 | k',
      '    11 | ',
    ].join('\n'),
  );
  // Invisible differences are made visible.
  assert.equal(lineDiff('x\n', 'x \n'), ['-    1 | x', '+    1 | x ', '     2 | '].join('\n'));
  assert.equal(lineDiff('\tx', 'x\r'), ['-    1 | \\tx', '+    1 | x\\r'].join('\n'));
});
