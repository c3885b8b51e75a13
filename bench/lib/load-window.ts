/**
 * Client CPU per transaction over the load phase itself, found from the server's side.
 *
 * At hundreds of clients connecting takes seconds (tens of ms per backend on this machine), pgbench's
 * -T includes its connecting while pgsurge's measured -T starts after it, and pgsurge spends seconds
 * after the load on its result: a window at fixed seconds after the spawn (clients.ts' "steady")
 * then holds connecting or nothing. Here the harness reads, every SAMPLE_MS, the client's CPU
 * (/proc/PID/stat) and the server's committed transactions (pg_stat_database) at the same instant;
 * the load phase is where commits (less the one each new connection makes) run at ≥ ACTIVE_SHARE of the run's high rate, and the figure is
 * Δ client CPU / Δ commits over its middle (TRIM_START and TRIM_END of it left out). Both tools are
 * judged by one rule on the same server counter.
 *
 * Backends flush their statistics at most once a second, so the counter lags the commits by up to
 * a second; over a window of ten seconds and more, and hundreds of backends flushing at their own
 * moments, the lag is about the same at both ends. Every sampling query is a commit of its own
 * (4 a second, and pgsurge's server sampler's few): noise against thousands.
 */
import pg from 'pg';
import { cpuUsOf } from './exec.js';
import type { Target } from './clients.js';

const SAMPLE_MS = 250;
const ACTIVE_SHARE = 0.25;
const TRIM_START = 0.2;
const TRIM_END = 0.1;

interface Sample {
  readonly tMs: number;
  readonly cpuUs: number;
  readonly commits: number;
}

export interface LoadWindow {
  /** Client CPU µs per server commit over the window; NaN without a load phase. */
  readonly cpuUsPerTxn: number;
  readonly windowS: number;
  /** Commits per second over the window (server side). */
  readonly commitRate: number;
}

export const NO_WINDOW: LoadWindow = { cpuUsPerTxn: Number.NaN, windowS: Number.NaN, commitRate: Number.NaN };

/** One connection to the server (never through a pooler) that reads its commit counter. */
export class CommitCounter {
  private constructor(private readonly client: pg.Client) {}

  static async open(server: Target): Promise<CommitCounter> {
    const client = new pg.Client({ host: server.host, port: server.port, user: server.user, database: server.database });
    await client.connect();
    return new CommitCounter(client);
  }

  async read(): Promise<number> {
    // Each read is a transaction of its own, so the statistics snapshot is fresh every time. Every new
    // connection commits one transaction as it starts (52 commits for 50 connections and the 2 reads
    // here, measured): less `sessions`, a client's connecting does not look like its load.
    const r = await this.client.query<{ n: string }>('SELECT (sum(xact_commit) - sum(sessions))::text AS n FROM pg_stat_database');
    return Number(r.rows[0]?.n ?? Number.NaN);
  }

  /** Sample the client `pid` and the counter until `stop`; then the load window of the samples. */
  watch(pid: number): { stop: () => Promise<LoadWindow> } {
    const samples: Sample[] = [];
    let busy: Promise<void> | undefined;
    const tick = (): void => {
      if (busy !== undefined) return; // a slow read skips a tick rather than piling up
      busy = (async () => {
        try {
          const tMs = performance.now();
          const cpuUs = cpuUsOf(pid);
          const commits = await this.read();
          if (cpuUs !== undefined && Number.isFinite(commits)) samples.push({ tMs, cpuUs, commits });
        } catch {
          /* a missed sample */
        } finally {
          busy = undefined;
        }
      })();
    };
    tick();
    const timer = setInterval(tick, SAMPLE_MS);
    return {
      stop: async () => {
        clearInterval(timer);
        await busy;
        return loadWindow(samples);
      },
    };
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => undefined);
  }
}

/** The middle of the load phase of a run's samples (exported for its rule to be read in one place). */
export function loadWindow(samples: readonly Sample[]): LoadWindow {
  if (samples.length < 4) return NO_WINDOW;
  const rates: number[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1]!;
    const b = samples[i]!;
    rates.push((b.commits - a.commits) / ((b.tMs - a.tMs) / 1000));
  }
  // The run's high rate: the 90th percentile of its sample-to-sample rates (one burst does not set it).
  const sorted = [...rates].sort((x, y) => x - y);
  const high = sorted[Math.floor(0.9 * (sorted.length - 1))] ?? 0;
  if (!(high > 0)) return NO_WINDOW;
  const first = rates.findIndex((r) => r >= ACTIVE_SHARE * high);
  let last = rates.length - 1;
  while (last > first && (rates[last] ?? 0) < ACTIVE_SHARE * high) last--;
  // Rate i spans samples i and i+1: the phase is samples first … last+1.
  const n = last + 1 - first;
  const from = samples[first + Math.floor(TRIM_START * n)];
  const to = samples[last + 1 - Math.floor(TRIM_END * n)];
  if (from === undefined || to === undefined || to.commits <= from.commits) return NO_WINDOW;
  const windowS = (to.tMs - from.tMs) / 1000;
  const commits = to.commits - from.commits;
  return { cpuUsPerTxn: (to.cpuUs - from.cpuUs) / commits, windowS, commitRate: commits / windowS };
}
