/**
 * The result's `shard` section: what a part of a run (`run --shard K/N`) or a merge of parts
 * (`pgsurge merge`) carries so that results merge exactly, again and in any order. `snapshots`
 * holds one snapshot per interval of the measured phase, every worker thread of the covered parts
 * merged into it: counters and HDR histograms (HDR's own encoding, base64), the same unit the
 * engine's worker threads send (src/metrics/snapshot.ts). A merged result is built from them alone,
 * so every percentile of it comes from merged histograms.
 */
import { z } from '../vendor/zod.js';

/** HDR histogram in HDR's binary encoding, base64; null when empty. */
const histogram = z.string().nullable();
const count = z.number().int().nonnegative();
const us = z.number().nonnegative();

export const wireTypeSchema = z.object({
  ok: count,
  errors: z.array(count),
  retried: count,
  retries: count,
  skipped: count,
  latencySumUs: us,
  latencyMinUs: us,
  latencyMaxUs: us,
  lagSumUs: us,
  lagMaxUs: us,
  serviceSumUs: us,
  latency: histogram,
  lag: histogram,
  service: histogram,
  /**
   * Statements that ended in the interval, each with its index `i` in the type's statements. An
   * entry without `i` is positional (one entry per statement, as earlier versions wrote them).
   */
  statements: z.array(z.object({ i: count.optional(), latency: histogram, failed: count })),
});

export const wireSnapshotSchema = z.object({
  interval: count,
  arrivals: count,
  dropped: count,
  unfinished: count,
  unfinishedWaitSumUs: us,
  unfinishedWaitMinUs: us,
  unfinishedWaitMaxUs: us,
  unfinishedWait: histogram,
  connects: count,
  reconnects: count,
  connect: histogram,
  types: z.array(wireTypeSchema),
  firstErrors: z.array(z.string().nullable()),
});

export const shardSectionSchema = z.object({
  /** The run the parts belong to (--run-id, or derived from the configuration). */
  runId: z.string(),
  /** The configuration the parts share (a hash of it without what may differ per part: src/distributed/identity.ts). */
  identity: z.string(),
  /** How many parts the run has. */
  n: z.number().int().positive(),
  /** The parts this result covers, ascending: one for a shard's own result, several for a merge. */
  parts: z.array(z.number().int().positive()).min(1),
  /** For a single part: which one. */
  k: z.number().int().positive().optional(),
  intervalMs: z.number().positive(),
  /** Transaction types and their statements, in the snapshots' order. */
  layout: z.object({ txnTypes: z.array(z.object({ name: z.string(), statements: z.array(z.string()) })) }),
  /** One per interval, ascending by `interval`. */
  snapshots: z.array(wireSnapshotSchema),
});

/** A merged result: which parts went into it and which were missing (never presented as complete). */
export const mergedSchema = z.object({
  runId: z.string(),
  n: z.number().int().positive(),
  parts: z.array(z.number().int().positive()),
  missing: z.array(z.number().int().positive()),
  /** The files merged, as given. */
  files: z.array(z.string()),
});

export type WireSnapshot = z.infer<typeof wireSnapshotSchema>;
export type WireType = z.infer<typeof wireTypeSchema>;
export type ShardSection = z.infer<typeof shardSectionSchema>;
export type MergedInfo = z.infer<typeof mergedSchema>;
