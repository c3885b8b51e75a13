/**
 * How long a query pgsurge runs for itself (checks, init, module hooks, the write verifier, the
 * host role check) may go unanswered before pgsurge looks why (src/driver/admin-client.ts). Its
 * own module, free of the driver, so that the CLI can check the variable before anything starts.
 */
import { usageError } from '../errors.js';

/** Environment variable: seconds a query pgsurge runs for itself may go unanswered before it looks why. */
export const OWN_QUERY_DEADLINE_ENV = 'PGSURGE_OWN_QUERY_DEADLINE_S';
/** As --query-timeout's default. */
const DEFAULT_OWN_QUERY_DEADLINE_S = 30;

/**
 * The silence deadline of pgsurge's own queries in ms, from PGSURGE_OWN_QUERY_DEADLINE_S (default 30 s;
 * a usage error naming the variable when it is not a positive number).
 */
export function ownQueryDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[OWN_QUERY_DEADLINE_ENV];
  if (raw === undefined || raw === '') return DEFAULT_OWN_QUERY_DEADLINE_S * 1000;
  const s = Number(raw);
  if (!/^\s*\d+(\.\d+)?\s*$/.test(raw) || !(s > 0) || s > 86_400) {
    throw usageError(
      'BAD_ENV',
      `${OWN_QUERY_DEADLINE_ENV}=${raw}: expected a number of seconds above 0 and at most 86400 (how long pgsurge's own queries may go unanswered; default ${DEFAULT_OWN_QUERY_DEADLINE_S})`,
    );
  }
  return Math.ceil(s * 1000);
}
