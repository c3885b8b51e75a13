/**
 * The exit-code rule of one run (before any failover verdict, src/ha/ha-run.ts): 1 when it did not
 * complete (no transaction succeeded, or it was interrupted), 99 when a threshold failed, else 0.
 * A missed -R rate alone makes the verdict line FAILED but keeps 0, as pgbench does: scripts that
 * ran `-R` before the verdict existed keep their exit code; `--threshold 'success_rate>=99%'`
 * makes a run that fell behind its schedule exit 99.
 */
import type { RunOutcome } from '../engine/run.js';
import type { ResultV1 } from '../report/result.js';

/** At least one transaction succeeded, the run was not interrupted, lost no worker thread and (a merge) no part. */
export function runCompleted(result: ResultV1, outcome: Pick<RunOutcome, 'interrupted'>): boolean {
  return result.summary.transactions > 0 && !outcome.interrupted && (result.stop?.lostWorkers ?? 0) === 0 && (result.merged?.missing.length ?? 0) === 0;
}

export function runExitCode(result: ResultV1, outcome: Pick<RunOutcome, 'interrupted'>): 0 | 1 | 99 {
  if (!runCompleted(result, outcome)) return 1;
  return result.thresholds.some((t) => !t.ok) ? 99 : 0;
}

/** The same rule for a result alone (a merge of parts): interrupted when its stop says so. */
export function resultExitCode(result: ResultV1): 0 | 1 | 99 {
  return runExitCode(result, { interrupted: result.stop?.reason === 'interrupted' });
}
