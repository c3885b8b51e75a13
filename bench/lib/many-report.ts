/**
 * bench/MANY-CLIENTS.md: figures, targets (PASS/FAIL), memory per client and every failed run with
 * its error line. Medians over the runs that gave figures; a missing figure prints as "n/a".
 */
import type { RunFigures, Tool } from './clients.js';
import type { ManyCase, Outcome, PoolerFacts } from './many-cases.js';
import { median } from './stats.js';

export interface Check {
  readonly what: string;
  readonly actual: string;
  readonly ok: boolean;
}

/** The issue's targets. */
export const TPS_RATIO_MIN = 0.95;
export const CPU_RATIO_MAX = 1.3;
/** The issue's margin: 100 MB (10^8 bytes), in the MiB every RSS figure here is given in. */
export const RSS_MARGIN_MIB = 1e8 / 2 ** 20;
/** Resident memory is judged at these client counts (and at the pooled case's). */
export const RSS_JUDGED_AT = 500;

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : 'n/a');
/** A run's figures with its client CPU per transaction over the load phase (load-window.ts). */
type Ok = RunFigures & { readonly loadCpuUsPerTxn: number };
const figuresOf = (runs: readonly Outcome[]): Ok[] => runs.flatMap((o) => (o.ok ? [{ ...o.f, loadCpuUsPerTxn: o.load.cpuUsPerTxn }] : []));
const med = (c: ManyCase, t: Tool, pick: (r: Ok) => number): number => median(figuresOf(c.runs[t]).map(pick));
const mib = (kib: number): number => kib / 1024;

export function caseTitle(c: ManyCase): string {
  const via = c.kind === 'pooled' ? ' via PgBouncer' : '';
  return `${c.builtin}, -c ${c.clients}${via}, -M ${c.protocol}`;
}

export function figuresTable(cases: readonly ManyCase[]): string {
  const rows = [
    '| case | client | runs ok | -T s (load s) | TPS | CPU µs/txn in load | CPU µs/txn whole | peak RSS MiB | p50 ms | p99 ms | connecting s (clients/s) | failed txns | TPS ratio | CPU/txn ratio (in load) | RSS − pgbench MiB |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const c of cases) {
    for (const t of ['pgbench', 'pgsurge'] as const) {
      const runs = c.runs[t];
      const ok = figuresOf(runs);
      const connectS = med(c, t, (r) => r.connectS);
      const rate = med(c, t, (r) => r.connects / r.connectS);
      const ratio = (pick: (r: Ok) => number, digits: number): string =>
        t === 'pgsurge' ? fmt(med(c, 'pgsurge', pick) / med(c, 'pgbench', pick), digits) : '';
      const rssDiff = t === 'pgsurge' ? fmt(mib(med(c, 'pgsurge', (r) => r.peakRssKiB) - med(c, 'pgbench', (r) => r.peakRssKiB)), 1) : '';
      // pgbench's -T holds its connecting, pgsurge's measured -T does not.
      const runS = t === 'pgbench' ? c.seconds + c.pgbenchAllowanceS : c.seconds;
      const loadS = t === 'pgbench' ? runS - connectS : c.seconds;
      rows.push(
        `| ${caseTitle(c)} | ${t} | ${ok.length}/${runs.length} | ${runS} (${fmt(loadS, 1)}) | ${fmt(
          med(c, t, (r) => r.tps),
          0,
        )} | ` +
          `${fmt(
            med(c, t, (r) => r.loadCpuUsPerTxn),
            1,
          )} | ${fmt(
            med(c, t, (r) => r.cpuUsPerTxn),
            1,
          )} | ` +
          `${fmt(mib(med(c, t, (r) => r.peakRssKiB)), 1)} | ${fmt(
            med(c, t, (r) => r.p50Ms),
            2,
          )} | ${fmt(
            med(c, t, (r) => r.p99Ms),
            2,
          )} | ` +
          `${fmt(connectS, 2)} (${fmt(rate, 0)}) | ${ok.length === 0 ? 'n/a' : String(Math.max(...ok.map((r) => r.failed)))} | ` +
          `${ratio((r) => r.tps, 3)} | ${ratio((r) => r.loadCpuUsPerTxn, 3)} | ${rssDiff} |`,
      );
    }
  }
  return rows.join('\n');
}

/** Every run that gave no figures, with its error line. */
export function failureLines(cases: readonly ManyCase[]): string[] {
  const out: string[] = [];
  for (const c of cases) {
    for (const t of ['pgbench', 'pgsurge'] as const) {
      c.runs[t].forEach((o, i) => {
        if (!o.ok) out.push(`- ${caseTitle(c)}, ${t} run ${i + 1}: \`${o.error.replace(/`/g, "'")}\``);
      });
    }
  }
  return out;
}

function firstError(runs: readonly Outcome[]): string | undefined {
  for (const o of runs) if (!o.ok) return o.error;
  return undefined;
}

