/** bench/RESULTS.md: the figures with everything needed to judge them. */
import type { Machine } from './machine.js';
import { WARMUP_S } from './cases.js';

export interface RunContext {
  readonly machine: Machine;
  readonly postgres: string;
  readonly settings: Readonly<Record<string, string | number>>;
  readonly mode: string;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly startedAt: Date;
  readonly command: string;
}

export function resultsMarkdown(ctx: RunContext, tables: string): string {
  const m = ctx.machine;
  const settings = Object.entries(ctx.settings)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `# pgsurge vs pgbench

Written by \`${ctx.command}\` (bench/pgbench-compare.ts). Figures below were measured in one session,
with the two clients alternating (pgbench, pgsurge, pgbench, pgsurge, …) on one server; each figure
is the median over the runs. Machines here are shared: read ratios, not absolute numbers.

- Date: ${ctx.startedAt.toISOString()}
- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory
- Load average (1, 5, 15 min) before: ${ctx.loadBefore}; after: ${ctx.loadAfter}
- Node.js ${m.node}; ${m.pgbench}; server ${ctx.postgres}
- Commit: ${m.commit}
- Mode: ${ctx.mode}
- Server: throwaway (startLocalServer) on 127.0.0.1, same machine as the clients; settings: ${settings}

## Figures

${tables}

## How it was measured

- Workload and knobs identical for both clients: built-in script, \`-c\`, \`-j\`, \`-T\`, \`-M prepared\`,
  \`-n\` (no vacuum inside the run). Before every run the harness itself does what pgbench does
  without \`-n\` (VACUUM pgbench_branches and pgbench_tellers, TRUNCATE pgbench_history) plus a
  CHECKPOINT, untimed, so each run starts from the same state.
- TPS: pgbench's "tps = … (without initial connection time)"; pgsurge's \`summary.tps\` (successful
  transactions per second of the measured phase).
- Client CPU per transaction: user + sys of the client's process (all threads), from the \`times\`
  builtin of a \`sh\` that waited for it, divided by the transactions the client reports. "Whole"
  includes process start-up and connecting: for pgsurge that is 1.3–1.5 s user + 0.7–0.8 s sys
  (each worker thread's modules and its JIT priming against a stand-in server, and the CLI's;
  \`pgsurge run -t 1 -c 8 -j 2\`, measured with /usr/bin/time), about 4 µs per transaction in a
  10 s run at 50k TPS. "Steady" is the CPU over a window from 30 % of the run to its end, read
  from /proc/<pid>/stat, and is the figure to compare.
- Node.js floor (case 1): bench/node-floor.ts, the raw-socket client the issue describes (worker
  threads, \`onread\` into one reused buffer, a prebuilt Bind/Execute/Sync with the parameter
  patched in place, only message boundaries parsed, nothing measured), run in the same rounds. It
  is what Node itself costs per transaction on this path; its ratios to pgbench are in brackets.
- Latency p50/p99: pgsurge's from its result JSON (HDR histograms; closed loop: from when the client
  became free). pgbench 15 prints no percentiles, so it ran with \`--log --sampling-rate=0.1\` and the
  percentiles come from that 10 % sample of its per-transaction log; that logging costs pgbench a
  little CPU, which counts against it.
- Open loop (case 3): both clients at \`-R\` = 80 % of pgsurge's closed-loop median TPS of case 1
  (the generator at 80 % of what it can do; pgbench at the same rate for reference), and again at
  40 %, Poisson arrivals. The targets apply to the 80 % runs. pgsurge runs with a \`--max-queue\`
  that holds all of the run's arrivals: like pgbench \`-R\` without \`-L\`, it then runs every
  scheduled transaction however late, instead of dropping arrivals beyond its default queue of
  10,000. Achieved rate: successful transactions per second. Schedule lag p99: pgsurge's
  \`summary.lagMs.p99\`; pgbench's from the lag field of its per-transaction log. Neither run has a
  load warm-up: the first second counts. In the same rounds pgsurge also runs with \`--warmup ${WARMUP_S}s\`
  (that much load before the measured 10 s; row "not judged"): its steady state, with the server's
  connections warmed too. That row's "whole" CPU is n/a (the warm-up's transactions are not
  counted). (Both pgsurge rows have the worker's own JIT priming against a stand-in server before
  the start, src/engine/prime/prime.ts; nothing of it reaches the server or the figures.)
- Memory (case 4): pgsurge alone, select-only at full speed; VmRSS of the pgsurge process read from
  /proc/<pid>/status every few seconds; "early" is the sample nearest 1/5 of the run (minute 1 of
  5), "late" the last sample while it ran.
- Data load (case 5): \`pgbench -i -q -s N\` against \`pgsurge init -s N -q\` (both default steps
  dtgvp: client-side generation), alternately, each into a freshly created database after a
  CHECKPOINT; wall time of the whole command.
`;
}
