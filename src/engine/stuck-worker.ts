/**
 * How long past the end of the load plus the grace (or a stop signal plus the grace) a worker may
 * take to report its end before it is taken to be stuck (e.g. in a workload module's endless loop,
 * which no message can interrupt) and terminated. Generous by default, so that a slow but healthy
 * worker is never cut off; PGSURGE_STUCK_WORKER_MARGIN_S sets it (shorter where hangs are expected
 * and waiting them out costs, longer on a machine known to stall).
 */
import { envSecondsMs } from '../config/env-seconds.js';

export const STUCK_WORKER_MARGIN_ENV = 'PGSURGE_STUCK_WORKER_MARGIN_S';
const DEFAULT_MARGIN_S = 10;

export function stuckWorkerMarginMs(env: NodeJS.ProcessEnv = process.env): number {
  return envSecondsMs(
    { name: STUCK_WORKER_MARGIN_ENV, defaultS: DEFAULT_MARGIN_S, what: 'how long a worker may take to stop after the load and the grace' },
    env,
  );
}