function rssCheck(c: ManyCase): Check {
  const s = mib(med(c, 'pgsurge', (r) => r.peakRssKiB));
  const b = mib(med(c, 'pgbench', (r) => r.peakRssKiB));
  return {
    what: `${caseTitle(c)}: pgsurge peak RSS ≤ pgbench's + 100 MB (${fmt(RSS_MARGIN_MIB, 1)} MiB)`,
    actual: `${fmt(s, 1)} MiB vs ${fmt(b, 1)} + ${fmt(RSS_MARGIN_MIB, 1)} MiB`,
    ok: s <= b + RSS_MARGIN_MIB,
  };
}

export function checks(cases: readonly ManyCase[]): Check[] {
  const out: Check[] = [];
  for (const c of cases) {
    const failed = firstError(c.runs.pgsurge);
    const failedNote = failed === undefined ? '' : ` (a pgsurge run failed: ${failed})`;
    if (c.kind === 'direct') {
      const tps = med(c, 'pgsurge', (r) => r.tps) / med(c, 'pgbench', (r) => r.tps);
      const cpu = med(c, 'pgsurge', (r) => r.loadCpuUsPerTxn) / med(c, 'pgbench', (r) => r.loadCpuUsPerTxn);
      out.push({
        what: `${caseTitle(c)}: TPS ratio pgsurge/pgbench ≥ ${TPS_RATIO_MIN}`,
        actual: fmt(tps, 3) + failedNote,
        ok: tps >= TPS_RATIO_MIN && failed === undefined,
      });
      out.push({
        what: `${caseTitle(c)}: client CPU per transaction (in load) ratio ≤ ${CPU_RATIO_MAX}`,
        actual: `${fmt(cpu, 3)} (${fmt(
          med(c, 'pgsurge', (r) => r.loadCpuUsPerTxn),
          1,
        )} vs ${fmt(
          med(c, 'pgbench', (r) => r.loadCpuUsPerTxn),
          1,
        )} µs)${failedNote}`,
        ok: cpu <= CPU_RATIO_MAX && failed === undefined,
      });
      if (c.clients === RSS_JUDGED_AT) out.push(rssCheck(c));
    } else if (c.kind === 'pooled') {
      const ok = figuresOf(c.runs.pgsurge);
      const complete = failed === undefined && ok.length > 0 && ok.every((r) => r.connects >= c.clients && r.failed === 0);
      const connected = ok.map((r) => `${r.connects}/${c.clients}`).join(', ');
      out.push({
        what: `${caseTitle(c)}: pgsurge runs to the end from one process with all clients connected, no failed transaction`,
        actual: `${ok.length}/${c.runs.pgsurge.length} runs ended; connected ${connected || 'n/a'}${failedNote}`,
        ok: complete,
      });
      const said = ok.length > 0 && ok.every((r) => Number.isFinite(r.connectS) && r.connectS > 0);
      out.push({
        what: `${caseTitle(c)}: the result says how long connecting took and at what rate (summary.connectingS, the summary's "all open in")`,
        actual: ok.map((r) => `${fmt(r.connectS, 2)} s (${fmt(r.connects / r.connectS, 0)}/s)`).join(', ') || 'n/a',
        ok: said,
      });
      out.push(rssCheck(c));
    }
  }
  return out;
}

export function checksTable(list: readonly Check[]): string {
  return ['| target | measured | result |', '|---|---|---|', ...list.map((c) => `| ${c.what} | ${c.actual} | ${c.ok ? 'PASS' : 'FAIL'} |`)].join('\n');
}

/**
 * Memory each client adds, from the select-only runs' median peak RSS at the few-clients baseline and
 * at each direct client count: (RSS(n) − RSS(few)) / (n − few).
 */
export function perClientTable(cases: readonly ManyCase[]): string {
  const selectOnly = cases.filter((c) => c.builtin === 'select-only' && c.kind !== 'pooled').sort((a, b) => a.clients - b.clients);
  const base = selectOnly[0];
  if (base === undefined || selectOnly.length < 2) return '(no select-only runs at two client counts)';
  const rows = [
    `| client | ${selectOnly.map((c) => `peak RSS MiB at -c ${c.clients}`).join(' | ')} | ${selectOnly
      .slice(1)
      .map((c) => `KiB per client, -c ${base.clients} → ${c.clients}`)
      .join(' | ')} |`,
    `|---|${selectOnly.map(() => '---|').join('')}${selectOnly
      .slice(1)
      .map(() => '---|')
      .join('')}`,
  ];
  for (const t of ['pgbench', 'pgsurge'] as const) {
    const rss = selectOnly.map((c) => med(c, t, (r) => r.peakRssKiB));
    const b = rss[0] ?? Number.NaN;
    const per = selectOnly.slice(1).map((c, i) => fmt(((rss[i + 1] ?? Number.NaN) - b) / (c.clients - base.clients), 1));
    rows.push(`| ${t} | ${rss.map((k) => fmt(mib(k), 1)).join(' | ')} | ${per.join(' | ')} |`);
  }
  return rows.join('\n');
}

/** What every bench file's header says about its run. */
export interface BenchRunHeader {
  readonly command: string;
  readonly startedAt: Date;
  readonly machine: string;
  readonly loadBefore: string;
  readonly loadAfter: string;
  readonly versions: string;
  readonly commit: string;
  readonly mode: string;
  readonly settings: string;
  readonly scale: number;
}

