/** bench/LOCUST.md: pgsurge, pgbench and Locust on select-only, with everything needed to judge it. */
import type { RunFigures } from './clients.js';
import type { LocustFigures } from './locust.js';
import { settingsText } from './bench-server.js';
import type { RunContext } from './results-md.js';
import { median } from './stats.js';

export type LocustTool = 'pgbench' | 'pgsurge' | 'locust';

/** Every round's figures at one client count. */
export interface LocustRounds {
  readonly clients: number;
  readonly pgbench: RunFigures[];
  readonly pgsurge: RunFigures[];
  readonly locust: LocustFigures[];
}

/** The issue's aim: pgsurge at least this many times Locust's TPS on the same cores. */
export const LOCUST_TPS_AIM = 5;

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');

interface Row {
  readonly tps: number;
  readonly p99: string;
  readonly steady: number;
  readonly whole: number;
  readonly runs: number;
}

function rowOf(runs: readonly (RunFigures | LocustFigures)[], p99: string): Row {
  return {
    tps: median(runs.map((f) => f.tps)),
    p99,
    steady: median(runs.map((f) => f.steadyCpuUsPerTxn)),
    whole: median(runs.map((f) => f.cpuUsPerTxn)),
    runs: runs.length,
  };
}

/** Locust's p99 per process, each the median over rounds: its processes' p99s are never merged. */
function locustP99(runs: readonly LocustFigures[]): string {
  const n = Math.max(0, ...runs.map((f) => f.p99MsPerProcess.length));
  const each = Array.from({ length: n }, (_, i) => fmt(median(runs.map((f) => f.p99MsPerProcess[i] ?? Number.NaN)), 0));
  return `${each.join(' / ')} (per process)`;
}

export function renderLocustTable(all: readonly LocustRounds[], processes: number): string {
  const lines = [
    '| clients | tool | runs | TPS (median) | p99 ms (median) | client CPU µs/txn, steady (median) | client CPU µs/txn, whole (median) | pgsurge TPS / this TPS |',
    '|---|---|---|---|---|---|---|---|',
  ];
  const aims: string[] = [];
  for (const r of all) {
    const pgsurge = rowOf(r.pgsurge, fmt(median(r.pgsurge.map((f) => f.p99Ms)), 3));
    const pgbench = rowOf(r.pgbench, fmt(median(r.pgbench.map((f) => f.p99Ms)), 3));
    const locust = rowOf(r.locust, locustP99(r.locust));
    const failed = r.locust.reduce((a, f) => a + f.failures, 0);
    const users = r.locust[0]?.usersPerProcess.join(' + ') ?? '?';
    const named: readonly [string, Row][] = [
      ['pgbench -M prepared', pgbench],
      ['pgsurge -M prepared', pgsurge],
      [`Locust, ${processes} processes × (${users}) users${failed > 0 ? `, ${failed} failed requests` : ''}`, locust],
    ];
    for (const [name, row] of named) {
      const ratio = name.startsWith('pgsurge') ? '' : fmt(pgsurge.tps / row.tps, 2);
      lines.push(`| ${r.clients} | ${name} | ${row.runs} | ${fmt(row.tps, 0)} | ${row.p99} | ${fmt(row.steady, 1)} | ${fmt(row.whole, 1)} | ${ratio} |`);
    }
    const x = pgsurge.tps / locust.tps;
    aims.push(
      `- ${r.clients} clients: aim pgsurge TPS ≥ ${LOCUST_TPS_AIM}× Locust's on the same cores: ${fmt(x, 2)}× — ${x >= LOCUST_TPS_AIM ? 'PASS' : 'FAIL'}`,
    );
  }
  return `${lines.join('\n')}\n\n${aims.join('\n')}`;
}

export interface LocustContext extends RunContext {
  readonly table: string;
}

