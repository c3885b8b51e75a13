/**
 * One measured Locust run of bench/locust/select_only.py: N independent headless Locust processes
 * (Debian's python3-locust 2.12 has no --processes, and its master turns the package's workers away:
 * their version string is empty, which the master takes for a pre-2.0 worker), the clients split
 * evenly between them, all started together.
 *
 * Counting rules:
 * - Each process runs with `--reset-stats` and a spawn rate equal to its users, so all its users
 *   start at once and its statistics restart when spawning is done: connecting and the ramp are
 *   outside its figures, as pgbench's "without initial connection time" leaves them out.
 * - TPS is the sum over the processes of the "Requests/s" of the Aggregated row of each one's
 *   `_stats.csv`: its successful and failed requests since the reset over its own measured time
 *   (Locust: requests / (last request − start)). Transactions are the sum of the request counts.
 * - p99 is Locust's own, per process (the "99%" column), never merged: Locust keeps response times
 *   rounded to whole milliseconds below 100 ms, so these p99s have 1 ms resolution.
 * - Client CPU is measured as for pgbench and pgsurge (exec.ts): user + sys of each process from the
 *   `times` of the shell that waited for it ("whole", Python's start-up included) and over a window
 *   from 30 % of the run to its nominal end from /proc/<pid>/stat ("steady"), summed over processes.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, cpuWindow, execMeasured, type CpuWindow, type ExecResult } from './exec.js';
import type { Target } from './clients.js';

/** Debian's interpreter: python3 on PATH may be another one (pyenv) without the apt packages. */
export const LOCUST_PYTHON = process.env['LOCUST_PYTHON'] ?? '/usr/bin/python3';
export const LOCUSTFILE = fileURLToPath(new URL('../../../bench/locust/select_only.py', import.meta.url));

export interface LocustPlan {
  readonly clients: number;
  readonly processes: number;
  readonly seconds: number;
  /** pgbench's scale of the data set: aid is drawn from 1..100000 × scale. */
  readonly scale: number;
}

export interface LocustFigures {
  readonly tps: number;
  readonly transactions: number;
  readonly failures: number;
  readonly cpuUsPerTxn: number;
  readonly steadyCpuUsPerTxn: number;
  /** Each process's own p99, ms, in process order. */
  readonly p99MsPerProcess: readonly number[];
  readonly usersPerProcess: readonly number[];
}

interface Aggregated {
  readonly count: number;
  readonly failures: number;
  readonly rps: number;
  readonly p99Ms: number;
}

/** The Aggregated row of a Locust `_stats.csv`, read by column name. */
export function parseLocustStats(csv: string): Aggregated {
  const rows = csv
    .trim()
    .split('\n')
    .map((l) => l.split(',').map((c) => c.replace(/^"|"$/g, '')));
  const header = rows[0] ?? [];
  const row = rows.find((r) => r[1] === 'Aggregated');
  if (row === undefined) throw new Error('Locust stats CSV has no Aggregated row');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`Locust stats CSV has no "${name}" column`);
    return Number(row[i]);
  };
  return { count: col('Request Count'), failures: col('Failure Count'), rps: col('Requests/s'), p99Ms: col('99%') };
}

/** Clients split as evenly as they go: 9 over 2 processes is 5 + 4. */
function split(clients: number, processes: number): number[] {
  return Array.from({ length: processes }, (_, i) => Math.floor(clients / processes) + (i < clients % processes ? 1 : 0));
}

export async function runLocust(target: Target, plan: LocustPlan): Promise<LocustFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-bench-locust-'));
  try {
    const users = split(plan.clients, plan.processes).filter((u) => u > 0);
    const env = { ...cleanEnv(), PGSURGE_LOCUST_DSN: target.url, PGSURGE_LOCUST_SCALE: String(plan.scale) };
    const runs = users.map(async (u, i) => {
      let win: ReturnType<typeof cpuWindow> | undefined;
      const args = ['-m', 'locust', '-f', LOCUSTFILE, '--headless', '-u', String(u), '-r', String(u), '-t', `${plan.seconds}s`];
      args.push('--reset-stats', '--only-summary', '--csv', join(dir, `p${i}`), '--loglevel', 'WARNING');
      const r = await execMeasured(LOCUST_PYTHON, args, {
        env,
        onPid: (pid) => (win = cpuWindow(pid, 0.3 * plan.seconds, plan.seconds)),
        timeoutMs: (plan.seconds + 120) * 1000,
      });
      win?.cancel();
      return { r, window: win?.result ?? { cpuUs: Number.NaN, seconds: Number.NaN }, csv: join(dir, `p${i}_stats.csv`) };
    });
    const done: { r: ExecResult; window: CpuWindow; csv: string }[] = await Promise.all(runs);
    const stats = done.map(({ r, csv }, i) => {
      try {
        return parseLocustStats(readFileSync(csv, 'utf8'));
      } catch (e) {
        const tail = (r.stderr + r.stdout).trim().split('\n').slice(-10).join('\n');
        throw new Error(`Locust process ${i + 1} exited with ${String(r.code)} and no statistics (${String(e)}):\n${tail}`);
      }
    });
    const transactions = stats.reduce((a, s) => a + s.count, 0);
    const tps = stats.reduce((a, s) => a + s.rps, 0);
    const cpuUs = done.reduce((a, d) => a + d.r.cpuUs, 0);
    // Steady: each process's window CPU over the requests it would have made in that window.
    const steadyCpuUs = done.reduce((a, d) => a + d.window.cpuUs, 0);
    const steadyTxn = done.reduce((a, d, i) => a + (stats[i]?.rps ?? Number.NaN) * d.window.seconds, 0);
    return {
      tps,
      transactions,
      failures: stats.reduce((a, s) => a + s.failures, 0),
      cpuUsPerTxn: cpuUs / transactions,
      steadyCpuUsPerTxn: steadyCpuUs / steadyTxn,
      p99MsPerProcess: stats.map((s) => s.p99Ms),
      usersPerProcess: users,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
