/** What one run against one target leaves: its result and the engine's outcome (exit code, errors). */
import type { RunOutcome } from '../engine/run.js';
import type { ResultV1 } from '../report/result.js';
import type { RunOutputs } from '../output/run-outputs.js';
import type { ResultAdditions, RunEnd } from '../output/types.js';

export interface ExecutedRun {
  readonly result: ResultV1;
  readonly outcome: RunOutcome;
}

/** After a second signal, what the outputs still get to stop (a healthy observer needs one snapshot). */
const STOP_NOW_GRACE_MS = 1_000;

/**
 * Stop the live outputs, waiting at most `maxWaitMs`, and at most STOP_NOW_GRACE_MS once `stopNow`
 * is aborted (a second signal). The outputs see `stopNow` too (RunEnd.stopNow): on it the server
 * observer hands over the samples it has at once, so a second signal keeps them. The observer bounds
 * its own stop; this is the run's guarantee that no output, whatever it waits for, holds back the
 * result. Undefined when it was cut short: the result then has no sections from the outputs.
 */
export async function stopOutputsWithin(
  outputs: RunOutputs,
  end: RunEnd,
  maxWaitMs: number,
  stopNow: AbortSignal | undefined,
): Promise<ResultAdditions | undefined> {
  const timers: NodeJS.Timeout[] = [];
  let onAbort: (() => void) | undefined;
  const cut = new Promise<undefined>((resolve) => {
    const after = (ms: number): void => void timers.push(setTimeout(() => resolve(undefined), ms));
    after(maxWaitMs);
    onAbort = () => after(STOP_NOW_GRACE_MS);
    if (stopNow?.aborted === true) onAbort();
    else stopNow?.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([outputs.stop(stopNow === undefined ? end : { ...end, stopNow }), cut]);
  } finally {
    for (const t of timers) clearTimeout(t);
    if (onAbort !== undefined) stopNow?.removeEventListener('abort', onAbort);
  }
}
