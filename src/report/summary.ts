/**
 * The end-of-run text report, derived from the result file only (so `pgsurge report` renders a
 * saved result exactly as the run did). Like pgbench's, with percentiles instead of averages,
 * failures by class, and thresholds. Its last line is always the verdict: PASSED or FAILED and why
 * (src/report/result.ts verdictOf), with or without thresholds.
 */
import { formatLimit } from '../limit/format.js';
import { FAILURE_CLASSES } from '../metrics/types.js';
import { verdictLine, verdictOf, type ResultV1, type TargetPooler, type TxnSummary } from './result.js';
import { formatWorkloadReports } from '../workload/builtin/run-report.js';
import { formatFailover } from './failover-text.js';
import { serverStatementLines, serverStatementNote } from './statement-time-text.js';
import { fmtMs, fmtNum, fmtPct } from './format.js';
import { pgpoolLine, pgpoolTotals, poolerLine, poolerTotals } from './pooler-totals.js';

export interface SummaryOptions {
  /** -r: per-statement latencies. */
  readonly perStatement?: boolean;
  /** Show schedule lag. Default: when any lag was measured (p99 > 0), i.e. under -R. */
  readonly openLoop?: boolean;
}

// The formatters live in format.ts (statement-time-text.ts needs them too); importers keep this path.
export { fmtMs, fmtNum, fmtPct } from './format.js';

const LABEL_WIDTH = 16;
/** `label:` padded to a column; a longer label still gets one space before the text. */
const line = (label: string, text: string): string => `${`${label}: `.padEnd(LABEL_WIDTH)}${text}`;

function latencyLine(l: TxnSummary['latencyMs']): string {
  return (
    `min ${fmtMs(l.min)}  mean ${fmtMs(l.mean)}  p50 ${fmtMs(l.p50)}  p90 ${fmtMs(l.p90)}  ` +
    `p95 ${fmtMs(l.p95)}  p99 ${fmtMs(l.p99)}  p99.9 ${fmtMs(l.p999)}  max ${fmtMs(l.max)}`
  );
}

function errorsText(errors: TxnSummary['errors']): string {
  const parts = FAILURE_CLASSES.filter((c) => errors[c] > 0).map((c) => `${c} ${fmtNum(errors[c])}`);
  return parts.length === 0 ? '' : `  (${parts.join(', ')})`;
}

/**
 * The best interval's tps, over the intervals of the grid's full length (a last interval cut short
 * by the end of the run is left out); null with fewer than two of them, where a peak says nothing
 * the mean does not.
 */
export function peakTps(intervals: ResultV1['intervals']): { tps: number; tS: number; lengthS: number } | null {
  const lengthS = intervals.reduce((m, i) => Math.max(m, i.durationS), 0);
  const full = intervals.filter((i) => i.durationS >= lengthS * 0.999);
  if (full.length < 2) return null;
  const best = full.reduce((b, i) => (i.tps > b.tps ? i : b));
  return { tps: best.tps, tS: best.tS, lengthS };
}

/** Lines common to the run and each transaction type; `peak` (the run only) goes beside the mean. */
function txnLines(s: Omit<TxnSummary, 'statements'>, showLag: boolean, indent: string, peak: ReturnType<typeof peakTps> = null): string[] {
  const done = s.transactions + s.failed;
  const peakText =
    peak === null ? '' : ` mean, ${fmtNum(peak.tps, 1)} tps peak (best ${Math.round(peak.lengthS * 1000) / 1000} s interval, at ${fmtNum(peak.tS, 1)} s)`;
  const out = [
    line('transactions', `${fmtNum(s.transactions)} ok, ${fmtNum(s.tps, 1)} tps${peakText}`),
    line('failed', `${fmtNum(s.failed)} (${fmtPct(s.failed, done)})${errorsText(s.errors)}`),
  ];
  if (s.retried > 0) out.push(line('retried', `${fmtNum(s.retried)} transactions, ${fmtNum(s.retries)} retries`));
  out.push(line('latency ms', latencyLine(s.latencyMs)));
  if (showLag) {
    out.push(line('sched. lag ms', `mean ${fmtMs(s.lagMs.mean)}  p50 ${fmtMs(s.lagMs.p50)}  p99 ${fmtMs(s.lagMs.p99)}  max ${fmtMs(s.lagMs.max)}`));
  }
  return out.map((l) => indent + l);
}

