/**
 * bench/SOAK.md: whether a long run's resident memory stays flat after its first minute. Readings are
 * timed from the pgsurge process's spawn; the load phase (pgsurge's measured -T, which starts once
 * every client is connected) is placed on that clock from the result's startedAt and durationS. The
 * judged readings are those from minute 1 of the load to its end: start-up and connecting (half a
 * minute for 1000 clients on a busy machine) are not the run's first minute of load, and the
 * shut-down after it (worker threads ending) frees memory that says nothing about a long run.
 */
import type { BenchRunHeader } from './many-report.js';

/** One reading of a pgsurge process from /proc. */
export interface Sample {
  /** Seconds since the process was spawned. */
  readonly tS: number;
  readonly rssKiB: number;
  /** VmHWM: the peak RSS so far. */
  readonly hwmKiB: number;
  /** utime + stime of all its threads, seconds. */
  readonly cpuS: number;
}

/** What pgsurge's result said (summary.*), or why there is no result. */
export type SoakOutcome =
  | {
      readonly ok: true;
      readonly transactions: number;
      readonly tps: number;
      readonly failed: number;
      readonly connectingS: number;
      /** The measured phase, seconds since the spawn. */
      readonly loadFromS: number;
      readonly loadToS: number;
    }
  | { readonly ok: false; readonly error: string };

export interface SoakRun {
  readonly clients: number;
  readonly samples: readonly Sample[];
  readonly outcome: SoakOutcome;
}

/** The rule: from minute 1 of the load to its end, every RSS reading lies within ±10 % of the reading at minute 1. */
export const BASELINE_S = 60;
export const RSS_BAND = 0.1;

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
const mib = (kib: number): number => kib / 1024;

export interface RssFigures {
  readonly atBaselineKiB: number;
  readonly endKiB: number;
  readonly minKiB: number;
  readonly maxKiB: number;
  /** Least-squares slope of RSS over the judged readings, MiB per hour. */
  readonly slopeMiBPerH: number;
  readonly peakKiB: number;
  /** Mean cores used over the judged readings (Δ CPU s / Δ wall s). */
  readonly cores: number;
  readonly judged: number;
  readonly verdict: 'PASS' | 'FAIL' | 'n/a';
  readonly why: string;
}

function slope(points: readonly Sample[]): number {
  if (points.length < 2) return Number.NaN;
  const n = points.length;
  const mt = points.reduce((s, p) => s + p.tS, 0) / n;
  const mr = points.reduce((s, p) => s + mib(p.rssKiB), 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.tS - mt) * (mib(p.rssKiB) - mr);
    den += (p.tS - mt) ** 2;
  }
  return (num / den) * 3600;
}

/** The readings from minute 1 of the load to its end; the first is "minute 1". */
export function judgedSamples(run: SoakRun): Sample[] {
  const o = run.outcome;
  return o.ok ? run.samples.filter((s) => s.tS >= o.loadFromS + BASELINE_S && s.tS <= o.loadToS) : [];
}

export function rssFigures(run: SoakRun): RssFigures {
  const judged = judgedSamples(run);
  const base = judged[0];
  const last = judged[judged.length - 1];
  const peakKiB = Math.max(...run.samples.map((s) => s.hwmKiB));
  if (base === undefined || last === undefined || judged.length < 2) {
    const nan = Number.NaN;
    const [verdict, why] = run.outcome.ok
      ? (['n/a', 'too short: < 2 readings from minute 1 of the load to its end'] as const)
      : (['FAIL', 'the run failed'] as const);
    const one = base?.rssKiB ?? nan;
    return { atBaselineKiB: one, endKiB: one, minKiB: one, maxKiB: one, slopeMiBPerH: nan, peakKiB, cores: nan, judged: judged.length, verdict, why };
  }
  const rss = judged.map((s) => s.rssKiB);
  const minKiB = Math.min(...rss);
  const maxKiB = Math.max(...rss);
  const inBand = maxKiB <= base.rssKiB * (1 + RSS_BAND) && minKiB >= base.rssKiB * (1 - RSS_BAND);
  return {
    atBaselineKiB: base.rssKiB,
    endKiB: last.rssKiB,
    minKiB,
    maxKiB,
    slopeMiBPerH: slope(judged),
    peakKiB,
    cores: (last.cpuS - base.cpuS) / (last.tS - base.tS),
    judged: judged.length,
    verdict: inBand ? 'PASS' : 'FAIL',
    why: `${inBand ? 'within' : 'left'} ±${RSS_BAND * 100} %`,
  };
}

export function verdictTable(runs: readonly SoakRun[]): string {
  const rows = [
    '| -c | RSS at 1 min MiB | RSS at end MiB | min / max MiB | growth 1 min → end MiB (%) | slope MiB/h | peak (VmHWM) MiB | CPU cores | transactions | TPS | failed | verdict |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const run of runs) {
    const f = rssFigures(run);
    const o = run.outcome;
    const growth = f.endKiB - f.atBaselineKiB;
    rows.push(
      `| ${run.clients} | ${fmt(mib(f.atBaselineKiB), 1)} | ${fmt(mib(f.endKiB), 1)} | ${fmt(mib(f.minKiB), 1)} / ${fmt(mib(f.maxKiB), 1)} | ` +
        `${fmt(mib(growth), 1)} (${fmt((100 * growth) / f.atBaselineKiB, 1)} %) | ${fmt(f.slopeMiBPerH, 1)} | ${fmt(mib(f.peakKiB), 1)} | ${fmt(f.cores, 2)} | ` +
        `${o.ok ? String(o.transactions) : 'n/a'} | ${o.ok ? fmt(o.tps, 0) : 'n/a'} | ${o.ok ? String(o.failed) : 'n/a'} | ` +
        `${f.verdict} (${f.why}; ${f.judged} readings) |`,
    );
  }
  return rows.join('\n');
}

