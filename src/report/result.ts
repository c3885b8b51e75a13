/**
 * The result file, schema `pgsurge.result/v1` (DESIGN.md "Result file", contract), and
 * `buildResult`, which assembles it from the aggregator's totals and interval stats.
 *
 * Meanings (pgbench's where it has one):
 * - `transactions` counts SUCCESSFUL transactions; `failed` those whose final try failed;
 *   `tps` = transactions / durationS. Lag and service figures describe successful transactions.
 * - summary.latencyMs describes successful transactions AND the unfinished ones (in flight or
 *   still queued when the load was given up), each counted at its wait so far (right-censored:
 *   stop instant − scheduled), so a stall past the end shows; `latencyIncludesUnfinished` says how
 *   many, `unfinishedMaxWaitMs` how long the oldest had waited. Per-type latencies and
 *   histograms[type] hold successful transactions only (a queued arrival has no type yet).
 * - Counting rule: arrivals = transactions + failed + skipped + dropped + unfinished;
 *   `successRate` = transactions / arrivals (null without arrivals).
 * - `verdict`: the summary's last line as data. Passed when the run completed (a transaction
 *   succeeded, no interruption, no worker lost, no failed write verification), every threshold
 *   held and, under a constant -R, the asked rate was achieved (see rateVerdictOf); `failed` lists
 *   the threshold expressions that did not hold, `reasons` says why in words, `rate` has the rate.
 *   Everything in it is a pure function of the result (judgeResult), so `pgsurge report` agrees.
 * - Times are milliseconds with microsecond resolution (3 decimals); null when nothing was measured.
 * - Per transaction type, dropped and unfinished are 0: an arrival has no type until a client
 *   picks it up, so those are attributed to the run only.
 * - intervals[].tS is the interval's START, seconds from the start of the measured phase;
 *   intervals[].errors lists only classes with a non-zero count (summary.errors lists all).
 * - intervals[].types: each transaction type's figures in the interval (percentiles from the
 *   type's interval histogram merged over workers), present only when the run has more than one
 *   type (with one, the interval's own figures are the type's); absent in older results.
 * - histograms[type] is the HDR latency histogram (µs, successful transactions), compressed base64
 *   ('' when empty), so results merge exactly.
 */
import type { LoopFigures } from '../engine/loop-monitor.js';
import { z } from '../vendor/zod.js';
import { FAILURE_CLASSES } from '../metrics/types.js';
import type { FailureClass } from '../metrics/types.js';
import type { IntervalStats, Totals, TxnTotals } from '../metrics/aggregator.js';
import { encodeHistogram, newHistogram, percentileUs, usToMs } from '../metrics/histogram.js';
import type { PercentileSource } from '../metrics/histogram.js';
import { evaluateThresholds, type ThresholdSubject } from '../metrics/thresholds.js';
import { spanSubject } from './span-subject.js';
import type { Threshold, ThresholdResult } from '../metrics/thresholds.js';
import { failoverResultSchema } from './failover-schema.js';
import { limitSchema } from './limit-schema.js';
import { findingSchema, serverFactsSchema, serverSampleSchema, type ServerSample } from './server-schema.js';
import { statementServerTimeSchema } from './statement-time-schema.js';
import { mergedSchema, shardSectionSchema } from './shard-schema.js';

export const RESULT_SCHEMA_ID = 'pgsurge.result/v1';

const ms = z.number().nullable();
const failureClass = z.enum(FAILURE_CLASSES);

const latencyMsSchema = z.object({ min: ms, mean: ms, p50: ms, p90: ms, p95: ms, p99: ms, p999: ms, max: ms });
const lagMsSchema = z.object({ mean: ms, p50: ms, p99: ms, max: ms });