function statementLines(t: TxnSummary): string[] {
  const head = `    ${'p50'.padStart(9)} ${'p99'.padStart(9)} ${'max'.padStart(9)} ${'count'.padStart(9)} ${'failed'.padStart(7)}  statement`;
  const rows = t.statements.map(
    (s) =>
      `    ${fmtMs(s.latencyMs.p50).padStart(9)} ${fmtMs(s.latencyMs.p99).padStart(9)} ${fmtMs(s.latencyMs.max).padStart(9)} ` +
      `${fmtNum(s.count).padStart(9)} ${fmtNum(s.failed).padStart(7)}  ${oneLine(s.sql)}`,
  );
  return ['  statement latencies (ms):', head, ...rows];
}

/** SQL on one line, shortened: the report is for reading, the result file keeps the full text. */
function oneLine(sql: string, max = 100): string {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}

/** The first line's note on a run that did not end as planned: its figures are partial. */
function stopNote(stop: ResultV1['stop']): string {
  if (stop === undefined) return '';
  const lost = (stop.lostWorkers ?? 0) > 0;
  if (stop.reason !== 'interrupted' && !lost) return '';
  return ` — ${stop.message ?? 'interrupted'} (partial results)`;
}

const finite = (v: number | null | undefined): number | null => (v !== null && v !== undefined && Number.isFinite(v) ? v : null);

/** A part of a sharded run, or a merge of parts: which, of which run; missing parts said plainly. */
function shardLines(result: ResultV1): string[] {
  const m = result.merged;
  if (m !== undefined) {
    const missing = m.missing.length === 0 ? '' : `; missing ${m.missing.map((k) => `${k}/${m.n}`).join(', ')}: not the whole run`;
    return [line('merged', `${m.parts.length} of ${m.n} parts of run ${m.runId}${missing}`)];
  }
  const sh = result.shard;
  if (sh === undefined || sh.parts.length === sh.n) return [];
  return [line('part', `${sh.parts.join(', ')} of ${sh.n} of run ${sh.runId} (pgsurge merge joins the parts)`)];
}

/** The pooler the target is, with the settings that shape the numbers through it. */
function poolerLines(p: TargetPooler | undefined): string[] {
  if (p === undefined) return [];
  const v = (x: number | null): string => (x === null ? '?' : String(x));
  if (p.kind === 'pgbouncer')
    return [
      line(
        'pooler',
        `${p.version}, ${p.poolMode ?? '?'} pooling, pool_size ${v(p.poolSize)}, max_client_conn ${v(p.maxClientConn)}${p.maxPreparedStatements === null ? '' : `, max_prepared_statements ${p.maxPreparedStatements}`}`,
      ),
    ];
  return [line('pooler', `${p.version}, num_init_children ${v(p.numInitChildren)}, max_pool ${v(p.maxPool)}`)];
}

