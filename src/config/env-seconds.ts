/**
 * Durations pgsurge takes from environment variables (PGSURGE_*_S): a number of seconds above 0
 * and at most a day, so that every one fits a timer (Node's setTimeout fires at once past 24.8
 * days). A bad value is a usage error naming the variable, what it sets and its default.
 */
import { usageError } from '../errors.js';

const MAX_S = 86_400;

export interface EnvSeconds {
  /** The variable's name. */
  readonly name: string;
  /** Seconds when the variable is unset or empty. */
  readonly defaultS: number;
  /** What the variable sets, for the error ("how long … may …"). */
  readonly what: string;
}

/** The variable's value in ms (rounded up), or its default. */
export function envSecondsMs(spec: EnvSeconds, env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[spec.name];
  if (raw === undefined || raw === '') return spec.defaultS * 1000;
  const s = Number(raw);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(s > 0) || s > MAX_S) {
    throw usageError('BAD_ENV', `${spec.name}=${raw}: expected a number of seconds above 0 and at most ${MAX_S} (${spec.what}; default ${spec.defaultS})`);
  }
  return Math.ceil(s * 1000);
}
