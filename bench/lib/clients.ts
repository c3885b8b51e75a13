/**
 * One measured run of each client, same workload, same knobs: pgbench (C, libpq) and pgsurge (the
 * built CLI, as a user runs it). Both are spawned through `execMeasured`, so their CPU is measured
 * the same way (see exec.ts).
 *
 * Latency percentiles: pgsurge's come from its result JSON (HDR histograms). pgbench 15 prints only
 * the latency average and stddev, so it runs with `--log --sampling-rate` and the percentiles are
 * computed from its per-transaction log (field 3: latency µs, incl. schedule lag under -R; field 7:
 * schedule lag µs, under -R only). A 10 % sample keeps pgbench's logging cost small (one random
 * draw per transaction, one fprintf per ten) while leaving thousands of samples per run.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cleanEnv, cpuWindow, execMeasured, watchPeakRss, type CpuWindow, type ExecResult } from './exec.js';
import { percentileSorted } from './stats.js';

export type Tool = 'pgbench' | 'pgsurge';
/** The compared tools, and the Node.js floor (bench/node-floor.ts) as a yardstick in case 1. */
export type Client = Tool | 'node-floor';

export interface Target {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly database: string;
  readonly url: string;
}

export interface Workload {
  readonly builtin: 'select-only' | 'tpcb-like';
  readonly clients: number;
  readonly jobs: number;
  readonly seconds: number;
  /** Open loop: target transactions per second. */
  readonly rateTps?: number;
  /** pgsurge only: `--warmup` seconds before the measured -T (the load runs that much longer). */
  readonly warmupS?: number;
  /** pgsurge only: further options of `pgsurge run` (e.g. `--no-observe`). */
  readonly pgsurgeArgs?: readonly string[];
  /** `-M` of both clients; default prepared. */
  readonly protocol?: 'simple' | 'extended' | 'prepared';
  /** Kill the client if it has not exited this long after its start (a hang); default 30 minutes. */
  readonly timeoutS?: number;
  /**
   * pgbench only: seconds added to its -T. pgbench 15's -T runs from before it connects (its threads
   * connect, then start together), pgsurge's measured -T from after: with hundreds of clients that
   * take seconds to connect, this gives pgbench a load phase as long as pgsurge's.
   */
  readonly pgbenchConnectAllowanceS?: number;
}

export interface RunFigures {
  readonly tool: Client;
  readonly tps: number;
  readonly transactions: number;
  /** Whole process (start-up and connecting included) / transactions. */
  readonly cpuUsPerTxn: number;
  /** Steady state: CPU over a window inside the load phase / (tps × window). */
  readonly steadyCpuUsPerTxn: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Schedule lag p99 (open loop); NaN in the closed loop. */
  readonly lagP99Ms: number;
  /** Open-loop arrivals never started: dropped from a full queue (pgsurge; 0 for the others). */
  readonly dropped: number;
  readonly wallMs: number;
  /** Peak RSS of the client process (VmHWM, read every 100 ms while it ran), KiB. */
  readonly peakRssKiB: number;
  /**
   * Seconds it took to connect every client: pgbench's "initial connection time" (the mean over its
   * threads, each connecting its clients one after the other), pgsurge's `summary.connectingS` (from
   * the first attempt to the last client connected). NaN for the Node floor.
   */
  readonly connectS: number;
  /** Connections opened (pgsurge's `summary.connects`; pgbench: its clients, since it aborts on any failed connection). */
  readonly connects: number;
  /** Failed transactions (pgsurge's `summary.failed`, pgbench's "number of failed transactions"). */
  readonly failed: number;
}

export const PGBENCH = process.env['PGBENCH'] ?? '/usr/lib/postgresql/15/bin/pgbench';
export const PGSURGE_BIN = fileURLToPath(new URL('../../src/cli/bin.js', import.meta.url));
const NODE_FLOOR = fileURLToPath(new URL('../node-floor.js', import.meta.url));
const LOG_SAMPLING = 0.1;

export interface ClientHooks {
  readonly onPid?: (pid: number) => void;
}

/**
 * Spawn a client, measuring its whole CPU and a steady-state window from 30 % of the run to its
 * nominal end (seconds after spawn), which lies inside the load phase when start-up and connecting
 * take less than 30 % of the run.
 */
