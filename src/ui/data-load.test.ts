import { test } from 'node:test';
import assert from 'node:assert/strict';
import { stageRates, type LoadProgress } from './data-load.js';

test("a module's progress: each stage's rate and time left count from that stage's first report", () => {
  let t = 1_000_000;
  const seen: LoadProgress[] = [];
  const report = stageRates(
    'setup of m',
    (p) => seen.push(p),
    () => t,
  );
  report({ stage: 'a', rows: 0, totalRows: 1000 });
  t += 2000;
  report({ stage: 'a', rows: 400, totalRows: 1000 });
  // A resumed stage: 600 rows were loaded before; the rate counts only what is loaded now.
  report({ stage: 'b', rows: 600, totalRows: 1000 });
  t += 1000;
  report({ stage: 'b', rows: 800, totalRows: 1000 });
  report({ stage: 'c', rows: 5, totalRows: 0 });
  assert.deepEqual(
    seen.map((p) => [p.stage, p.table, p.rows, p.rowsPerS, p.etaS, p.elapsedS]),
    [
      ['setup of m', 'a', 0, null, null, 0],
      ['setup of m', 'a', 400, 200, 3, 2],
      ['setup of m', 'b', 600, null, null, 0],
      ['setup of m', 'b', 800, 200, 1, 1],
      ['setup of m', 'c', 5, null, null, 0],
    ],
  );
});