export function formatSummary(result: ResultV1, opts: SummaryOptions = {}): string {
  const s = result.summary;
  const showLag = opts.openLoop ?? (s.lagMs.p99 !== null && s.lagMs.p99 > 0);
  const hosts = result.target.hosts.join(', ');
  const server = result.target.serverVersion === null ? '' : ` (PostgreSQL ${result.target.serverVersion})`;
  const out: string[] = [
    `${result.tool.name} ${result.tool.version} — started ${result.startedAt}${stopNote(result.stop)}`,
    line('target', `${hosts === '' ? '-' : hosts}${server}`),
    ...poolerLines(result.target.pooler),
    line('duration', `${fmtNum(result.durationS, 1)} s measured`),
    ...shardLines(result),
  ];
  // A monitor ran no load: no transaction lines, the server's figures below are the result.
  if (result.kind === 'monitor') out.push(line('load', 'none (pgsurge monitor: the server was sampled, something else drove it)'));
  else out.push(...txnLines(s, showLag, '', peakTps(result.intervals)), ...unfinishedLines(s));
  for (const c of FAILURE_CLASSES) {
    const msg = s.firstErrors[c];
    if (msg !== undefined) out.push(line(`  first ${c}`, oneLine(msg, 120)));
  }
  if (result.kind !== 'monitor')
    out.push(
      line(
        'not completed',
        `skipped ${fmtNum(s.skipped)}, dropped ${fmtNum(s.dropped)}, unfinished ${fmtNum(s.unfinished)} ` + `(of ${fmtNum(s.arrivals)} arrivals)`,
      ),
    );
  if (s.connects > 0 || s.reconnects > 0) {
    out.push(
      line(
        'connect ms',
        `${fmtNum(s.connects)} connections, mean ${fmtMs(s.connectMs.mean)}  p99 ${fmtMs(s.connectMs.p99)}  ` +
          `max ${fmtMs(s.connectMs.max)}; ${fmtNum(s.reconnects)} reconnects` +
          (s.connectingS === undefined || s.connectingS <= 0 ? '' : `; all open in ${fmtNum(s.connectingS, 1)} s (${fmtNum(s.connects / s.connectingS, 0)}/s)`),
      ),
    );
  }
  const threads = s.clientThreads ?? [];
  if (threads.length > 0) {
    // The worst thread's figures: a late loop delays the transactions it schedules.
    const worst = (f: (t: (typeof threads)[number]) => number): number => Math.max(...threads.map(f));
    out.push(
      line(
        'client loop',
        `${threads.length} thread(s), event-loop delay p99 ${fmtMs(worst((t) => t.delayMs.p99))}  max ${fmtMs(worst((t) => t.delayMs.max))} ms (worst thread); ` +
          (threads.every((t) => t.gc.count === 0)
            ? 'no GC pause'
            : `GC ${fmtNum(threads.reduce((n, t) => n + t.gc.count, 0))} pauses, ${fmtMs(threads.reduce((n, t) => n + t.gc.totalMs, 0))} ms in all, longest ${fmtMs(worst((t) => t.gc.maxMs))} ms`),
      ),
    );
  }
  const scenarios = Object.entries(result.scenarios ?? {});
  if (scenarios.length > 0) {
    out.push('', 'scenarios:');
    for (const [name, g] of scenarios) {
      out.push(
        `  ${name}: ${fmtNum(g.transactions)} ok, ${fmtNum(g.tps, 1)} tps over ${fmtNum(g.activeS, 1)} s, ${fmtNum(g.failed)} failed; ` +
          `latency ms p50 ${fmtMs(g.latencyMs.p50)}  p95 ${fmtMs(g.latencyMs.p95)}  p99 ${fmtMs(g.latencyMs.p99)}  max ${fmtMs(g.latencyMs.max)}`,
      );
    }
  }
  const types = Object.entries(result.transactionTypes);
  // With a single type the run lines already say it all, unless statements are wanted.
  if (types.length > 1 || opts.perStatement === true) {
    for (const [name, t] of types) {
      // A type that never ran (weight 0, e.g. switched off by an option) would only be an empty block.
      if (t.transactions === 0 && t.failed === 0 && t.skipped === 0) continue;
      const share = fmtPct(t.transactions + t.failed, s.transactions + s.failed);
      out.push('', `transaction type "${name}" (${share} of completed):`, ...txnLines(t, showLag, '  '));
      if (opts.perStatement === true && t.statements.length > 0) {
        // One line per statement: a loop, not a spread (a script may have 550,000, past V8's argument limit).
        for (const line of [...statementLines(t), ...serverStatementLines(result, name, t)]) out.push(line);
      }
    }
    if (opts.perStatement === true) out.push(...serverStatementNote(result));
  }
  const hostRows = Object.entries(result.hosts ?? {});
  if (hostRows.length > 1) {
    out.push('', 'hosts (where the clients ran their transactions):');
    for (const [h, f] of hostRows) out.push(`  ${h}: ${fmtNum(f.transactions)} ok, ${fmtNum(f.failed)} failed, mean latency ${fmtMs(f.meanLatencyMs)} ms`);
  }
  // A --find-limit search's steps are its load changes: its table says them with their figures.
  if (result.limit !== undefined) out.push('', formatLimit(result.limit));
  else if (result.loadChanges !== undefined && result.loadChanges.length > 0) {
    out.push('', 'load changed while running:');
    for (const c of result.loadChanges)
      out.push(
        `  at ${c.atS.toFixed(1)} s: ${c.kind === 'rate' ? `${fmtNum(c.target)}/s` : `${fmtNum(c.target)} clients`}${c.group === 'run' ? '' : ` (${c.group})`}`,
      );
  }
  if (result.workloads !== undefined && Object.keys(result.workloads).length > 0) out.push('', formatWorkloadReports(result.workloads).trimEnd());
  out.push(...serverLines(result), ...findingLines(result));
  if (result.thresholds.length > 0) {
    out.push('', 'thresholds:');
    for (const th of result.thresholds) out.push(`  ${th.ok ? '✓' : '✗'} ${th.expr}  (actual ${th.actual}${th.reason === undefined ? '' : `: ${th.reason}`})`);
  }
  const failover = formatFailover(result);
  if (failover !== '') out.push(...failover.split('\n'));
  // Recomputed from the result (not read from result.verdict) so that results written before
  // the verdict had reasons end with the same line as new ones.
  out.push('', verdictLine(verdictOf(result.thresholds, result)));
  return `${out.join('\n')}\n`;
}