/** One transaction type in one interval; kept small, as a long run has many intervals. */
const intervalTypeSchema = z.object({
  transactions: z.number().int().nonnegative(),
  tps: z.number().nonnegative(),
  failed: z.number().int().nonnegative(),
  errors: z.partialRecord(failureClass, z.number().int().nonnegative()),
  latencyMs: z.object({ p50: ms, p90: ms, p99: ms, max: ms }),
});

/** The shape shared by the summary and each transaction type. */
const txnSummaryShape = {
  transactions: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  retried: z.number().int().nonnegative(),
  /** Σ (tries − 1). */
  retries: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
  dropped: z.number().int().nonnegative(),
  unfinished: z.number().int().nonnegative(),
  tps: z.number().nonnegative(),
  latencyMs: latencyMsSchema,
  lagMs: lagMsSchema,
  /** end − sent: time spent after the transaction was sent. */
  serviceMs: z.object({ mean: ms, p50: ms, p99: ms, max: ms }),
  errors: z.record(failureClass, z.number().int().nonnegative()),
};

const statementSchema = z.object({ sql: z.string(), latencyMs: latencyMsSchema, count: z.number().int(), failed: z.number().int() });

/** One scenario's figures: its transaction types merged (src/report/groups.ts summarizeGroups). */
const scenarioSummarySchema = z.object({
  transactionTypes: z.array(z.string()),
  transactions: z.number(),
  failed: z.number(),
  retried: z.number(),
  skipped: z.number(),
  /** Seconds the scenario ran within the measured phase. */
  activeS: z.number(),
  tps: z.number(),
  latencyMs: z.object({ mean: ms, p50: ms, p95: ms, p99: ms, max: ms }),
  errors: z.record(z.string(), z.number()),
});

/**
 * Why the load ended: its duration, every client's -t transactions, or an interruption (by a signal
 * when `signal` is set; a second signal stops at once: `immediate`). Worker threads that ended
 * without reporting are counted in `lostWorkers`: the result lacks their last figures.
 */
const stopSchema = z.object({
  reason: z.enum(['duration', 'transactions', 'interrupted', 'ended']),
  signal: z.enum(['SIGINT', 'SIGTERM', 'SIGHUP']).optional(),
  immediate: z.boolean().optional(),
  lostWorkers: z.number().int().nonnegative().optional(),
  message: z.string().optional(),
});

/** Under a constant -R: the asked rate and what the run achieved (successful transactions per measured second). */
const rateVerdictSchema = z.object({ askedPerS: z.number(), achievedPerS: z.number(), achieved: z.boolean() });

const verdictSchema = z.object({
  passed: z.boolean(),
  /** The threshold expressions that failed, as the user wrote them. */
  failed: z.array(z.string()),
  /** Why, in words: what failed (when not passed) or what held; the summary's last line. Absent in older results. */
  reasons: z.array(z.string()).optional(),
  rate: rateVerdictSchema.optional(),
});

const targetPoolerSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('pgbouncer'),
    version: z.string(),
    /** session, transaction or statement: the run's database's own, else the default. */
    poolMode: z.string().nullable(),
    /** Server connections per pool (the database's pool_size, else default_pool_size). */
    poolSize: z.number().nullable(),
    maxClientConn: z.number().nullable(),
    /** null before PgBouncer 1.21 (no such setting) or when unread. */
    maxPreparedStatements: z.number().nullable(),
  }),
  z.object({
    kind: z.literal('pgpool'),
    version: z.string(),
    /** The clients it serves at once (its children). */
    numInitChildren: z.number().nullable(),
    /** Backend connections cached per child. */
    maxPool: z.number().nullable(),
  }),
]);
export type TargetPooler = z.infer<typeof targetPoolerSchema>;

