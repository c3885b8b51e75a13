/** What one run against one target leaves: its result and the engine's outcome (exit code, errors). */
import type { RunOutcome } from '../engine/run.js';
import type { ResultV1 } from '../report/result.js';

export interface ExecutedRun {
  readonly result: ResultV1;
  readonly outcome: RunOutcome;
}