/** Under the latency line: the unfinished transactions it includes (right-censored), and the oldest wait. */
function unfinishedLines(s: ResultV1['summary']): string[] {
  const n = s.latencyIncludesUnfinished ?? 0;
  if (n === 0) return [];
  const oldest = s.unfinishedMaxWaitMs ?? null;
  return [
    `${''.padEnd(LABEL_WIDTH)}latency includes ${fmtNum(n)} unfinished transaction${n === 1 ? '' : 's'} counted at their wait so far` +
      (oldest === null ? '' : ` (the oldest waited ${fmtMs(oldest)} ms)`),
  ];
}

/**
 * "server": per host, from the observer's samples (result.server): cache hit ratio over the run,
 * mean commits/s, peak connections, WAL written (samples of a host whose snapshot failed are left
 * out); then its CPU and memory (usageLines).
 */
function serverLines(result: ResultV1): string[] {
  const perHost = new Map<string, { hit: number; read: number; commits: number[]; peak: number; walBytes: number; wal: boolean }>();
  for (const sample of result.server) {
    for (const h of sample.hosts) {
      if (!h.ok) continue;
      const acc = perHost.get(h.host) ?? { hit: 0, read: 0, commits: [], peak: 0, walBytes: 0, wal: false };
      acc.hit += finite(h.blksHitDelta) ?? 0;
      acc.read += finite(h.blksReadDelta) ?? 0;
      const c = finite(h.commitsPerS);
      if (c !== null) acc.commits.push(c);
      acc.peak = Math.max(acc.peak, finite(h.connections?.total) ?? 0);
      const wal = finite(h.walBytesDelta);
      if (wal !== null) {
        acc.walBytes += wal;
        acc.wal = true;
      }
      perHost.set(h.host, acc);
    }
  }
  if (perHost.size === 0) return [];
  const out = ['', 'server:'];
  const usage = usageLines(result);
  const poolers = poolerTotals(result.server);
  const pgpools = pgpoolTotals(result.server);
  for (const [host, a] of perHost) {
    const ratio = a.hit + a.read === 0 ? '-' : fmtPct(a.hit, a.hit + a.read);
    const commits = a.commits.length === 0 ? '-' : fmtNum(a.commits.reduce((x, y) => x + y, 0) / a.commits.length, 1);
    out.push(
      `  ${line(host, `cache hit ${ratio}, ${commits} commits/s, connections peak ${fmtNum(a.peak)}, WAL ${a.wal ? fmtNum(a.walBytes / 1048576, 1) : '-'} MB`)}`,
    );
    const u = usage.get(host);
    if (u !== undefined) out.push(`    ${u}`);
    const p = poolers.find((x) => x.host === host);
    if (p !== undefined) out.push(`    ${poolerLine(p)}`);
    const pp = pgpools.find((x) => x.host === host);
    if (pp !== undefined) out.push(`    ${pgpoolLine(pp)}`);
  }
  return out;
}

const mean = (xs: readonly number[]): number => xs.reduce((x, y) => x + y, 0) / xs.length;
const mb = (bytes: number): string => `${fmtNum(bytes / 1048576, 1)} MB`;

/**
 * Per host, a line of CPU and memory: the server's processes (when visible in this machine's
 * /proc) and its machine (from /proc or a node_exporter), means over the intervals that have them,
 * and how many intervals lack the machine figures. No line for a host with neither.
 */
