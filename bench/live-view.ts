/**
 * What the live page costs the main thread: one render of the report's view (src/report/html.ts
 * `reportView`) of a run so far, by the run's length, and the size sent to a browser.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/live-view.js
 *
 * The main thread also merges the workers' intervals and samples the server, so the live run
 * (src/ui/live-run.ts) spends at most a tenth of its time rendering: a view is reused until ten
 * times its own render time has passed. Figures in bench/RESULTS.md ("Design measurements").
 */
import { reportView } from '../src/report/html.js';
import { fullSampleResult } from '../src/report/sample.fixture.js';
import { longResult } from '../test/browser/fixtures.js';

const base = fullSampleResult();
for (const n of [60, 600, 3600, 14_400]) {
  const r = longResult(base, n);
  reportView(r, { running: true });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = process.hrtime.bigint();
    reportView(r, { running: true });
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  const kb = JSON.stringify(reportView(r, { running: true })).length / 1024;
  console.log(`${String(n).padStart(6)} intervals (1 s each, 2 hosts sampled): render median ${times[2]!.toFixed(0)} ms, ${kb.toFixed(0)} KB`);
}