async function spawnClient(cmd: string, args: readonly string[], w: Workload, hooks: ClientHooks): Promise<Measured> {
  let win: ReturnType<typeof cpuWindow> | undefined;
  let rss: ReturnType<typeof watchPeakRss> | undefined;
  const r = await execMeasured(cmd, args, {
    env: cleanEnv(),
    ...(w.timeoutS === undefined ? {} : { timeoutMs: w.timeoutS * 1000 }),
    onPid: (pid) => {
      const warm = w.warmupS ?? 0;
      win = cpuWindow(pid, warm + 0.3 * w.seconds, warm + w.seconds);
      rss = watchPeakRss(pid);
      hooks.onPid?.(pid);
    },
  });
  win?.cancel();
  rss?.stop();
  return { r, window: win?.result ?? { cpuUs: Number.NaN, seconds: Number.NaN }, peakRssKiB: rss?.result.kib ?? Number.NaN };
}

interface Measured {
  readonly r: ExecResult;
  readonly window: CpuWindow;
  readonly peakRssKiB: number;
}

/** Figures of one run from what the client reported and what was measured around it. */
function figures(
  tool: Client,
  measured: Measured,
  reported: {
    tps: number;
    transactions: number;
    p50Ms: number;
    p99Ms: number;
    lagP99Ms: number;
    dropped?: number;
    connectS?: number;
    connects?: number;
    failed?: number;
  },
): RunFigures {
  const { r, window } = measured;
  return {
    tool,
    ...reported,
    dropped: reported.dropped ?? 0,
    connectS: reported.connectS ?? Number.NaN,
    connects: reported.connects ?? Number.NaN,
    failed: reported.failed ?? 0,
    cpuUsPerTxn: r.cpuUs / reported.transactions,
    steadyCpuUsPerTxn: window.cpuUs / (reported.tps * window.seconds),
    wallMs: r.wallMs,
    peakRssKiB: measured.peakRssKiB,
  };
}

/** A client that did not end well: the error carries its exit code and its last output lines. */
export class ClientFailed extends Error {
  constructor(
    readonly tool: Client,
    readonly code: number | null,
    readonly output: string,
  ) {
    super(`${tool} ${code === null ? 'was killed (timeout)' : `exited with ${code}`}:\n${output.trim().split('\n').slice(-10).join('\n')}`);
  }
}

function fail(tool: Client, code: number | null, stderr: string): never {
  throw new ClientFailed(tool, code, stderr);
}

/** Latency and lag samples (µs) from pgbench's per-transaction log files. */
function readPgbenchLogs(dir: string): { latencyUs: Float64Array; lagUs: Float64Array } {
  const lat: number[] = [];
  const lag: number[] = [];
  for (const f of readdirSync(dir)) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
      const fields = line.split(' ');
      const t = Number(fields[2]); // "skipped"/"failed" lines give NaN and are left out
      if (!Number.isFinite(t)) continue;
      lat.push(t);
      const l = Number(fields[6]);
      if (fields.length > 6 && Number.isFinite(l)) lag.push(l);
    }
  }
  return { latencyUs: Float64Array.from(lat).sort(), lagUs: Float64Array.from(lag).sort() };
}