function usageLines(result: ResultV1): Map<string, string> {
  interface Acc {
    cpu: number[];
    memPeak: number;
    mCpu: number[];
    memUsed: number[];
    memTotal: number;
    iops: number[];
    missing: number;
    reason: string;
    gCpu: number[];
    gMemPeak: number | null;
    gLimit: number | null;
    gPath: string | null;
    gReason: string;
  }
  const acc = new Map<string, Acc>();
  for (const sample of result.server) {
    for (const h of sample.hosts) {
      const a: Acc = acc.get(h.host) ?? {
        cpu: [],
        memPeak: 0,
        mCpu: [],
        memUsed: [],
        memTotal: 0,
        iops: [],
        missing: 0,
        reason: '',
        gCpu: [],
        gMemPeak: null,
        gLimit: null,
        gPath: null,
        gReason: '',
      };
      const g = h.cgroup;
      if (g !== null && g !== undefined) {
        a.gPath = g.path ?? a.gPath;
        const gc = finite(g.cpuPct);
        if (gc !== null) a.gCpu.push(gc);
        const gm = finite(g.memoryBytes);
        if (gm !== null) a.gMemPeak = Math.max(a.gMemPeak ?? 0, gm);
        a.gLimit = finite(g.memoryLimitBytes) ?? a.gLimit;
        if (g.reason !== undefined) a.gReason = g.reason;
      }
      const cpu = finite(h.process?.cpuPct);
      if (cpu !== null) a.cpu.push(cpu);
      a.memPeak = Math.max(a.memPeak, finite(h.process?.memoryBytes) ?? 0);
      const m = h.machine;
      if (m !== null && m !== undefined) {
        const mc = finite(m.cpuPct);
        if (mc !== null) a.mCpu.push(mc);
        const total = finite(m.memoryTotalBytes);
        const avail = finite(m.memoryAvailableBytes);
        if (total !== null && avail !== null) {
          a.memTotal = total;
          a.memUsed.push(total - avail);
        }
        const reads = finite(m.diskReadsPerS);
        const writes = finite(m.diskWritesPerS);
        if (reads !== null && writes !== null) a.iops.push(reads + writes);
        if (m.error !== undefined) {
          a.missing += 1;
          a.reason = m.error;
        }
      }
      acc.set(h.host, a);
    }
  }
  const out = new Map<string, string>();
  for (const [host, a] of acc) {
    const parts: string[] = [];
    if (a.cpu.length > 0) parts.push(`postgres CPU ${fmtNum(mean(a.cpu), 1)}% of a core (mean), memory ${mb(a.memPeak)} (peak)`);
    if (a.mCpu.length > 0 || a.memUsed.length > 0) {
      const cpu = a.mCpu.length === 0 ? '-' : `${fmtNum(mean(a.mCpu), 1)}%`;
      const mem = a.memUsed.length === 0 ? '-' : `${mb(mean(a.memUsed))} of ${mb(a.memTotal)}`;
      const iops = a.iops.length === 0 ? '' : `, disk ${fmtNum(mean(a.iops), 0)} IOPS (mean)`;
      parts.push(`machine CPU ${cpu} busy (mean), memory used ${mem}${iops}`);
    }
    if (a.gPath !== null) {
      const cpu = a.gCpu.length === 0 ? '-' : `${fmtNum(mean(a.gCpu), 1)}% of a core (mean)`;
      const mem = a.gMemPeak === null ? '-' : `${mb(a.gMemPeak)} (peak${a.gLimit === null ? '' : ` of a ${mb(a.gLimit)} limit`})`;
      parts.push(`cgroup ${a.gPath} CPU ${cpu}, memory ${mem}${a.gReason === '' ? '' : ` (${a.gReason})`}`);
    }
    if (a.missing > 0) parts.push(`machine figures missing in ${fmtNum(a.missing)} interval${a.missing === 1 ? '' : 's'} (${a.reason})`);
    if (parts.length > 0) out.set(host, parts.join('; '));
  }
  return out;
}

/** "findings": what the diagnosis rules saw (result.findings), warnings first. */
function findingLines(result: ResultV1): string[] {
  const findings = result.findings ?? [];
  if (findings.length === 0) return [];
  const sorted = [...findings].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'warning' ? -1 : 1));
  return ['', 'findings:', ...sorted.map((f) => `  ${f.severity === 'warning' ? '!' : 'i'} ${f.rule}: ${f.message}`)];
}
