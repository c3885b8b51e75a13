/**
 * Failover test runs: the CLI runs `ha-writes --verify-writes` against a local cluster while the
 * test injects a fault at a fixed time after the load has started (the first progress line tells
 * when the measured phase is running).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, type CliRun } from './cli.js';

export const CI = process.env['CI'] === 'true';

/** Server settings that make throwaway clusters quick (tests need no durability across crashes of the OS). */
export const FAST_SETTINGS = { fsync: 'off', full_page_writes: 'off', max_connections: 50 } as const;

export interface FailoverRun extends CliRun {
  readonly result: Record<string, unknown> & {
    failover: {
      outages: {
        startS: number;
        endS: number;
        durationS: number;
        open: boolean;
        errors: Record<string, number>;
        timeToFirstReadS: number | null;
        clients: number;
      }[];
      rtoS: number;
      reconnects: { count: number; maxMs: number | null; p50Ms: number | null };
      timeline: { before: string | null; after: string | null };
      server: {
        largest: { durationS: number; startS: number; endS: number; timelineBefore: string; timelineAfter: string } | null;
        timelineSwitches: unknown[];
      } | null;
      clientMinusServerS: number | null;
      pooler?: {
        kind: 'pgbouncer' | 'pgpool';
        clientsWaitingMax: { value: number; atS: number } | null;
        maxWaitMs: { value: number; atS: number } | null;
        serverConnectionsMin: { value: number; atS: number } | null;
        nodeChanges: { atS: number; host: string; before: string; after: string }[];
      };
      writes: Record<string, { ok: number; failed: number; unknown: number }>;
      verification?: {
        verdict: string;
        ok: boolean;
        lost: number;
        unexpected: number;
        recovered: number;
        lostIds: string[];
        counter: { ok: boolean } | null;
        balance: { ok: boolean } | null;
      };
    };
    summary: { transactions: number; errors: Record<string, number>; latencyMs: { max: number | null } };
    thresholds: { expr: string; ok: boolean; actual: string }[];
  };
  /** ms from the spawn to the fault (for the record). */
  readonly faultAtMs: number;
}

/**
 * Run the CLI; `fault` is called once, `faultAfterMs` after the measured phase started (the first
 * progress line), and awaited before the result is read.
 */
export async function runWithFault(
  url: string,
  opts: {
    durationS: number;
    faultAfterMs: number;
    fault: () => Promise<void>;
    clients?: number;
    extra?: readonly string[];
    /** Sees pgsurge's stderr as it comes. */
    onStderr?: (chunk: string) => void;
    /** Sample the servers (and a pooler) through the run; default off, for speed. */
    observe?: boolean;
  },
): Promise<FailoverRun> {
  const dir = mkdtempSync(join(tmpdir(), 'pgsurge-failover-'));
  const file = join(dir, 'result.json');
  let faultDone: Promise<void> = Promise.resolve();
  let armed = false;
  let faultAtMs = -1;
  const t0 = Date.now();
  try {
    const run = await runCli(
      [
        'run',
        'ha-writes',
        '--url',
        url,
        '--verify-writes',
        '-c',
        String(opts.clients ?? 4),
        '-T',
        String(opts.durationS),
        '-P',
        '1',
        '--json',
        file,
        ...(opts.observe === true ? [] : ['--no-observe']),
        ...(opts.extra ?? []),
      ],
      {
        timeoutMs: (opts.durationS + 60) * 1000,
        onStderr: (chunk) => {
          opts.onStderr?.(chunk);
          if (armed || !chunk.includes('progress:')) return;
          armed = true;
          // The first progress line comes 1 s into the measured phase.
          const delay = Math.max(0, opts.faultAfterMs - 1000);
          faultDone = new Promise((resolve, reject) =>
            setTimeout(() => {
              faultAtMs = Date.now() - t0;
              opts.fault().then(resolve, reject);
            }, delay),
          );
        },
      },
    );
    await faultDone;
    let result: FailoverRun['result'];
    try {
      result = JSON.parse(readFileSync(file, 'utf8')) as FailoverRun['result'];
    } catch {
      throw new Error(`no result (exit ${run.code}):\n${run.stderr}\n${run.stdout}`);
    }
    if (!armed) throw new Error(`the fault was never injected (no progress line):\n${run.stderr}`);
    return { ...run, result, faultAtMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One line of the figures a failover test measured, for the test log. */
export function figures(run: FailoverRun): string {
  const f = run.result.failover;
  const o = f.outages
    .map((x) => `${x.startS}→${x.endS} s (${x.durationS} s, first read ${x.timeToFirstReadS} s, errors ${JSON.stringify(x.errors)})`)
    .join('; ');
  const v = f.verification;
  const sm = run.result.summary as unknown as { tps: number; latencyMs: { p50: number | null } };
  return `tps ${sm.tps}, p50 ${sm.latencyMs.p50} ms; outages [${o}] rto ${f.rtoS} s, server gap ${f.server?.largest?.durationS ?? 'n/a'} s, client−server ${f.clientMinusServerS} s, reconnects ${f.reconnects.count} (p50 ${f.reconnects.p50Ms} ms, max ${f.reconnects.maxMs} ms), timeline ${f.timeline.before}→${f.timeline.after}; verify ${v?.verdict ?? 'n/a'} lost ${v?.lost} unexpected ${v?.unexpected} recovered ${v?.recovered}; writes ${JSON.stringify(f.writes)}`;
}