export interface ManyContext extends BenchRunHeader {
  readonly scaleWhy: string;
  readonly jobs: number;
  readonly pooler?: PoolerFacts;
  readonly limits: string;
}

export function manyClientsMarkdown(ctx: ManyContext, cases: readonly ManyCase[]): string {
  const failures = failureLines(cases);
  const p = ctx.pooler;
  return `# Many clients: pgsurge vs pgbench

Written by \`${ctx.command}\` (bench/many-clients.ts). The two clients alternate (pgbench, pgsurge,
pgbench, pgsurge, …) on one throwaway server; each figure is the median over a case's runs that gave
figures. The machine is shared and noisy: read the ratios, and the load average.

- Date: ${ctx.startedAt.toISOString()}
- Machine: ${ctx.machine}; load average (1, 5, 15 min) before ${ctx.loadBefore}, after ${ctx.loadAfter}
- ${ctx.versions}
- Commit: ${ctx.commit}
- Mode: ${ctx.mode}
- Server: throwaway (startLocalServer) on 127.0.0.1, same machine as the clients; ${ctx.settings}
- Data: \`pgbench -i -s ${ctx.scale}\`. ${ctx.scaleWhy}
${p === undefined ? '' : `- Pooler: ${p.version} on 127.0.0.1 in front of the server: pool_mode transaction, default_pool_size ${p.poolSize}, max_client_conn ${p.maxClientConn}, listen_backlog ${p.maxClientConn} (its default of 128 is for a handful of clients connecting at once), auth trust\n`}- Limits: ${ctx.limits}

## Figures

${figuresTable(cases)}

## Targets

${checksTable(checks(cases))}

${failures.length === 0 ? 'Every run ended with figures.' : `Runs that failed (exit code or hang, and the error line the client printed):\n\n${failures.join('\n')}`}

## Memory per client

Median peak RSS of the select-only runs straight to the server, and what each client added between
the smallest client count and the others.

${perClientTable(cases)}

## How it was measured

- Both clients: \`-b BUILTIN -c N -j ${ctx.jobs} -T SECONDS -n -M MODE\`; pgbench with \`--log --sampling-rate=0.1\`
  for its latency percentiles (it prints none), pgsurge with \`--json\` (and its default server
  sampling, as a user runs it). Straight to the server: \`-M prepared\`. Through PgBouncer:
  \`-M extended\` for both (unnamed statements): a PgBouncer before 1.21 in transaction pooling cannot
  keep a client's named prepared statements, and pgsurge refuses \`-M prepared\` through it.
- Before every run, untimed: VACUUM pgbench_branches and pgbench_tellers, TRUNCATE pgbench_history,
  CHECKPOINT (what pgbench does without \`-n\`, plus the checkpoint).
- TPS: pgbench's "tps = … (without initial connection time)"; pgsurge's \`summary.tps\` (successful
  transactions per second of the measured phase, connecting excluded).
- Client CPU per transaction: user + sys of the client process (all its threads). "In load" (judged):
  every 250 ms the harness reads the client's CPU (/proc/PID/stat) and the server's committed
  transactions (\`sum(xact_commit) − sum(sessions)\` of pg_stat_database: each new connection commits one as it starts) at the same instant; the load phase is
  where commits run at ≥ 25 % of the run's high rate (its 90th percentile), and the figure is
  Δ client CPU / Δ commits over that phase less its first 20 % and last 10 % (bench/lib/load-window.ts).
  A window at fixed seconds after the spawn would not do here: connecting hundreds of clients takes
  seconds, and pgbench 15's \`-T\` includes its connecting while pgsurge's measured \`-T\` starts after
  it. "Whole": the \`times\` of the shell that waited for the client (start-up, connecting, shut-down
  included) / the transactions it reports.
- pgbench 15's \`-T\` runs from before it connects (its threads connect, then start together);
  pgsurge's measured \`-T\` starts after its clients are connected. So pgbench's \`-T\` is lengthened
  by an allowance: before each client count the harness times \`pgbench -c N -j ${ctx.jobs} -t 1\` connecting,
  and pgbench then gets \`-T\` + 1.25 × that + 2 s ("-T s (load s)" column: the -T each client was
  given, and the seconds of load after connecting). Without it, in a first full run at -T 30, pgbench
  spent 24 of its 30 s connecting 1000 clients and the rest on 1000 cold backends' first statements:
  82 and 297 TPS against pgsurge's ~1,500, which said nothing about either client.
  TPS of both excludes connecting.
- Peak RSS: the client process's VmHWM from /proc/PID/status, read every 100 ms while it ran (the
  last reading at most 100 ms before it exited).
- Connecting: pgbench's "initial connection time" (the mean over its ${ctx.jobs} threads, each opening its
  clients one after the other); pgsurge's \`summary.connectingS\` (first attempt to last client
  connected, over all worker threads), which its text summary prints as "all open in … s (…/s)".
  Rate: clients connected / connecting seconds.
- A run is "ok" when the client exited 0 with figures; a run that failed or hung (killed -T + 240 s
  after its start) is listed above with its error line and judged FAIL.
`;
}