export const resultV1Schema = z.object({
  schema: z.literal(RESULT_SCHEMA_ID),
  /**
   * What made the result: a run (load and measurement; also when absent, as in older results) or
   * `pgsurge monitor` (server sampling with no load: `intervals` and `transactionTypes` are empty,
   * the summary's counts are 0, and `server` holds the timeline).
   */
  kind: z.enum(['run', 'monitor']).optional(),
  tool: z.object({ name: z.string(), version: z.string() }),
  startedAt: z.string(),
  durationS: z.number().nonnegative(),
  /** Server version and host(s) — never a password. More fields may follow. */
  target: z.looseObject({
    serverVersion: z.string().nullable(),
    hosts: z.array(z.string()),
    database: z.string().optional(),
    user: z.string().optional(),
    /** pgsurge started the server itself (and removed it after the run). */
    throwaway: z.boolean().optional(),
    scale: z.number().optional(),
    /** The pooler the target is, as its own console said before the load: what shapes the numbers through it. */
    pooler: targetPoolerSchema.optional(),
  }),
  /** The resolved config, redacted. */
  config: z.record(z.string(), z.unknown()),
  summary: z.object({
    ...txnSummaryShape,
    arrivals: z.number().int().nonnegative(),
    connects: z.number().int().nonnegative(),
    reconnects: z.number().int().nonnegative(),
    connectMs: z.object({ mean: ms, p50: ms, p99: ms, max: ms }),
    /** Seconds from the first connection attempt until every client was connected (absent in older results). */
    connectingS: z.number().nonnegative().optional(),
    /**
     * Each worker thread's own event loop over the load (src/engine/loop-monitor.ts): how late it
     * ran (p50, p99, max ms) and its GC pauses. Schedule lag near these came from the client.
     * Per thread, as percentiles do not add up; absent in older and in merged results.
     */
    clientThreads: z
      .array(
        z.object({
          delayMs: z.object({ p50: z.number().nonnegative(), p99: z.number().nonnegative(), max: z.number().nonnegative() }),
          gc: z.object({ count: z.number().int().nonnegative(), totalMs: z.number().nonnegative(), maxMs: z.number().nonnegative() }),
        }),
      )
      .optional(),
    /** First error message seen for each class that had one. */
    firstErrors: z.partialRecord(failureClass, z.string()),
    /** transactions / arrivals, 0–1 (null without arrivals). Absent in results of older versions. */
    successRate: z.number().nonnegative().nullable().optional(),
    /** Unfinished transactions included in latencyMs, each at its wait so far (right-censored). */
    latencyIncludesUnfinished: z.number().int().nonnegative().optional(),
    /** How long the oldest unfinished transaction had waited when the load was given up (null: none). */
    unfinishedMaxWaitMs: ms.optional(),
  }),
  transactionTypes: z.record(z.string(), z.object({ ...txnSummaryShape, statements: z.array(statementSchema) })),
  intervals: z.array(
    z.object({
      tS: z.number().nonnegative(),
      /** The interval's length; shorter than the grid step for the last, partial interval. */
      durationS: z.number().nonnegative(),
      tps: z.number().nonnegative(),
      transactions: z.number().int().nonnegative(),
      /** p95 is absent in results of older versions. */
      latencyMs: z.object({ mean: ms, p50: ms, p90: ms, p95: ms.optional(), p99: ms, max: ms }),
      lagMs: z.object({ p50: ms, p99: ms, max: ms }),
      failed: z.number().int().nonnegative(),
      errors: z.partialRecord(failureClass, z.number().int().nonnegative()),
      retried: z.number().int().nonnegative(),
      skipped: z.number().int().nonnegative(),
      dropped: z.number().int().nonnegative(),
      /** Worker threads whose figures this interval lacks (lost, or stuck in module code); absent when none. */
      missingWorkers: z.number().int().positive().optional(),
      /** By transaction type name, when more than one type runs (see the header); absent otherwise and in older results. */
      types: z.record(z.string(), intervalTypeSchema).optional(),
    }),
  ),
  /** Per-interval server samples on the same grid (same tS), from src/observe's server observer. */
  server: z.array(serverSampleSchema),
  /** `reason`: why a threshold is n/a (a server figure not sampled), when that needs saying. */
  thresholds: z.array(z.object({ expr: z.string(), ok: z.boolean(), actual: z.string(), reason: z.string().optional() })),
  /** The run's verdict (see the header). Absent in results of older versions. */
  verdict: verdictSchema.optional(),
  histograms: z.record(z.string(), z.string()),
  /** Start- and end-of-run facts per host: versions, settings, table sizes. */
  serverFacts: z.object({ start: serverFactsSchema, end: serverFactsSchema }).optional(),
  /** What the diagnosis rules saw (src/observe/diagnosis.ts), with the numbers behind it. */
  findings: z.array(findingSchema).optional(),
  /** The server's time per statement (pg_stat_statements over the measured phase), see statement-time-schema.ts. */
  statementServerTime: statementServerTimeSchema.optional(),
  /** Outages, reconnects, timelines and the write verification (--failover, --verify-writes). */
  failover: failoverResultSchema.optional(),
  /** Measured transactions per host ("host:port") the clients ran them on (read routing, failover). */
  hosts: z.record(z.string(), z.object({ transactions: z.number(), failed: z.number(), meanLatencyMs: ms })).optional(),
  /** Workload-specific figures from the workloads' report hooks (data written, table sizes, vector path…). */
  workloads: z.record(z.string(), z.record(z.string(), z.union([z.number(), z.string()]))).optional(),
  /** Runs with several scenarios: each scenario's figures (src/report/groups.ts). */
  scenarios: z.record(z.string(), scenarioSummarySchema).optional(),
  /**
   * Targets set while the run went on (a live page or API changing the load), in order: each is a
   * stage on the timeline from `atS` (seconds from the start of the measured phase) to the next.
   */
  loadChanges: z
    .array(z.object({ atS: z.number().nonnegative(), target: z.number().nonnegative(), kind: z.enum(['rate', 'clients']), group: z.string() }))
    .optional(),
  /** How the load ended; anything but a plain end is in `message` ("interrupted by SIGHUP"). Absent in older results. */
  stop: stopSchema.optional(),
  /** --find-limit: the search's steps, the limit and what bound it (src/limit). */
  limit: limitSchema.optional(),
  /** A part of a run (--shard) or a merge of parts: what merges exactly (shard-schema.ts). */
  shard: shardSectionSchema.optional(),
  /** `pgsurge merge`: the parts it joined and those missing. */
  merged: mergedSchema.optional(),
});

