/**
 * How long a query pgsurge runs for itself (checks, init, module hooks, the write verifier, the
 * host role check) may go unanswered before pgsurge looks why (src/driver/admin-client.ts). Its
 * own module, free of the driver, so that the CLI can check the variable before anything starts.
 */
import { envSecondsMs } from './env-seconds.js';

/** Environment variable: seconds a query pgsurge runs for itself may go unanswered before it looks why. */
export const OWN_QUERY_DEADLINE_ENV = 'PGSURGE_OWN_QUERY_DEADLINE_S';
/** As --query-timeout's default. */
const DEFAULT_OWN_QUERY_DEADLINE_S = 30;

/**
 * The silence deadline of pgsurge's own queries in ms, from PGSURGE_OWN_QUERY_DEADLINE_S (default 30 s;
 * a usage error naming the variable when it is not a positive number).
 */
export function ownQueryDeadlineMs(env: NodeJS.ProcessEnv = process.env): number {
  return envSecondsMs({ name: OWN_QUERY_DEADLINE_ENV, defaultS: DEFAULT_OWN_QUERY_DEADLINE_S, what: "how long pgsurge's own queries may go unanswered" }, env);
}