/**
 * RSS at the start of the load (the first reading after it), at every minute of it (every 5 minutes
 * past 15) and at its end (the reading at or just before each), and the last reading of all (in the
 * shut-down).
 */
export function timelineTable(runs: readonly SoakRun[], minutes: number): string {
  const at = (run: SoakRun, tS: number): string => fmt(mib(run.samples.filter((s) => s.tS <= tS).pop()?.rssKiB ?? Number.NaN), 1);
  const after = (run: SoakRun, tS: number): string => fmt(mib(run.samples.find((s) => s.tS >= tS)?.rssKiB ?? Number.NaN), 1);
  const load = (run: SoakRun, pick: (from: number, to: number) => number): string =>
    run.outcome.ok ? at(run, pick(run.outcome.loadFromS, run.outcome.loadToS)) : 'n/a';
  const row = (label: string, cell: (r: SoakRun) => string): string => `| ${label} | ${runs.map(cell).join(' | ')} |`;
  const rows = [row('minute of the load', (r) => `-c ${r.clients} RSS MiB`), `|---|${runs.map(() => '---|').join('')}`];
  rows.push(row('0 (all connected; the first reading after)', (r) => (r.outcome.ok ? after(r, r.outcome.loadFromS) : 'n/a')));
  const step = minutes > 15 ? 5 : 1;
  for (let m = 1; m < minutes; m = m === 1 && step > 1 ? step : m + step) rows.push(row(String(m), (r) => load(r, (from) => from + m * 60)));
  rows.push(row(`${minutes} (end)`, (r) => load(r, (_, to) => to)));
  const last = (r: SoakRun): Sample | undefined => r.samples[r.samples.length - 1];
  rows.push(row('last reading (shut-down)', (r) => `${fmt(mib(last(r)?.rssKiB ?? Number.NaN), 1)} (${fmt(last(r)?.tS ?? Number.NaN, 0)} s after spawn)`));
  return rows.join('\n');
}

export interface SoakContext extends BenchRunHeader {
  readonly pgsurgeArgs: string;
  readonly sampleSeconds: number;
  readonly minutes: number;
}

export function soakMarkdown(ctx: SoakContext, runs: readonly SoakRun[]): string {
  const failures = runs.flatMap((r) => (r.outcome.ok ? [] : [`- -c ${r.clients}: \`${r.outcome.error.replace(/`/g, "'")}\``]));
  const connecting = runs.map((r) => `-c ${r.clients} ${r.outcome.ok ? fmt(r.outcome.connectingS, 1) : 'n/a'} s`).join(', ');
  return `# Soak: pgsurge's resident memory over a long run

Written by \`${ctx.command}\` (bench/soak.ts). The requirement: a run at full speed keeps its RSS flat
after its first minute. **Rule: PASS when every RSS reading from minute 1 of the load to its end lies within
±${RSS_BAND * 100} % of the reading at minute 1** (and the run exited 0); FAIL otherwise; n/a when the load
was too short for two such readings (a harness check).

**The client counts ran at the same time**: one pgsurge process per client count, all started together
against the same throwaway server, for the same duration, sharing the machine's CPUs with each other and
with the server. "Full speed" is closed loop (no -R): whatever share of the machine each run got.

- Date: ${ctx.startedAt.toISOString()}
- Machine: ${ctx.machine}; load average (1, 5, 15 min) before ${ctx.loadBefore}, after ${ctx.loadAfter}
- ${ctx.versions}
- Commit: ${ctx.commit}
- Mode: ${ctx.mode}
- Server: throwaway (startLocalServer) on 127.0.0.1, same machine as the clients; ${ctx.settings}
- Data: \`pgbench -i -s ${ctx.scale}\`

## Verdict

${verdictTable(runs)}

${failures.length === 0 ? 'Every run exited 0.' : `Runs that failed:\n\n${failures.join('\n')}`}

## RSS over time

${timelineTable(runs, ctx.minutes)}

## How it was measured

- Each run: \`pgsurge run ${ctx.pgsurgeArgs}\`, started as a program (as
  \`npx pgsurge\` starts it), with its default server sampling on, as a user runs it. Its \`-T\` is the measured phase, which starts once
  every client is connected (connecting took ${connecting}), then up to 5 s of grace and the result.
- Every ${ctx.sampleSeconds} s the harness read VmRSS and VmHWM from /proc/PID/status and utime + stime from
  /proc/PID/stat of each pgsurge process (one process; its worker threads are threads of it), timed from
  the spawn. The load phase is placed on that clock from the result's \`startedAt\` and \`durationS\`.
  Judged (verdict table): the readings from 60 s after the load started to its end. Start-up and
  connecting come before the load's first minute; the shut-down after it is left out (worker threads
  ending free memory, which says nothing about a long run), but its last reading is in the timeline.
- "RSS at 1 min": the first judged reading; "at end": the last; min / max over the judged readings;
  slope: least-squares fit of RSS over them, MiB per hour; CPU cores: Δ (utime + stime) / Δ wall
  between the first and the last; peak: VmHWM at the last reading of all (start-up and connecting included).
- Transactions, TPS (successful transactions per measured second) and failed transactions are the
  result's \`summary.transactions\`, \`summary.tps\` and \`summary.failed\` (\`--json\`).
- The raw readings are in bench/soak-samples.json.
`;
}