export type ResultV1 = z.infer<typeof resultV1Schema>;
export type ResultSummary = ResultV1['summary'];
export type TxnSummary = ResultV1['transactionTypes'][string];
export type IntervalResult = ResultV1['intervals'][number];
export type IntervalTypeResult = NonNullable<IntervalResult['types']>[string];
export type ScenarioSummary = z.infer<typeof scenarioSummarySchema>;
export type Verdict = z.infer<typeof verdictSchema>;
export type RateVerdict = z.infer<typeof rateVerdictSchema>;
export type { ServerSample, HostSample, Finding, ServerFacts, HostFacts } from './server-schema.js';
export type { FailoverResult } from './failover-schema.js';
export type { StatementServer, StatementServerTime } from './statement-time-schema.js';

/** The result's optional sections, added by live outputs, the HA check and the workloads' reports. */
export type ResultSections = Partial<
  Pick<
    ResultV1,
    | 'serverFacts'
    | 'findings'
    | 'statementServerTime'
    | 'failover'
    | 'hosts'
    | 'workloads'
    | 'scenarios'
    | 'loadChanges'
    | 'stop'
    | 'limit'
    | 'shard'
    | 'merged'
  >
>;
export type RunStop = z.infer<typeof stopSchema>;

export interface BuildResultInput {
  readonly tool: { readonly name: string; readonly version: string };
  /** Start of the measured phase (ISO 8601 string or Date). */
  readonly startedAt: string | Date;
  /** Length of the measured phase, seconds (warm-up excluded). */
  readonly durationS: number;
  readonly target: { readonly serverVersion: string | null; readonly hosts: readonly string[]; readonly [k: string]: unknown };
  /** The resolved config, ALREADY redacted. */
  readonly config: Readonly<Record<string, unknown>>;
  readonly totals: Totals;
  readonly intervals: readonly IntervalStats[];
  readonly thresholds?: readonly Threshold[];
  /** Per-interval server samples (the observer's); none without an observer. */
  readonly server?: readonly ServerSample[];
  /** The optional sections, copied into the result as they are. */
  readonly sections?: ResultSections;
  /** Seconds it took to connect every client. */
  readonly connectingS?: number;
  /** Each worker thread's event-loop delay and GC pauses. */
  readonly clientThreads?: readonly LoopFigures[];
}