export async function runPgbench(target: Target, w: Workload, hooks: ClientHooks = {}): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-bench-log-'));
  try {
    const args = ['-h', target.host, '-p', String(target.port), '-U', target.user, '-n', '-b', w.builtin];
    const seconds = w.seconds + (w.pgbenchConnectAllowanceS ?? 0);
    args.push('-c', String(w.clients), '-j', String(w.jobs), '-T', String(seconds), '-M', w.protocol ?? 'prepared');
    if (w.rateTps !== undefined) args.push('-R', String(Math.round(w.rateTps)));
    args.push('--log', `--log-prefix=${join(dir, 'pgbench_log')}`, `--sampling-rate=${LOG_SAMPLING}`, target.database);
    const measured = await spawnClient(PGBENCH, args, w, hooks);
    const out = measured.r.stdout;
    if (measured.r.code !== 0) fail('pgbench', measured.r.code, measured.r.stderr + out);
    const { latencyUs, lagUs } = readPgbenchLogs(dir);
    return figures('pgbench', measured, {
      tps: Number(/^tps = ([\d.]+) \(without initial connection time\)/m.exec(out)?.[1]),
      transactions: Number(/^number of transactions actually processed: (\d+)/m.exec(out)?.[1]),
      p50Ms: percentileSorted(latencyUs, 50) / 1000,
      p99Ms: percentileSorted(latencyUs, 99) / 1000,
      lagP99Ms: w.rateTps === undefined ? Number.NaN : percentileSorted(lagUs, 99) / 1000,
      connectS: Number(/^initial connection time = ([\d.]+) ms/m.exec(out)?.[1]) / 1000,
      connects: w.clients,
      failed: Number(/^number of failed transactions: (\d+)/m.exec(out)?.[1] ?? 0),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface PgsurgeSummary {
  transactions: number;
  tps: number;
  latencyMs: { p50: number | null; p99: number | null };
  lagMs: { p99: number | null };
  dropped: number;
  failed: number;
  connects: number;
  connectingS?: number;
}

export async function runPgsurge(target: Target, w: Workload, hooks: ClientHooks = {}): Promise<RunFigures> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-bench-json-'));
  const json = join(dir, 'result.json');
  try {
    const args = ['run', '--url', target.url, '-b', w.builtin, '-n'];
    args.push('-c', String(w.clients), '-j', String(w.jobs), '-T', String(w.seconds), '-M', w.protocol ?? 'prepared');
    if (w.rateTps !== undefined) {
      args.push('-R', String(Math.round(w.rateTps)));
      // pgbench -R without -L never drops an arrival: however late, every scheduled transaction
      // runs. pgsurge drops arrivals beyond --max-queue (10,000 by default); room for the whole
      // run's arrivals gives it pgbench's schedule.
      args.push('--max-queue', String(Math.ceil(w.rateTps * (w.seconds + (w.warmupS ?? 0)))));
    }
    if (w.warmupS !== undefined) args.push('--warmup', `${w.warmupS}s`);
    if (w.pgsurgeArgs !== undefined) args.push(...w.pgsurgeArgs);
    args.push('--json', json);
    // Started as a program, as `npx pgsurge` starts it: its first lines pick Node's options.
    const measured = await spawnClient(PGSURGE_BIN, args, w, hooks);
    if (measured.r.code !== 0) fail('pgsurge', measured.r.code, measured.r.stderr + measured.r.stdout);
    const s = (JSON.parse(readFileSync(json, 'utf8')) as { summary: PgsurgeSummary }).summary;
    return figures('pgsurge', measured, {
      tps: s.tps,
      transactions: s.transactions,
      p50Ms: s.latencyMs.p50 ?? Number.NaN,
      p99Ms: s.latencyMs.p99 ?? Number.NaN,
      lagP99Ms: w.rateTps === undefined ? Number.NaN : (s.lagMs.p99 ?? Number.NaN),
      dropped: s.dropped,
      connectS: s.connectingS ?? Number.NaN,
      connects: s.connects,
      failed: s.failed,
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The Node.js floor: select-only only, closed loop only, no latency figures (it keeps none). */
export async function runNodeFloor(target: Target, w: Workload, scale: number): Promise<RunFigures> {
  if (w.builtin !== 'select-only' || w.rateTps !== undefined) throw new Error('the Node floor runs closed-loop select-only only');
  const args = [
    NODE_FLOOR,
    target.host,
    String(target.port),
    target.user,
    target.database,
    String(w.clients),
    String(w.jobs),
    String(w.seconds),
    String(scale),
  ];
  const measured = await spawnClient(process.execPath, args, w, {});
  if (measured.r.code !== 0) fail('node-floor', measured.r.code, measured.r.stderr + measured.r.stdout);
  const out = JSON.parse(measured.r.stdout.trim()) as { transactions: number; tps: number };
  return figures('node-floor', measured, { ...out, p50Ms: Number.NaN, p99Ms: Number.NaN, lagP99Ms: Number.NaN });
}

export function runClient(tool: Tool, target: Target, w: Workload, hooks: ClientHooks = {}): Promise<RunFigures> {
  return tool === 'pgbench' ? runPgbench(target, w, hooks) : runPgsurge(target, w, hooks);
}
