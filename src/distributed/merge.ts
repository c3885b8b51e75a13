/**
 * `pgsurge merge`: the parts of a sharded run (each a result with a `shard` section) joined into one
 * result of the same schema. The parts' interval snapshots go through the engine's own aggregator,
 * one part as one worker, so a merged result is built exactly as a one-process run's is: counters
 * summed, every percentile (overall, per type, per statement, per interval) from merged HDR
 * histograms. The merged result carries the merged snapshots too, so it merges again with further
 * parts, in any order.
 *
 * Refused (usage error, naming the files): results that are not parts, parts of different runs or
 * configurations, a part given twice, and missing parts unless `allowPartial` (then the result
 * says which are missing and its verdict fails).
 */
import { usageError } from '../errors.js';
import { Aggregator } from '../metrics/aggregator.js';
import { parseThreshold, type Threshold } from '../metrics/thresholds.js';
import { FAILURE_CLASSES, type MetricsLayout } from '../metrics/types.js';
import { buildResult, type ResultSections, type ResultV1, type RunStop } from '../report/result.js';
import type { ShardSection } from '../report/shard-schema.js';
import { firstDifference } from './identity.js';
import { emptySnapshot, fromWire, SnapshotLog } from './snapshots.js';

export interface MergeInput {
  /** As given, for messages. */
  readonly file: string;
  readonly result: ResultV1;
}

export interface MergeOptions {
  /** Thresholds to judge besides the parts' own (--threshold of merge). */
  readonly thresholds?: readonly Threshold[];
  /** Merge even when parts are missing (the result is marked partial). */
  readonly allowPartial?: boolean;
}

interface Part extends MergeInput {
  readonly shard: ShardSection;
}

const partList = (ks: readonly number[], n: number): string => ks.map((k) => `${k}/${n}`).join(', ');

function checkParts(inputs: readonly MergeInput[], allowPartial: boolean): { parts: Part[]; missing: number[] } {
  if (inputs.length === 0) throw usageError('BAD_USAGE', 'merge: give the result files of the parts (run --shard K/N --json FILE)');
  const parts: Part[] = inputs.map((x) => {
    if (x.result.shard === undefined)
      throw usageError('MERGE_NOT_A_PART', `${x.file}: not a part of a sharded run (no shard section: run it with --shard K/N)`);
    return { ...x, shard: x.result.shard };
  });
  const first = parts[0]!;
  for (const p of parts.slice(1)) {
    if (p.result.tool.version !== first.result.tool.version)
      throw usageError(
        'MERGE_OTHER_CONFIG',
        `${first.file} was made by pgsurge ${first.result.tool.version}, ${p.file} by ${p.result.tool.version}: run every part with one version`,
      );
    if (p.shard.n !== first.shard.n) throw usageError('MERGE_OTHER_RUN', `${p.file} is a part of ${p.shard.n}, ${first.file} of ${first.shard.n}`);
    const diff = firstDifference(first.result.config, p.result.config);
    if (diff !== undefined || p.shard.identity !== first.shard.identity) {
      const what = diff === undefined ? 'their configurations' : `${diff.field}: ${diff.a} in ${first.file}, ${diff.b} in ${p.file}`;
      throw usageError('MERGE_OTHER_CONFIG', `${first.file} and ${p.file} were run with different options (${what}): they are not parts of one run`);
    }
    if (p.shard.runId !== first.shard.runId)
      throw usageError('MERGE_OTHER_RUN', `${p.file} is a part of run ${p.shard.runId}, ${first.file} of run ${first.shard.runId}: merge the parts of one run`);
    if (JSON.stringify(p.shard.layout) !== JSON.stringify(first.shard.layout))
      throw usageError('MERGE_OTHER_CONFIG', `${first.file} and ${p.file} ran different transactions or statements (a script changed between them?)`);
    if (p.shard.intervalMs !== first.shard.intervalMs)
      throw usageError(
        'MERGE_OTHER_CONFIG',
        `${first.file} and ${p.file} have different interval grids (${first.shard.intervalMs} and ${p.shard.intervalMs} ms)`,
      );
  }
  const n = first.shard.n;
  const owner = new Map<number, string>();
  for (const p of parts) {
    for (const k of p.shard.parts) {
      const had = owner.get(k);
      if (had !== undefined) throw usageError('MERGE_DUPLICATE_PART', `part ${k}/${n} is in both ${had} and ${p.file}: give each part once`);
      owner.set(k, p.file);
    }
  }
  const missing = Array.from({ length: n }, (_, i) => i + 1).filter((k) => !owner.has(k));
  if (missing.length > 0 && !allowPartial) {
    throw usageError(
      'MERGE_MISSING_PART',
      `run ${first.shard.runId}: ${missing.length === 1 ? 'part' : 'parts'} ${partList(missing, n)} missing (have ${partList(
        [...owner.keys()].sort((a, b) => a - b),
        n,
      )}): give ${missing.length === 1 ? 'its result' : 'their results'}, or --partial to merge what there is (marked partial, exit 1)`,
    );
  }
  return { parts: [...parts].sort((a, b) => a.shard.parts[0]! - b.shard.parts[0]!), missing };
}

