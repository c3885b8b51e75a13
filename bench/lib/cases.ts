/**
 * The five benchmark cases of issue 3. Every comparison alternates the two clients (A B A B …) in one
 * session on one server, so drift in the machine's load falls on both alike; figures are medians.
 */
import pg from 'pg';
import { cleanEnv, execMeasured, rssKiB } from './exec.js';
import { PGBENCH, PGSURGE_BIN, runClient, runNodeFloor, type RunFigures, type Target, type Tool, type Workload } from './clients.js';
import { median } from './stats.js';

export interface Plan {
  readonly runSeconds: number;
  /** A B pairs per comparison. */
  readonly pairs: number;
  readonly memorySeconds: number;
  readonly loadScale: number;
  readonly loadPairs: number;
  readonly clients: number;
  readonly jobs: number;
  /** pgbench's scale of the benchmark database (the Node floor draws aid from it). */
  readonly scale: number;
  /** Case 3's rate; default 80 % of pgsurge's median TPS in case 1. */
  readonly rateTps?: number;
  readonly log: (line: string) => void;
}

export interface ComparedCase {
  readonly kind: 'closed' | 'open';
  readonly id: 1 | 2 | 3;
  readonly title: string;
  readonly rateTps?: number;
  /** Open loop: the rate as a fraction of case 1's maximum (undefined when --rate gave it). */
  readonly fraction?: number;
  readonly runs: Readonly<Record<Tool, RunFigures[]>>;
  /** Case 1: the Node.js floor (bench/node-floor.ts), run in the same rounds as a yardstick. */
  readonly floor?: readonly RunFigures[];
  /** Case 3: pgsurge again with `--warmup` (WARMUP_S), run in the same rounds, for its steady state. */
  readonly warm?: readonly RunFigures[];
}

/**
 * Case 3's extra pgsurge run: a second of load before the measured 10 s, so the server's
 * connections are warm too. Before pgsurge's JIT priming ran on sockets (src/engine/prime/prime.ts),
 * V8's compiling showed as a burst of schedule lag in the first 0.5 s of every run (-R 18000: max
 * lag 16-115 ms there, 3-8 ms after). The plain row, first second included like pgbench's, is the
 * one the target is judged on.
 */
export const WARMUP_S = 1;

export interface MemoryCase {
  readonly kind: 'memory';
  readonly id: 4;
  readonly seconds: number;
  /** When the "minute 1" and "minute 5" samples are taken (scaled down in quick mode). */
  readonly earlyS: number;
  readonly lateS: number;
  readonly earlyKiB: number;
  readonly lateKiB: number;
  readonly tps: number;
}

export interface LoadCase {
  readonly kind: 'load';
  readonly id: 5;
  readonly scale: number;
  readonly wallMs: Readonly<Record<Tool, number[]>>;
  readonly cpuMs: Readonly<Record<Tool, number[]>>;
}

export type CaseResult = ComparedCase | MemoryCase | LoadCase;

const TOOLS: readonly Tool[] = ['pgbench', 'pgsurge'];

async function sql(target: Target, statements: readonly string[], database = target.database): Promise<void> {
  const c = new pg.Client({ host: target.host, port: target.port, user: target.user, database });
  await c.connect();
  try {
    for (const s of statements) await c.query(s);
  } finally {
    await c.end();
  }
}

/**
 * What pgbench does before a run unless -n (both clients run with -n, so neither does it inside the
 * timed run), plus a CHECKPOINT so no run starts with another run's dirty buffers to write.
 */
export async function prepareRun(target: Target): Promise<void> {
  await sql(target, ['VACUUM pgbench_branches', 'VACUUM pgbench_tellers', 'TRUNCATE pgbench_history', 'CHECKPOINT']);
}

async function compare(target: Target, plan: Plan, id: 1 | 2 | 3, title: string, w: Workload, extra?: 'floor' | 'warm'): Promise<ComparedCase> {
  const runs: Record<Tool, RunFigures[]> = { pgbench: [], pgsurge: [] };
  const floor: RunFigures[] = [];
  const warm: RunFigures[] = [];
  const lineup = [...TOOLS, ...(extra === 'floor' ? ['node-floor' as const] : extra === 'warm' ? ['pgsurge --warmup' as const] : [])];
  for (let i = 0; i < plan.pairs; i++) {
    for (const tool of lineup) {
      await prepareRun(target);
      let f: RunFigures;
      if (tool === 'node-floor') floor.push((f = await runNodeFloor(target, w, plan.scale)));
      else if (tool === 'pgsurge --warmup') warm.push((f = await runClient('pgsurge', target, { ...w, warmupS: WARMUP_S })));
      else runs[tool].push((f = await runClient(tool, target, w)));
      const lag = Number.isFinite(f.lagP99Ms) ? `, lag p99 ${f.lagP99Ms.toFixed(3)} ms` : '';
      const dropped = f.dropped > 0 ? `, ${f.dropped} arrivals dropped` : '';
      plan.log(
        `case ${id} ${tool} #${i + 1}: ${f.tps.toFixed(0)} tps, CPU/txn ${f.cpuUsPerTxn.toFixed(2)} µs whole, ${f.steadyCpuUsPerTxn.toFixed(2)} µs steady, p99 ${f.p99Ms.toFixed(3)} ms${lag}${dropped}`,
      );
    }
  }
  return {
    kind: w.rateTps === undefined ? 'closed' : 'open',
    id,
    title,
    runs,
    ...(w.rateTps === undefined ? {} : { rateTps: w.rateTps }),
    ...(extra === 'floor' ? { floor } : {}),
    ...(extra === 'warm' ? { warm } : {}),
  };
}