const msOf = (h: PercentileSource, pct: number, maxUs: number): number | null => (h.totalCount === 0 ? null : usToMs(percentileUs(h, pct, maxUs)));

function latencyMsOf(h: PercentileSource, count: number, sumUs: number, minUs: number, maxUs: number): ResultSummary['latencyMs'] {
  const none = count === 0 || h.totalCount === 0;
  return {
    min: none ? null : usToMs(minUs),
    mean: none ? null : usToMs(sumUs / count),
    p50: msOf(h, 50, maxUs),
    p90: msOf(h, 90, maxUs),
    p95: msOf(h, 95, maxUs),
    p99: msOf(h, 99, maxUs),
    p999: msOf(h, 99.9, maxUs),
    max: none ? null : usToMs(maxUs),
  };
}

/** Statement histograms carry no exact min/max/sum: those come from the histogram itself. */
function histLatencyMs(h: PercentileSource): ResultSummary['latencyMs'] {
  if (h.totalCount === 0) return latencyMsOf(h, 0, 0, 0, 0);
  const maxUs = h.maxValue;
  return latencyMsOf(h, h.totalCount, h.mean * h.totalCount, h.getValueAtPercentile(0), maxUs);
}

/**
 * The run's latency: successful transactions and the unfinished ones at their wait so far
 * (right-censored), merged exactly (histograms added, exact sums and extremes combined).
 */
function runLatencyMs(t: Totals): ResultSummary['latencyMs'] {
  if (t.unfinished === 0) return latencyMsOf(t.latency, t.ok, t.latencySumUs, t.latencyMinUs, t.latencyMaxUs);
  const h = newHistogram('total');
  h.add(t.latency);
  h.add(t.unfinishedWait);
  const minUs = Math.min(t.latencyMinUs, t.unfinishedWaitMinUs);
  const maxUs = Math.max(t.ok > 0 ? t.latencyMaxUs : 0, t.unfinishedWaitMaxUs);
  return latencyMsOf(h, t.ok + t.unfinished, t.latencySumUs + t.unfinishedWaitSumUs, minUs, maxUs);
}

/** Share of the asked rate a run must reach to have achieved it. */
export const RATE_TOLERANCE = 0.99;

/**
 * Under a constant -R (no stages, scenarios or live changes): achieved when the successful
 * transactions per measured second reach 99 % of the rate, or when 99 % of the arrivals the
 * schedule drew succeeded (a Poisson schedule draws fewer than rate × seconds about half the time:
 * that shortfall is the schedule's, not the server's). undefined when no single rate was asked.
 */
export function rateVerdictOf(result: Pick<ResultV1, 'config' | 'summary' | 'durationS' | 'loadChanges' | 'shard'>): RateVerdict | undefined {
  const whole = result.config['rateHz'];
  if (typeof whole !== 'number' || !(whole > 0) || result.durationS <= 0) return undefined;
  // Parts of a run (--shard) were asked for their share of the rate.
  const asked = result.shard === undefined ? whole : (whole * result.shard.parts.length) / result.shard.n;
  if (result.config['stages'] !== undefined || result.config['scenario'] !== undefined || (result.loadChanges?.length ?? 0) > 0) return undefined;
  const s = result.summary;
  const achievedPerS = s.transactions / result.durationS;
  const achieved = achievedPerS >= asked * RATE_TOLERANCE || (s.arrivals > 0 && s.transactions >= s.arrivals * RATE_TOLERANCE);
  return { askedPerS: asked, achievedPerS: Math.round(achievedPerS * 1000) / 1000, achieved };
}