/** Why the load ended, over all parts: any part interrupted or short of a worker makes the whole so. */
function mergedStop(parts: readonly Part[]): RunStop {
  const notes: string[] = [];
  let interrupted = false;
  let lostWorkers = 0;
  for (const p of parts) {
    const s = p.result.stop;
    if (s === undefined) continue;
    if (s.reason === 'interrupted') interrupted = true;
    lostWorkers += s.lostWorkers ?? 0;
    if (s.message !== undefined) notes.push(`part ${partList(p.shard.parts, p.shard.n)}: ${s.message}`);
  }
  const reasons = parts.map((p) => p.result.stop?.reason ?? 'duration');
  const reason = interrupted ? 'interrupted' : reasons.includes('ended') ? 'ended' : reasons.every((r) => r === 'transactions') ? 'transactions' : 'duration';
  return { reason, ...(lostWorkers > 0 ? { lostWorkers } : {}), ...(notes.length > 0 ? { message: notes.join('; ') } : {}) };
}

function mergedHosts(parts: readonly Part[]): NonNullable<ResultV1['hosts']> {
  const sums = new Map<string, { transactions: number; failed: number; latencySumMs: number }>();
  for (const p of parts) {
    for (const [h, f] of Object.entries(p.result.hosts ?? {})) {
      const s = sums.get(h) ?? { transactions: 0, failed: 0, latencySumMs: 0 };
      s.transactions += f.transactions;
      s.failed += f.failed;
      s.latencySumMs += (f.meanLatencyMs ?? 0) * f.transactions;
      sums.set(h, s);
    }
  }
  const out: NonNullable<ResultV1['hosts']> = {};
  for (const [h, s] of sums)
    out[h] = {
      transactions: s.transactions,
      failed: s.failed,
      meanLatencyMs: s.transactions === 0 ? null : Math.round((s.latencySumMs / s.transactions) * 1000) / 1000,
    };
  return out;
}

/** The parts' thresholds (as written, each once) and the merge's own. */
function thresholdsOf(parts: readonly Part[], extra: readonly Threshold[]): Threshold[] {
  const seen = new Set<string>();
  const out: Threshold[] = [];
  const take = (t: Threshold): void => {
    if (seen.has(t.expr)) return;
    seen.add(t.expr);
    out.push(t);
  };
  for (const p of parts) {
    const list = p.result.config['thresholds'];
    if (!Array.isArray(list)) continue;
    for (const expr of list) {
      if (typeof expr !== 'string') continue;
      try {
        take(parseThreshold(expr));
      } catch {
        throw usageError('RESULT_INVALID', `${p.file}: its threshold "${expr}" does not parse with this version of pgsurge`);
      }
    }
  }
  for (const t of extra) take(t);
  return out;
}

export function mergeResults(inputs: readonly MergeInput[], opts: MergeOptions = {}): ResultV1 {
  const { parts, missing } = checkParts(inputs, opts.allowPartial === true);
  const first = parts[0]!;
  const { n, runId, identity, intervalMs } = first.shard;
  const layout: MetricsLayout = first.shard.layout;
  // Each part is one worker of the aggregator; its last snapshot is its final one.
  const aggregator = new Aggregator(layout, { workers: parts.length, intervalMs });
  const log = new SnapshotLog(layout.txnTypes.map((t) => t.statements.length));
  parts.forEach((p, w) => {
    const snaps = p.shard.snapshots;
    snaps.forEach((wire, i) => {
      const s = fromWire(wire, w, i === snaps.length - 1);
      aggregator.add(s);
      log.add(s);
    });
    if (snaps.length === 0) aggregator.workerLost(w);
  });
  aggregator.finish();
  const covered = parts.flatMap((p) => p.shard.parts).sort((a, b) => a - b);
  const withServer = parts.find((p) => p.result.server.length > 0) ?? first;
  const sections: ResultSections = {
    ...(withServer.result.serverFacts === undefined ? {} : { serverFacts: withServer.result.serverFacts }),
    ...(withServer.result.findings === undefined ? {} : { findings: withServer.result.findings }),
    ...(withServer.result.statementServerTime === undefined ? {} : { statementServerTime: withServer.result.statementServerTime }),
    ...(first.result.workloads === undefined ? {} : { workloads: first.result.workloads }),
    hosts: mergedHosts(parts),
    stop: mergedStop(parts),
    shard: {
      runId,
      identity,
      n,
      parts: covered,
      intervalMs,
      layout: first.shard.layout,
      snapshots: log.wire((i) =>
        emptySnapshot(
          i,
          layout.txnTypes.map((t) => t.statements.length),
          FAILURE_CLASSES.length,
        ),
      ),
    },
    merged: { runId, n, parts: covered, missing, files: parts.map((p) => p.file) },
  };
  const startedAt = parts.map((p) => p.result.startedAt).sort()[0]!;
  // The merged result is the whole run: its config is a part's without the part.
  const config = Object.fromEntries(Object.entries(first.result.config).filter(([k]) => k !== 'shard'));
  return buildResult({
    tool: first.result.tool,
    startedAt,
    durationS: Math.max(...parts.map((p) => p.result.durationS)),
    target: { ...first.result.target, hosts: [...new Set(parts.flatMap((p) => p.result.target.hosts))] },
    config,
    totals: aggregator.totals(),
    intervals: aggregator.intervals(),
    thresholds: thresholdsOf(parts, opts.thresholds ?? []),
    server: withServer.result.server,
    sections,
  });
}
