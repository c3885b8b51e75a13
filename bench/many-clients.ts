/**
 * Many clients, pgsurge beside pgbench (issue: "Many clients" and "Memory"): select-only and
 * tpcb-like at -c 500 and -c 1000 straight to one throwaway server (-j = cores, -M prepared), and
 * select-only at -c 5000 through a local PgBouncer (transaction pooling, a pool of 50), the two
 * clients alternating; TPS, client CPU per transaction, peak RSS, latency and connecting time of
 * every run, and the issue's targets marked PASS or FAIL.
 *
 *   npm run bench:many-clients                      full: 2 pairs × 30 s per case, scale 50
 *                                                   (-T 30: pgbench's -T includes connecting, 10-20 s for 1000 clients here)
 *   npm run bench:many-clients -- --quick           harness check: 1 pair × 3 s, -c 50,100, 500 pooled, scale 10
 *   … --write                                       also write bench/MANY-CLIENTS.md
 *
 * Options: --seconds N  --pairs N  --scale N  --clients 500,1000  --builtins select-only,tpcb-like
 *          --pooled-clients N (0: no PgBouncer case)  --pool-size N  --max-client-conn N  --jobs N
 *          --few-clients N (baseline of memory per client; 0: none)
 *          --pgsurge-args="…" (further options of every pgsurge run, e.g. --pgsurge-args=--no-observe: pgsurge samples the
 *          server by default, as a user runs it, and at -c 500 that sampling cost it 15-50 µs of client CPU per
 *          transaction and a quarter of its TPS in a by-hand A/B)
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { BENCH_SETTINGS, runMain, serverVersion, settingsText, withBenchServer } from './lib/bench-server.js';
import type { Workload } from './lib/clients.js';
import { intArg } from './lib/args.js';
import { describeMachine, loadAverage } from './lib/machine.js';
import { directCases, fewClients, pooledCase, type ManyCase, type ManyPlan, type PoolerFacts } from './lib/many-cases.js';
import { checks, checksTable, failureLines, figuresTable, manyClientsMarkdown, perClientTable } from './lib/many-report.js';
import { pgBouncerVersion } from '../src/local/pgbouncer.js';

const OUT_MD = fileURLToPath(new URL('../../bench/MANY-CLIENTS.md', import.meta.url));

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    pairs: { type: 'string' },
    scale: { type: 'string' },
    clients: { type: 'string' },
    builtins: { type: 'string', default: 'select-only,tpcb-like' },
    'pooled-clients': { type: 'string' },
    'pool-size': { type: 'string', default: '50' },
    'max-client-conn': { type: 'string', default: '6000' },
    jobs: { type: 'string' },
    'few-clients': { type: 'string', default: '8' },
    'pgsurge-args': { type: 'string', default: '' },
  },
});

const quick = values.quick || process.env['CI'] === 'true';
const log = (line: string): void => void process.stderr.write(`bench: ${line}\n`);
const builtins = values.builtins.split(',').map((s) => s.trim());
for (const b of builtins) if (b !== 'select-only' && b !== 'tpcb-like') throw new Error(`--builtins: select-only or tpcb-like, got "${b}"`);
const plan: ManyPlan = {
  seconds: intArg('seconds', values.seconds, quick ? 3 : 30),
  pairs: intArg('pairs', values.pairs, quick ? 1 : 2),
  jobs: intArg('jobs', values.jobs, availableParallelism()),
  clients: (values.clients ?? (quick ? '50,100' : '500,1000')).split(',').map((s) => intArg('clients', s.trim(), 0)),
  builtins: builtins as Workload['builtin'][],
  pooledClients: intArg('pooled-clients', values['pooled-clients'], quick ? 500 : 5000, 0),
  poolSize: intArg('pool-size', values['pool-size'], 50),
  maxClientConn: intArg('max-client-conn', values['max-client-conn'], 6000),
  fewClients: intArg('few-clients', values['few-clients'], 8, 0),
  pgsurgeArgs: values['pgsurge-args'].split(/\s+/).filter((a) => a !== ''),
  log,
};
const scale = intArg('scale', values.scale, quick ? 10 : 50);

/**
 * Room for the largest client count straight to the server, plus the harness's own connections,
 * pgsurge's sampler and PgBouncer's pool. shared_buffers holds the scale-50 data set (~750 MB), so
 * select-only reads no disk; every backend's share of shared memory (locks, PGPROC) grows with
 * max_connections, a few MB in all.
 */