const fmtRate = (perS: number): string => `${Math.round(perS * 10) / 10}/s`;
const plural = (n: number, one: string): string => `${n} ${one}${n === 1 ? '' : 's'}`;

/** Why a run did not complete (exit 1), or undefined when it did. */
function incompleteReason(result: Pick<ResultV1, 'kind' | 'summary' | 'stop' | 'merged'>): string | undefined {
  const missing = result.merged?.missing ?? [];
  if (missing.length > 0) {
    const n = result.merged!.n;
    return `${missing.length === 1 ? 'part' : 'parts'} ${missing.map((k) => `${k}/${n}`).join(', ')} missing from the merge (partial results)`;
  }
  const stop = result.stop;
  if (stop !== undefined && (stop.reason === 'interrupted' || (stop.lostWorkers ?? 0) > 0)) return `${stop.message ?? 'interrupted'} (partial results)`;
  // A monitor runs no transactions of its own: none is not a failure there.
  if (result.summary.transactions === 0 && result.kind !== 'monitor') return 'no transaction succeeded';
  return undefined;
}

/**
 * The verdict on thresholds already evaluated; with the result, also on its completion, the
 * write verification and the asked rate (without it: on the thresholds alone, as a failover
 * check does before the final judgement).
 */
export function verdictOf(
  thresholds: readonly ThresholdResult[],
  result?: Pick<ResultV1, 'kind' | 'config' | 'summary' | 'durationS' | 'loadChanges' | 'stop' | 'failover' | 'merged' | 'shard'>,
): Verdict {
  const failed = thresholds.filter((t) => !t.ok);
  const bad: string[] = [];
  const good: string[] = [];
  const incomplete = result === undefined ? undefined : incompleteReason(result);
  if (incomplete !== undefined) bad.push(incomplete);
  const v = result?.failover?.verification;
  if (v !== undefined && !v.ok) bad.push(`write verification ${v.verdict}${'lost' in v ? ` (lost ${v.lost}, unexpected ${v.unexpected})` : `: ${v.error}`}`);
  for (const t of failed) bad.push(`${t.expr} (actual ${t.actual}${t.reason === undefined ? '' : `: ${t.reason}`})`);
  if (thresholds.length > 0 && failed.length === 0) good.push(thresholds.length === 1 ? 'the threshold held' : `all ${thresholds.length} thresholds held`);
  const rate = result === undefined ? undefined : rateVerdictOf(result);
  if (rate !== undefined) {
    const pct = Math.round((rate.achievedPerS / rate.askedPerS) * 1000) / 10;
    const text = `asked ${fmtRate(rate.askedPerS)}, achieved ${fmtRate(rate.achievedPerS)} (${pct}%)`;
    if (rate.achieved) good.push(`rate achieved: ${text}`);
    else bad.push(`rate missed: ${text}`);
  }
  // A part of a run (--shard) judges no threshold: they speak of the whole run (pgsurge merge).
  const part = result?.shard;
  if (part !== undefined && part.parts.length < part.n) {
    good.push(
      `part ${part.parts.join(', ')} of ${part.n}, ${plural(result?.summary.failed ?? 0, 'failed transaction')}; the run's thresholds are judged on the merged result (pgsurge merge)`,
    );
  }
  if (good.length === 0) {
    good.push(
      result?.kind === 'monitor'
        ? 'the server was sampled to the end; no threshold given (--threshold)'
        : `the run completed, ${plural(result?.summary.failed ?? 0, 'failed transaction')}; no threshold given (--threshold)`,
    );
  }
  const passed = bad.length === 0;
  return { passed, failed: failed.map((t) => t.expr), reasons: passed ? good : bad, ...(rate === undefined ? {} : { rate }) };
}

