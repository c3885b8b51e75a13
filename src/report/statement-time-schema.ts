/**
 * The result's `statementServerTime` section: the server's own time per statement of the workload,
 * from pg_stat_statements deltas over the measured phase (src/observe/statement-time.ts), beside the
 * client's per-statement latencies in `transactionTypes[type].statements[index]`. Imports nothing
 * of observe, so the result's schema stays free of the code that fills it.
 *
 * Meanings:
 * - Figures are differences of two readings (start and end of the measured phase) of the entries of
 *   the run's database and user. Other sessions of that user running the same statement there add
 *   to them; nothing tells their calls apart.
 * - A statement is matched to the entries whose normalised text has its shape (constants,
 *   parameters and pgbench variables alike, see statement-shape.ts). `sharedBy` > 1: that many of
 *   the run's statements have one shape, and the figures cover them all together.
 * - execMsMean and planMsMean are per call (planMsMean null when pg_stat_statements.track_planning is off).
 * - A statement with no row here had no matching entry (not run, or run in no measurable way).
 */
import { z } from '../vendor/zod.js';

const count = z.number().int().nonnegative();

export const statementServerSchema = z.object({
  /** Transaction type (a key of transactionTypes) and the statement's index in its `statements`. */
  type: z.string(),
  statement: count,
  calls: count,
  execMsMean: z.number().nonnegative(),
  planMsMean: z.number().nonnegative().nullable(),
  rows: count,
  sharedBlksHit: count,
  sharedBlksRead: count,
  sharedBy: z.number().int().positive(),
});

export const statementServerTimeSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('measured'),
    /** The host the readings came from ("host:port"): the load's. */
    host: z.string(),
    planningTracked: z.boolean(),
    statements: z.array(statementServerSchema),
    /** Times the server evicted entries during the phase (pg_stat_statements.max; PG ≥ 14): figures may be low or missing. */
    evictions: count.optional(),
  }),
  /** pg_stat_statements cannot be read there: why, and how to enable it. */
  z.object({ status: z.literal('unavailable'), host: z.string(), reason: z.string(), hint: z.string() }),
  /** A reading failed (no answer, a lost connection): the figures are missing. */
  z.object({ status: z.literal('failed'), host: z.string(), reason: z.string() }),
]);

export type StatementServer = z.infer<typeof statementServerSchema>;
export type StatementServerTime = z.infer<typeof statementServerTimeSchema>;