export function locustMarkdown(ctx: LocustContext): string {
  const m = ctx.machine;
  return `# pgsurge vs Locust (and pgbench) on select-only

Written by \`${ctx.command}\` (bench/locust-compare.ts). The three clients ran the same
transaction (pgbench's select-only: one \`SELECT abalance FROM pgbench_accounts WHERE aid = $1\`,
aid uniform over the data set) with the same number of clients for the same time, one after the
other on one server, their order reversed every round (pgbench, pgsurge, Locust; then Locust,
pgsurge, pgbench; …); each figure is the median over the rounds. The machine is shared and the
server runs on the same two cores as the client: read ratios, not absolute numbers.

- Date: ${ctx.startedAt.toISOString()}
- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory, shared with other work
- Load average (1, 5, 15 min) before: ${ctx.loadBefore}; after: ${ctx.loadAfter}
- Node.js ${m.node}; ${m.pgbench}; server ${ctx.postgres}; Locust 2.12.1 (Debian python3-locust) with psycopg 3.1.7 (Debian python3-psycopg) on Python 3.11
- Commit: ${m.commit}
- Mode: ${ctx.mode}
- Server: throwaway (startLocalServer) on 127.0.0.1; settings: ${settingsText(ctx.settings)}

## Figures

${ctx.table}

## How it was measured

- pgbench: \`pgbench -n -b select-only -M prepared -c C -j J -T D\` (bench/lib/clients.ts). TPS is
  its "tps = … (without initial connection time)". pgbench 15 prints no percentiles, so it ran with
  \`--log --sampling-rate=0.1\` and its p99 is that of a 10 % sample of its per-transaction log.
- pgsurge: \`pgsurge run -b select-only -M prepared -n --no-observe -c C -j J -T D --json FILE\`, the
  built CLI; TPS and p99 are \`summary.tps\` and \`summary.latencyMs.p99\` of the result (HDR
  histograms). \`--no-observe\`: the other two do not sample the server either.
- Locust: bench/locust/select_only.py, a \`User\` (not \`HttpUser\`) with one psycopg 3 connection
  per user, opened in \`on_start\`, autocommit, \`wait_time = constant(0)\` (a closed loop, like
  pgbench \`-c\`), every query reported with \`events.request.fire\`. psycopg 3 prepares a statement
  on the server once a connection has run it \`prepare_threshold\` (5) times, so it too runs
  prepared after its first requests. Debian's psycopg 3.1.7 is the pure-Python build (libpq
  through ctypes; there is no python3-psycopg-c package in Debian 12).
  Mode: as many independent Locust processes as cores, the clients split between them
  (\`locust -f select_only.py --headless -u U -r U -t Ds --reset-stats --only-summary --csv P\`).
  Locust 2.12 has no \`--processes\`, and its master/worker mode does not connect with Debian's
  package: its \`locust.__version__\` is empty, a worker's "client_ready" message carries that
  version, and the master turns every worker away ("An old (pre 2.0) worker tried to connect").
  Independent processes need no coordination; the bench adds their figures. Spawn rate = users,
  so each process starts all its users at once, and
  \`--reset-stats\` restarts its statistics once they are spawned: the ramp and connecting are
  left out, as pgbench leaves out its connection time. TPS is the sum of the processes'
  "Requests/s" (requests since the reset over each one's own measured time); p99 is each
  process's own "99%" (Locust rounds times below 100 ms to whole milliseconds, so 1 ms
  resolution), shown per process and never merged.
- Client CPU per transaction: user + sys of each client process (all its threads), the same way for
  all three (bench/lib/exec.ts), summed over Locust's processes. "Steady" is the CPU over a window
  from 30 % of the run to its nominal end, read from /proc/<pid>/stat, divided by the transactions
  of that window (TPS × window): the figure to compare. "Whole" is the \`times\` of the shell that
  waited for the client, start-up included, divided by the transactions it reported (Locust's
  since its statistics reset).
- Before every run: VACUUM pgbench_branches and pgbench_tellers, TRUNCATE pgbench_history and a
  CHECKPOINT, untimed (bench/lib/cases.ts \`prepareRun\`).
`;
}
