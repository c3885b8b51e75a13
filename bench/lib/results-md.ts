/** bench/RESULTS.md: the figures with everything needed to judge them. */
import type { Machine } from './machine.js';
import { settingsText } from './bench-server.js';
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
  return `# pgsurge vs pgbench

Written by \`${ctx.command}\` (bench/pgbench-compare.ts). Figures below were measured in one session,
with the two clients alternating (pgbench, pgsurge, pgbench, pgsurge, …) on one server; each figure
is the median over the runs. Machines here are shared: read ratios, not absolute numbers.

pgsurge beside Locust (and pgbench again) on the same select-only transaction, with the same
clients and duration, is a separate bench with its own figures: [bench/LOCUST.md](LOCUST.md),
written by \`node dist/bench/locust-compare.js --write\` (bench/locust-compare.ts; it needs Debian's
python3-locust and python3-psycopg).

Thousands of clients (\`-c 500\`, \`-c 1000\` straight to the server, \`-c 5000\` through PgBouncer),
with client CPU per transaction, peak RSS and connecting time beside pgbench's and the targets
marked PASS or FAIL: [bench/MANY-CLIENTS.md](MANY-CLIENTS.md), written by
\`node dist/bench/many-clients.js --write --seconds 20 --pairs 2\` (bench/many-clients.ts). Resident
memory over a long run (\`-c 16\` and \`-c 1000\`): [bench/SOAK.md](SOAK.md), written by
\`node dist/bench/soak.js --write\` (bench/soak.ts). A 550,000-statement script's memory:
[bench/SCRIPT-MEMORY.md](SCRIPT-MEMORY.md). The CPU of the main thread's scan of a local server's
processes: [bench/PROC-SCAN.md](PROC-SCAN.md), written by \`node dist/bench/proc-scan.js --write\`.

- Date: ${ctx.startedAt.toISOString()}
- Machine: ${m.nproc} CPUs (\`nproc\`), ${m.cpuModel}, ${m.memoryGiB.toFixed(1)} GiB memory
- Load average (1, 5, 15 min) before: ${ctx.loadBefore}; after: ${ctx.loadAfter}
- Node.js ${m.node}; ${m.pgbench}; server ${ctx.postgres}
- Commit: ${m.commit}
- Mode: ${ctx.mode}
- Server: throwaway (startLocalServer) on 127.0.0.1, same machine as the clients; settings: ${settingsText(ctx.settings)}

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

## Design measurements

Figures behind constants in the code, measured on the 2-core machine (client and server sharing
the cores). They are not re-measured by \`--write\`; the code states only the rule they led to.

- Open loop, waiting for the next arrival (src/executor/open-rate.ts, BLOCK_BELOW_US and NAP_US).
  Rejected alternatives (select-only, 8 clients, -j 2): polling with setImmediate and no nap while
  an arrival is near cost ~1 s more client CPU in an 8 s run at 20k/s and gave no better lag (on
  shared cores the CPU a spinning client burns is the server's); a helper thread per worker that
  sleeps until the due time and wakes the loop with a message (p50 150 µs late on its own) gave
  lag p99 2.3–3.0 ms at 8k/s against 1.5–1.8 ms for the polling code before it, and ~20 % more
  client CPU per transaction (one more thread on two cores).
- Naps instead of a timer while I/O is in flight: select-only at 18k/s, 8 clients, -j 2, 1 s load
  warm-up, 4 alternations: lag p99 median 1.29 ms against 1.80 ms with the timer, at the same
  client CPU (5.1–5.8 s per 7 s run either way).
- Where the open loop's CPU goes (select-only at 19k/s, 8 clients, -j 2, steady 4 s of 8 s runs,
  3 alternations with pgbench): per transaction user 12.0–12.2 µs against pgbench's 4.0–6.1, sys
  17.5–19.1 against 20.3–21.2, voluntary context switches 0.40–0.44 against 0.67–0.79. A worker
  took 0.39 naps (72 µs on average: most end at the next arrival, not at NAP_US), 0.38 immediates
  and 0.20 timers per transaction: it does not wake more often than pgbench, each wake-up costs
  more user time (Node's way into JavaScript and back). NAP_US 50, 100, 200 and 400 gave
  30.4–34.7 µs CPU per transaction alike (4 rounds).
- JIT priming passes (src/engine/prime/prime.ts, PRIME_PASSES_MS = 30, 500 ms). Select-only
  -R 18000, 8 clients, -j 2, 2 s runs, 6 alternations, lag p99 of the whole run: no priming on
  sockets 20–114 ms (median 56); a 250 ms second pass 2.9–21 ms (median 8.1); a 500 ms one
  2.8–18 ms (median 4.9; the worst 100 ms interval after the first 0.5 s 3.4–27 ms, median 6.3).
  Cost: about 0.5 s of start-up per run (run -t 1 -c 8 -j 2: 1.3–1.4 s wall against 0.7–1.0 s).
  Found with --trace-opt/--trace-deopt: the priming it replaced (sessions that completed every
  statement at once, now bench/lib/instant-run.ts) left about 60 functions per worker to compile
  after the start (Node's socket, stream and timer code, the session's read side, the open-loop
  pump), and a load object of another shape than the priming's recompiled the pump ("wrong map").
- Result columns guessed by the priming's stand-in server (src/engine/prime/stand-in-columns.ts):
  a script of \\set, a SELECT with \\gset and a SELECT using the variable, -R 9000, 8 clients, -j 2,
  2 s runs, 6 alternations: lag p99 of the whole run 10.7–80 ms (median 52) without the names
  (every priming transaction failed at its \\gset), 4.6–22 ms (median 7.3) with them.
`;
}
