/**
 * pgsurge beside pgbench on this machine (issue 3): throughput, client CPU per transaction, latency,
 * open-loop accuracy, memory over a long run, and data load, each against pgbench on one throwaway
 * server, the two clients alternating.
 *
 *   npm run bench                              full: 3 pairs × 10 s, 5-minute memory run, init -s 50 ×3 pairs
 *   npm run bench -- --quick                   (or CI=true) 1 pair × 3 s, 30 s memory run, init -s 10 once
 *   node dist/bench/pgbench-compare.js --quick --cases 1 --seconds 2
 *   … --write                                  also write bench/RESULTS.md
 *
 * Options: --cases 1,2,3,4,5  --seconds N (per run)  --pairs N  --memory-seconds N  --load-scale N
 *          --rate N (case 3)  --clients N  --jobs N  --scale N (of the data set cases 1-4 run on; default 10)
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_SETTINGS, runMain, serverVersion, withBenchServer } from './lib/bench-server.js';
import type { Target } from './lib/clients.js';
import { dataLoad, memory, openLoop, selectOnly, tpcbLike, type CaseResult, type ComparedCase, type Plan } from './lib/cases.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { renderTables } from './lib/report.js';
import { resultsMarkdown } from './lib/results-md.js';

const BENCH_SCALE = 10;
const RESULTS_MD = fileURLToPath(new URL('../../bench/RESULTS.md', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    cases: { type: 'string', default: '1,2,3,4,5' },
    seconds: { type: 'string' },
    pairs: { type: 'string' },
    'memory-seconds': { type: 'string' },
    'load-scale': { type: 'string' },
    rate: { type: 'string' },
    clients: { type: 'string', default: '8' },
    jobs: { type: 'string', default: '2' },
    scale: { type: 'string' },
  },
});

function positive(name: string, v: string | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name}: expected a positive number, got "${v}"`);
  return n;
}

const quick = values.quick || process.env['CI'] === 'true';
const cases = new Set(values.cases.split(',').map((s) => Number(s.trim())));
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const rate = values.rate === undefined ? undefined : positive('rate', values.rate, 0);
const plan: Plan = {
  runSeconds: positive('seconds', values.seconds, quick ? 3 : 10),
  pairs: positive('pairs', values.pairs, quick ? 1 : 3),
  memorySeconds: positive('memory-seconds', values['memory-seconds'], quick ? 30 : 300),
  loadScale: positive('load-scale', values['load-scale'], quick ? 10 : 50),
  loadPairs: quick ? 1 : positive('pairs', values.pairs, 3),
  clients: positive('clients', values.clients, 8),
  jobs: positive('jobs', values.jobs, 2),
  scale: positive('scale', values.scale, BENCH_SCALE),
  ...(rate === undefined ? {} : { rateTps: rate }),
  log,
};

async function runCases(target: Target): Promise<CaseResult[]> {
  const results: CaseResult[] = [];
  let case1: ComparedCase | undefined;
  if (cases.has(1)) results.push((case1 = await selectOnly(target, plan)));
  if (cases.has(2)) results.push(await tpcbLike(target, plan));
  if (cases.has(3)) {
    // The rate, and half of it: where a generator that is not near its limit stands.
    results.push(await openLoop(target, plan, case1, 0.8));
    if (plan.rateTps === undefined) results.push(await openLoop(target, plan, case1, 0.4));
  }
  if (cases.has(4)) results.push(await memory(target, plan));
  if (cases.has(5)) results.push(await dataLoad(target, plan));
  return results;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`load average ${loadBefore}${quick ? '; quick mode' : ''}`);
  return withBenchServer(plan.scale, log, async (target) => {
    const postgres = await serverVersion(target);
    const results = await runCases(target);
    const tables = renderTables(results);
    const dataSet = plan.scale === BENCH_SCALE ? '' : `, data set -s ${plan.scale}`;
    const mode = quick
      ? `quick: ${plan.pairs} pair(s) × ${plan.runSeconds} s, memory ${plan.memorySeconds} s, init -s ${plan.loadScale} × ${plan.loadPairs}${dataSet}`
      : `full: ${plan.pairs} pairs × ${plan.runSeconds} s, memory ${plan.memorySeconds} s, init -s ${plan.loadScale} × ${plan.loadPairs} pairs${dataSet}`;
    process.stdout.write(`\n${postgres}; ${plan.clients} clients, -j ${plan.jobs}, -M prepared; ${mode}\n\n${tables}\n`);
    if (values.write) {
      const md = resultsMarkdown(
        {
          machine: describeMachine(),
          postgres,
          settings: BENCH_SETTINGS,
          mode,
          loadBefore,
          loadAfter: loadAverage(),
          startedAt,
          command: `node dist/bench/pgbench-compare.js ${process.argv.slice(2).join(' ')}`,
        },
        tables,
      );
      writeFileSync(RESULTS_MD, md);
      log(`wrote ${RESULTS_MD}`);
    }
    return 0;
  });
}

runMain(main);
