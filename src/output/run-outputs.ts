/**
 * Opening, feeding and stopping the live outputs of one run. Outputs are opened in order; if one
 * fails, those already open are stopped and the error goes on. Hooks fan out in the order the
 * outputs were given; a server sample an output hands to `ctx.serverSample` reaches every output's
 * `server` hook. Stopping collects each output's result sections (later outputs win on a
 * section both return; no two built-in outputs return the same one).
 */
import type { IntervalStats } from '../metrics/aggregator.js';
import type { LiveOutput, ResultAdditions, RunContext, RunEnd } from './types.js';

export interface RunOutputs {
  start(measureStartUs: number): void;
  interval(stats: IntervalStats): void;
  /** Stop every output (once) and merge what they add to the result. */
  stop(end: RunEnd): Promise<ResultAdditions>;
  /** Stop whatever is still open because the run failed; what the outputs return is of no use then. */
  abort(): Promise<void>;
}

export async function openRunOutputs(outputs: readonly LiveOutput[], ctx: RunContext): Promise<RunOutputs> {
  const opened: LiveOutput[] = [];
  const shared: RunContext = {
    ...ctx,
    serverSample: (sample) => {
      ctx.serverSample?.(sample);
      for (const o of opened) {
        try {
          o.server?.(sample);
        } catch {
          /* one output's failure must not keep the sample from the others */
        }
      }
    },
  };
  try {
    for (const o of outputs) {
      await o.open?.(shared);
      opened.push(o);
    }
  } catch (e) {
    await stopQuietly(opened.splice(0));
    throw e;
  }
  return {
    start(measureStartUs: number): void {
      for (const o of opened) o.start?.(measureStartUs);
    },
    interval(stats: IntervalStats): void {
      for (const o of opened) o.interval?.(stats);
    },
    async stop(end: RunEnd): Promise<ResultAdditions> {
      let sections: ResultAdditions = {};
      // Each leaves `opened` once stopped, not before: the observer's last samples, sent while it
      // stops, still reach the outputs stopped after it.
      for (const o of opened.slice()) {
        try {
          sections = { ...sections, ...(await o.stop?.(end)) };
        } finally {
          opened.splice(opened.indexOf(o), 1);
        }
      }
      return sections;
    },
    abort: () => stopQuietly(opened.splice(0)),
  };
}

async function stopQuietly(outputs: readonly LiveOutput[]): Promise<void> {
  for (const o of outputs) await o.stop?.({ intervals: [] }).catch(() => undefined);
}
