/**
 * --find-limit wired to a run: the search's options from the resolved config, and the exit code
 * that follows from its outcome. Open loop: from -R, doubling, no bound but -T. Closed loop: from
 * one client up to -c (every client is connected at the start; only the target's number run).
 */
import type { RunConfig } from '../config/run-config.js';
import type { RunControl } from '../engine/run.js';
import type { ResultV1 } from '../report/result.js';
import { createLimitRun, type LimitRun } from './live.js';

export function findLimitRun(cfg: RunConfig, openLoop: boolean, control: RunControl, write: (line: string) => void): LimitRun {
  return createLimitRun(
    {
      openLoop,
      start: openLoop ? (cfg.rateHz ?? 100) : 1,
      max: openLoop ? undefined : cfg.clients,
      stepMs: cfg.findLimitStepMs,
      intervalMs: cfg.intervalMs,
      clients: cfg.clients,
      thresholds: cfg.thresholds,
    },
    control,
    (line) => write(`pgsurge: ${line}`),
  );
}

/**
 * A search whose first step already broke, or that did not finish, found no limit: exit 1 (the
 * `limit:` line says what to change). A limit found, or nothing broke up to the maximum (the load
 * held all the way: the line says so), keeps the run's own code.
 */
export function limitExitCode(result: ResultV1, code: number): number {
  const outcome = result.limit?.outcome;
  if (code !== 0 || outcome === undefined) return code;
  return outcome === 'first-broke' || outcome === 'unfinished' ? 1 : code;
}
