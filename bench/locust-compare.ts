/**
 * pgsurge beside Locust and pgbench on pgbench's select-only transaction: the same clients, the same
 * duration, one throwaway server, the three tools' order alternating between rounds (A B C, C B A, …)
 * so drift in the shared machine's load falls on all alike; every figure is a median over rounds.
 *
 *   node dist/bench/locust-compare.js                          3 rounds × 20 s, 8 and 32 clients
 *   node dist/bench/locust-compare.js --rounds 1 --seconds 5 --clients 8
 *   … --write                                                   also write bench/LOCUST.md
 *
 * Needs Debian's python3-locust (2.12) and python3-psycopg (apt-get install -y python3-locust
 * python3-psycopg); not part of `npm test`. Locust runs as independent processes, one per core
 * (bench/lib/locust.ts): 2.12 has no --processes, and Debian's master/worker mode does not connect.
 *
 * Options: --rounds N  --seconds N  --clients 8,32  --jobs N (pgbench, pgsurge)
 *          --locust-processes N (default: the cores)  --scale N (data set; default 10)
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_SETTINGS, runMain, serverVersion, withBenchServer } from './lib/bench-server.js';
import { prepareRun } from './lib/cases.js';
import { runPgbench, runPgsurge, type RunFigures, type Target, type Workload } from './lib/clients.js';
import { runLocust, type LocustFigures } from './lib/locust.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { locustMarkdown, renderLocustTable, type LocustRounds, type LocustTool } from './lib/locust-report.js';

const LOCUST_MD = fileURLToPath(new URL('../../bench/LOCUST.md', import.meta.url));
const TOOLS: readonly LocustTool[] = ['pgbench', 'pgsurge', 'locust'];

const { values } = parseArgs({
  options: {
    write: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '20' },
    clients: { type: 'string', default: '8,32' },
    jobs: { type: 'string', default: '2' },
    'locust-processes': { type: 'string' },
    scale: { type: 'string', default: '10' },
  },
});

function positiveInt(name: string, v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name}: expected a positive integer, got "${v}"`);
  return n;
}

const rounds = positiveInt('rounds', values.rounds);
const seconds = positiveInt('seconds', values.seconds);
const clientSettings = values.clients.split(',').map((s) => positiveInt('clients', s.trim()));
const jobs = positiveInt('jobs', values.jobs);
const locustProcesses = positiveInt('locust-processes', values['locust-processes'] ?? String(availableParallelism()));
const scale = positiveInt('scale', values.scale);
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);

/** Round i runs the tools in order, round i + 1 in reverse: each tool is first, middle and last alike. */
function orderOf(round: number): readonly LocustTool[] {
  return round % 2 === 0 ? TOOLS : [...TOOLS].reverse();
}

function describe(tool: LocustTool, f: RunFigures | LocustFigures): string {
  const p99 = 'p99MsPerProcess' in f ? `p99 ${f.p99MsPerProcess.join(' / ')} ms per process, ${f.failures} failed` : `p99 ${f.p99Ms.toFixed(3)} ms`;
  return `${tool}: ${f.tps.toFixed(0)} tps, CPU/txn ${f.cpuUsPerTxn.toFixed(2)} µs whole, ${f.steadyCpuUsPerTxn.toFixed(2)} µs steady, ${p99}`;
}

/** One run of one tool, its figures added to `r`. */
async function runOne(tool: LocustTool, target: Target, r: LocustRounds): Promise<RunFigures | LocustFigures> {
  const w: Workload = { builtin: 'select-only', clients: r.clients, jobs, seconds, pgsurgeArgs: ['--no-observe'] };
  let f: RunFigures | LocustFigures;
  switch (tool) {
    case 'pgbench':
      r.pgbench.push((f = await runPgbench(target, w)));
      return f;
    case 'pgsurge':
      r.pgsurge.push((f = await runPgsurge(target, w)));
      return f;
    case 'locust':
      r.locust.push((f = await runLocust(target, { clients: r.clients, processes: locustProcesses, seconds, scale })));
      return f;
  }
}

async function measure(target: Target): Promise<LocustRounds[]> {
  const all: LocustRounds[] = [];
  for (const clients of clientSettings) {
    const r: LocustRounds = { clients, pgbench: [], pgsurge: [], locust: [] };
    for (let i = 0; i < rounds; i++) {
      for (const tool of orderOf(i)) {
        await prepareRun(target);
        log(`${clients} clients, round ${i + 1}, ${describe(tool, await runOne(tool, target, r))}`);
      }
    }
    all.push(r);
  }
  return all;
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`load average ${loadBefore}`);
  return withBenchServer(scale, log, async (target) => {
    const postgres = await serverVersion(target);
    const measured = await measure(target);
    const table = renderLocustTable(measured, locustProcesses);
    const mode = `${rounds} rounds × ${seconds} s, clients ${clientSettings.join(' and ')}, pgbench/pgsurge -j ${jobs} -M prepared, Locust ${locustProcesses} processes, -s ${scale}`;
    process.stdout.write(`\n${mode}\n\n${table}\n`);
    if (values.write) {
      const md = locustMarkdown({
        machine: describeMachine(),
        settings: BENCH_SETTINGS,
        postgres,
        mode,
        loadBefore,
        loadAfter: loadAverage(),
        startedAt,
        command: `node dist/bench/locust-compare.js ${process.argv.slice(2).join(' ')}`.trim(),
        table,
      });
      writeFileSync(LOCUST_MD, md);
      log(`wrote ${LOCUST_MD}`);
    }
    return 0;
  });
}

runMain(main);