function workload(plan: Plan, builtin: Workload['builtin'], extra: Partial<Workload> = {}): Workload {
  return { builtin, clients: plan.clients, jobs: plan.jobs, seconds: plan.runSeconds, ...extra };
}

/**
 * Case 3 asks whether the open-loop scheduler holds a rate the generator can sustain: 80 % of
 * pgsurge's own closed-loop maximum (80 % of pgbench's would test pgsurge's ceiling instead, which
 * case 1 already does). pgbench runs at the same rate for reference.
 */
export function closedLoopMax(c: ComparedCase): number {
  return median(c.runs.pgsurge.map((r) => r.tps));
}

export async function selectOnly(target: Target, plan: Plan): Promise<ComparedCase> {
  return compare(target, plan, 1, `select-only, ${plan.clients} clients, -j ${plan.jobs}`, workload(plan, 'select-only'), 'floor');
}

export async function tpcbLike(target: Target, plan: Plan): Promise<ComparedCase> {
  return compare(target, plan, 2, `tpcb-like, ${plan.clients} clients, -j ${plan.jobs}`, workload(plan, 'tpcb-like'));
}

export async function openLoop(target: Target, plan: Plan, case1: ComparedCase | undefined, fraction: number): Promise<ComparedCase> {
  let rate = plan.rateTps;
  if (rate === undefined) {
    // Without case 1 in this session, one closed-loop pgsurge run gives its maximum.
    const max = case1 !== undefined ? closedLoopMax(case1) : (await runClient('pgsurge', target, workload(plan, 'select-only'))).tps;
    rate = Math.round(fraction * max);
  }
  const share = plan.rateTps === undefined ? ` (${Math.round(fraction * 100)} % of case 1)` : '';
  const c = await compare(
    target,
    plan,
    3,
    `select-only open loop -R ${rate}${share}, ${plan.clients} clients, -j ${plan.jobs}`,
    workload(plan, 'select-only', { rateTps: rate }),
    'warm',
  );
  return plan.rateTps === undefined ? { ...c, fraction } : c;
}

export async function memory(target: Target, plan: Plan): Promise<MemoryCase> {
  const seconds = plan.memorySeconds;
  // "Minute 1" and "minute 5" of a 5-minute run; the same fractions of a shorter one.
  const earlyS = seconds / 5;
  const samples: { tS: number; kib: number }[] = [];
  let timer: NodeJS.Timeout | undefined;
  await prepareRun(target);
  const f = await runClient('pgsurge', target, workload(plan, 'select-only', { seconds }), {
    onPid: (pid) => {
      const t0 = performance.now();
      const every = Math.min(5, Math.max(1, seconds / 30)) * 1000;
      timer = setInterval(() => {
        const kib = rssKiB(pid);
        if (kib !== undefined) samples.push({ tS: (performance.now() - t0) / 1000, kib });
      }, every);
    },
  }).finally(() => clearInterval(timer));
  // The sample closest to each mark; the late mark is the last sample taken while the load ran.
  const near = (tS: number): { tS: number; kib: number } =>
    samples.reduce((best, s) => (Math.abs(s.tS - tS) < Math.abs(best.tS - tS) ? s : best), samples[0] ?? { tS: Number.NaN, kib: Number.NaN });
  const running = samples.filter((s) => s.tS <= seconds);
  const early = near(earlyS);
  const late = running[running.length - 1] ?? { tS: Number.NaN, kib: Number.NaN };
  plan.log(
    `case 4 pgsurge: RSS ${(early.kib / 1024).toFixed(1)} MiB at ${early.tS.toFixed(0)} s, ${(late.kib / 1024).toFixed(1)} MiB at ${late.tS.toFixed(0)} s`,
  );
  return { kind: 'memory', id: 4, seconds, earlyS: early.tS, lateS: late.tS, earlyKiB: early.kib, lateKiB: late.kib, tps: f.tps };
}

export async function dataLoad(target: Target, plan: Plan): Promise<LoadCase> {
  const db = 'pgsurge_bench_load';
  const url = target.url.replace(/\/[^/?]*(\?|$)/, `/${db}$1`);
  const wallMs: Record<Tool, number[]> = { pgbench: [], pgsurge: [] };
  const cpuMs: Record<Tool, number[]> = { pgbench: [], pgsurge: [] };
  const scale = String(plan.loadScale);
  for (let i = 0; i < plan.loadPairs; i++) {
    for (const tool of TOOLS) {
      // A fresh database each time, and a checkpoint so the previous load's WAL is not written during this one.
      await sql(target, [`DROP DATABASE IF EXISTS ${db}`, `CREATE DATABASE ${db}`, 'CHECKPOINT'], 'postgres');
      const r =
        tool === 'pgbench'
          ? await execMeasured(PGBENCH, ['-i', '-q', '-s', scale, '-h', target.host, '-p', String(target.port), '-U', target.user, db], { env: cleanEnv() })
          : await execMeasured(process.execPath, [PGSURGE_BIN, 'init', '--url', url, '-s', scale, '-q'], { env: cleanEnv() });
      if (r.code !== 0) throw new Error(`${tool} init exited with ${String(r.code)}:\n${r.stderr}`);
      wallMs[tool].push(r.wallMs);
      cpuMs[tool].push(r.cpuUs / 1000);
      plan.log(`case 5 ${tool} #${i + 1}: init -s ${scale} in ${(r.wallMs / 1000).toFixed(2)} s (client CPU ${(r.cpuUs / 1e6).toFixed(2)} s)`);
    }
  }
  await sql(target, [`DROP DATABASE IF EXISTS ${db}`], 'postgres');
  return { kind: 'load', id: 5, scale: plan.loadScale, wallMs, cpuMs };
}