/** The verdict as the summary's last line: `PASSED: why` or `FAILED: why; why`. */
export function verdictLine(verdict: Verdict): string {
  const reasons = verdict.reasons ?? verdict.failed;
  return `${verdict.passed ? 'PASSED' : 'FAILED'}${reasons.length === 0 ? '' : `: ${reasons.join('; ')}`}`;
}

/**
 * Evaluates the thresholds on the result alone (its summary, server samples and failover section)
 * and gives its verdict: what a run writes, and what a saved result yields again.
 */
export function judgeResult(result: ResultV1, thresholds: readonly Threshold[]): Pick<ResultV1, 'thresholds' | 'verdict'> {
  const v = result.failover?.verification;
  // A --find-limit run went past its limit on purpose: its thresholds speak of the highest step
  // that held (its judged intervals, all but the step's first), not of the steps that broke.
  const held = result.limit?.held;
  const figures: ThresholdSubject =
    held === undefined
      ? { ...result.summary, server: result.server }
      : spanSubject(result.intervals.slice(held.firstInterval + 1, held.lastInterval + 1), result.server);
  const subject: ThresholdSubject = {
    ...figures,
    ...(result.failover === undefined ? {} : { rtoMs: result.failover.rtoS * 1000 }),
    ...(v === undefined ? {} : { lost: 'lost' in v ? v.lost : null }),
  };
  const evaluated = evaluateThresholds(thresholds, subject);
  return { thresholds: evaluated, verdict: verdictOf(evaluated, result) };
}

/** Failure counts by FailureIndex as a record by class (every class, 0 when none). */
export function errorsOf(errors: readonly number[]): Record<FailureClass, number> {
  const out = {} as Record<FailureClass, number>;
  FAILURE_CLASSES.forEach((c, i) => {
    out[c] = errors[i] ?? 0;
  });
  return out;
}

function nonZeroErrors(errors: readonly number[]): Partial<Record<FailureClass, number>> {
  const out: Partial<Record<FailureClass, number>> = {};
  FAILURE_CLASSES.forEach((c, i) => {
    const n = errors[i] ?? 0;
    if (n > 0) out[c] = n;
  });
  return out;
}

function txnSummary(t: TxnTotals, durationS: number, dropped: number, unfinished: number): Omit<TxnSummary, 'statements'> {
  const ok = t.ok;
  return {
    transactions: ok,
    failed: t.failed,
    retried: t.retried,
    retries: t.retries,
    skipped: t.skipped,
    dropped,
    unfinished,
    tps: durationS > 0 ? Math.round((ok / durationS) * 1000) / 1000 : 0,
    latencyMs: latencyMsOf(t.latency, ok, t.latencySumUs, t.latencyMinUs, t.latencyMaxUs),
    lagMs: {
      mean: ok === 0 ? null : usToMs(t.lagSumUs / ok),
      p50: msOf(t.lag, 50, t.lagMaxUs),
      p99: msOf(t.lag, 99, t.lagMaxUs),
      max: ok === 0 ? null : usToMs(t.lagMaxUs),
    },
    serviceMs: {
      mean: ok === 0 ? null : usToMs(t.serviceSumUs / ok),
      p50: msOf(t.service, 50, Infinity),
      p99: msOf(t.service, 99, Infinity),
      max: t.service.totalCount === 0 ? null : usToMs(t.service.maxValue),
    },
    errors: errorsOf(t.errors),
  };
}

