/**
 * The result's `limit` section (`pgsurge run --find-limit`, src/limit): the steps of the search,
 * each an interval range of the one result, the highest load that held, the lowest that broke and
 * what bound it. Targets are arrivals per second (`kind` rate) or active clients (`kind` clients).
 */
import { z } from '../vendor/zod.js';

const limitStepSchema = z.object({
  target: z.number(),
  /** Successful transactions per second over the step's judged intervals (all but its first). */
  achievedTps: z.number(),
  /** Highest interval p99 of the judged intervals, ms. */
  p99Ms: z.number().nullable(),
  failed: z.number().int().nonnegative(),
  /** Arrivals dropped or skipped in the judged intervals. */
  dropped: z.number().int().nonnegative(),
  /** Arrivals the schedule made in the judged intervals (open loop; the rate is judged against them). */
  arrivals: z.number().int().nonnegative(),
  /** Interval indexes: the first is the step's warm-up (not judged). */
  firstInterval: z.number().int().nonnegative(),
  lastInterval: z.number().int().nonnegative(),
  held: z.boolean(),
  /** Why it broke, in words. */
  broke: z.string().optional(),
});

export const limitSchema = z.object({
  kind: z.enum(['rate', 'clients']),
  /** found: held < broke, within the precision; no-break: nothing broke up to the maximum or the end of -T; first-broke: the first step broke. */
  outcome: z.enum(['found', 'no-break', 'first-broke', 'unfinished']),
  stepS: z.number().positive(),
  steps: z.array(limitStepSchema),
  held: limitStepSchema.optional(),
  broke: limitStepSchema.optional(),
  bound: z
    .object({ kind: z.enum(['client-cpu', 'server-cpu', 'lock-waits', 'io', 'pool', 'connections', 'replica-lag', 'latency']), evidence: z.string() })
    .optional(),
  /** The one line printed: `limit: … held at …; broke at … (…); bound: …`. */
  line: z.string(),
});

export type LimitSection = z.infer<typeof limitSchema>;
