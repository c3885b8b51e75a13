/**
 * The result's `failover` section (src/ha: measured with --failover / --verify-writes) as a zod
 * schema, with the types derived from it: src/ha builds it, src/report renders it, and the exit
 * code reads it, all from these types. Times are seconds from the start of the measured phase
 * (like intervals' tS), so the HTML report can shade `outages[].startS/endS`.
 */
import { z } from '../vendor/zod.js';

const num = z.number();

const outageSummarySchema = z.object({
  startS: num,
  endS: num,
  durationS: num,
  /** The run ended before any affected client wrote again. */
  open: z.boolean(),
  /** Clients that had a window in this outage, and how long their own windows were. */
  clients: num,
  clientWindowS: z.object({ p50: num, max: num }),
  /** From the start of the outage to the first successful read that started after it; null: none. */
  timeToFirstReadS: num.nullable(),
  /** Failures by class of the affected clients inside their windows. */
  errors: z.record(z.string(), num),
  /**
   * No write failed: the writes hung and none was acknowledged for at least 250 ms (e.g. a pooler
   * holding its clients through a failover). Its clients are those whose writes hung across it.
   */
  stall: z.boolean().optional(),
});

const reconnectSummarySchema = z.object({
  count: num,
  clients: num,
  p50Ms: num.nullable(),
  maxMs: num.nullable(),
  /** Per client id: count, p50, max (only clients that reconnected). */
  perClient: z.record(z.string(), z.object({ count: num, p50Ms: num, maxMs: num })),
  /** Reconnects by the host they landed on ("host:port"). */
  hosts: z.record(z.string(), num),
});

/** What the clients saw, merged from the workers' snapshots (src/ha/failover-section.ts). */
const failoverSectionSchema = z.object({
  outages: z.array(outageSummarySchema),
  /** The longest outage (0 without one): what `--threshold 'rto<30s'` checks. */
  rtoS: num,
  reconnects: reconnectSummarySchema,
  /** Write outcomes by transaction type (unknown: the connection died in flight). */
  writes: z.record(z.string(), z.object({ ok: num, failed: num, unknown: num })),
  /** Windows not kept because a worker already had 10,000 (a flapping server). */
  windowsDropped: num.optional(),
});

const serverGapSchema = z.object({ startS: num, endS: num, durationS: num, timelineBefore: z.string(), timelineAfter: z.string() });

/** The server's side of an outage, from the ha-writes rows (src/ha/server-gap.ts). */
const serverGapsSchema = z.object({
  /** The largest gap between consecutive rows (null with fewer than two rows). */
  largest: serverGapSchema.nullable(),
  /** Every change of timeline: last row on the old one → first row on the new one. */
  timelineSwitches: z.array(serverGapSchema),
  rows: num,
});

const setCheckSchema = z.object({
  table: z.string(),
  acknowledged: num,
  final: num,
  lost: num,
  unexpected: num,
  recovered: num,
  lostIds: z.array(z.string()),
  unexpectedIds: z.array(z.string()),
});

/** --verify-writes: the final state checked against the ledger (src/ha/verify-writes.ts). */
const writeVerificationSchema = z.object({
  /** "ok", or what is wrong, most serious first. */
  verdict: z.enum(['ok', 'LOST WRITES', 'UNEXPECTED WRITES', 'INVARIANT BROKEN']),
  ok: z.boolean(),
  host: z.string(),
  lost: num,
  unexpected: num,
  recovered: num,
  /** Up to 10 ids each, as "table client/seq". */
  lostIds: z.array(z.string()),
  unexpectedIds: z.array(z.string()),
  sets: z.array(setCheckSchema),
  counter: z.object({ value: num, acknowledged: num, unknown: num, ok: z.boolean() }).nullable(),
  balance: z.object({ expected: num, actual: num, ok: z.boolean() }).nullable(),
});

/** No primary could be reached after the run to read the final state from. */
const notVerifiedSchema = z.object({ verdict: z.literal('NOT VERIFIED'), ok: z.literal(false), error: z.string() });

/** A figure of the pooler's at its extreme over the run, and the interval (its start, s) it was read in. */
const atSchema = z.object({ value: num, atS: num });

/** A change of a Pgpool-II node's state between two readings. */
const nodeChangeSchema = z.object({ atS: num, host: z.string(), before: z.string(), after: z.string() });

/**
 * The pooler's view of the run (src/ha/pooler-view.ts): what its console said at the ends of the
 * intervals, read from the run's server samples. PgBouncer: the most clients waiting for a server
 * connection, the longest wait, the fewest server connections it held. Pgpool-II: every change of
 * a node's status or role.
 */
const poolerViewSchema = z.object({
  kind: z.enum(['pgbouncer', 'pgpool']),
  version: z.string(),
  at: z.string(),
  clientsWaitingMax: atSchema.nullable(),
  maxWaitMs: atSchema.nullable(),
  serverConnectionsMin: atSchema.nullable(),
  nodeChanges: z.array(nodeChangeSchema),
});

export const failoverResultSchema = failoverSectionSchema.extend({
  timeline: z.object({ before: z.string().nullable(), after: z.string().nullable() }),
  /** From the ha-writes rows (null without them). */
  server: serverGapsSchema.nullable(),
  /** Client outage (rtoS) minus the server's largest gap: near 0 when both saw the same outage. */
  clientMinusServerS: num.nullable(),
  verification: z.union([writeVerificationSchema, notVerifiedSchema]).optional(),
  primaryAfter: z.string().nullable(),
  /** The pooler in front, as its console saw the run (only when the run sampled it). */
  pooler: poolerViewSchema.optional(),
  /**
   * The run is still going (the live page, a result so far): an open outage runs to now, and what
   * only the end tells (writes, the timeline after, the server's gap, the verification) is absent.
   */
  soFar: z.boolean().optional(),
});

export type OutageSummary = z.infer<typeof outageSummarySchema>;
export type ReconnectSummary = z.infer<typeof reconnectSummarySchema>;
export type FailoverSection = z.infer<typeof failoverSectionSchema>;
export type ServerGap = z.infer<typeof serverGapSchema>;
export type ServerGaps = z.infer<typeof serverGapsSchema>;
export type SetCheck = z.infer<typeof setCheckSchema>;
export type WriteVerification = z.infer<typeof writeVerificationSchema>;
export type NotVerified = z.infer<typeof notVerifiedSchema>;
export type FailoverResult = z.infer<typeof failoverResultSchema>;
export type PoolerView = z.infer<typeof poolerViewSchema>;