const settings = {
  ...BENCH_SETTINGS,
  shared_buffers: scale > 10 ? '1GB' : BENCH_SETTINGS.shared_buffers,
  max_connections: Math.max(100, ...plan.clients) + 100,
};

const SCALE_WHY =
  'tpcb-like updates one of the `scale` rows of pgbench_branches in every transaction, so at -c 1000 and ' +
  `scale ${scale} about ${Math.round(1000 / scale)} clients queue on each branch row's lock; pgbench's advice for tpcb-like is scale ≥ clients, ` +
  'which at -c 1000 is ~15 GB of data and over 10 minutes of loading on this machine, beyond the budget of one run. ' +
  'The contention is the same for both clients, so the ratios stay fair; the absolute tpcb-like TPS is that of a contended server, ' +
  'and client CPU per transaction weighs less there than in select-only.';

function limitsText(): string {
  const soft = spawnSync('sh', ['-c', 'ulimit -Sn; ulimit -Hn'], { encoding: 'utf8' }).stdout.trim().split('\n');
  return (
    `open files (ulimit -n) soft ${soft[0] ?? '?'}, hard ${soft[1] ?? '?'} for both clients and PgBouncer (inherited; -c 5000 needs > 5000); ` +
    'kernel semaphores and shared memory left at their defaults (PostgreSQL maps its shared memory)'
  );
}

async function main(): Promise<number> {
  const startedAt = new Date();
  const loadBefore = loadAverage();
  log(`load average ${loadBefore}${quick ? '; quick mode' : ''}`);
  if (plan.pooledClients > 0) pgBouncerVersion(); // no PgBouncer: say so before the long part
  let pooler: PoolerFacts | undefined;
  return withBenchServer(
    scale,
    log,
    async (target) => {
      const postgres = await serverVersion(target);
      const cases: ManyCase[] = [];
      if (plan.fewClients > 0) cases.push(await fewClients(target, plan));
      cases.push(...(await directCases(target, plan)));
      if (plan.pooledClients > 0) {
        const p = await pooledCase(target, plan);
        cases.push(p.case);
        pooler = p.pooler;
      }
      const loadAfter = loadAverage();
      const mode = `${quick ? 'quick' : 'full'}: ${plan.pairs} pair(s) × ${plan.seconds} s per case, -j ${plan.jobs}, clients ${plan.clients.join(', ')} direct${
        plan.pooledClients > 0 ? `, ${plan.pooledClients} through PgBouncer` : ''
      }${plan.fewClients > 0 ? `, ${plan.fewClients} (one pair, ≤ 5 s) as the memory baseline` : ''}${
        plan.pgsurgeArgs.length > 0 ? `; pgsurge runs with ${plan.pgsurgeArgs.join(' ')}` : ''
      }`;
      const failures = failureLines(cases);
      process.stdout.write(
        `\n${postgres}; ${mode}\n\n${figuresTable(cases)}\n\n${checksTable(checks(cases))}\n\n${perClientTable(cases)}\n${
          failures.length > 0 ? `\n${failures.join('\n')}\n` : ''
        }`,
      );
      if (values.write) {
        const m = describeMachine();
        const md = manyClientsMarkdown(
          {
            command: `node dist/bench/many-clients.js ${process.argv.slice(2).join(' ')}`,
            startedAt,
            machine: `${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory`,
            loadBefore,
            loadAfter,
            versions: `Node.js ${m.node}; ${m.pgbench}; server ${postgres}${pooler === undefined ? '' : `; ${pooler.version}`}`,
            commit: m.commit,
            mode,
            settings: `settings: ${settingsText(settings)}`,
            scale,
            scaleWhy: SCALE_WHY,
            jobs: plan.jobs,
            ...(pooler === undefined ? {} : { pooler }),
            limits: limitsText(),
          },
          cases,
        );
        writeFileSync(OUT_MD, md);
        log(`wrote ${OUT_MD}`);
      }
      return 0;
    },
    settings,
  );
}

runMain(main);