function intervalResult(s: IntervalStats, durationS: number): IntervalResult {
  // The last interval may be cut short by the end of the run: its rate is over what it covered.
  const lenS = Math.max(0, Math.min(s.durationMs / 1000, durationS - s.tS));
  const rate = (ok: number): number => (lenS > 0 ? Math.round((ok / lenS) * 1000) / 1000 : 0);
  let types: Record<string, IntervalTypeResult> | undefined;
  if (s.types.length > 1) {
    types = {};
    for (const t of s.types) {
      const { p50, p90, p99, max } = t.latencyMs;
      types[t.name] = { transactions: t.ok, tps: rate(t.ok), failed: t.failed, errors: nonZeroErrors(t.errors), latencyMs: { p50, p90, p99, max } };
    }
  }
  return {
    tS: s.tS,
    durationS: Math.round(lenS * 1000) / 1000,
    tps: rate(s.ok),
    transactions: s.ok,
    latencyMs: { ...s.latencyMs },
    lagMs: { ...s.lagMs },
    failed: s.failed,
    errors: nonZeroErrors(s.errors),
    retried: s.retried,
    skipped: s.skipped,
    dropped: s.dropped,
    ...(s.missingWorkers > 0 ? { missingWorkers: s.missingWorkers } : {}),
    ...(types === undefined ? {} : { types }),
  };
}

export function buildResult(input: BuildResultInput): ResultV1 {
  const { totals, durationS } = input;
  const connect = totals.connect;
  const firstErrors: Partial<Record<FailureClass, string>> = {};
  FAILURE_CLASSES.forEach((c, i) => {
    const msg = totals.firstErrors[i];
    if (msg !== null && msg !== undefined) firstErrors[c] = msg;
  });
  const summary: ResultSummary = {
    ...txnSummary(totals, durationS, totals.dropped, totals.unfinished),
    latencyMs: runLatencyMs(totals),
    arrivals: totals.arrivals,
    connects: totals.connects,
    reconnects: totals.reconnects,
    connectMs: {
      mean: connect.totalCount === 0 ? null : usToMs(connect.mean),
      p50: msOf(connect, 50, Infinity),
      p99: msOf(connect, 99, Infinity),
      max: connect.totalCount === 0 ? null : usToMs(connect.maxValue),
    },
    ...(input.connectingS === undefined ? {} : { connectingS: Math.round(input.connectingS * 1000) / 1000 }),
    ...(input.clientThreads === undefined || input.clientThreads.length === 0 ? {} : { clientThreads: [...input.clientThreads] }),
    firstErrors,
    successRate: totals.arrivals === 0 ? null : Math.round((totals.ok / totals.arrivals) * 1e6) / 1e6,
    latencyIncludesUnfinished: totals.unfinished,
    unfinishedMaxWaitMs: totals.unfinished === 0 ? null : usToMs(totals.unfinishedWaitMaxUs),
  };
  const transactionTypes: ResultV1['transactionTypes'] = {};
  const histograms: Record<string, string> = {};
  for (const t of totals.types) {
    transactionTypes[t.name] = {
      ...txnSummary(t, durationS, 0, 0),
      statements: t.statements.map((s) => ({
        sql: s.sql,
        latencyMs: histLatencyMs(s.latency),
        count: s.latency.totalCount,
        failed: s.failed,
      })),
    };
    histograms[t.name] = encodeHistogram(t.latency);
  }
  const { serverVersion, hosts, ...targetRest } = input.target;
  const built: ResultV1 = {
    schema: RESULT_SCHEMA_ID,
    tool: { name: input.tool.name, version: input.tool.version },
    startedAt: typeof input.startedAt === 'string' ? input.startedAt : input.startedAt.toISOString(),
    durationS,
    target: { ...targetRest, serverVersion, hosts: [...hosts] },
    config: { ...input.config },
    summary,
    transactionTypes,
    intervals: input.intervals.map((s) => intervalResult(s, durationS)),
    server: [...(input.server ?? [])],
    thresholds: [],
    histograms,
    ...input.sections,
  };
  return { ...built, ...judgeResult(built, input.thresholds ?? []) };
}
