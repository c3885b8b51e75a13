/**
 * Host selection for multi-host targets with libpq's target_session_attrs. Neither `pg` nor
 * postgres.js gets this right (DESIGN.md "Driver notes"), so each host is asked itself:
 * `pg_is_in_recovery()` and `transaction_read_only`.
 */
import { describeHost } from './conninfo.js';
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

/** Ask an open session what its server is. */
async function hostRole(session: Session): Promise<HostRole> {
  const r = await queryText(session, "SELECT pg_is_in_recovery()::text, current_setting('transaction_read_only')");
  const row = r.rows[0] ?? [];
  return { inRecovery: row[0] === 'true', readOnly: row[1] === 'on' };
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
    let s: Session;
    try {
      s = await openSession(ci, host, opts);
    } catch (e) {
      problems.push(e instanceof Error ? e.message : String(e));
      continue;
    }
    if (attrs === 'any') return s;
    let role: HostRole;
    try {
      role = await hostRole(s);
    } catch (e) {
      s.destroy();
      problems.push(`${describeHost(host)}: ${(e as { message?: string }).message ?? String(e)}`);
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
  throw new OpenError(ci.hosts.map(describeHost).join(','), {
    code: '08000',
    message: `no host is ${attrs}: ${problems.join('; ')}`,
    severity: undefined,
    detail: undefined,
    position: undefined,
  });
}

/** The host openTargetSession would choose (its session closed again). */
export async function selectHost(ci: ConnInfo): Promise<HostSpec> {
  const s = await openTargetSession(ci, { protocol: 'simple', statements: [] });
  await s.close();
  return s.host;
}
