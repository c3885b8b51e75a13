/**
 * Host selection for multi-host targets with libpq's target_session_attrs. Neither `pg` nor
 * postgres.js gets this right (DESIGN.md "Driver notes"), so each host is asked itself:
 * `pg_is_in_recovery()` and `transaction_read_only`.
 *
 * Deadline (libpq's connect_timeout): each host gets connect_timeout for all of it — TCP, TLS,
 * authentication and the role check — and then the next host is tried. A host that accepts the
 * connection and never answers (a stalled server, a pooler whose server is gone, a blackholed path)
 * therefore costs connect_timeout and no more. With connect_timeout=0 (libpq: wait forever for the
 * connection) the role check still gets the own-query deadline (ownQueryDeadlineMs): it is a query pgsurge runs for
 * itself, and none of those may hang. Preparing the statements (-M prepared, before the role check)
 * gets connect_timeout of its own (or the own-query deadline), for the same reason. The error when no host will do names every host tried and
 * what happened there.
 */
import { describeHost } from './conninfo.js';
import { ownQueryDeadlineMs } from '../config/own-query-deadline.js';
import { OpenError } from './connect.js';
import { openSession, queryText } from './session.js';
import type { ConnInfo, HostSpec, OpenSessionOptions, Session, TargetSessionAttrs } from './types.js';

export interface HostRole {
  readonly inRecovery: boolean;
  readonly readOnly: boolean;
}

/** Does a host with this role satisfy the attribute? (prefer-standby is handled by the caller.) */
export function roleMatches(attrs: TargetSessionAttrs, role: HostRole): boolean {
  switch (attrs) {
    case 'any':
    case 'prefer-standby':
      return true;
    case 'read-write':
      return !role.readOnly;
    case 'read-only':
      return role.readOnly;
    case 'primary':
      return !role.inRecovery;
    case 'standby':
      return role.inRecovery;
  }
}

/** The role check gets at least this, even when the connection used up nearly all of connect_timeout. */
const MIN_CHECK_MS = 1_000;

const ROLE_SQL = "SELECT pg_is_in_recovery()::text, current_setting('transaction_read_only')";

/** Rejected with when the role check is not answered in time; the session is destroyed then. */
class NoAnswer extends Error {}

/**
 * Ask an open session what its server is; rejects with NoAnswer after `deadlineMs` (and destroys
 * the session). `allowed` is the deadline as the user knows it, for the message.
 */
async function hostRole(session: Session, deadlineMs: number, allowed: string): Promise<HostRole> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      session.destroy();
      reject(
        new NoAnswer(
          `no answer to "SELECT pg_is_in_recovery()" within ${allowed}: it took the connection, then stopped answering (a stalled server, pooler or network path)`,
        ),
      );
    }, deadlineMs);
  });
  try {
    const r = await Promise.race([queryText(session, ROLE_SQL), late]);
    const row = r.rows[0] ?? [];
    return { inRecovery: row[0] === 'true', readOnly: row[1] === 'on' };
  } finally {
    clearTimeout(timer);
  }
}

/** What is left of connect_timeout for the role check of a host whose attempt began at `sinceMs`. */
function checkDeadlineMs(ci: ConnInfo, sinceMs: number): number {
  if (ci.connectTimeoutMs <= 0) return ownQueryDeadlineMs();
  return Math.max(MIN_CHECK_MS, ci.connectTimeoutMs - (Date.now() - sinceMs));
}

/** The role check's deadline as the user knows it. */
function allowedText(ci: ConnInfo): string {
  return ci.connectTimeoutMs <= 0 ? `${ownQueryDeadlineMs() / 1000} s` : `connect_timeout (${ci.connectTimeoutMs / 1000} s)`;
}

/**
 * Try `open` on each host in order and return the first that works; when none does, reject with
 * OpenError naming every host tried and what went wrong there (not just the last one).
 */
export async function firstAnsweringHost<T>(ci: ConnInfo, open: (host: HostSpec) => Promise<T>): Promise<{ value: T; host: HostSpec }> {
  const problems: string[] = [];
  for (const host of ci.hosts) {
    try {
      return { value: await open(host), host };
    } catch (e) {
      // One host: its own error is the whole story (it names the host already).
      if (ci.hosts.length === 1) throw e;
      problems.push(problemOf(host, e));
    }
  }
  throw noHost(ci, 'any', problems);
}

/** "host:port: what happened", with the code only when it tells something (a SQLSTATE, a socket code). */
function problemOf(host: HostSpec, e: unknown): string {
  if (e instanceof OpenError) {
    const { code, message } = e.info;
    const told = /^([0-9A-Z]{5}|E[A-Z]+)$/.test(code) && !message.includes(code);
    return `${describeHost(host)}: ${message}${told ? ` (${code})` : ''}`;
  }
  const message = (e as { message?: string }).message ?? String(e);
  return `${describeHost(host)}: ${message}`;
}

/** The error when no host will do: every host tried, each with what happened there. */
function noHost(ci: ConnInfo, attrs: TargetSessionAttrs, problems: readonly string[]): OpenError {
  return new OpenError(ci.hosts.map(describeHost).join(','), {
    code: '08000',
    message: `${attrs === 'any' ? 'no host answered' : `no host is ${attrs}`}: ${problems.join('; ')}`,
    severity: undefined,
    detail: undefined,
    position: undefined,
  });
}

/**
 * Open a session on the first host (in the given order) that satisfies ci.targetSessionAttrs, like
 * libpq; prefer-standby takes a standby if there is one, else any host. Rejects with OpenError
 * listing what was wrong with each host.
 */
export async function openTargetSession(ci: ConnInfo, opts: OpenSessionOptions): Promise<Session> {
  const attrs = ci.targetSessionAttrs;
  const problems: string[] = [];
  let fallback: Session | undefined;
  for (const host of ci.hosts) {
    const sinceMs = Date.now();
    let s: Session;
    try {
      s = await openSession(ci, host, opts, ci.connectTimeoutMs > 0 ? ci.connectTimeoutMs : ownQueryDeadlineMs());
    } catch (e) {
      if (ci.hosts.length === 1 && attrs === 'any') throw e;
      problems.push(problemOf(host, e));
      continue;
    }
    if (attrs === 'any') return s;
    let role: HostRole;
    try {
      role = await hostRole(s, checkDeadlineMs(ci, sinceMs), allowedText(ci));
    } catch (e) {
      s.destroy();
      problems.push(problemOf(host, e));
      continue;
    }
    if (attrs === 'prefer-standby') {
      if (role.inRecovery) {
        fallback?.destroy();
        return s;
      }
      if (fallback === undefined) fallback = s;
      else s.destroy();
      continue;
    }
    if (roleMatches(attrs, role)) {
      fallback?.destroy();
      return s;
    }
    problems.push(`${describeHost(host)}: ${role.inRecovery ? 'standby' : 'primary'}${role.readOnly ? ', read-only' : ''}`);
    await s.close();
  }
  if (fallback !== undefined) return fallback;
  throw noHost(ci, attrs, problems);
}

/** The host openTargetSession would choose (its session closed again). */
export async function selectHost(ci: ConnInfo): Promise<HostSpec> {
  const s = await openTargetSession(ci, { protocol: 'simple', statements: [] });
  await s.close();
  return s.host;
}
